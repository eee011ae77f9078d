"""Security: the API key and secrets never leak; plain HTTP to a remote host is refused.

- Every command (validate, schema, teams, plan in the three formats with ``--out``, apply
  ``-v``, apply ``--rotate-secrets``, apply of a saved plan, export, clone) runs with a known API
  key and a known secret; neither appears in stdout, stderr, a plan file, the GitHub step
  summary, an exported file, the ``-v`` request log, or the text of an exception. The checks
  are not vacuous: the secret demonstrably reaches the emulator (the LLM connection reports a
  stored token) and the plans show ``(sensitive)`` in its place.
- Failing runs too: a wrong key (401), a key without access to the team (403), a key with a
  space in it, retries under injected faults with ``-v``.
- A webhook ``target_url`` may hold a secret (api-notes: "mask it"): plan and export must not
  print it, whether the manifest still interpolates it or not.
- ``--api-url`` (or ``GETSALES_API_URL``) with plain ``http://`` to a non-loopback host is
  refused with exit 1 before any request: the test points ``HTTP_PROXY``/``HTTPS_PROXY`` at an
  emulator, so any request gsctl made would show up in that emulator's request log.
- The emulator's SQLite file (database, WAL and shared-memory files) never holds the secret or
  the API key in clear, while running and after shutdown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from gsctl.cli import main
from gsctl.emulator import EmulatorServer

KNOWN_KEY = "sk-KNOWN-api-key-1234567890"
KNOWN_SECRET = "sk-KNOWN-secret-value"
ROTATED_SECRET = "sk-KNOWN-rotated-secret-value"
WRONG_KEY = "sk-WRONG-api-key-0987654321"
NEVER_SHOWN = (KNOWN_KEY, KNOWN_SECRET, ROTATED_SECRET, WRONG_KEY)
CLONE_SECRET_ENV = "GSCTL_LLM_CONNECTION_OPENAI_API_KEY"  # the variable clone reads

MANIFEST = """
version: 1
settings:
  teams: {prod: 1, staging: 2}
llm_connections:
  - name: OpenAI
    provider: openai
    api_key: ${env:OPENAI_API_KEY}
ai_agents:
  - name: Interest classifier
    llm: OpenAI
    classification_prompt: Answer "interested" or "not".
tags:
  - {name: Warm, color: "#F4A300"}
webhooks:
  - name: CRM sync
    event: contact_created
    target_url: https://hooks.example.com/gs
"""

SECRET_URL = """
version: 1
webhooks:
  - name: CRM sync
    event: contact_created
    target_url: https://hooks.example.com/gs?token=${env:OPENAI_API_KEY}
"""


# ----- running commands and collecting everything they produced --------------------------


@dataclass
class Transcript:
    """Everything the commands printed or raised, and the files they wrote."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def add(self, what: str, text: str) -> None:
        self.texts.append((what, text))

    def leaks(self, values: tuple[str, ...] = NEVER_SHOWN) -> list[str]:
        found = [
            f"{what} contains {value[:9]}..."
            for what, text in self.texts
            for value in values
            if value in text
        ]
        for path in self.files:
            data = path.read_bytes() if path.is_file() else b""
            found += [f"{path} contains {v[:9]}..." for v in values if v.encode() in data]
        return found


@dataclass
class Cli:
    url: str
    transcript: Transcript
    env: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, *args: str, key: str | None = KNOWN_KEY, team: str = "1") -> tuple[int, str]:
        argv = list(args)
        if argv[0] in ("plan", "apply", "export", "clone"):
            argv += ["--api-url", self.url, "--rate-limit", "60000"]
            if key is not None:
                argv += ["--api-key", key]
            if argv[0] != "clone" and team:
                argv += ["--team", team]
        env = {
            "OPENAI_API_KEY": KNOWN_SECRET,
            CLONE_SECRET_ENV: KNOWN_SECRET,
            "NO_COLOR": "1",
            "GETSALES_API_KEY": None,
            "GETSALES_API_URL": None,
            "GETSALES_TEAM_ID": None,
            **self.env,
        }
        result = CliRunner().invoke(main, argv, env=env, catch_exceptions=True)
        what = "gsctl " + " ".join(a for a in args if not a.startswith("/"))
        self.transcript.add(f"{what}: stdout", result.stdout)
        self.transcript.add(f"{what}: stderr", result.stderr)
        exc = result.exception
        if exc is not None:
            self.transcript.add(f"{what}: exception", f"{exc!s} {exc!r}")
        assert exc is None or isinstance(exc, SystemExit), f"{what} raised {exc!r}"
        assert "Traceback" not in result.output, result.output
        return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


@pytest.fixture
def keyed_emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    """An emulator that accepts only the known key (any team)."""
    return emulator_factory(api_keys=[KNOWN_KEY])


@pytest.fixture
def cli(keyed_emulator: EmulatorServer, transcript: Transcript) -> Cli:
    return Cli(keyed_emulator.url, transcript)


def write(directory: Path, text: str, name: str = "ws.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return directory


def assert_no_leaks(transcript: Transcript) -> None:
    assert transcript.texts, "nothing was recorded"
    leaks = transcript.leaks()
    assert not leaks, "\n".join(leaks)


# ----- every command ------------------------------------------------------------------------


def test_every_command_keeps_key_and_secret_out_of_every_output(
    cli: Cli, keyed_emulator: EmulatorServer, transcript: Transcript, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", MANIFEST)
    summary = tmp_path / "step-summary.md"
    cli.env["GITHUB_STEP_SUMMARY"] = str(summary)
    transcript.files.append(summary)

    assert cli("validate", str(ws))[0] == 0
    assert cli("validate", str(ws), "--format", "json")[0] == 0
    assert cli("schema")[0] == 0
    assert cli("schema", "llm_connection")[0] == 0
    assert cli("teams", str(ws))[0] == 0
    assert cli("teams", str(ws), "--json")[0] == 0
    for fmt in ("text", "json", "markdown"):
        out = tmp_path / f"plan-{fmt}.json"
        transcript.files.append(out)
        code, output = cli("plan", str(ws), "--format", fmt, "--out", str(out), "-v")
        assert code == 0, output
        assert "(sensitive)" in output and "(sensitive)" in out.read_text()
    saved = tmp_path / "plan-text.json"
    code, output = cli("apply", "--plan", str(saved), "--auto-approve", "-v")
    assert code == 0, output
    assert "GET /ai/api/llms" in output  # -v logged the requests
    llm = keyed_emulator.store.objects(1, "llm_connection")[0]
    assert llm["has_provider_api_token"] is True  # the secret did reach the API
    assert cli("apply", "--plan", str(saved), "--auto-approve", "-v")[0] == 4  # stale now
    code, output = cli("plan", str(ws), "--detailed-exitcode", "-v")
    assert code == 0, output

    cli.env["OPENAI_API_KEY"] = ROTATED_SECRET
    before = len(keyed_emulator.requests)
    code, output = cli("apply", str(ws), "--auto-approve", "--rotate-secrets", "-v")
    assert code == 0, output
    assert any(r.method == "PUT" for r in keyed_emulator.requests[before:])

    exported = tmp_path / "exported"
    code, output = cli("export", "--out", str(exported), "-v")
    assert code == 0, output
    transcript.files += sorted(exported.rglob("*"))
    assert "${env:" in (exported / "llm_connections.yaml").read_text()

    if cli("clone", "--help")[0] == 0:
        copy = tmp_path / "clone-out"
        code, output = cli(
            "clone", str(ws), "--from-team", "1", "--to-team", "2", "--auto-approve", "-v",
            "--out", str(copy),
        )  # fmt: skip
        assert code in (0, 5), output
        transcript.files += sorted(copy.rglob("*"))
        assert keyed_emulator.store.objects(2, "llm_connection"), "clone copied nothing"
    assert "(sensitive)" in summary.read_text()
    assert_no_leaks(transcript)


def test_failing_runs_do_not_leak_keys(
    cli: Cli,
    emulator_factory: Callable[..., EmulatorServer],
    transcript: Transcript,
    tmp_path: Path,
) -> None:
    ws = write(tmp_path / "ws", MANIFEST)
    for command in (("plan", str(ws), "-v"), ("apply", str(ws), "--auto-approve", "-v")):
        code, output = cli(*command, key=WRONG_KEY)
        assert code == 1, output
        assert "401" in output or "unauthor" in output.lower(), output
    code, output = cli("export", "--out", str(tmp_path / "x"), "-v", key=WRONG_KEY)
    assert code == 1, output
    code, output = cli("plan", str(ws), key=KNOWN_KEY.replace("-api-", " api-"))
    assert code == 1, output
    bound = emulator_factory(api_keys=[f"{KNOWN_KEY}:2"])  # the key may act on team 2 only
    code, output = Cli(bound.url, transcript)("plan", str(ws), "-v", team="1")
    assert code == 1, output
    assert "403" in output or "forbidden" in output.lower(), output
    assert_no_leaks(transcript)


def test_retries_under_faults_do_not_leak_keys(
    cli: Cli, keyed_emulator: EmulatorServer, transcript: Transcript, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", MANIFEST)
    keyed_emulator.slow_seconds = 0.05
    keyed_emulator.set_faults(0.4, 3)
    for _ in range(2):
        if cli("apply", str(ws), "--auto-approve", "-v")[0] == 0:
            break
    keyed_emulator.set_faults(0.0, 0)
    assert "retry" in " ".join(text for _, text in transcript.texts)
    assert_no_leaks(transcript)


# ----- a secret inside a webhook URL ------------------------------------------------------------


def test_secret_interpolated_into_a_webhook_url_is_masked(
    cli: Cli, transcript: Transcript, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", SECRET_URL)
    plan_file = tmp_path / "plan.json"
    transcript.files.append(plan_file)
    code, output = cli("plan", str(ws), "--format", "json", "--out", str(plan_file))
    assert code == 0, output
    code, output = cli("apply", str(ws), "--auto-approve", "-v")
    assert code == 0, output
    assert "(sensitive)" in output
    cli("plan", str(ws), "--format", "markdown", "--out", str(plan_file), "-v")
    assert_no_leaks(transcript)


def test_field_interpolating_a_secret_converges(cli: Cli, tmp_path: Path) -> None:
    ws = write(tmp_path / "ws", SECRET_URL)
    assert cli("apply", str(ws), "--auto-approve")[0] == 0
    code, output = cli("plan", str(ws), "--detailed-exitcode")
    assert code == 0, output


def test_plan_does_not_print_a_live_webhook_url_holding_a_secret(
    cli: Cli, transcript: Transcript, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", SECRET_URL)
    assert cli("apply", str(ws), "--auto-approve")[0] == 0
    write(ws, SECRET_URL.replace("?token=${env:OPENAI_API_KEY}", ""))
    plan_file = tmp_path / "plan.json"
    transcript.files.append(plan_file)
    for fmt in ("text", "markdown"):
        assert cli("plan", str(ws), "--format", fmt, "--out", str(plan_file))[0] == 0
    assert_no_leaks(transcript)


def test_export_does_not_write_a_webhook_url_holding_a_secret(
    cli: Cli, transcript: Transcript, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", SECRET_URL)
    assert cli("apply", str(ws), "--auto-approve")[0] == 0
    exported = tmp_path / "exported"
    assert cli("export", "--out", str(exported))[0] == 0
    transcript.files += sorted(exported.rglob("*"))
    assert_no_leaks(transcript)


# ----- plain HTTP to a remote host ------------------------------------------------------------

REMOTE_HTTP = [
    "http://example.com",
    "http://example.com:8080/api",
    "HTTP://EXAMPLE.COM",
    "http://10.0.0.7",
    "http://192.168.1.20:8484",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "http://[2001:db8::1]",
]


@pytest.fixture
def proxy(emulator_factory: Callable[..., EmulatorServer]) -> Iterator[EmulatorServer]:
    """An emulator standing in as the HTTP(S) proxy: any request gsctl sends lands here."""
    server = emulator_factory()
    with httpx.Client(proxy=server.url) as client:  # the trap works: a proxied request is seen
        client.get("http://example.com/leads/api/tags")
    assert len(server.requests) == 1
    server.requests.clear()
    yield server


@pytest.mark.parametrize("url", REMOTE_HTTP)
def test_plain_http_to_a_remote_host_is_refused_before_any_request(
    proxy: EmulatorServer, url: str, tmp_path: Path
) -> None:
    ws = write(tmp_path / "ws", MANIFEST)
    transcript = Transcript()
    proxied = {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "ALL_PROXY": proxy.url}
    proxied |= {"NO_PROXY": "", "no_proxy": "", "http_proxy": proxy.url}
    commands = [
        ("plan", str(ws)),
        ("apply", str(ws), "--auto-approve"),
        ("export", "--out", str(tmp_path / "x")),
    ]
    for command in commands:
        code, output = Cli(url, transcript, dict(proxied))(*command)
        assert code == 1, output
        assert "https" in output, output
    code, output = Cli(url, transcript, {**proxied, "GETSALES_API_URL": url})(
        "plan", str(ws), "--api-url", url
    )
    assert code == 1, output
    assert proxy.requests == [], [f"{r.method} {r.path}" for r in proxy.requests]
    assert_no_leaks(transcript)


def test_the_proxy_trap_sees_what_gsctl_would_send(
    proxy: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Control: were the URL check missing, the requests would land in the trap."""
    monkeypatch.setattr("gsctl.api.wire.is_loopback", lambda host: True)
    ws = write(tmp_path / "ws", MANIFEST)
    env: dict[str, str | None] = {"HTTP_PROXY": proxy.url, "NO_PROXY": "", "no_proxy": ""}
    Cli("http://example.com", Transcript(), env)("plan", str(ws))
    assert proxy.requests, "the trap saw nothing"


def test_api_url_from_the_environment_is_checked_too(proxy: EmulatorServer, tmp_path: Path) -> None:
    ws = write(tmp_path / "ws", MANIFEST)
    env = {
        "GETSALES_API_URL": "http://example.com",
        "GETSALES_API_KEY": KNOWN_KEY,
        "GETSALES_TEAM_ID": "1",
        "OPENAI_API_KEY": KNOWN_SECRET,
        "HTTP_PROXY": proxy.url,
        "HTTPS_PROXY": proxy.url,
        "NO_PROXY": "",
    }
    result = CliRunner().invoke(main, ["plan", str(ws)], env=env, catch_exceptions=True)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert KNOWN_KEY not in result.output and KNOWN_SECRET not in result.output
    assert proxy.requests == []


# ----- the emulator's database ------------------------------------------------------------------


def database_bytes(db: Path) -> bytes:
    parts = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def test_emulator_database_never_holds_a_secret_in_clear(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    db = tmp_path / "e.db"
    server = emulator_factory(db=str(db), api_keys=[KNOWN_KEY])
    ws = write(tmp_path / "ws", MANIFEST)
    cli = Cli(server.url, Transcript())
    assert cli("apply", str(ws), "--auto-approve")[0] == 0
    cli.env["OPENAI_API_KEY"] = ROTATED_SECRET
    assert cli("apply", str(ws), "--auto-approve", "--rotate-secrets")[0] == 0
    assert server.store.objects(1, "llm_connection")[0]["has_provider_api_token"] is True
    assert b"sha256$" in database_bytes(db)  # a salted digest is what is kept
    for moment in ("running", "stopped"):
        if moment == "stopped":
            server.stop()
        data = database_bytes(db)
        assert data, "the database file is empty"
        for value in (KNOWN_SECRET, ROTATED_SECRET, KNOWN_KEY):
            assert value.encode() not in data, f"{value[:9]}... in the database ({moment})"
