"""``gsctl emulator --dialect real``: the evidenced ways the real API answers differently."""

from __future__ import annotations

import httpx
import pytest

SCHEDULE = {"timezone": "UTC", "timeblocks": []}


@pytest.fixture
def real(emulator_factory, client_for) -> httpx.Client:
    return client_for(emulator_factory(dialect="real"))


def new_flow(api: httpx.Client, name: str = "F") -> dict:
    r = api.post(
        "/flows/api/flows", json={"name": name, "use_sender_schedule": True, "schedule": SCHEDULE}
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_contract_dialect_is_unchanged(api: httpx.Client) -> None:
    flow = new_flow(api)
    assert flow["status"] == "draft" and flow["priority"] == 2
    assert "ai_score" not in flow
    versions = api.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").json()
    assert isinstance(versions, dict) and len(versions["data"]) == 1
    page = api.get("/leads/api/tags").json()
    assert set(page) == {"data", "limit", "offset", "total", "has_more"}
    stages = api.get("/leads/api/pipeline-stages", params={"filter[object]": "lead"}).json()
    assert [s["type"] for s in stages["data"]].count("custom") == 0


def test_real_flows_start_off_with_priority_1_and_unknown_fields(real: httpx.Client) -> None:
    flow = new_flow(real)
    assert flow["status"] == "off" and flow["priority"] == 1
    assert flow["ai_score"] is None and flow["meta"] == {"source": "api", "version": 2}
    assert "ai_agent_uuid" not in flow  # optional and null: left out


def test_real_version_list_is_a_bare_array_and_the_version_read_works(real: httpx.Client) -> None:
    flow = new_flow(real)
    sender = real.get("/flows/api/sender-profiles").json()["data"][0]["uuid"]
    source = {"rotation_strategy": "fair", "sender_profiles": [sender], "after_id": 1}
    ts = "2024-01-01T00:00:00.000000Z"
    end = {"id": 1, "type": "end", "before": [], "after": [], "created_at": ts, "updated_at": ts}
    for _ in range(3):
        r = real.post(
            f"/flows/api/flows/{flow['uuid']}/flow-versions",
            json={"nodes": [end], "contact_sources": [source]},
        )
        assert r.status_code == 201, r.text
    listed = real.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").json()
    assert isinstance(listed, list) and len(listed) == 4
    active = real.get(f"/flows/api/flows/{flow['uuid']}").json()["flow_version_uuid"]
    version = real.get(f"/flows/api/flow-versions/{active}").json()
    assert version["uuid"] == active and version["flow_uuid"] == flow["uuid"]
    assert (
        real.get("/flows/api/flow-versions/00000000-0000-4000-8000-000000000000").status_code == 404
    )


def test_real_workspace_delete_answers_200_with_a_body(real: httpx.Client) -> None:
    ws = real.post("/flows/api/flow-workspaces", json={"name": "W"}).json()
    r = real.delete(f"/flows/api/flow-workspaces/{ws['uuid']}")
    assert r.status_code == 200 and r.json() == {"success": True, "uuid": ws["uuid"]}
    tag = real.post("/leads/api/tags", json={"name": "T"}).json()
    assert real.delete(f"/leads/api/tags/{tag['uuid']}").status_code == 204


def test_real_new_team_has_6_native_and_6_custom_lead_stages(real: httpx.Client) -> None:
    page = real.get("/leads/api/pipeline-stages", params={"filter[object]": "lead"}).json()
    assert "has_more" not in page and page["total"] == 12
    orders = {s["name"]: s["order"] for s in page["data"]}
    assert sorted(orders.values()) == list(range(1, 13))
    assert orders["Replied \u2013 Negative"] == 6 and orders["Opportunity"] == 7
    native = sorted(s["name"] for s in page["data"] if s["type"] != "custom")
    custom = sorted(s["name"] for s in page["data"] if s["type"] == "custom")
    assert native == sorted(
        [
            "New",
            "Approaching",
            "Engaging",
            "Replied",
            "Replied \u2013 Positive",
            "Replied \u2013 Negative",
        ]
    )
    assert custom == sorted(
        [
            "Opportunity",
            "Bad Timing",
            "Unresponsive",
            "Not Interested",
            "Do Not Contact",
            "Bad Data",
        ]
    )
