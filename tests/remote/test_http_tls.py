"""TLS verification of the shared client (compiler/remote/http.py): a client made for a plain
http URL (loopback only) builds no CA bundle, and still never completes an unverified TLS
connection; an https client verifies as httpx does. Against a real TLS server with a
self-signed certificate made by the openssl command."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.remote.http import ApiError, HttpClient, RetryPolicy


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """The port of a local https server whose certificate no CA signed."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command makes the test certificate"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


ONCE = RetryPolicy(attempts=1)


@pytest.mark.parametrize("base", ["http://127.0.0.1:9/v1", "https://127.0.0.1:{port}/v1"])
def test_an_unverifiable_certificate_is_refused_whatever_the_clients_url(tls_server: int, base: str) -> None:
    with (
        HttpClient(base.format(port=tls_server), "token", policy=ONCE, timeout=10) as client,
        pytest.raises(ApiError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"),
    ):
        client.request("GET", f"https://127.0.0.1:{tls_server}/v1/anything")


def test_a_plain_http_client_never_loads_a_ca_bundle() -> None:
    with HttpClient("http://127.0.0.1:9/v1", "token") as client:
        context = client._client._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
