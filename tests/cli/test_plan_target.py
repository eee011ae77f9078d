"""Every text and Markdown plan starts with its target: the API host and the team (id, and
its name in settings.teams). Against the emulator over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e import run, write

MANIFEST = """\
version: 1
settings:
  teams: {prod: 1, staging: 2}
tags:
  - {name: Warm}
"""


def test_text_and_markdown_plans_name_host_and_team(emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MANIFEST)
    host = emulator.url.removeprefix("http://")
    text = run(emulator, "plan", str(tmp_path), team="staging")
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[:2] == [f"Target: {host}, team 2 (staging)", ""]
    md = run(emulator, "plan", str(tmp_path), "--format", "markdown", team="1")
    assert md.stdout.splitlines()[:4] == [
        "### gsctl plan",
        "",
        f"Target: {host}, team 1 (prod)",
        "",
    ]
    unnamed = run(emulator, "plan", str(tmp_path), team="7")
    assert unnamed.stdout.splitlines()[0] == f"Target: {host}, team 7"
