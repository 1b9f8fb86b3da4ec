"""What a server holds or answers never prints a credential or a secret value (SPEC 7.1, 7.4,
7.5), in whatever encoding: a live value hand-edited in Astro to hold a secret and the token
reaches plan (text, markdown, json), `plan --out` and apply only masked or withheld; a server
message that echoes one transformed (case, hex, escapes, entities, base64 at any offset, broken
over lines, cut short) is withheld. The rules: compiler/redaction.py.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import applied, cli

SECRET = "SNOWFLAKE_PROD_PASSWORD"
PLAIN = "SfProdPassw0rd!yy"  # a secret value of the usual kind (the example's are also tried)
TOKEN_FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "upper": str.upper,
    "lower": str.lower,
    "hex": lambda v: v.encode().hex(),
    "HEX": lambda v: v.encode().hex().upper(),
    "u-escape": lambda v: "".join(f"\\u{ord(c):04x}" for c in v),
    "html-entities": lambda v: "".join(f"&#{ord(c)};" for c in v),
    "percent-lower": lambda v: "".join(f"%{b:02x}" for b in v.encode()),
    "percent-twice": lambda v: "".join(f"%25{b:02X}" for b in v.encode()),
    "base64-offset-1": lambda v: base64.b64encode(f"a{v}zz".encode()).decode(),
    "base64-offset-2": lambda v: base64.b64encode(f"ab{v}zz".encode()).decode(),
    "base64url-basic": lambda v: base64.urlsafe_b64encode(f"user:{v}".encode()).decode(),
    "split-newline": lambda v: v[: len(v) // 2] + "\n" + v[len(v) // 2 :],
    "split-crlf": lambda v: v[: len(v) // 2] + "\r\n  " + v[len(v) // 2 :],
    "cut-short": lambda v: v[:-3] + "…",
    "utf-16": lambda v: "".join(f"{c}\x00" for c in v),
}


def _shown(value: str, printed: str) -> list[str]:
    """The ways `value` can be read in `printed`: as is, in either case, or its start (SPEC 7.4)."""
    start = value[: max(8, (len(value) + 1) // 2)]
    return [form for form in {value, value.lower(), value.upper(), start} if form in printed]


def _hand_edit(server: FakeAstro, key: str, value: str) -> None:
    """Set a live variable's value through the API, as a person in the Astro UI would."""
    env = server.env()
    base = f"{env['ASTRO_API_URL']}/organizations/{env['ASTRO_ORGANIZATION_ID']}/environment-objects"
    obj = next(o for o in server.state()["objects"] if o["objectKey"] == key and o["scope"] == "WORKSPACE")
    links = [
        {"scope": link["scope"], "scopeEntityId": link["scopeEntityId"]}
        | (
            {"overrides": {"airflowVariable": link["airflowVariableOverrides"]}}
            if link.get("airflowVariableOverrides")
            else {}
        )
        for link in obj["links"]
    ]
    body: dict[str, Any] = {
        "description": obj["description"],
        "airflowVariable": {"value": value},
        "autoLinkDeployments": obj["autoLinkDeployments"],
        "links": links,
        "excludeLinks": [{"scope": e["scope"], "scopeEntityId": e["scopeEntityId"]} for e in obj["excludeLinks"]],
    }
    headers = {"Authorization": f"Bearer {env['ASTRO_API_TOKEN']}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{base}/{obj['id']}", json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


@pytest.mark.parametrize("form", ["raw", "upper", "base64url-basic", "hex", "u-escape", "split-newline", "cut-short"])
@pytest.mark.parametrize("which", ["plain", "example"])
def test_a_live_value_holding_a_secret_and_the_token_never_prints(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str], form: str, which: str
) -> None:
    secrets = {**example_secrets, SECRET: PLAIN} if which == "plain" else example_secrets
    applied(seeded, repo, secrets)
    encode = TOKEN_FORMS[form]
    _hand_edit(seeded, "data_bucket", f"{encode(secrets[SECRET])} / {encode(seeded.token)}")
    saved = tmp_path / "plan.json"
    runs = {
        "text": cli(seeded, repo, secrets, "plan"),
        "markdown": cli(seeded, repo, secrets, "plan", "--format", "markdown"),
        "json": cli(seeded, repo, secrets, "plan", "--format", "json"),
        "out": cli(seeded, repo, secrets, "plan", "--out", str(saved)),
    }
    runs["apply-saved"] = cli(seeded, repo, secrets, "apply", str(saved), "--auto-approve")
    _hand_edit(seeded, "data_bucket", f"{encode(secrets[SECRET])} / {encode(seeded.token)}")
    runs["apply"] = cli(seeded, repo, secrets, "apply", "--auto-approve")
    for name, run in runs.items():
        assert run.code == 0, (name, run)
        assert "data_bucket" in run.out, (name, run.out)  # the change is still shown
        printed = run.out + run.err
        for value in (secrets[SECRET], seeded.token):
            assert not _shown(value, printed) and encode(value) not in printed, (name, printed)
    json.loads(runs["json"].out)  # still JSON: a value is withheld inside its string
    written = saved.read_text()
    assert not _shown(secrets[SECRET], written) and not _shown(seeded.token, written)
    assert encode(seeded.token) not in written


def test_a_value_in_git_equal_to_a_secret_value_is_not_printed(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # A non-secret variable whose plain value in git is also a secret's value: the plan shows
    # the change, never the value (SPEC 7.4: no secret value in plan output).
    secrets = {**example_secrets, SECRET: "s3://acme-data-dev"}  # data_bucket's value in git
    applied(seeded, repo, secrets)
    _hand_edit(seeded, "data_bucket", "s3://elsewhere")
    for fmt in ("text", "markdown", "json"):
        run = cli(seeded, repo, secrets, "plan", "--format", fmt)
        assert run.code == 0 and "data_bucket" in run.out, run
        assert "acme-data-dev" not in run.out + run.err, run.out


@pytest.mark.parametrize("form", sorted(TOKEN_FORMS))
@pytest.mark.parametrize("which", ["secret", "token"])
def test_a_server_message_echoing_a_value_in_any_encoding_is_withheld(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], form: str, which: str
) -> None:
    secrets = {**example_secrets, SECRET: PLAIN}
    value = PLAIN if which == "secret" else seeded.token
    seeded.admin("fault", {"path": "workspaces", "echo": f"bad value <{TOKEN_FORMS[form](value)}>", "count": 1})
    run = cli(seeded, repo, secrets, "plan")
    printed = run.out + run.err
    assert run.code == 1 and "Traceback" not in printed, run
    assert not _shown(value, printed) and TOKEN_FORMS[form](value) not in printed, printed
    assert "withheld" in printed or "***" in printed, printed
