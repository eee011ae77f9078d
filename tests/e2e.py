"""Helpers for end-to-end tests: run the real CLI in-process against an emulator over HTTP."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from gsctl.cli import main

KEY = "gsctl-local-key"
ENV = {"OPENAI_API_KEY": "sk-test-secret-value-123", "NO_COLOR": "1"}


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(emulator: Any, *args: str, env: dict[str, str] | None = None, team: str = "1") -> Result:
    """Run ``gsctl ARGS`` against ``emulator``; plan/apply get the API options added."""
    argv = list(args)
    if emulator is not None and argv and argv[0] in ("plan", "apply", "export", "clone", "doctor"):
        argv += ["--api-url", emulator.url, "--api-key", KEY, "--rate-limit", "60000"]
        if team and argv[0] != "clone":
            argv += ["--team", team]
    runner = CliRunner()
    result = runner.invoke(main, argv, env={**ENV, **(env or {})}, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def api(emulator: Any, method: str, path: str, body: Any = None, team: int = 1) -> Any:
    """A raw API call, as another user of the workspace would make it."""
    headers = {"Authorization": f"Bearer {KEY}", "Team-ID": str(team)}
    response = httpx.request(method, emulator.url + path, json=body, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json() if response.content else None


def objects(emulator: Any, kind: str, team: int = 1) -> list[dict[str, Any]]:
    return list(emulator.store.objects(team, kind))


def names(emulator: Any, kind: str, team: int = 1) -> list[str]:
    return sorted(o["name"] for o in objects(emulator, kind, team))


def plan_json(emulator: Any, path: Path, *extra: str) -> dict[str, Any]:
    result = run(emulator, "plan", str(path), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def precreated_stages(emulator: Any) -> list[str]:
    """Names (``lead/...``) of the custom stages a new team starts with under the emulator's
    dialect: none under ``contract``, GetSales' 6 under ``real``."""
    if not emulator.dialect.precreated_stages:
        return []
    return sorted(
        f"lead/{n}"
        for n in (
            *("Opportunity", "Bad Timing", "Unresponsive"),
            *("Not Interested", "Do Not Contact", "Bad Data"),
        )
    )
