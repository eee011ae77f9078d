"""Flow priority (always sent on create), ai_agent (by name), several end nodes, and settling
an ambiguous version POST by the flow's flow_version_uuid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e import objects, plan_json, run, write

from gsctl.errors import OutcomeUnknownError
from gsctl.reconcile import flowops

AGENT_FLOW = """
version: 1
ai_agents:
  - name: Classifier
flows:
  - name: F
    ai_agent: Classifier
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
"""

TWO_ENDS = """
version: 1
tags:
  - name: A
  - name: B
flows:
  - name: Split
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: rule_ab_test, after: [{node_id: 3, branch_id: 1}, {node_id: 4, branch_id: 2}]}
      - {id: 3, type: gs_add_tag, payload: {tag: A}, after: [{node_id: 1, branch_id: 1}]}
      - {id: 4, type: gs_add_tag, payload: {tag: B}, after: [{node_id: 5, branch_id: 1}]}
      - {id: 5, type: end}
"""


@pytest.fixture(params=["contract", "real"])
def emulator(request: pytest.FixtureRequest, emulator_factory: Callable[..., Any]) -> Any:
    return emulator_factory(dialect=request.param)


def test_priority_is_sent_on_create_when_omitted(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", AGENT_FLOW)
    start = len(emulator.requests)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    [flow] = objects(emulator, "flow")
    assert flow["priority"] == 2  # the real dialect's own default is 1
    assert any(
        r.method == "POST" and r.path == "/flows/api/flows" for r in emulator.requests[start:]
    )
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_priority_out_of_range_is_a_manifest_error(emulator, tmp_path: Path) -> None:
    write(
        tmp_path, "ws.yaml", AGENT_FLOW.replace("    ai_agent: Classifier\n", "    priority: 11\n")
    )
    result = run(emulator, "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "ws.yaml:6:" in result.output and "priority" in result.output


def test_ai_agent_by_name_plans_applies_and_exports(emulator, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "ws.yaml", AGENT_FLOW)
    assert run(emulator, "apply", str(src), "--auto-approve").exit_code == 0
    [agent], [flow] = objects(emulator, "ai_agent"), objects(emulator, "flow")
    assert flow["ai_agent_uuid"] == agent["uuid"]
    assert run(emulator, "plan", str(src), "--detailed-exitcode").exit_code == 0
    out = tmp_path / "export"
    assert run(emulator, "export", "--out", str(out)).exit_code == 0
    assert "ai_agent: Classifier" in (out / "flows.yaml").read_text()
    assert run(emulator, "plan", str(out), "--detailed-exitcode").exit_code == 0
    # dropping the agent from the manifest detaches it
    write(src, "ws.yaml", AGENT_FLOW.replace("    ai_agent: Classifier\n", ""))
    [change] = plan_json(emulator, src)["changes"]
    assert change["fields"] == [{"path": "ai_agent", "before": "Classifier", "after": None}]


def test_flow_with_two_end_nodes_converges(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", TWO_ENDS)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    [flow] = objects(emulator, "flow")
    version = emulator._emulator.rules.get(1, "flow_version", flow["flow_version_uuid"])
    assert sorted(n["id"] for n in version["nodes"] if n["type"] == "end") == [1, 5]


class FakeFlows:
    """A FlowClient whose version POST fails ambiguously; ``moves``: whether it took effect."""

    def __init__(self, moves: bool) -> None:
        self.active = "v1"
        self.moves = moves
        self.calls: list[str] = []

    def get(self, path: str) -> dict[str, Any]:
        self.calls.append(f"GET {path}")
        return {"uuid": "f1", "status": "draft", "flow_version_uuid": self.active}

    def action(self, path: str) -> dict[str, Any]:
        raise AssertionError("no action expected")

    def create(
        self, path: str, body: dict[str, Any], *, find_existing: Any = None
    ) -> dict[str, Any]:
        self.calls.append(f"POST {path}")
        if self.moves:
            self.active = "v2"
        found = find_existing()  # what the client does after a 502 or a timeout
        if found is None:
            raise OutcomeUnknownError("retry would follow")
        return found


def body() -> dict[str, Any]:
    return {"nodes": [{"id": 1, "type": "end"}], "contact_sources": []}


def test_ambiguous_version_post_settled_by_a_moved_flow_version_uuid() -> None:
    client = FakeFlows(moves=True)
    flowops._post_version(client, "f1", body())
    assert client.calls == [
        "GET /flows/api/flows/f1",
        "POST /flows/api/flows/f1/flow-versions",
        "GET /flows/api/flows/f1",
    ]


def test_ambiguous_version_post_not_done_when_the_version_did_not_move() -> None:
    client = FakeFlows(moves=False)
    with pytest.raises(OutcomeUnknownError):
        flowops._post_version(client, "f1", body())


def test_clone_carries_the_ai_agent_by_name(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", AGENT_FLOW)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    result = run(emulator, "clone", "--from-team", "1", "--to-team", "2", "--auto-approve")
    assert result.exit_code == 0, result.output
    [agent], [flow] = objects(emulator, "ai_agent", team=2), objects(emulator, "flow", team=2)
    assert flow["ai_agent_uuid"] == agent["uuid"]
    assert agent["uuid"] != objects(emulator, "ai_agent")[0]["uuid"]
