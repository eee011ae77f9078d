"""Emulator: pagination, sorting, filters and query validation of list calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gsctl.emulator import EmulatorServer

SCHEDULE = {"timezone": "UTC", "timeblocks": []}


def make_tags(emulator: EmulatorServer, count: int) -> list[dict[str, Any]]:
    """Create tags through the rules layer (same code path as POST, minus HTTP) for speed."""
    rules = emulator._emulator.rules
    colors = ["#111111", "#222222", "#333333"]
    return [
        dict(rules.create(1, 1, "tag", {"name": f"tag-{i:03d}", "color": colors[i % 3]}))
        for i in range(count)
    ]


def test_paging_over_250_tags(api: httpx.Client, emulator: EmulatorServer) -> None:
    for i in range(250):
        assert api.post("/leads/api/tags", json={"name": f"tag-{i:03d}"}).status_code == 201
    pages = [
        api.get("/leads/api/tags", params={"limit": 100, "offset": off}).json()
        for off in (0, 100, 200)
    ]
    assert [len(p["data"]) for p in pages] == [100, 100, 50]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert {p["total"] for p in pages} == {250}
    assert [(p["limit"], p["offset"]) for p in pages] == [(100, 0), (100, 100), (100, 200)]
    names = [t["name"] for p in pages for t in p["data"]]
    assert names == [f"tag-{i:03d}" for i in reversed(range(250))]  # created_at desc by default
    asc = api.get("/leads/api/tags", params={"limit": 100, "order_type": "asc"}).json()["data"]
    assert [t["name"] for t in asc] == [f"tag-{i:03d}" for i in range(100)]


@pytest.mark.parametrize(
    ("params", "count", "has_more", "limit"),
    [
        ({}, 20, True, 20),
        ({"limit": 500}, 100, True, 100),
        ({"limit": 100, "offset": 249}, 1, False, 100),
        ({"limit": 100, "offset": 250}, 0, False, 100),
        ({"limit": 100, "offset": 1000}, 0, False, 100),
        ({"limit": 1, "offset": 248}, 1, True, 1),
        ({"limit": 50, "offset": 200}, 50, False, 50),
    ],
)
def test_page_boundaries(
    api: httpx.Client,
    emulator: EmulatorServer,
    params: dict[str, Any],
    count: int,
    has_more: bool,
    limit: int,
) -> None:
    make_tags(emulator, 250)
    page = api.get("/leads/api/tags", params=params).json()
    assert (len(page["data"]), page["has_more"], page["limit"], page["total"]) == (
        count,
        has_more,
        limit,
        250,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"order_type": "up"}, "order_type"),
        ({"order_field": "nope"}, "order_field"),
        ({"order_field": "schedule"}, "order_field"),
    ],
)
def test_bad_list_queries_are_422(api: httpx.Client, params: dict[str, Any], field: str) -> None:
    r = api.get("/flows/api/flows", params=params)
    assert r.status_code == 422
    assert list(r.json()["error"]["data"]) == [field] and r.json()["code"] == 422


def test_sorting_with_ties_broken_by_uuid(api: httpx.Client, emulator: EmulatorServer) -> None:
    made = make_tags(emulator, 30)
    for order_type in ("asc", "desc"):
        data = api.get(
            "/leads/api/tags",
            params={"order_field": "color", "order_type": order_type, "limit": 100},
        ).json()["data"]
        expected = sorted(made, key=lambda t: t["uuid"])
        expected = sorted(expected, key=lambda t: t["color"], reverse=order_type == "desc")
        assert [t["uuid"] for t in data] == [t["uuid"] for t in expected]
    by_name = api.get(
        "/leads/api/tags", params={"order_field": "name", "order_type": "asc", "limit": 3}
    ).json()
    assert [t["name"] for t in by_name["data"]] == ["tag-000", "tag-001", "tag-002"]


def test_created_at_is_strictly_increasing(emulator: EmulatorServer) -> None:
    made = make_tags(emulator, 200)
    stamps = [t["created_at"] for t in made]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_exact_filters(api: httpx.Client, emulator: EmulatorServer) -> None:
    make_tags(emulator, 30)
    page = api.get("/leads/api/tags", params={"filter[color]": "#222222", "limit": 100}).json()
    assert page["total"] == 10 and {t["color"] for t in page["data"]} == {"#222222"}
    assert api.get("/leads/api/tags", params={"filter[name]": "tag-007"}).json()["total"] == 1
    assert api.get("/leads/api/tags", params={"filter[q]": "TAG-01"}).json()["total"] == 10
    assert (
        api.get("/leads/api/tags", params={"status": "x"}).json()["total"] == 30
    )  # flat params ignored


def test_flow_filters(api: httpx.Client) -> None:
    ws = api.post("/flows/api/flow-workspaces", json={"name": "Inbound"}).json()
    body = {"use_sender_schedule": False, "schedule": SCHEDULE}
    a = api.post("/flows/api/flows", json={**body, "name": "Webinar follow-up"}).json()
    api.post(
        "/flows/api/flows",
        json={**body, "name": "Cold outreach", "flow_workspace_uuid": ws["uuid"]},
    )
    api.put(f"/flows/api/flows/{a['uuid']}/start")
    assert [
        f["name"]
        for f in api.get("/flows/api/flows", params={"filter[q]": "WEBINAR"}).json()["data"]
    ] == ["Webinar follow-up"]
    assert [
        f["name"]
        for f in api.get("/flows/api/flows", params={"filter[status]": "on"}).json()["data"]
    ] == ["Webinar follow-up"]
    in_ws = api.get("/flows/api/flows", params={"filter[flow_workspace_uuid]": ws["uuid"]}).json()[
        "data"
    ]
    assert [f["name"] for f in in_ws] == ["Cold outreach"]
    assert api.get("/flows/api/flows", params={"filter[status]": "paused"}).status_code == 422
    assert api.get("/flows/api/flows", params={"filter[is_public]": "false"}).json()["total"] == 2


def test_sender_profile_filters(api: httpx.Client) -> None:
    path = "/flows/api/sender-profiles"
    assert [p["label"] for p in api.get(path, params={"filter[q]": "anna"}).json()["data"]] == [
        "Anna - EU"
    ]
    assert [p["label"] for p in api.get(path, params={"filter[q]": "miller"}).json()["data"]] == [
        "Ben - US"
    ]
    assert api.get(path, params={"filter[label]": "Carla - LATAM"}).json()["total"] == 1
    assert api.get(path, params={"filter[status]": "disabled"}).json()["total"] == 0
    assert (
        api.get("/leads/api/lists", params={"filter[name]": "Inbound leads"}).json()["total"] == 1
    )


def test_pipeline_stage_list_needs_an_object_filter(api: httpx.Client) -> None:
    r = api.get("/leads/api/pipeline-stages")
    assert r.status_code == 422 and r.json()["error"]["data"] == {"filter[object]": ["is required"]}
    r = api.get("/leads/api/pipeline-stages", params={"filter[object]": "deal"})
    assert r.status_code == 422 and list(r.json()["error"]["data"]) == ["filter[object]"]
    assert (
        api.get("/leads/api/pipeline-stages", params={"filter[object]": "company"}).json()["total"]
        == 4
    )
    json_form = api.get(
        "/leads/api/pipeline-stages", params={"filter": '{"object": "lead", "type": "new"}'}
    )
    assert [s["name"] for s in json_form.json()["data"]] == ["New"]
    r = api.get(
        "/leads/api/pipeline-stages", params={"filter[object]": "lead", "filter[type]": "custom"}
    )
    assert r.json()["total"] == 0
