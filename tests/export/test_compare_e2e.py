"""``gsctl diff``: two teams over HTTP (read-only) and two config directories (offline),
shown like a plan; exit 0 when equal, 2 when they differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e import KEY, run, write

TEAM_A = """\
version: 1
tags:
  - {name: Warm, color: "#F4A300"}
  - {name: Cold, color: "#0000FF"}
  - {name: Same}
custom_fields:
  - {name: industry, object: lead}
"""
TEAM_B = """\
version: 1
tags:
  - {name: Warm, color: "#D64545"}
  - {name: Hot}
  - {name: Same}
custom_fields:
  - {name: industry, object: lead}
"""


def diff(emulator: Any, *args: str) -> Any:
    api = ["--api-url", emulator.url, "--api-key", KEY, "--rate-limit", "60000"]
    return run(emulator, "diff", *args, *api)


def seed(emulator: Any, tmp_path: Path) -> None:
    for team, text in (("1", TEAM_A), ("2", TEAM_B)):
        write(tmp_path / team, "m.yaml", text)
        result = run(emulator, "apply", str(tmp_path / team), "--auto-approve", team=team)
        assert result.exit_code == 0, result.output


def test_two_teams_differ(emulator: Any, tmp_path: Path) -> None:
    seed(emulator, tmp_path)
    before = len(emulator.requests)
    result = diff(emulator, "--from-team", "1", "--to-team", "2")
    assert result.exit_code == 2, result.output
    assert {r.method for r in emulator.requests[before:]} == {"GET"}  # read-only
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Comparing team 1 (-) with team 2 (+) on 127.0.0.1:")
    body = [line.strip() for line in lines[2:]]
    assert body == [
        '+ tag "Hot"',
        "color: null",  # the API's value for a tag without colour, as export writes it
        'name: "Hot"',
        '~ tag "Warm"',
        'color: "#F4A300" -> "#D64545"',
        '- tag "Cold"',
        "Diff: 1 only in the new side, 1 only in the old side, 1 different, 2 the same.",
    ]


def test_kind_filter_and_formats(emulator: Any, tmp_path: Path) -> None:
    seed(emulator, tmp_path)
    same = diff(emulator, "--from-team", "1", "--to-team", "2", "--kind", "custom_fields")
    assert same.exit_code == 0, same.output
    assert "No differences." in same.stdout
    out = diff(emulator, "--from-team", "1", "--to-team", "2", "--format", "json")
    assert out.exit_code == 2
    data = json.loads(out.stdout)
    assert (data["old"], data["new"]) == ("team 1", "team 2")
    assert [(c["action"], c["kind"], c["name"]) for c in data["changes"]] == [
        ("create", "tag", "Hot"),
        ("update", "tag", "Warm"),
        ("delete", "tag", "Cold"),
    ]
    assert data["summary"]["unchanged"] == 2
    md = diff(emulator, "--from-team", "1", "--to-team", "2", "--format", "markdown")
    assert md.stdout.startswith("### gsctl diff\n\nComparing team 1 (-) with team 2 (+) on ")
    assert "| 1 | 1 | 0 | 1 | 2 | 0 |" in md.stdout


def test_two_directories_offline(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    write(
        a,
        "m.yaml",
        TEAM_A + "llm_connections:\n  - {name: O, provider: openai, api_key: '${env:K_A}'}\n",
    )
    write(
        b,
        "m.yaml",
        TEAM_B + "llm_connections:\n  - {name: O, provider: openai, api_key: '${env:K_B}'}\n",
    )
    result = run(None, "diff", str(a), str(b))
    assert result.exit_code == 2, result.output
    assert f"Comparing {a} (-) with {b} (+)" == result.stdout.splitlines()[0]
    assert '~ tag "Warm"' in result.stdout
    assert "llm_connection" not in result.stdout  # secrets are not compared
    equal = run(None, "diff", str(a), str(a))
    assert equal.exit_code == 0, equal.output
    assert "No differences." in equal.stdout


def test_bad_usage_exits_1(tmp_path: Path) -> None:
    assert run(None, "diff", str(tmp_path)).exit_code == 1
    one_team = run(None, "diff", "--from-team", "1")
    assert one_team.exit_code == 1
    assert "--from-team and --to-team go together" in one_team.stderr
