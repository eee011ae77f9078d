"""Flows end to end: versions, status actions and shell-first ordering, over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e import api, objects, plan_json, run, write


@pytest.fixture(params=["contract", "real"])
def emulator(request: pytest.FixtureRequest, emulator_factory: Callable[..., Any]) -> Any:
    """Every test here runs against both emulator dialects (the contract's and the real one)."""
    return emulator_factory(dialect=request.param)


ROOT = Path(__file__).resolve().parents[2]
AGENCY = ROOT / "examples" / "agency"

CYCLES = """
version: 1
tags:
  - name: Warm
webhooks:
  - name: Flow A events
    event: contact_replied_linkedin_message
    target_url: https://hooks.example.com/a
    filters: {jsonLogic: {data: {flows: [{flow: A}]}}}
flows:
  - name: A
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_send_to_flow, payload: {flow: B}, after: [{node_id: 3, branch_id: 1}]}
      - {id: 3, type: gs_trigger_custom_webhook, payload: {webhook: Flow A events},
         after: [{node_id: 1, branch_id: 1}]}
  - name: B
    status: "on"
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Ben - US], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_send_to_flow, payload: {flow: A}, after: [{node_id: 3, branch_id: 1}]}
      - {id: 3, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""


def versions(emulator, flow_name: str) -> list[dict]:
    flow = next(f for f in objects(emulator, "flow") if f["name"] == flow_name)
    # Newest first from the store: the real dialect answers the list in no order.
    return emulator._emulator.rules.versions(1, flow["uuid"])


def flow(emulator, name: str) -> dict:
    return next(f for f in objects(emulator, "flow") if f["name"] == name)


def copy_agency(tmp_path: Path) -> Path:
    target = tmp_path / "agency"
    shutil.copytree(AGENCY, target)
    return target


def test_agency_flows_converge(emulator, tmp_path: Path) -> None:
    ws = copy_agency(tmp_path)
    result = run(emulator, "apply", str(ws), "--auto-approve")
    assert result.exit_code == 0, result.output
    again = run(emulator, "plan", str(ws), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    webinar = flow(emulator, "Webinar follow-up")
    assert webinar["status"] == "on"
    active = versions(emulator, "Webinar follow-up")[0]
    assert webinar["flow_version_uuid"] == active["uuid"]
    by_id = {n["id"]: n for n in active["nodes"]}
    warm = next(t for t in objects(emulator, "tag") if t["name"] == "Webinar")
    assert by_id[2]["payload"]["tag_uuid"] == warm["uuid"]
    nurture = flow(emulator, "Nurture")
    assert by_id[9]["payload"]["flow_uuid"] == nurture["uuid"]
    assert by_id[2]["before"] == [] and {"node_id": 2, "branch_id": 1} in by_id[3]["before"]


def test_one_message_change_creates_exactly_one_version(emulator, tmp_path: Path) -> None:
    ws = copy_agency(tmp_path)
    assert run(emulator, "apply", str(ws), "--auto-approve").exit_code == 0
    counts = {f["name"]: len(versions(emulator, f["name"])) for f in objects(emulator, "flow")}
    target = ws / "flows" / "inbound.yaml"
    text = target.read_text()
    assert "delay_in_seconds: 7200" in text
    target.write_text(text.replace("delay_in_seconds: 7200", "delay_in_seconds: 3600"))
    plan = plan_json(emulator, ws)
    [change] = plan["changes"]
    assert (change["action"], change["name"]) == ("update", "Webinar follow-up")
    assert change["steps"] == [
        {
            "op": "change",
            "node_id": 5,
            "type": "linkedin_send_message",
            "fields": ["delay_in_seconds"],
            "values": {"delay_in_seconds": {"before": 7200, "after": 3600}},
        }
    ]
    start = len(emulator.requests)
    assert run(emulator, "apply", str(ws), "--auto-approve").exit_code == 0
    after = {f["name"]: len(versions(emulator, f["name"])) for f in objects(emulator, "flow")}
    assert after == {**counts, "Webinar follow-up": counts["Webinar follow-up"] + 1}
    writes = [(r.method, r.path) for r in emulator.requests[start:] if r.method != "GET"]
    assert len(writes) == 1 and writes[0][1].endswith("/flow-versions")
    assert run(emulator, "plan", str(ws), "--detailed-exitcode").exit_code == 0


def test_renumbering_nodes_changes_nothing(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    renumbered = (
        CYCLES.replace("id: 1,", "id: 10,")
        .replace("node_id: 1,", "node_id: 10,")
        .replace("id: 2,", "id: 20,")
        .replace("node_id: 2,", "node_id: 20,")
        .replace("after_id: 2}", "after_id: 20}")
        .replace("id: 3,", "id: 30,")
        .replace("node_id: 3,", "node_id: 30,")
    )
    assert "id: 1," not in renumbered
    write(tmp_path, "ws.yaml", renumbered)
    result = run(emulator, "plan", str(tmp_path), "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_status_toggle_calls_only_the_matching_action(emulator, tmp_path: Path) -> None:
    ws = copy_agency(tmp_path)
    assert run(emulator, "apply", str(ws), "--auto-approve").exit_code == 0
    target = ws / "flows" / "inbound.yaml"
    target.write_text(target.read_text().replace('status: "on"', 'status: "off"', 1))
    start = len(emulator.requests)
    result = run(emulator, "apply", str(ws), "--auto-approve")
    assert result.exit_code == 0, result.output
    writes = [(r.method, r.path) for r in emulator.requests[start:] if r.method != "GET"]
    uuid = flow(emulator, "Webinar follow-up")["uuid"]
    assert writes == [("PUT", f"/flows/api/flows/{uuid}/stop")]
    assert flow(emulator, "Webinar follow-up")["status"] == "off"


def test_undeclared_status_keeps_the_live_one(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    uuid = flow(emulator, "A")["uuid"]
    api(emulator, "PUT", f"/flows/api/flows/{uuid}/start")  # someone starts A in the UI
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_draft_to_off_never_starts_the_flow(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES.replace('status: "on"', 'status: "off"'))
    start = len(emulator.requests)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    uuid = flow(emulator, "B")["uuid"]
    actions = [
        r.path for r in emulator.requests[start:] if r.path.startswith(f"/flows/api/flows/{uuid}/")
    ]
    assert f"/flows/api/flows/{uuid}/start" not in actions
    assert flow(emulator, "B")["status"] == "off"


def test_flow_and_webhook_cycles_apply_in_one_run(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    a, b = flow(emulator, "A"), flow(emulator, "B")
    hook = objects(emulator, "webhook")[0]
    a_nodes = {n["id"]: n for n in versions(emulator, "A")[0]["nodes"]}
    b_nodes = {n["id"]: n for n in versions(emulator, "B")[0]["nodes"]}
    assert a_nodes[2]["payload"]["flow_uuid"] == b["uuid"]
    assert b_nodes[2]["payload"]["flow_uuid"] == a["uuid"]
    assert a_nodes[3]["payload"]["webhook_uuid"] == hook["uuid"]
    assert hook["filters"]["jsonLogic"]["data"]["flows"] == [{"flow_uuid": a["uuid"]}]
    # A declared draft: the real API creates flows off, which means "not sending" too.
    assert b["status"] == "on" and a["status"] == emulator.dialect.new_flow_status
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_going_back_to_draft_is_refused_with_a_location(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", CYCLES.replace('status: "on"', 'status: "draft"'))
    result = run(emulator, "plan", str(tmp_path))
    assert result.exit_code == 1
    assert "ws.yaml:" in result.stderr and "cannot go back to draft" in result.stderr


def test_deleting_a_running_flow_stops_it_first(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    uuid = flow(emulator, "B")["uuid"]
    without_b = CYCLES[: CYCLES.index("  - name: B")].replace(
        "payload: {flow: B}", "payload: {tag: Warm}"
    )
    without_b = without_b.replace(
        "type: gs_send_to_flow, payload: {tag: Warm}", "type: gs_add_tag, payload: {tag: Warm}"
    )
    write(tmp_path, "ws.yaml", without_b)
    start = len(emulator.requests)
    # --force: under the real dialect the team's 6 pre-created stages are pruned too.
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", "--force")
    assert result.exit_code == 0, result.output
    paths = [(r.method, r.path) for r in emulator.requests[start:] if r.method != "GET"]
    assert paths.index(("PUT", f"/flows/api/flows/{uuid}/stop")) < paths.index(
        ("DELETE", f"/flows/api/flows/{uuid}")
    )
    assert [f["name"] for f in objects(emulator, "flow")] == ["A"]


def test_renaming_a_referenced_tag_changes_only_the_tag(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", CYCLES)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    renamed = CYCLES.replace("  - name: Warm\n", "  - {name: Hot, renamed_from: Warm}\n")
    write(tmp_path, "ws.yaml", renamed.replace("payload: {tag: Warm}", "payload: {tag: Hot}"))
    plan = plan_json(emulator, tmp_path)
    assert [(c["action"], c["kind"], c["name"]) for c in plan["changes"]] == [
        ("update", "tag", "Hot")
    ]
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


REPLACE = """
version: 1
llm_connections:
  - {name: OpenAI, provider: openai, api_key: "${env:OPENAI_API_KEY}"}
ai_agents:
  - {name: Classifier, llm: OpenAI, classification_prompt: "yes or no"}
templates:
  - {name: Intro, type: message, is_public: 0, body: "Hi", llm: OpenAI}
flows:
  - name: F
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    steps:
      - message: {ai_template: Intro}
    contact_sources:
      - {sender_profiles: [Anna - EU]}
"""


def test_replace_repoints_every_referrer_in_the_same_apply(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", REPLACE)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", REPLACE.replace("type: message", "type: email"))
    refused = run(emulator, "plan", str(tmp_path))
    assert refused.exit_code == 3 and "--allow-replace" in refused.output
    plan = plan_json(emulator, tmp_path, "--allow-replace")
    assert [(c["action"], c["kind"], c["name"]) for c in plan["changes"]] == [
        ("replace", "template", "Intro"),
        ("update", "flow", "F"),
    ]
    assert plan["changes"][1]["steps"][0]["type"] == "re-point"
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--allow-replace")
    assert result.exit_code == 0, result.output
    [template] = objects(emulator, "template")
    assert template["type"] == "email"
    nodes = versions(emulator, "F")[0]["nodes"]
    assert [n["payload"]["template_uuid"] for n in nodes if n["type"] != "end"] == [
        template["uuid"]
    ]
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
