"""The emulator's usage endpoints: metrics POSTs, contact search, and how counts are seeded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from gsctl.emulator import EmulatorServer

FLOW = {"name": "F", "use_sender_schedule": True, "schedule": {"timezone": "UTC", "timeblocks": []}}


def test_tag_counts_seeded_through_the_admin_route(api: httpx.Client) -> None:
    cold = api.post("/leads/api/tags", json={"name": "Cold"}).json()
    warm = api.post("/leads/api/tags", json={"name": "Warm"}).json()
    seeded = api.put(
        "/_emulator/usage",
        json={"kind": "tag", "name": "cold", "counts": {"leads_count": 1243}},
    )
    assert seeded.status_code == 200
    assert seeded.json()["counts"] == {"leads_count": 1243, "companies_count": 0}
    api.put(
        "/_emulator/usage",
        json={"kind": "tag", "uuid": cold["uuid"], "counts": {"companies_count": 12}},
    )
    answer = api.post(
        "/leads/api/tags/metrics",
        json={"uuids": [warm["uuid"], cold["uuid"], "00000000-0000-4000-8000-000000000000"]},
    )
    assert answer.status_code == 200
    # request order; a uuid the team does not hold has no entry; unset counts are 0
    assert answer.json() == {
        "data": [
            {"uuid": warm["uuid"], "leads_count": 0, "companies_count": 0},
            {"uuid": cold["uuid"], "leads_count": 1243, "companies_count": 12},
        ]
    }
    # counts stay private: the tag itself does not show them
    assert "_usage" not in api.get(f"/leads/api/tags/{cold['uuid']}").json()


def test_flow_metrics_accept_either_id_key(api: httpx.Client, emulator: EmulatorServer) -> None:
    flow = api.post("/flows/api/flows", json=FLOW).json()
    emulator.set_usage(1, "flow", {"name": "F"}, leads_count=40, in_progress_count=3)
    want = {"data": [{"uuid": flow["uuid"], "leads_count": 40, "in_progress_count": 3}]}
    assert api.post("/flows/api/flows/metrics", json={"uuids": [flow["uuid"]]}).json() == want
    assert api.post("/flows/api/flows/metrics", json={"flow_uuids": [flow["uuid"]]}).json() == want
    assert api.post("/flows/api/flows/metrics", json={}).status_code == 422


def test_contact_search_counts_a_stage(api: httpx.Client, emulator: EmulatorServer) -> None:
    body = {"name": "Opportunity", "object": "lead", "category": "engaging"}
    stage = api.post("/leads/api/pipeline-stages", json=body).json()
    emulator.set_usage(
        1, "pipeline_stage", {"name": "Opportunity", "object": "lead"}, leads_count=7
    )
    one = {"filter": {"pipeline_stage_uuid": stage["uuid"]}, "limit": 1}
    page = api.post("/leads/api/leads/search", json=one).json()
    assert (page["total"], page["limit"], page["offset"]) == (7, 1, 0)
    assert [c["pipeline_stage_uuid"] for c in page["data"]] == [stage["uuid"]]
    # an array filter gives one summed total
    new = emulator.store.objects(1, "pipeline_stage")[0]
    emulator.set_usage(1, "pipeline_stage", {"uuid": new["uuid"]}, leads_count=5)
    both = {"filter": {"pipeline_stage_uuid": [stage["uuid"], new["uuid"]]}, "limit": 100}
    assert api.post("/leads/api/leads/search", json=both).json()["total"] == 12


def test_admin_route_rejects_bad_counts_and_unknown_objects(api: httpx.Client) -> None:
    api.post("/leads/api/tags", json={"name": "Cold"})
    bad = api.put(
        "/_emulator/usage", json={"kind": "tag", "name": "Cold", "counts": {"leads_count": -1}}
    )
    assert bad.status_code == 422
    assert "counts.leads_count" in bad.json()["error"]["data"]
    missing = api.put("/_emulator/usage", json={"kind": "tag", "name": "Nope", "counts": {}})
    assert missing.status_code == 404
    assert httpx.put(str(api.base_url) + "/_emulator/usage", json={}).status_code in (400, 401)


def test_counts_seeded_from_a_seed_file(
    tmp_path: Path,
    emulator_factory: Callable[..., EmulatorServer],
    client_for: Callable[..., httpx.Client],
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("tags:\n  - {name: Cold, usage: {leads_count: 1243, companies_count: 12}}\n")
    server = emulator_factory(seed_file=str(seed))
    api = client_for(server)
    [tag] = api.get("/leads/api/tags").json()["data"]
    answer = api.post("/leads/api/tags/metrics", json={"uuids": [tag["uuid"]]}).json()
    assert answer["data"] == [{"uuid": tag["uuid"], "leads_count": 1243, "companies_count": 12}]
