"""`render --check`'s diff on large files, on secret fields a redacted rendering leaves out, and
on a file where every line changed (the diff is cut): through the installed command, in real git
repositories. Speed is measured in benchmarks/, not here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Run, edit_file, run_cli
from support.synthetic import OVERRIDE_EVERY, connection_lines, override_line


def _environments(connections: int, deployments: int) -> dict[str, str]:
    """environments/ files: `connections` Postgres connections linked to all (each with a secret
    password CONNnnnnn_PASSWORD), overridden in every seventh, and `deployments` Deployments, each
    with a secret environment variable API_TOKEN."""
    files = {
        "environments/workspace.yaml": "version: 1\nworkspace: Bench\nbranches:\n"
        "  - branch: main\n    deployment: dep0000\n",
        ".gitignore": "build/\nbuild-redacted/\n",
    }
    body = ["connections:", *(line for c in range(connections) for line in connection_lines(c))]
    files["environments/connections.yaml"] = "\n".join(body) + "\n"
    for d in range(deployments):
        overrides = [override_line(c, d, f"DB_{d}") for c in range(0, connections, OVERRIDE_EVERY)]
        files[f"environments/deployments/dep{d:04d}.yaml"] = (
            "\n".join(
                [
                    f"name: dep{d:04d}",
                    "astro: {runtime_version: '3.1-14', executor: CELERY, cloud_provider: AWS, region: us-east-1}",
                    "worker_queues:",
                    "  - {name: default, worker_type: A5, min_worker_count: 1, max_worker_count: 4}",
                    "environment_variables:",
                    "  LOG_LEVEL: INFO",
                    "  API_TOKEN: {secret: API_TOKEN}",
                    "overrides:",
                    "  connections:",
                    *overrides,
                ]
            )
            + "\n"
        )
    return files


def _dotenv(path: Path, connections: int, rotated: int | None = None) -> str:
    """A dotenv file of every secret (CONNnnnnn_PASSWORD=pw-n, API_TOKEN); `rotated`'s value
    changed. The `--secrets` argument that reads it."""
    values = {f"CONN{c:05d}_PASSWORD": f"pw-{c}-value" for c in range(connections)}
    values["API_TOKEN"] = "token-value-1234"
    if rotated is not None:
        values[f"CONN{rotated:05d}_PASSWORD"] = "rotated-value-5678"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return f"dotenv:{path}"


SECRET_VALUES = ("pw-", "-value", "token-value-1234", "rotated-value-5678")


def _check(root: Path, *args: str) -> Run:
    """`render --all --check` (exit 3: drift), with no secret value in what it prints."""
    result = run_cli("render", "--all", "--check", *args, cwd=root)
    assert result.code == 3, result
    assert not [v for v in SECRET_VALUES if v in result.out + result.err], result
    return result


def _sections(out: str) -> dict[str, list[str]]:
    """The diff's lines by the file it is about (from each `+++ ` line to the next `--- `)."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in out.splitlines():
        if line.startswith("--- "):
            current = [line]
        elif line.startswith("+++ ") and len(current) == 1:
            sections[line.removeprefix("+++ ")] = current
            current.append(line)
        else:
            current.append(line)
    return sections


def _line_number(path: Path, line: str) -> int:
    """The 1-based number of the one line of `path` that is `line`."""
    numbers = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == line]
    assert len(numbers) == 1, (path, line, numbers)
    return numbers[0]


def _host_change(name: str, at: int, context: tuple[list[str], list[str]], old: str, new: str) -> list[str]:
    """One hunk of seven lines: three of context, the changed line, three of context."""
    before, after = context
    hunk = [f"@@ -{at - 3},7 +{at - 3},7 @@", *(f" {line}" for line in before), f"-{old}", f"+{new}"]
    return [f"--- {name}", f"+++ {name}", *hunk, *(f" {line}" for line in after)]


def test_one_changed_line_of_a_large_file_is_one_small_hunk(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """1,000 connections and 10 Deployments (environment-objects.json: over 40,000 lines), one
    connection's host changed: each file shows exactly that line, secret lines masked."""
    connections, deployments = 1000, 10
    root = make_repo(_environments(connections, deployments))
    secrets = _dotenv(tmp_path / "secrets.env", connections)
    assert run_cli("render", "--all", "--secrets", secrets, cwd=root).code == 0
    objects = root / "build/environment-objects.json"
    assert len(objects.read_text().splitlines()) > 40_000
    json_at = _line_number(objects, '      "host": "db5.example.com",')
    yaml_at = _line_number(root / "build/dep0000/airflow_settings.yaml", "      conn_host: db5.example.com")
    edit_file(root, "environments/connections.yaml", "host: db5.example.com", "host: db5b.example.com")

    result = _check(root, "--secrets", secrets)

    yaml_context = (
        [
            """      conn_extra: '{"application_name": "app4", "database": "DB", "sslmode": "require"}'""",
            "    - conn_id: conn00005",
            "      conn_type: postgres",
        ],
        ["      conn_login: reader", "      conn_password: ***", "      conn_port: 5432"],
    )
    expected = [
        line
        for d in range(deployments)
        for line in _host_change(
            f"build/dep{d:04d}/airflow_settings.yaml",
            yaml_at,
            yaml_context,
            "      conn_host: ***",
            "      conn_host: db5b.example.com",
        )
    ]
    expected += _host_change(
        "build/environment-objects.json",
        json_at,
        (
            ['    "excludeLinks": [],', '    "connection": {', '      "type": "postgres",'],
            ['      "login": "reader",', '      "password": ***', '      "port": 5432,'],
        ),
        '      "host": ***',
        '      "host": "db5b.example.com",',
    )
    assert result.out.splitlines() == expected


def test_secret_fields_left_out_of_the_redacted_rendering_are_no_difference(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """The redacted rendering leaves out a connection's password in environment-objects.json
    and a secret environment variable's value in deployment.yaml. A check with values shows
    them only as context or, once rotated, as a masked change of that field; a check without
    values over a redacted folder never shows them."""
    connections = 12
    root = make_repo(_environments(connections, 2))
    secrets = _dotenv(tmp_path / "secrets.env", connections)
    assert run_cli("render", "--all", "--secrets", secrets, cwd=root).code == 0
    assert run_cli("render", "--all", "--out", "build-redacted", cwd=root).code == 0
    edit_file(root, "environments/connections.yaml", "host: db5.example.com", "host: db5b.example.com")

    with_values = _sections(_check(root, "--secrets", secrets).out)
    objects = with_values["build/environment-objects.json"]
    assert [line for line in objects if line[0] in "-+"] == [
        "--- build/environment-objects.json",
        "+++ build/environment-objects.json",
        '-      "host": ***',
        '+      "host": "db5b.example.com",',
    ]
    assert '       "password": ***' in objects  # context, unchanged
    assert "build/dep0000/deployment.yaml" not in with_values

    redacted = _sections(_check(root, "--out", "build-redacted").out)
    assert [line for line in redacted["build-redacted/environment-objects.json"] if line[0] in "-+"] == [
        "--- build-redacted/environment-objects.json",
        "+++ build-redacted/environment-objects.json",
        '-      "host": ***',  # a JSON file has no header that could say it holds no value
        '+      "host": "db5b.example.com",',
    ]

    edit_file(root, "environments/connections.yaml", "host: db5b.example.com", "host: db5.example.com")
    rotated = _sections(_check(root, "--secrets", _dotenv(tmp_path / "rotated.env", connections, rotated=3)).out)
    assert sorted(rotated) == [
        "build/dep0000/airflow_settings.yaml",
        "build/dep0001/airflow_settings.yaml",
        "build/environment-objects.json",
    ]
    assert [line for line in rotated["build/environment-objects.json"] if line[0] in "-+"][2:] == [
        '-      "password": ***',
        '+      "password": ***',
    ]
    assert [line for line in rotated["build/dep0001/airflow_settings.yaml"] if line[0] in "-+"][2:] == [
        "-      conn_password: ***",
        "+      conn_password: ***",
    ]


def test_a_file_where_every_line_changed_shows_a_cut_diff(make_repo: Callable[..., Path]) -> None:
    """Every line of a rendered file changed on disk: one hunk cut at 2,000 lines of diff (a
    share of each side), then one line counting the changed lines left out."""
    root = make_repo(_environments(300, 2))
    assert run_cli("render", "--all", cwd=root).code == 0
    objects = root / "build/environment-objects.json"
    rendered = objects.read_text().splitlines()
    objects.write_text("".join(f"{line} \n" for line in rendered))

    result = _check(root)

    shown = result.out.splitlines()
    assert shown[:3] == [
        "--- build/environment-objects.json",
        "+++ build/environment-objects.json",
        "@@ -1,998 +1,999 @@",
    ]
    assert all(line.startswith("-") for line in shown[3:1001])
    assert shown[1001:2000] == [f"+{line}" for line in rendered[:999]]
    left_out = 2 * len(rendered) - 998 - 999
    assert shown[2000:] == [
        f"build/environment-objects.json: {left_out} more changed line(s) not shown (the diff is cut at 2000 lines)"
    ]


def _public_twin(make_repo: Callable[..., Path]) -> Path:
    """A repository whose connection `ca` has a secret password (PA) and `cb`, a few lines on,
    a plaintext one (hunter2) under the same key and indentation."""
    return make_repo(
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - branch: main\n    deployment: prod\n",
            "environments/deployments/prod.yaml": "name: prod\nastro: {executor: KUBERNETES}\n",
            "environments/connections.yaml": "connections:\n"
            "  ca: {type: http, login: u, password: {secret: PA}, links: all}\n"
            "  cb: {type: http, login: u, password: hunter2, allow_plaintext: true, links: all}\n",
            ".gitignore": "build/\n",
        }
    )


def test_a_rotated_secret_equal_to_a_public_value_is_masked_on_the_old_side(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """The folder holds the secret's earlier value (hunter2, also cb's public password); the
    check with the rotated value masks the old line too: it stands under a key that holds a
    secret in the new rendering, so it may hold an earlier secret."""
    root = _public_twin(make_repo)
    (tmp_path / "old.env").write_text("PA=hunter2\n")
    (tmp_path / "new.env").write_text("PA=newpass\n")
    assert run_cli("render", "--all", "--secrets", f"dotenv:{tmp_path / 'old.env'}", cwd=root).code == 0

    result = run_cli("render", "--all", "--check", "--secrets", f"dotenv:{tmp_path / 'new.env'}", cwd=root)

    assert result.code == 3, result
    changed = [line for line in result.out.splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")]
    assert changed == [
        '-      "password": ***',
        '+      "password": ***',
        "-      conn_password: ***",
        "+      conn_password: ***",
    ], result.out
    assert "newpass" not in result.out


def test_a_secret_equal_to_a_public_value_nearby_is_masked(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """A connection's secret password is the same text as the next connection's plaintext one
    (same key, same indentation, a few lines on). The check with values masks the secret's
    line wherever it stands: which lines hold a secret is read from a rendering with markers
    for the secrets, not guessed by aligning lines (which paired the secret's line with the
    public one and printed it)."""
    root = _public_twin(make_repo)
    assert run_cli("render", "--all", cwd=root).code == 0  # redacted: no `password` for ca on disk
    (tmp_path / "secrets.env").write_text("PA=hunter2\n")

    result = run_cli("render", "--all", "--check", "--secrets", f"dotenv:{tmp_path / 'secrets.env'}", cwd=root)

    assert result.code == 3, result
    objects = _sections(result.out)["build/environment-objects.json"]
    added = [line for line in objects[2:] if line.startswith("+")]
    assert '+      "password": ***' in added, objects
    assert not [line for line in added if "hunter2" in line], objects
    shown_in_clear = [line for line in result.out.splitlines() if "hunter2" in line]
    assert all(line.startswith(" ") for line in shown_in_clear), shown_in_clear  # cb's own line, as context
