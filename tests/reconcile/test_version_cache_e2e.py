"""The flow-version cache over HTTP: a repeat plan reads no version, a version made outside
gsctl is seen, bad entries are read again, ``--refresh`` reads everything, files are 0600
and hold no secret. Each test has its own empty ``XDG_CACHE_HOME`` (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from e2e import ENV, api, objects, plan_json, run, write

FLOWS = """
version: 1
llm_connections:
  - {name: OpenAI, provider: openai, api_key: "${env:OPENAI_API_KEY}"}
tags:
  - name: Warm
flows:
  - name: One
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
  - name: Two
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Ben - US], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""


def version_reads(emulator: Any, start: int) -> list[str]:
    return [
        r.path
        for r in emulator.requests[start:]
        if r.method == "GET" and r.path.startswith("/flows/api/flow-versions/")
    ]


def cache_files() -> list[Path]:
    root = Path(os.environ["XDG_CACHE_HOME"]) / "gsctl"
    return sorted(root.rglob("*.json"))


@pytest.fixture
def applied(emulator: Any, tmp_path: Path) -> Path:
    write(tmp_path, "ws.yaml", FLOWS)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    return tmp_path


def test_a_second_plan_reads_no_version(emulator: Any, applied: Path) -> None:
    start = len(emulator.requests)
    assert plan_json(emulator, applied)["summary"]["update"] == 0
    assert len(version_reads(emulator, start)) == 2  # cold: one per flow
    start = len(emulator.requests)
    assert plan_json(emulator, applied)["summary"]["update"] == 0
    assert version_reads(emulator, start) == []  # warm: none


def test_a_version_made_outside_gsctl_is_seen(emulator: Any, applied: Path) -> None:
    plan_json(emulator, applied)  # fills the cache
    flow = next(f for f in objects(emulator, "flow") if f["name"] == "One")
    current = api(emulator, "GET", f"/flows/api/flow-versions/{flow['flow_version_uuid']}")
    nodes = current["nodes"]
    for node in nodes:
        if node["type"] == "gs_add_tag":
            node["delay_in_seconds"] = 3600  # someone adds a 1 h wait in the web app
    body = {"nodes": nodes, "contact_sources": current["contact_sources"]}
    api(emulator, "POST", f"/flows/api/flows/{flow['uuid']}/flow-versions", body)
    start = len(emulator.requests)
    plan = plan_json(emulator, applied)
    changed = [c for c in plan["changes"] if c["kind"] == "flow"]
    assert [c["name"] for c in changed] == ["One"]
    assert [s["node_id"] for s in changed[0]["steps"]] == [2]  # the wait gsctl would undo
    assert len(version_reads(emulator, start)) == 1  # only the version that moved


def test_a_corrupt_entry_is_read_again(emulator: Any, applied: Path) -> None:
    plan_json(emulator, applied)
    files = cache_files()
    assert len(files) == 2
    files[0].write_text('{"format": 1, "uuid": "trunc')  # truncated
    bad = {"format": 1, "uuid": files[1].stem, "version": {"nodes": "oops"}}  # wrong shape
    files[1].write_text(json.dumps(bad))
    start = len(emulator.requests)
    plan = plan_json(emulator, applied)
    assert plan["summary"]["update"] == 0
    assert len(version_reads(emulator, start)) == 2
    start = len(emulator.requests)
    plan_json(emulator, applied)
    assert version_reads(emulator, start) == []  # rewritten good entries


def test_refresh_and_no_cache_read_every_version(emulator: Any, applied: Path) -> None:
    plan_json(emulator, applied)
    start = len(emulator.requests)
    plan_json(emulator, applied, "--refresh")
    assert len(version_reads(emulator, start)) == 2
    start = len(emulator.requests)
    assert run(emulator, "plan", str(applied), env={"GSCTL_NO_CACHE": "1"}).exit_code == 0
    assert len(version_reads(emulator, start)) == 2


def test_cache_files_are_private_and_hold_no_secret(emulator: Any, applied: Path) -> None:
    plan_json(emulator, applied)
    files = cache_files()
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert ENV["OPENAI_API_KEY"] not in text and "gsctl-local-key" not in text
        assert "127.0.0.1" in str(path)  # keyed by the API host
