"""Leak scan: known secret values in every field that takes ``${env:}`` (and the API key)
must not appear in any output: validate, plan in every format and its files, apply with -v,
a re-plan, export (in a fresh process), a 422 that quotes the request body, and a URL with
a password in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import StubServer, send_json
from e2e import write

from gsctl.cli import main
from gsctl.emulator import EmulatorServer

API_KEY = "sk-live-APIKEY-7d1e40c2"
SECRETS = {
    "LLM_KEY": "sk-llm-SCAN-5a5a11",  # llm_connection.api_key (a secret field)
    "HOOK_TOKEN": "tok-SCAN-9b9b22",  # a webhook URL's query (credential-like)
    "HOOK_PASS": "pw-SCAN-3c3c33",  # a webhook URL's userinfo
    "SIGNATURE": "sig-SCAN-4d4d44",  # a template body (not a secret field)
    "SUBJECT_CODE": "subj-SCAN-6e6e55",  # a template subject
    "PROMPT_HINT": "prompt-SCAN-7f7f66",  # an AI agent prompt
    "FLOW_NOTE": "note-SCAN-8a8a77",  # a flow description
}
MANIFESTS = """
version: 1
llm_connections:
  - name: OpenAI
    provider: openai
    api_key: ${env:LLM_KEY}
ai_agents:
  - name: Sorter
    llm: OpenAI
    classification_prompt: "Sort replies. ${env:PROMPT_HINT}"
templates:
  - name: Hello
    type: email
    is_public: 0
    subject: "Hi ${env:SUBJECT_CODE}"
    body: "Thanks! Regards, ${env:SIGNATURE}"
webhooks:
  - name: Replies
    event: contact_replied_email
    target_url: https://hooks.example.com/r?token=${env:HOOK_TOKEN}
  - name: Basic
    event: contact_replied_email
    target_url: https://bot:${env:HOOK_PASS}@hooks.example.com/b
flows:
  - name: Nurture
    description: "Owner: ${env:FLOW_NOTE}"
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU]}
    steps:
      - message: {text: hi}
"""


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env={**SECRETS, "NO_COLOR": "1", **(env or {})})
    return result.stdout + result.stderr + f"\nexit {result.exit_code}"


def assert_clean(label: str, text: str) -> None:
    for name, value in {**SECRETS, "API_KEY": API_KEY}.items():
        assert value not in text, f"{label} leaks {name}:\n{text[-2000:]}"


def api(url: str) -> list[str]:
    return ["--api-url", url, "--api-key", API_KEY, "--team", "1", "--rate-limit", "60000"]


def test_no_output_leaks_a_secret(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(api_keys=[API_KEY])
    config = tmp_path / "config"
    write(config, "all.yaml", MANIFESTS)
    summary = tmp_path / "summary.md"
    outputs = {"validate": cli("validate", str(config))}
    for fmt in ("text", "json", "markdown"):
        out = tmp_path / f"plan-{fmt}.json"
        outputs[f"plan {fmt}"] = cli(
            "plan", str(config), "--format", fmt, "--out", str(out), "-v", *api(server.url),
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )  # fmt: skip
        outputs[f"plan file {fmt}"] = out.read_text()
    outputs["apply"] = cli("apply", str(config), "--auto-approve", "-v", *api(server.url))
    assert "exit 0" in outputs["apply"], outputs["apply"]
    outputs["replan"] = cli("plan", str(config), "--rotate-secrets", "-v", *api(server.url))
    outputs["summary"] = summary.read_text()
    for label, text in outputs.items():
        assert_clean(label, text)
    assert "(sensitive)" in outputs["plan text"]

    # export in a fresh process: nothing registered beforehand; it reads the manifests
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    (export_dir / "all.yaml").write_text((config / "all.yaml").read_text())
    argv = [sys.executable, "-m", "gsctl", "export", "--out", str(export_dir), "--force"]
    done = subprocess.run(
        [*argv, *api(server.url)],
        env={**os.environ, **SECRETS, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert_clean("export output", done.stdout + done.stderr)
    exported = {p.name: p.read_text() for p in export_dir.glob("*.yaml") if p.name != "all.yaml"}
    assert exported
    for name, text in exported.items():
        assert_clean(f"exported {name}", text)
    assert "Regards, ${env:SIGNATURE}" in exported["templates.yaml"]


def test_a_422_quoting_the_request_body_leaks_nothing(
    stub_server: Callable[[dict[str, Callable[[Any], None]]], StubServer], tmp_path: Path
) -> None:
    def any_path(h: Any) -> None:
        if h.command == "GET":
            send_json(h, 200, {"data": [], "total": 0, "has_more": False})
            return
        body = server.requests[-1][2].decode()
        error = {"reason": "invalid", "message": f"bad request {body}", "data": {"x": [body]}}
        send_json(h, 422, {"error": error})

    def senders(h: Any) -> None:
        profile = {"uuid": "sp-1", "first_name": "Anna", "last_name": "- EU", "label": "Anna - EU"}
        send_json(h, 200, {"data": [profile], "total": 1, "has_more": False})

    server = stub_server({"*": any_path, "/flows/api/sender-profiles": senders})
    config = tmp_path / "config"
    write(config, "all.yaml", MANIFESTS)
    out = cli("apply", str(config), "--auto-approve", "-v", *api(server.url))
    posted = [json.loads(b) for m, _, b in server.requests if m == "POST"]
    assert posted, out  # the request bodies did carry the secrets...
    assert any(SECRETS["LLM_KEY"] in json.dumps(b) for b in posted)
    assert "bad request" in out  # ...and the server's echo was shown, redacted
    assert_clean("apply against an echoing server", out)


def test_url_passwords_are_masked_in_messages(tmp_path: Path) -> None:
    write(tmp_path, "t.yaml", "version: 1\ntags:\n  - name: Warm\n")
    for url in ("ftp://user:PASSWORD-9x9x@host/", "http://u:PASSWORD-9x9x@example.com/"):
        out = cli("plan", str(tmp_path), "--api-url", url, "--api-key", API_KEY)
        assert "PASSWORD-9x9x" not in out and "exit 1" in out, out
        assert "(sensitive)" in out or "credentials" in out
