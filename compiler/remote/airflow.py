"""The Airflow REST API: connections, variables and pools of one Airflow, read and written.

One client serves Airflow 3 (`/api/v2`, a bearer token or a JWT from `POST /auth/token`) and
Airflow 2 (`/api/v1`, a bearer token or basic auth); which one answers is asked of the
version endpoint. Live objects come back as the frozen values of sync/airflow_state.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from compiler.errors import OperationError
from compiler.model.frozen import field, frozen
from compiler.remote import answers
from compiler.remote.environ import header_value, max_body, max_list_items, request_timeout
from compiler.remote.http import AmbiguousWrite, ApiError, HttpClient, Limits
from compiler.remote.urls import segment, service_url
from compiler.sync.airflow_state import DEFAULT_POOL, KINDS, AirflowVersion, Kind, LiveAirflow, LiveObject

PAGE = 100  # Airflow's default maximum_page_limit
MAX_PAGES = 1000  # 100,000 objects of a kind: a server that pages on past it is not believed
# An Airflow is not the Astro API: its own server sets the pace. Stay polite all the same.
AIRFLOW_LIMITS = Limits(per_second={"GET": 50.0, "POST": 20.0, "PATCH": 20.0, "DELETE": 20.0})


class AirflowError(OperationError):
    """Airflow cannot be reached, or refuses what we ask, for a reason the user can fix."""


@frozen
class Credentials:
    """AIRFLOW_API_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD. Never printed."""

    token: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials:
        token = environ.get("AIRFLOW_API_TOKEN", "")
        username, password = environ.get("AIRFLOW_USERNAME", ""), environ.get("AIRFLOW_PASSWORD", "")
        if not token and not (username and password):
            raise AirflowError(
                "no Airflow credentials: set AIRFLOW_API_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD"
            )
        from compiler.redaction import register

        # Masked wherever outside text is printed; `USER:PASSWORD` too, so that its base64 (the
        # Basic Authorization header, which a server may echo) is masked whole.
        register(token, password, f"{username}:{password}" if password else "")
        if token:
            header_value(token, "AIRFLOW_API_TOKEN")
        return cls(token=token, username=username, password=password)


def parse_version(text: str) -> AirflowVersion:
    parts = [*text.split("+")[0].split("."), "0", "0"][:2]
    try:
        return AirflowVersion(int(parts[0]), int("".join(c for c in parts[1] if c.isdigit()) or 0), text)
    except ValueError:
        raise AirflowError(f"Airflow reports a version this program cannot read: {text!r}") from None


def api_root(url: str) -> str:
    """The server root of an Airflow URL: https:// when no scheme is given (Astro's
    `webServerAirflowApiUrl` has none), a trailing `/api/vN` removed; plain http only to a
    loopback address, so credentials and secret values never cross a network in clear."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = service_url(text, "an Airflow URL", "AIRFLOW_API_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD")
    except OperationError as exc:
        raise AirflowError(str(exc)) from None
    path = parts.path.rstrip("/")
    for suffix in ("/api/v1", "/api/v2"):
        path = path.removesuffix(suffix)
    return f"{parts.scheme}://{parts.netloc}{path}"


# --- the wire shapes of each kind ------------------------------------------------------

_COLLECTION = {"connection": "connections", "variable": "variables", "pool": "pools"}
_KEY_FIELD = {"connection": "connection_id", "variable": "key", "pool": "name"}
_CONNECTION_WIRE = {"type": "conn_type", "host": "host", "schema": "schema", "login": "login", "port": "port"}


def _live(kind: Kind, item: Mapping[str, Any]) -> LiveObject:
    key = str(item[_KEY_FIELD[kind]])
    fields: dict[str, Any] = {}
    if kind == "connection":
        fields = {ours: item[wire] for ours, wire in _CONNECTION_WIRE.items() if item.get(wire) not in (None, "")}
        if item.get("password"):
            fields["password"] = item["password"]
        extra = _extra(item.get("extra"))
        if extra is not None:
            fields["extra"] = extra
    elif kind == "variable":
        fields = {"value": "" if item.get("value") is None else str(item["value"])}
    else:
        fields = {"slots": item["slots"]}
        if item.get("include_deferred") is not None:
            fields["include_deferred"] = bool(item["include_deferred"])
    return LiveObject(kind, key, item.get("description") or "", MappingProxyType(fields))


def _extra(raw: Any) -> Any:
    """Airflow stores extra as text; a JSON object is compared key by key, anything else as text."""
    if raw in (None, "", "{}"):
        return None
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def request_body(kind: Kind, key: str, fields: Mapping[str, Any], description: str | None) -> dict[str, Any]:
    """The create (or PATCH) body of an object from plain field values (secrets already revealed)."""
    body: dict[str, Any] = {_KEY_FIELD[kind]: key}
    if description is not None:
        body["description"] = description
    if kind == "connection":
        for ours, wire in _CONNECTION_WIRE.items():
            if ours in fields:
                body[wire] = fields[ours]
        if "password" in fields:
            body["password"] = fields["password"]
        if "extra" in fields:
            extra = fields["extra"]
            body["extra"] = None if extra is None else json.dumps(extra, sort_keys=True, ensure_ascii=False)
    elif kind == "variable":
        body["value"] = fields.get("value", "")
    else:
        body["slots"] = fields["slots"]
        if "include_deferred" in fields:
            body["include_deferred"] = bool(fields["include_deferred"])
    return body


def _wire_names(kind: Kind, names: list[str]) -> list[str]:
    if kind == "connection":
        return [_CONNECTION_WIRE.get(n, n) for n in names]
    return names


# --- the client --------------------------------------------------------------------------


class AirflowClient:
    """One Airflow's REST API: log in, tell the version, read all objects, write one at a time."""

    def __init__(self, url: str, credentials: Credentials, environ: Mapping[str, str] | None = None) -> None:
        """`environ` gives the bounds of every request (ASTRO_GITOPS_HTTP_TIMEOUT, _MAX_BYTES)."""
        self.root = api_root(url)
        self._credentials = credentials
        timeout = request_timeout(environ or {})
        self._max_body = max_body(environ or {})
        self._max_items = max_list_items(environ or {})
        # Airflow 3 answers /api/v2/version to anyone; an Astro Deployment wants its token there too.
        self._http = self._client(credentials.token, timeout)
        self.version = self._ask_version()
        self._http.close()
        self._http = self._authenticated(timeout)

    def _client(self, token: str, timeout: float, auth: Any = None) -> HttpClient:
        return HttpClient(
            self.root, token, timeout=timeout, limits=AIRFLOW_LIMITS, auth=auth,
            max_body=self._max_body, max_items=self._max_items,
        )  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def requests(self) -> Mapping[str, int]:
        """Requests sent so far by method (a second apply with nothing to do sends no write)."""
        return dict(self._http.counter.by_method)

    def _ask_version(self) -> AirflowVersion:
        for api in ("/api/v2", "/api/v1"):
            try:
                body = self._http.request("GET", f"{api}/version")
            except ApiError as exc:
                if exc.status in (401, 403, 404):
                    continue
                raise AirflowError(f"cannot reach Airflow at {self.root}: {exc}") from None
            if isinstance(body, Mapping) and isinstance(body.get("version"), str):
                return parse_version(body["version"])
        raise AirflowError(f"{self.root} does not answer as an Airflow 2 or 3 REST API (no /api/v2 or /api/v1 version)")

    def _authenticated(self, timeout: float) -> HttpClient:
        creds = self._credentials
        if creds.token:
            return self._client(creds.token, timeout)
        if self.version.major < 3:
            import httpx

            basic = httpx.BasicAuth(creds.username, creds.password)
            http = self._client("", timeout, basic)
            try:  # basic auth has no login: ask something small to tell wrong credentials apart early
                http.request("GET", f"{self.version.api}/pools", params={"limit": 1})
            except ApiError as exc:
                http.close()
                if exc.status in (401, 403):
                    raise AirflowError(
                        f"Airflow at {self.root} refused the login of {creds.username!r}: {exc}"
                    ) from None
                raise
            return http
        return self._client(self._login(timeout), timeout)

    def _login(self, timeout: float) -> str:
        creds = self._credentials
        with self._client("", timeout) as http:
            try:
                body = http.request(
                    "POST", "/auth/token", json={"username": creds.username, "password": creds.password}
                )
            except ApiError as exc:
                raise AirflowError(f"Airflow at {self.root} refused the login of {creds.username!r}: {exc}") from None
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AirflowError(f"Airflow at {self.root} answered POST /auth/token without an access_token")
        from compiler.redaction import register

        register(token)
        try:
            return header_value(token, "the access_token of POST /auth/token")
        except OperationError as exc:
            raise AirflowError(str(exc)) from None

    # -- reads -------------------------------------------------------------------------------

    def read(self) -> LiveAirflow:
        """Every connection, variable and pool; a key listed twice in one kind is an
        UnexpectedAnswer (which of the two is live cannot be told)."""
        objects: dict[tuple[Kind, str], LiveObject] = {}
        for kind in KINDS:
            for found in self.read_kind(kind):
                if (kind, found.key) in objects:
                    where = f"GET {self.version.api}/{_COLLECTION[kind]} at {self.root}"
                    raise answers.UnexpectedAnswer(where, f"{kind} {found.key!r} is listed twice")
                objects[(kind, found.key)] = found
        return LiveAirflow(self.root, self.version, MappingProxyType(objects))

    def read_kind(self, kind: Kind) -> list[LiveObject]:
        where = f"GET {self.version.api}/{_COLLECTION[kind]}"
        items = list(self._pages(kind))
        # Airflow 2's collections leave out a connection's extra and a variable's value.
        if self.version.major < 3 and kind in ("connection", "variable"):
            items = [self._get_raw(kind, answers.text(i, _KEY_FIELD[kind], where)) for i in items]
        return [self._checked(kind, item, where) for item in items]

    def get(self, kind: Kind, key: str) -> LiveObject | None:
        try:
            return self._checked(kind, self._get_raw(kind, key), f"GET {self._path(kind, key)}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _checked(self, kind: Kind, item: Mapping[str, Any], where: str) -> LiveObject:
        answers.text(item, _KEY_FIELD[kind], where)
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            raise answers.UnexpectedAnswer(where, "'description' is not a text")
        with answers.shaped(where):
            return _live(kind, item)

    def _get_raw(self, kind: Kind, key: str) -> Mapping[str, Any]:
        path = self._path(kind, key)
        return answers.mapping(self._http.request("GET", path), f"GET {path}")

    def _pages(self, kind: Kind) -> Iterator[Mapping[str, Any]]:
        """Every item of a kind, page by page, at most MAX_PAGES pages (a `total_entries` that
        never comes is not followed forever); each page checked (remote/answers.py)."""
        collection, seen = _COLLECTION[kind], 0
        path = f"{self.version.api}/{collection}"
        for _ in range(MAX_PAGES):
            page = self._http.request("GET", path, params={"limit": PAGE, "offset": seen})
            items = answers.page_items(page, collection, f"GET {path}")
            self._http.listed(len(items), f"GET {path} at {self.root}")
            yield from items
            seen += len(items)
            if not items or seen >= (answers.count(page, "total_entries", f"GET {path}") or 0):
                return
        raise AirflowError(f"GET {path} at {self.root}: more than {MAX_PAGES} pages")

    # -- writes ------------------------------------------------------------------------------

    def create(self, kind: Kind, body: Mapping[str, Any]) -> None:
        self._http.request("POST", f"{self.version.api}/{_COLLECTION[kind]}", json=dict(body), retry="create")

    def create_once(self, kind: Kind, body: Mapping[str, Any]) -> None:
        """Create, never blindly twice, and trust no answer (SPEC 7.3): after an ambiguous
        failure or a 409 the key is looked up, and what is found counts as created only when it
        carries the marker we sent and an attempt of ours may have created it; else an
        AirflowError saying what was found (the object is left unchanged)."""
        from compiler.sync import marker as markers

        key = str(body[_KEY_FIELD[kind]])
        maybe_ours = False
        for _ in range(3):
            try:
                return self.create(kind, body)
            except AmbiguousWrite:
                maybe_ours = True
            except ApiError as exc:
                if exc.status != 409:
                    raise
            found = self.get(kind, key)
            if found is None and not maybe_ours:
                raise AirflowError(
                    f"{kind} '{key}' at {self.root}: the server answers that it exists (409) but cannot show it: "
                    "nothing was written to it"
                )
            if found is None:
                continue
            if not markers.claims(str(body.get("description") or ""), found.description):
                raise AirflowError(
                    f"{kind} '{key}' exists at {self.root} with {markers.whose(found.description)}, "
                    "not the marker this apply sends: it was left unchanged"
                )
            if not maybe_ours:
                raise AirflowError(
                    f"{kind} '{key}' already exists at {self.root} although the plan's read did not list it "
                    "(another apply at the same time, or a list that hides it): nothing was written to it; "
                    "run plan again"
                )
            return None
        raise AirflowError(f"the create of {kind} '{key}' at {self.root} kept failing")

    def update(self, kind: Kind, key: str, body: Mapping[str, Any], changed: list[str]) -> None:
        """PATCH only the `changed` fields (names of environments/; `description` too)."""
        mask = _wire_names(kind, changed)
        if kind == "pool" and key == DEFAULT_POOL:
            mask = [m for m in mask if m in ("slots", "include_deferred")]  # all Airflow lets change there
        if not mask:
            return
        self._http.request(
            "PATCH", self._path(kind, key), params=self._mask(kind, mask), json=dict(body), retry="write"
        )

    def _mask(self, kind: Kind, mask: list[str]) -> dict[str, Any] | None:
        if self.version.major >= 3:
            return {"update_mask": mask}  # FastAPI: the parameter repeated
        if kind == "variable":
            # Airflow 2 names a variable's value `val` inside and refuses a mask naming `value`;
            # without a mask it sets the value and the description of the body, which holds both.
            return None
        return {"update_mask": ",".join(mask)}  # connexion: one comma-separated value

    def delete(self, kind: Kind, key: str) -> None:
        self._http.request("DELETE", self._path(kind, key), retry="write", ok_statuses=frozenset({404}))

    def _path(self, kind: Kind, key: str) -> str:
        return f"{self.version.api}/{_COLLECTION[kind]}/{segment(key)}"


class AirflowTarget:
    """Performs the writes of an Airflow plan (sync.apply's Target); a write's key names the kind."""

    def __init__(self, client: AirflowClient) -> None:
        self.client = client

    def write(self, write: Any, values: Any) -> None:
        from compiler.sync.values import concrete

        if write.target != "airflow":
            raise AirflowError(f"the Airflow target cannot write a {write.target}")
        kind, key = write.key.object_type, write.key.object_key
        if write.op == "delete":
            self.client.delete(kind, key)
            return
        body = request_body(kind, key, concrete(write.body["fields"], values), write.body["description"])
        if write.op == "update":
            self.client.update(kind, key, body, list(write.body["mask"]))
        else:
            self.client.create_once(kind, body)
