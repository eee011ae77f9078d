"""Plan and apply end to end: the real CLI against the emulator over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e import api, names, objects, plan_json, precreated_stages, run, write


@pytest.fixture(params=["contract", "real"])
def emulator(request: pytest.FixtureRequest, emulator_factory: Callable[..., Any]) -> Any:
    """Every test here runs against both emulator dialects (the contract's and the real one)."""
    return emulator_factory(dialect=request.param)


BASIC = """
version: 1
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
  - {name: Cold}
custom_fields:
  - {object: lead, name: industry}
pipeline_stages:
  - {object: lead, name: Qualified, category: positive}
flow_workspaces:
  - name: Inbound
webhooks:
  - name: CRM sync
    event: contact_created
    target_url: https://hooks.example.com/gs
"""


def test_apply_then_plan_converges(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 8 done, 0 failed, 0 not run." in result.stdout
    again = run(emulator, "plan", str(tmp_path), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    assert names(emulator, "tag") == ["Cold", "Warm"]
    llm = objects(emulator, "llm_connection")[0]
    agent = objects(emulator, "ai_agent")[0]
    assert agent["classification_llm_uuid"] == llm["uuid"]


def test_plan_shows_changes_with_exit_2_and_writes_nothing(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    before = len(emulator.requests)
    result = run(emulator, "plan", str(tmp_path), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert '+ tag "Warm"' in result.stdout
    writes = [r for r in emulator.requests[before:] if r.method != "GET"]
    assert writes == []


def test_update_and_delete_with_prune(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(
        tmp_path, "ws.yaml", BASIC.replace("#F4A300", "#000000").replace("  - {name: Cold}\n", "")
    )
    plan = plan_json(emulator, tmp_path)
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [("update", "Warm")]
    assert plan["changes"][0]["fields"] == [
        {"path": "color", "before": "#F4A300", "after": "#000000"}
    ]
    assert [u["name"] for u in plan["unmanaged"]] == [*precreated_stages(emulator), "Cold"]
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", "--force")
    assert result.exit_code == 0, result.output
    assert names(emulator, "tag") == ["Warm"]
    assert objects(emulator, "tag")[0]["color"] == "#000000"


def test_order_of_calls_follows_levels(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    start = len(emulator.requests)
    assert (
        run(emulator, "apply", str(tmp_path), "--auto-approve", "--parallelism", "1").exit_code == 0
    )
    posts = [r.path for r in emulator.requests[start:] if r.method == "POST"]
    first = {p: posts.index(p) for p in reversed(posts)}
    assert first["/ai/api/llms"] < first["/leads/api/tags"] < first["/flows/api/ai-agents"]
    assert first["/flows/api/ai-agents"] < first["/integrations/api/webhooks"]


def test_rename_keeps_the_object(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    uuid = next(o["uuid"] for o in objects(emulator, "tag") if o["name"] == "Cold")
    write(tmp_path, "ws.yaml", BASIC.replace("{name: Cold}", "{name: Frozen, renamed_from: Cold}"))
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune")
    assert result.exit_code == 0, result.output
    assert next(o["uuid"] for o in objects(emulator, "tag") if o["name"] == "Frozen") == uuid


def test_secrets_never_printed_in_any_format(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    secret = "sk-test-secret-value-123"
    for fmt in ("text", "json", "markdown"):
        result = run(
            emulator, "plan", str(tmp_path), "--format", fmt, "--out", str(tmp_path / "p.json")
        )
        assert result.exit_code == 0, result.output
        assert secret not in result.output
        assert "(sensitive)" in result.stdout
        assert secret not in (tmp_path / "p.json").read_text()
    applied = run(emulator, "apply", str(tmp_path), "--auto-approve", "-v")
    assert applied.exit_code == 0
    assert secret not in applied.output
    assert "gsctl-local-key" not in applied.output


def test_saved_plan_applies_exactly_and_refuses_when_stale(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    plan_file = tmp_path / "plan.json"
    assert run(emulator, "plan", str(tmp_path), "--out", str(plan_file)).exit_code == 0
    api(emulator, "POST", "/leads/api/tags", {"name": "Sneaky"})  # someone changes the workspace
    stale = run(emulator, "apply", "--plan", str(plan_file), "--auto-approve")
    assert stale.exit_code == 4, stale.output
    assert names(emulator, "llm_connection") == []
    assert run(emulator, "plan", str(tmp_path), "--out", str(plan_file)).exit_code == 0
    fresh = run(emulator, "apply", "--plan", str(plan_file), "--auto-approve")
    assert fresh.exit_code == 0, fresh.output
    assert names(emulator, "tag") == ["Cold", "Sneaky", "Warm"]


def test_saved_plan_is_byte_identical_for_identical_inputs(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(emulator, "plan", str(tmp_path), "--out", str(a)).exit_code == 0
    assert run(emulator, "plan", str(tmp_path), "--out", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text())["summary"]["create"] == 8


def test_apply_refuses_without_terminal(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    result = run(emulator, "apply", str(tmp_path))
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert names(emulator, "tag") == []


def test_threshold_gate_exit_3_then_force(emulator, tmp_path: Path) -> None:
    for i in range(10):
        api(emulator, "POST", "/leads/api/tags", {"name": f"t{i}"})
    write(
        tmp_path, "ws.yaml", "version: 1\ntags:\n" + "".join(f"  - name: t{i}\n" for i in range(5))
    )
    refused = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune")
    assert refused.exit_code == 3, refused.output
    assert "max_delete_percent" in refused.output
    assert len(names(emulator, "tag")) == 10
    forced = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(names(emulator, "tag")) == 5


def test_emptied_kind_tripwire(emulator, tmp_path: Path) -> None:
    api(emulator, "POST", "/flows/api/flow-workspaces", {"name": "Keep me"})
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: A\n")
    result = run(emulator, "plan", str(tmp_path), "--prune")
    assert result.exit_code == 3
    assert "no manifest mentions" in result.output
    assert '- flow_workspace "Keep me"' in result.stdout  # the plan is still shown


def test_only_scope(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--only", "tag/Warm")
    assert result.exit_code == 0, result.output
    assert names(emulator, "tag") == ["Warm"]
    assert names(emulator, "llm_connection") == []


def test_validation_error_sends_nothing(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - {name: A, colour: red}\n")
    before = len(emulator.requests)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 1
    assert "ws.yaml:3:" in result.stderr
    assert "Traceback" not in result.output
    assert emulator.requests[before:] == []


def test_usage_errors_exit_1_not_2(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    result = run(emulator, "plan", str(tmp_path), "--format", "xml", "--detailed-exitcode")
    assert result.exit_code == 1  # 2 would read as "there are changes"
    assert "Invalid value for '--format'" in result.stderr
    assert run(emulator, "no-such-command").exit_code == 1
