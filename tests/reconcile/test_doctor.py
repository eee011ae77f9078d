"""``gsctl doctor``: read-only probe (over HTTP) and ``--spec`` (offline, mutated contracts)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e import ENV, KEY, api, run, write

CONTRACT = Path(__file__).resolve().parents[2] / "gsctl" / "schemas" / "getsales-api.yaml"
USAGE_POSTS = {"/leads/api/tags/metrics", "/flows/api/flows/metrics", "/leads/api/leads/search"}
SECRET = ENV["OPENAI_API_KEY"]

SEEDED = """
version: 1
llm_connections:
  - {name: OpenAI, provider: openai, api_key: "${env:OPENAI_API_KEY}"}
tags:
  - name: Secret project tag
flows:
  - name: Quiet flow
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - id: 2
        type: gs_add_tag
        payload: {tag: Secret project tag}
        after: [{node_id: 1, branch_id: 1}]
"""


@pytest.fixture(params=["contract", "real"])
def seeded(request: pytest.FixtureRequest, emulator_factory: Any, tmp_path: Path) -> Any:
    server = emulator_factory(dialect=request.param)
    write(tmp_path / "src", "ws.yaml", SEEDED)
    assert run(server, "apply", str(tmp_path / "src"), "--auto-approve").exit_code == 0
    return server


def test_doctor_passes_and_sends_no_write(seeded) -> None:
    start = len(seeded.requests)
    result = run(seeded, "doctor")
    assert result.exit_code == 0, result.output
    sent = seeded.requests[start:]
    assert {r.method for r in sent} <= {"GET", "POST"}
    assert {r.path for r in sent if r.method == "POST"} == USAGE_POSTS
    flow = seeded.store.objects(1, "flow")[0]
    assert f"/flows/api/flow-versions/{flow['flow_version_uuid']}" in {r.path for r in sent}
    lines = result.stdout.splitlines()
    assert lines[3].startswith("GET /leads/api/tags: ok")
    assert "GET /flows/api/flow-versions/{uuid}: ok" in lines
    assert {line for line in lines if line.startswith("POST ")} == {
        f"POST {path}: ok" for path in USAGE_POSTS
    }


def test_doctor_reports_unknown_fields_of_the_real_dialect(
    emulator_factory, tmp_path: Path
) -> None:
    server = emulator_factory(dialect="real")
    result = run(server, "doctor")
    assert result.exit_code == 0, result.output
    stage_line = next(
        line
        for line in result.stdout.splitlines()
        if line.startswith("GET /leads/api/pipeline-stages?filter[object]=lead")
    )
    assert "not in the contract: ai_score, meta" in stage_line


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_reports_carry_no_key_secret_or_name(seeded, fmt: str) -> None:
    result = run(seeded, "doctor", "--format", fmt)
    assert result.exit_code == 0, result.output
    for leak in (KEY, SECRET, "OpenAI", "Secret project tag", "Quiet flow", "Anna - EU"):
        assert leak not in result.output
    if fmt == "json":
        report = json.loads(result.stdout)
        assert report["ok"] is True
        assert {c["result"] for c in report["checks"] if c["required"]} == {"ok"}
    named = run(seeded, "doctor", "--format", fmt, "--include-names")
    assert "Secret project tag" in named.output and "Quiet flow" in named.output
    assert KEY not in named.output and SECRET not in named.output


def test_doctor_names_a_path_answering_404_and_exits_1(stub_api) -> None:
    stub_api.answers[("GET", "/id/api/users/current")] = (200, {"id": 1})
    stub_api.answers[("GET", "/id/api/teams")] = (200, {"data": [{"id": 1, "name": "T"}]})
    stub_api.answers[("GET", "/leads/api/tags")] = (404, {"message": "No such path."})
    result = run(stub_api, "doctor")
    assert result.exit_code == 1
    assert "GET /leads/api/tags: missing: 404" in result.stdout.splitlines()
    assert "GET /ai/api/llms: ok (empty: fields not checked)" in result.stdout.splitlines()
    assert stub_api.writes() == [(m, p) for m, p in stub_api.writes() if p in USAGE_POSTS]


def test_usage_reads_are_optional(stub_api) -> None:
    stub_api.answers[("GET", "/id/api/users/current")] = (200, {"id": 1})
    stub_api.answers[("GET", "/id/api/teams")] = (200, [{"id": 1, "name": "T"}])
    stub_api.answers[("POST", "/flows/api/flows/metrics")] = (
        200,
        {"data": [{"uuid": "f", "leads_count": "many", "in_progress_count": 0}]},
    )
    result = run(stub_api, "doctor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    optional = " [optional: usage counts show as unknown]"
    assert "POST /leads/api/tags/metrics: missing: 404" + optional in lines
    assert (
        "POST /flows/api/flows/metrics: differs: data[0].leads_count: expected an integer, "
        "got a string" + optional in lines
    )
    # 17 endpoint checks and the duplicate-names check over every list
    assert lines[-1] == "All 18 checks answer in a shape gsctl can use."


def test_doctor_says_what_differs(stub_api) -> None:
    stub_api.answers[("GET", "/id/api/users/current")] = (200, {"id": 1})
    stub_api.answers[("GET", "/flows/api/flows")] = (200, {"data": [{"uuid": "f", "name": "F"}]})
    result = run(stub_api, "doctor")
    assert result.exit_code == 1
    assert (
        "GET /flows/api/flows: differs: data[0].status: expected a string, got nothing"
        in result.stdout.splitlines()
    )


def test_doctor_stops_at_a_refused_key(stub_api) -> None:
    stub_api.answers[("GET", "/id/api/users/current")] = (401, {"message": "Unauthenticated."})
    result = run(stub_api, "doctor")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "GET /id/api/users/current: missing: 401"
    assert len(stub_api.requests) == 1


# ----------------------------------------------------------------------------- --spec


def contract() -> dict[str, Any]:
    return yaml.load(CONTRACT.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def spec_run(tmp_path: Path, doc: dict[str, Any]) -> Any:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return run(None, "doctor", "--spec", str(path))


def test_spec_own_contract_has_no_mismatch(tmp_path: Path) -> None:
    result = spec_run(tmp_path, contract())
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No mismatch")


def test_spec_renamed_path(tmp_path: Path) -> None:
    doc = contract()
    doc["paths"]["/leads/api/labels/{uuid}"] = doc["paths"].pop("/leads/api/tags/{uuid}")
    result = spec_run(tmp_path, doc)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "DELETE /leads/api/tags/{uuid}: path and method not in the spec",
        "PUT /leads/api/tags/{uuid}: path and method not in the spec",
    ]


def test_spec_new_required_request_field(tmp_path: Path) -> None:
    doc = contract()
    flow_create = doc["components"]["schemas"]["FlowCreate"]
    flow_create["properties"]["sending_window"] = {"type": "string"}
    flow_create["required"] = [*flow_create["required"], "sending_window"]
    result = spec_run(tmp_path, doc)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "POST /flows/api/flows sending_window: required by the spec, not always sent by gsctl"
    )


def test_spec_json_lists_each_mismatch(tmp_path: Path) -> None:
    doc = contract()
    del doc["components"]["schemas"]["Tag"]["properties"]["name"]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run(None, "doctor", "--spec", str(path), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["mismatches"] == [
        {
            "method": "GET",
            "path": "/leads/api/tags",
            "field": "name",
            "problem": "response field not in the spec",
            "optional": False,
        }
    ]


def test_spec_removed_response_field(tmp_path: Path) -> None:
    doc = contract()
    del doc["components"]["schemas"]["Webhook"]["properties"]["target_url"]
    result = spec_run(tmp_path, doc)
    assert result.exit_code == 1
    assert (
        "GET /integrations/api/webhooks target_url: response field not in the spec" in result.stdout
    )


def test_spec_removed_request_field_and_nested_node_field(tmp_path: Path) -> None:
    doc = copy.deepcopy(contract())
    del doc["components"]["schemas"]["TagCreate"]["properties"]["color"]
    del doc["components"]["schemas"]["FlowNode"]["properties"]["delay_in_seconds"]
    lines = spec_run(tmp_path, doc).stdout.splitlines()
    assert "POST /leads/api/tags color: request field not in the spec" in lines
    assert (
        "POST /flows/api/flows/{uuid}/flow-versions nodes[].delay_in_seconds: "
        "request field not in the spec" in lines
    )


def test_spec_missing_usage_read_is_listed_but_optional(tmp_path: Path) -> None:
    doc = contract()
    del doc["paths"]["/leads/api/tags/metrics"]
    result = spec_run(tmp_path, doc)
    assert result.exit_code == 0
    assert (
        "POST /leads/api/tags/metrics: path and method not in the spec (optional: usage counts)"
        in result.stdout
    )


def test_spec_file_that_is_not_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("paths: [unclosed\n")
    result = run(None, "doctor", "--spec", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {path}:2: not valid YAML or JSON"


def test_doctor_reports_live_duplicates_with_their_uuids(emulator: Any) -> None:
    """Two live tags named alike (what a race used to leave): plan refuses them, so doctor
    names both uuids and exits 1; the name itself only with --include-names."""
    first = api(emulator, "POST", "/leads/api/tags", {"name": "Twin"})
    twin = "00000000-0000-4000-8000-0000000000a2"
    stored = next(t for t in emulator.store.objects(1, "tag") if t["uuid"] == first["uuid"])
    emulator.store.put(1, "tag", {**stored, "uuid": twin, "created_at": "2099-01-01T00:00:00Z"})
    result = run(emulator, "doctor")
    assert result.exit_code == 1, result.output
    line = next(x for x in result.stdout.splitlines() if "share a name" in x)
    assert line.startswith("GET /leads/api/tags: differs: ")
    assert f"2 objects ({first['uuid']}, {twin})" in line
    assert "Twin" not in result.output
    named = run(emulator, "doctor", "--include-names")
    assert 'tag "Twin": 2 objects' in named.stdout


def test_doctor_says_when_no_names_are_shared(emulator: Any) -> None:
    result = run(emulator, "doctor")
    assert result.exit_code == 0, result.output
    assert "GET (every managed list, in full): ok (no two objects share a name)" in result.stdout
