"""The contract guard: an answer gsctl cannot read stops plan with exit 1 before any write,
in one line naming the endpoint, the field, what was expected and what came."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e import run, write

TAGS = "/leads/api/tags"
FLOWS = "/flows/api/flows"
FLOW_UUID = "11111111-1111-4111-8111-111111111111"
VERSION_UUID = "22222222-2222-4222-8222-222222222222"

MANIFEST = """
version: 1
tags:
  - name: Warm
flows:
  - name: F
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""
SENDERS = {"data": [{"uuid": "33333333-3333-4333-8333-333333333333", "label": "Anna - EU"}]}


def flow(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "uuid": FLOW_UUID,
        "name": "F",
        "status": "draft",
        "flow_version_uuid": VERSION_UUID,
        "use_sender_schedule": True,
        "schedule": {"timezone": "UTC", "timeblocks": []},
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


CASES = [
    pytest.param(
        {("GET", TAGS): (200, {"data": ["Warm"]})},
        f"GET {TAGS}: unexpected answer: data[0]: expected an object, got a string",
        id="item-not-an-object",
    ),
    pytest.param(
        {("GET", TAGS): (200, {"data": [{"name": "Warm"}]})},
        f"GET {TAGS}: unexpected answer: data[0].uuid: expected a string, got nothing",
        id="item-without-uuid",
    ),
    pytest.param(
        {("GET", TAGS): (200, {"items": []})},
        f"GET {TAGS}: unexpected answer: data: expected a list of objects, got an object",
        id="list-without-data",
    ),
    pytest.param(
        {("GET", TAGS): (200, [{"uuid": "t1"}])},
        f"GET {TAGS}: unexpected answer: data[0].name: expected a string, got nothing",
        id="bare-array-item-without-name",
    ),
    pytest.param(
        {("GET", FLOWS): (200, {"data": [flow(status=...)]})},
        f"GET {FLOWS}: unexpected answer: data[0].status: expected a string, got nothing",
        id="flow-without-status",
    ),
    pytest.param(
        {("GET", FLOWS): (200, {"data": [flow(flow_version_uuid=None)]})},
        f"GET {FLOWS}: unexpected answer: data[0].flow_version_uuid: expected a string, got null",
        id="flow-without-active-version",
    ),
    pytest.param(
        {
            ("GET", FLOWS): (200, {"data": [flow()]}),
            ("GET", f"/flows/api/flow-versions/{VERSION_UUID}"): (
                200,
                {"uuid": VERSION_UUID, "nodes": "oops", "contact_sources": []},
            ),
        },
        f"GET /flows/api/flow-versions/{VERSION_UUID}: unexpected answer: nodes: "
        "expected an array of nodes, got a string",
        id="version-nodes-oops",
    ),
    pytest.param(
        {
            ("GET", FLOWS): (200, {"data": [flow()]}),
            ("GET", f"/flows/api/flow-versions/{VERSION_UUID}"): (
                200,
                {"uuid": VERSION_UUID, "nodes": [{"id": "1", "type": "end"}]},
            ),
        },
        f"GET /flows/api/flow-versions/{VERSION_UUID}: unexpected answer: nodes[0].id: "
        "expected an integer, got a string",
        id="version-node-id-not-integer",
    ),
    pytest.param(
        {
            ("GET", FLOWS): (200, {"data": [flow()]}),
            ("GET", f"/flows/api/flow-versions/{VERSION_UUID}"): (
                200,
                {"uuid": VERSION_UUID, "flow_uuid": "another", "nodes": []},
            ),
        },
        f"GET /flows/api/flow-versions/{VERSION_UUID}: unexpected answer: flow_uuid: "
        "expected the uuid of the flow naming it, got another uuid",
        id="version-of-another-flow",
    ),
    pytest.param(
        {("GET", TAGS): (200, "not a page")},
        f"GET {TAGS}: unexpected answer: data: expected a list of objects, got a string",
        id="string-answer",
    ),
]


@pytest.mark.parametrize(("answers", "message"), CASES)
def test_misread_answer_stops_plan_and_apply_before_any_write(
    stub_api, tmp_path: Path, answers: dict, message: str
) -> None:
    stub_api.answers[("GET", "/flows/api/sender-profiles")] = (200, SENDERS)
    stub_api.answers.update(answers)
    write(tmp_path, "ws.yaml", MANIFEST)
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run(stub_api, *command, str(tmp_path))
        assert result.exit_code == 1, result.output
        assert result.stderr.strip().splitlines() == [f"error: {message}"]
        assert "Traceback" not in result.output
    assert stub_api.writes() == []


def test_a_non_json_answer_is_one_line(stub_api, tmp_path: Path) -> None:
    stub_api.answers[("GET", TAGS)] = (200, None)  # empty body: read as {} (no data array)
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n")
    result = run(stub_api, "plan", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: GET {TAGS}: unexpected answer: data: expected a list of objects, got an object"
    )


def test_create_answer_without_uuid_and_not_found_by_name_fails_that_change(
    stub_api, tmp_path: Path
) -> None:
    stub_api.answers[("POST", TAGS)] = (201, {"ok": True})
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n")
    result = run(stub_api, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 5, result.output  # partial: the change failed, named
    assert (
        f"POST {TAGS}: unexpected answer: uuid: expected the created object, or an object of "
        "that name in the list, got neither" in result.output
    )
    assert "unknown reference" not in result.output
    assert "Traceback" not in result.output
