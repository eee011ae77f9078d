"""Emulator: flow status actions and flow versions."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from gsctl.emulator import EmulatorServer
from gsctl.emulator.contract import load_contract

FLOW = {
    "name": "Webinar follow-up",
    "use_sender_schedule": True,
    "schedule": {"timezone": "UTC", "timeblocks": []},
}
TS = "2024-05-01T10:00:00.000000Z"

# Expected transitions, written out independently of the contract file (DESIGN / api-notes).
TRANSITIONS: dict[str, dict[str, str | int]] = {
    "start": {"draft": "on", "on": "on", "off": "on", "archived": 422},
    "stop": {"on": "off", "off": "off", "draft": "draft", "archived": 422},
    "archive": {"draft": "archived", "on": "archived", "off": "archived", "archived": "archived"},
    "unarchive": {"archived": "off", "draft": "draft", "on": "on", "off": "off"},
}
REACH = {"draft": [], "on": ["start"], "off": ["start", "stop"], "archived": ["archive"]}


def node(
    nid: int, kind: str, after: list[tuple[int, int]], before: list[tuple[int, int]], **extra: Any
) -> dict[str, Any]:
    return {
        "id": nid,
        "type": kind,
        "after": [{"node_id": n, "branch_id": b} for n, b in after],
        "before": [{"node_id": n, "branch_id": b} for n, b in before],
        "created_at": TS,
        "updated_at": TS,
        **extra,
    }


def good_version(sender: str) -> dict[str, Any]:
    """Source -> 2 (message) -> 3 (add tag) -> 1 (end)."""
    return {
        "nodes": [
            node(1, "end", [], [(3, 1)]),
            node(
                2, "linkedin_send_message", [(3, 1)], [], payload={"template": "Hi {{first_name}}"}
            ),
            node(
                3,
                "gs_add_tag",
                [(1, 1)],
                [(2, 1)],
                payload={"tag_uuid": "8b0e1c52-3a56-4c3e-9a57-5cf0f3c1f5aa"},
            ),
        ],
        "contact_sources": [
            {"rotation_strategy": "fair", "sender_profiles": [sender], "after_id": 2}
        ],
        "first_common_node_id": None,
        "flow_origin": "automation",
    }


@pytest.fixture
def flow(api: httpx.Client) -> dict[str, Any]:
    r = api.post("/flows/api/flows", json=FLOW)
    assert r.status_code == 201
    return dict(r.json())


@pytest.fixture
def sender(api: httpx.Client) -> str:
    return str(
        api.get("/flows/api/sender-profiles", params={"filter[label]": "Anna - EU"}).json()["data"][
            0
        ]["uuid"]
    )


@pytest.mark.parametrize("start", sorted(REACH))
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_status_transitions(
    api: httpx.Client, flow: dict[str, Any], action: str, start: str
) -> None:
    base = f"/flows/api/flows/{flow['uuid']}"
    for step in REACH[start]:
        assert api.put(f"{base}/{step}").status_code == 200
    assert api.get(base).json()["status"] == start
    r = api.put(f"{base}/{action}")
    expected = TRANSITIONS[action][start]
    if expected == 422:
        assert r.status_code == 422 and r.json()["error"]["reason"] == "validation_error"
        assert api.get(base).json()["status"] == start
    else:
        assert r.status_code == 200 and r.json()["status"] == expected
        assert load_contract().validate("Flow", r.json()) == {}


def test_new_flow_has_an_initial_version(api: httpx.Client, flow: dict[str, Any]) -> None:
    versions = api.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").json()
    assert load_contract().validate("FlowVersionList", versions) == {}
    [version] = versions["data"]
    assert version["uuid"] == flow["flow_version_uuid"] and version["flow_uuid"] == flow["uuid"]
    assert [(n["id"], n["type"]) for n in version["nodes"]] == [(1, "end")]
    assert version["contact_sources"] == [
        {"id": 1, "rotation_strategy": "fair", "sender_profiles": [], "after_id": 1}
    ]


def test_a_good_version_becomes_active(
    api: httpx.Client, emulator: EmulatorServer, flow: dict[str, Any], sender: str
) -> None:
    body = good_version(sender)
    body["nodes"][0]["payload"] = []
    r = api.post(f"/flows/api/flows/{flow['uuid']}/flow-versions", json=body)
    assert r.status_code == 201, r.text
    version = r.json()
    assert load_contract().validate("FlowVersion", version) == {}
    assert version["contact_sources"][0]["id"] == 1  # numbered by the server
    assert version["nodes"][0]["payload"] == []  # [] stays []
    assert version["nodes"][1]["payload"] == {"template": "Hi {{first_name}}"}
    assert "flow_origin" not in version
    after = api.get(f"/flows/api/flows/{flow['uuid']}").json()
    assert (
        after["flow_version_uuid"] == version["uuid"] and after["updated_at"] > flow["updated_at"]
    )
    listed = api.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").json()["data"]
    assert [v["uuid"] for v in listed] == [version["uuid"], flow["flow_version_uuid"]]
    assert listed[0] == version
    assert len(emulator.store.objects(1, "flow_version")) == 2


def test_contact_sources_get_the_lowest_free_ids(
    api: httpx.Client, flow: dict[str, Any], sender: str
) -> None:
    body = good_version(sender)
    src = body["contact_sources"][0]
    body["contact_sources"] = [{**src, "id": 2}, dict(src), {**src, "id": 4}, dict(src)]
    r = api.post(f"/flows/api/flows/{flow['uuid']}/flow-versions", json=body)
    assert [s["id"] for s in r.json()["contact_sources"]] == [2, 1, 4, 3]


def broken(sender: str, how: str) -> dict[str, Any]:
    body = copy.deepcopy(good_version(sender))
    nodes = body["nodes"]
    if how == "asymmetric":
        nodes[0]["before"] = []
    elif how == "missing_target":
        nodes[2]["after"].append({"node_id": 9, "branch_id": 2})
    elif how == "dead_end":
        nodes[1]["after"], nodes[2]["before"] = [], []
    elif how == "loop":
        nodes.append(node(4, "util_timer", [(5, 1)], [(5, 1)]))
        nodes.append(node(5, "util_timer", [(4, 1)], [(4, 1)]))
    elif how == "duplicate_id":
        nodes.append(node(3, "end", [], []))
    elif how == "no_timestamps":
        del nodes[1]["created_at"]
    elif how == "no_sources":
        body["contact_sources"] = []
    elif how == "no_nodes":
        body["nodes"] = []
    elif how == "source_target":
        body["contact_sources"][0]["after_id"] = 42
    elif how == "bad_type":
        nodes[1]["type"] = "send_pigeon"
    elif how == "bad_payload":
        nodes[1]["payload"] = ["x"]
    return body


@pytest.mark.parametrize(
    ("how", "fields"),
    [
        ("asymmetric", {"nodes.2.after.0.node_id"}),
        ("missing_target", {"nodes.2.after.1.node_id"}),
        ("dead_end", {"nodes.1"}),
        ("loop", {"nodes.3", "nodes.4"}),
        ("duplicate_id", {"nodes.3.id"}),
        ("no_timestamps", {"nodes.1.created_at"}),
        ("no_sources", {"contact_sources"}),
        ("no_nodes", {"nodes"}),
        ("source_target", {"contact_sources.0.after_id"}),
        ("bad_type", {"nodes.1.type"}),
        ("bad_payload", {"nodes.1.payload"}),
    ],
)
def test_bad_versions_are_422(
    api: httpx.Client, flow: dict[str, Any], sender: str, how: str, fields: set[str]
) -> None:
    r = api.post(f"/flows/api/flows/{flow['uuid']}/flow-versions", json=broken(sender, how))
    assert r.status_code == 422, r.text
    assert set(r.json()["error"]["data"]) == fields
    assert (
        api.get(f"/flows/api/flows/{flow['uuid']}").json()["flow_version_uuid"]
        == flow["flow_version_uuid"]
    )


def test_deleting_a_flow_removes_its_versions(
    api: httpx.Client, emulator: EmulatorServer, flow: dict[str, Any], sender: str
) -> None:
    other = api.post("/flows/api/flows", json={**FLOW, "name": "Other"}).json()
    api.post(f"/flows/api/flows/{flow['uuid']}/flow-versions", json=good_version(sender))
    assert api.delete(f"/flows/api/flows/{flow['uuid']}").status_code == 204
    assert api.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").status_code == 404
    assert [v["flow_uuid"] for v in emulator.store.objects(1, "flow_version")] == [other["uuid"]]


@pytest.mark.parametrize("zone", ["Europe/Berlinn", "Mars/Olympus", "../etc/passwd"])
def test_unknown_time_zone_is_422(api: httpx.Client, zone: str) -> None:
    body = {**FLOW, "schedule": {"timezone": zone, "timeblocks": []}}
    r = api.post("/flows/api/flows", json=body)
    assert r.status_code == 422, r.text
    assert set(r.json()["error"]["data"]) == {"schedule.timezone"}
    ok = api.post(
        "/flows/api/flows",
        json={**body, "schedule": {**body["schedule"], "timezone": "Europe/Berlin"}},
    )
    assert ok.status_code == 201, ok.text
    created = ok.json()
    r = api.put(f"/flows/api/flows/{created['uuid']}", json={"schedule": body["schedule"]})
    assert r.status_code == 422, r.text
