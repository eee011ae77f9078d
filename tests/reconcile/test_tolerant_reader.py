"""The tolerant reader, each case against the emulator over HTTP: apply then plan converges
whatever evidenced shape the answers take."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from e2e import objects, plan_json, run, write

from gsctl.api.client import Client
from gsctl.emulator.dialect import DIALECTS

KEY = "gsctl-local-key"
WORKSPACE = """
version: 1
tags:
  - {name: Warm, color: "#F4A300"}
  - {name: Cold}
pipeline_stages:
  - {object: lead, name: Qualified, category: positive}
flow_workspaces:
  - name: Inbound
  - name: Outbound
flows:
  - name: F
    workspace: Inbound
    status: "on"
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""
CHANGED = (
    WORKSPACE.replace("#F4A300", "#000000")
    .replace("  - name: Outbound\n", "")
    .replace('status: "on"', 'status: "off"')
    .replace("payload: {tag: Warm}", "payload: {tag: Cold}")
)


def converge(emulator, tmp_path: Path) -> None:
    """Apply, change, apply with prune: each plan afterwards shows no change."""
    write(tmp_path, "ws.yaml", WORKSPACE)
    first = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert first.exit_code == 0, first.output
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    write(tmp_path, "ws.yaml", CHANGED)
    second = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", "--force")
    assert second.exit_code == 0, second.output
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    assert sorted(o["name"] for o in objects(emulator, "flow_workspace")) == ["Inbound"]
    [flow] = objects(emulator, "flow")
    assert flow["status"] == "off"


@pytest.mark.parametrize("shape", ["bare", "data_only", "no_has_more"])
def test_list_shapes(emulator_factory, tmp_path: Path, shape: str) -> None:
    converge(
        emulator_factory(dialect=dataclasses.replace(DIALECTS["contract"], list_shape=shape)),
        tmp_path,
    )


@pytest.mark.parametrize("shape", ["bare", "data_only"])
def test_lists_longer_than_a_page_without_paging_fields(emulator_factory, shape: str) -> None:
    server = emulator_factory(dialect=dataclasses.replace(DIALECTS["contract"], list_shape=shape))
    rules = server._emulator.rules
    for i in range(230):
        rules.create(1, 1, "tag", {"name": f"t{i:03}"})
    with Client(server.url, KEY, 1, rate_limit=None) as client:
        tags = client.list_all("/leads/api/tags")
    assert sorted(t["name"] for t in tags) == [f"t{i:03}" for i in range(230)]


@pytest.mark.parametrize("answer", ["no_content", "empty"])
def test_writes_answering_204_or_200_without_a_body(
    emulator_factory, tmp_path: Path, answer: str
) -> None:
    converge(
        emulator_factory(dialect=dataclasses.replace(DIALECTS["contract"], write_answer=answer)),
        tmp_path,
    )


def test_real_dialect_converges_and_ignores_unknown_fields(
    emulator_factory, tmp_path: Path
) -> None:
    server = emulator_factory(dialect="real")
    converge(server, tmp_path)
    plan = plan_json(server, tmp_path)
    text = json.dumps(plan)
    assert "ai_score" not in text and "meta" not in text
    out = tmp_path / "export"
    assert run(server, "export", "--out", str(out)).exit_code == 0
    exported = "".join(p.read_text() for p in out.glob("*.yaml"))
    assert "ai_score" not in exported and "source: api" not in exported


def test_flow_workspace_delete_answering_200_with_a_body(emulator_factory, tmp_path: Path) -> None:
    server = emulator_factory(
        dialect=dataclasses.replace(DIALECTS["contract"], workspace_delete_body=True)
    )
    write(tmp_path, "ws.yaml", "version: 1\nflow_workspaces:\n  - name: A\n  - name: B\n")
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", "version: 1\nflow_workspaces:\n  - name: A\n")
    result = run(server, "apply", str(tmp_path), "--auto-approve", "--prune")
    assert result.exit_code == 0, result.output
    assert [o["name"] for o in objects(server, "flow_workspace")] == ["A"]


def test_optional_fields_left_out_are_absent_not_changes(emulator_factory, tmp_path: Path) -> None:
    server = emulator_factory(
        dialect=dataclasses.replace(DIALECTS["contract"], omit_null_optional=True)
    )
    write(tmp_path, "ws.yaml", WORKSPACE)
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    with Client(server.url, KEY, 1, rate_limit=None) as client:
        [flow] = client.list_all("/flows/api/flows")
    assert "ai_agent_uuid" not in flow  # optional and null: left out of the answer
    assert run(server, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_new_flow_off_satisfies_a_declared_draft(emulator_factory, tmp_path: Path) -> None:
    server = emulator_factory(dialect="real")
    write(tmp_path, "ws.yaml", WORKSPACE.replace('status: "on"', "status: draft"))
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    [flow] = objects(server, "flow")
    assert flow["status"] == "off"
    actions = [
        r.path
        for r in server.requests
        if r.path.endswith(("/start", "/stop", "/archive", "/unarchive"))
    ]
    assert actions == []
    result = run(server, "plan", str(tmp_path), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert 'flow "F": declared draft, live off: both mean "not sending"' in result.stdout
    assert plan_json(server, tmp_path)["notes"] == [
        'flow "F": declared draft, live off: both mean "not sending"; nothing to change '
        "(the API creates new flows off)"
    ]


def test_new_flow_declared_off_needs_no_action_where_flows_start_off(
    emulator_factory, tmp_path: Path
) -> None:
    server = emulator_factory(dialect="real")
    write(tmp_path, "ws.yaml", WORKSPACE.replace('status: "on"', 'status: "off"'))
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    actions = [
        r.path for r in server.requests if r.method == "PUT" and "/flows/api/flows/" in r.path
    ]
    assert actions == []  # the contract dialect would need archive + unarchive from draft


def test_new_team_stages_six_native_six_custom(emulator_factory, tmp_path: Path) -> None:
    server = emulator_factory(dialect="real")
    write(
        tmp_path,
        "ws.yaml",
        "version: 1\npipeline_stages:\n  - {object: lead, name: Opportunity, category: positive}\n",
    )
    plan = plan_json(server, tmp_path)
    assert plan["changes"] == []  # the pre-created custom stage is adopted, not created again
    assert sorted(u["name"] for u in plan["unmanaged"]) == [
        "lead/Bad Data",
        "lead/Bad Timing",
        "lead/Do Not Contact",
        "lead/Not Interested",
        "lead/Unresponsive",
    ]  # native stages are never listed


def test_active_steps_are_read_by_the_flows_version_uuid(emulator_factory, tmp_path: Path) -> None:
    server = emulator_factory(dialect="real")
    write(tmp_path, "ws.yaml", WORKSPACE)
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", CHANGED)
    assert run(server, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    [flow] = objects(server, "flow")
    start = len(server.requests)
    assert run(server, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    reads = [r.path for r in server.requests[start:] if "flow-versions" in r.path]
    assert reads == [f"/flows/api/flow-versions/{flow['flow_version_uuid']}"]


def test_a_server_ignoring_offset_is_read_once(stub_api) -> None:
    """A bare array of a full page, the same for every offset: read once, no endless paging."""
    page = [{"uuid": f"u{i}", "name": f"t{i}"} for i in range(100)]
    stub_api.answers[("GET", "/leads/api/tags")] = (200, page)
    with Client(stub_api.url, KEY, 1, rate_limit=None) as client:
        tags = client.list_all("/leads/api/tags")
    assert [t["uuid"] for t in tags] == [f"u{i}" for i in range(100)]
    assert stub_api.requests == [("GET", "/leads/api/tags")] * 2
