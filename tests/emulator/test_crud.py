"""Emulator: create / get / list / update / delete of every kind, and the per-kind rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gsctl.emulator import EmulatorServer
from gsctl.emulator.contract import load_contract

SCHEDULE = {"timezone": "Europe/Berlin", "timeblocks": [{"dow": 1, "min": 540, "max": 1020}]}

# kind: (collection, create body, update body, read schema)
KINDS: dict[str, tuple[str, dict[str, Any], dict[str, Any], str]] = {
    "llm_connection": (
        "/ai/api/llms",
        {"name": "OpenAI", "provider": "openai", "provider_api_token": "sk-test-1"},
        {"name": "OpenAI main"},
        "LlmConnection",
    ),
    "tag": ("/leads/api/tags", {"name": "Warm", "color": "#F4A300"}, {"color": "#000000"}, "Tag"),
    "custom_field": (
        "/leads/api/custom-fields",
        {"name": "industry", "object": "lead"},
        {"name": "industry_vertical"},
        "CustomField",
    ),
    "pipeline_stage": (
        "/leads/api/pipeline-stages",
        {"name": "Qualified", "object": "lead", "category": "positive"},
        {"category": "engaging"},
        "PipelineStage",
    ),
    "flow_workspace": (
        "/flows/api/flow-workspaces",
        {"name": "Inbound"},
        {"name": "Outbound"},
        "FlowWorkspace",
    ),
    "ai_agent": (
        "/flows/api/ai-agents",
        {"name": "Classifier", "classification_prompt": "Interested?"},
        {"description": "Sorts replies"},
        "AiAgent",
    ),
    "template": (
        "/flows/api/ai-templates",
        {"name": "Hello", "type": "message", "is_public": 1, "body": "Hi {{first_name}}"},
        {"body": "Hey {{first_name}}"},
        "Template",
    ),
    "flow": (
        "/flows/api/flows",
        {"name": "Webinar follow-up", "use_sender_schedule": True, "schedule": SCHEDULE},
        {"priority": 3},
        "Flow",
    ),
    "webhook": (
        "/integrations/api/webhooks",
        {"name": "CRM", "event": "contact_created", "target_url": "https://hooks.example.com/gs"},
        {"status": "off"},
        "Webhook",
    ),
}


def conforms(schema: str, instance: Any) -> None:
    assert load_contract().validate(schema, instance) == {}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crud_cycle_of_every_kind(api: httpx.Client, emulator: EmulatorServer, kind: str) -> None:
    path, create, update, schema = KINDS[kind]
    r = api.post(path, json=create)
    assert r.status_code == 201, r.text
    obj = r.json()
    conforms(schema, obj)
    assert obj["team_id"] == 1 and obj["created_at"] == obj["updated_at"]
    for field, value in create.items():
        if field != "provider_api_token":
            assert obj[field] == value
    uuid = obj["uuid"]
    assert api.get(f"{path}/{uuid}").json() == obj
    params = {"filter[object]": "lead"} if kind == "pipeline_stage" else {}
    listed = api.get(path, params=params).json()
    conforms(schema + "List", listed)
    assert uuid in [o["uuid"] for o in listed["data"]]

    r = api.put(f"{path}/{uuid}", json=update)
    assert r.status_code == 200, r.text
    changed = r.json()
    conforms(schema, changed)
    assert {k: changed[k] for k in update} == update
    assert changed["updated_at"] > obj["updated_at"] and changed["created_at"] == obj["created_at"]
    assert [o for o in emulator.store.objects(1, kind) if o["uuid"] == uuid] == [changed]

    r = api.delete(f"{path}/{uuid}")
    assert r.status_code == 204 and r.content == b""
    r = api.get(f"{path}/{uuid}")
    assert r.status_code == 404 and r.json()["error"]["reason"] == "not_found"
    assert api.delete(f"{path}/{uuid}").status_code == 404


def test_server_fields_and_defaults(api: httpx.Client) -> None:
    flow = api.post("/flows/api/flows", json=KINDS["flow"][1]).json()
    assert flow["status"] == "draft" and flow["user_id"] == 1
    assert flow["priority"] == 2 and flow["is_public"] is False and flow["description"] is None
    assert flow["flow_workspace_uuid"] is None and flow["public_uuid"]
    hook = api.post("/integrations/api/webhooks", json=KINDS["webhook"][1]).json()
    assert (hook["request_method"], hook["status"], hook["filters"]) == ("POST", "on", None)
    tpl = api.post("/flows/api/ai-templates", json=KINDS["template"][1]).json()
    assert tpl["attachments"] == [] and tpl["settings"] == {}
    assert tpl["enable_validation"] is False and tpl["enable_fallback"] is False
    agent = api.post("/flows/api/ai-agents", json={"name": "A"}).json()
    assert agent["classification_llm_uuid"] is None and agent["public_uuid"]
    llm = api.post("/ai/api/llms", json=KINDS["llm_connection"][1]).json()
    assert llm["owner"] == "customer"


def test_unknown_and_read_only_fields_are_ignored(api: httpx.Client) -> None:
    fake = "00000000-0000-4000-8000-000000000000"
    r = api.post("/leads/api/tags", json={"name": "x", "bogus": 1, "uuid": fake, "team_id": 99})
    assert r.status_code == 201
    tag = r.json()
    assert "bogus" not in tag and tag["uuid"] != fake and tag["team_id"] == 1
    flow = api.post("/flows/api/flows", json={**KINDS["flow"][1], "status": "on"}).json()
    assert flow["status"] == "draft"
    r = api.put(
        f"/flows/api/flows/{flow['uuid']}", json={"status": "on", "flow_version_uuid": fake}
    )
    assert (
        r.json()["status"] == "draft" and r.json()["flow_version_uuid"] == flow["flow_version_uuid"]
    )


def test_create_only_fields_are_not_applied_on_put(api: httpx.Client) -> None:
    tpl = api.post("/flows/api/ai-templates", json=KINDS["template"][1]).json()
    r = api.put(f"/flows/api/ai-templates/{tpl['uuid']}", json={"type": "email", "is_public": 0})
    assert r.status_code == 200
    assert (r.json()["type"], r.json()["is_public"]) == ("message", 1)
    assert r.json()["updated_at"] == tpl["updated_at"]  # nothing changed
    field = api.post("/leads/api/custom-fields", json={"name": "size", "object": "lead"}).json()
    r = api.put(f"/leads/api/custom-fields/{field['uuid']}", json={"object": "company"})
    assert r.json()["object"] == "lead"
    llm = api.post("/ai/api/llms", json=KINDS["llm_connection"][1]).json()
    assert (
        api.put(f"/ai/api/llms/{llm['uuid']}", json={"provider": "google"}).json()["provider"]
        == "openai"
    )


def test_template_requires_is_public(api: httpx.Client) -> None:
    r = api.post("/flows/api/ai-templates", json={"name": "x", "type": "message"})
    assert r.status_code == 422
    assert r.json()["error"]["data"] == {"is_public": ["is required"]}


def test_llm_token_is_write_only(api: httpx.Client, emulator: EmulatorServer) -> None:
    secret = "sk-live-DO-NOT-LEAK-4242"
    llm = api.post(
        "/ai/api/llms", json={**KINDS["llm_connection"][1], "provider_api_token": secret}
    )
    assert llm.status_code == 201
    for answer in (llm, api.get(f"/ai/api/llms/{llm.json()['uuid']}"), api.get("/ai/api/llms")):
        assert secret not in answer.text and '"provider_api_token"' not in answer.text
    assert llm.json()["has_provider_api_token"] is True
    r = api.put(f"/ai/api/llms/{llm.json()['uuid']}", json={"provider_api_token": "sk-new-7777"})
    assert r.status_code == 200 and "sk-new-7777" not in r.text
    assert not any(
        secret in repr(row) or "sk-new-7777" in repr(row) for row in emulator.store.raw_rows()
    )


def test_uniqueness_of_natural_keys(api: httpx.Client) -> None:
    assert api.post("/leads/api/tags", json={"name": "Warm"}).status_code == 201
    r = api.post("/leads/api/tags", json={"name": "WARM"})
    assert r.status_code == 422 and list(r.json()["error"]["data"]) == ["name"]
    assert (
        api.post("/leads/api/custom-fields", json={"name": "Size", "object": "lead"}).status_code
        == 201
    )
    assert (
        api.post("/leads/api/custom-fields", json={"name": "size", "object": "lead"}).status_code
        == 422
    )
    assert (
        api.post("/leads/api/custom-fields", json={"name": "size", "object": "company"}).status_code
        == 201
    )
    stage = {"name": "Qualified", "object": "lead", "category": "positive"}
    assert api.post("/leads/api/pipeline-stages", json=stage).status_code == 201
    assert api.post("/leads/api/pipeline-stages", json=stage).status_code == 422
    assert (
        api.post("/leads/api/pipeline-stages", json={**stage, "object": "company"}).status_code
        == 201
    )
    assert (
        api.post("/leads/api/pipeline-stages", json={**stage, "name": "qualified"}).status_code
        == 201
    )
    body = KINDS["flow"][1]
    first = api.post("/flows/api/flows", json=body).json()
    assert api.post("/flows/api/flows", json=body).status_code == 422
    other = api.post("/flows/api/flows", json={**body, "name": "Other"}).json()
    r = api.put(f"/flows/api/flows/{other['uuid']}", json={"name": first["name"]})
    assert r.status_code == 422 and "name" in r.json()["error"]["data"]
    assert (
        api.put(f"/flows/api/flows/{first['uuid']}", json={"name": first["name"]}).status_code
        == 200
    )


def test_custom_field_rules(api: httpx.Client) -> None:
    r = api.post("/leads/api/custom-fields", json={"name": "Industry Vertical", "object": "lead"})
    assert r.status_code == 422 and list(r.json()["error"]["data"]) == ["name"]
    made = [
        api.post("/leads/api/custom-fields", json={"name": f"f{i}", "object": "lead"})
        for i in range(100)
    ]
    assert [m.json()["key"] for m in made] == list(range(1, 101))
    assert [m.json()["order"] for m in made] == list(range(1, 101))
    r = api.post("/leads/api/custom-fields", json={"name": "f100", "object": "lead"})
    assert r.status_code == 422 and list(r.json()["error"]["data"]) == ["object"]
    assert (
        api.post("/leads/api/custom-fields", json={"name": "f0", "object": "company"}).json()["key"]
        == 1
    )
    api.delete(f"/leads/api/custom-fields/{made[4].json()['uuid']}")
    again = api.post("/leads/api/custom-fields", json={"name": "again", "object": "lead"}).json()
    assert again["key"] == 5 and again["order"] == 101


def test_native_pipeline_stages_are_read_only(api: httpx.Client) -> None:
    for obj in ("lead", "company"):
        stages = api.get(
            "/leads/api/pipeline-stages",
            params={"filter[object]": obj, "order_field": "order", "order_type": "asc"},
        ).json()["data"]
        assert [(s["name"], s["type"], s["category"]) for s in stages] == [
            ("New", "new", "cold"),
            ("Approaching", "approaching", "cold"),
            ("Engaging", "engaging", "engaging"),
            ("Replied", "replied", "positive"),
        ]
        for stage in stages:
            path = f"/leads/api/pipeline-stages/{stage['uuid']}"
            for r in (api.put(path, json={"name": "Renamed"}), api.delete(path)):
                assert r.status_code == 403 and r.json()["error"]["reason"] == "access_denied"
    custom = api.post("/leads/api/pipeline-stages", json=KINDS["pipeline_stage"][1]).json()
    assert custom["type"] == "custom" and custom["order"] == 5


def test_seeded_sender_profiles_and_lists(api: httpx.Client) -> None:
    profiles = api.get(
        "/flows/api/sender-profiles", params={"order_field": "label", "order_type": "asc"}
    ).json()
    assert [p["label"] for p in profiles["data"]] == ["Anna - EU", "Ben - US", "Carla - LATAM"]
    assert {p["status"] for p in profiles["data"]} == {"enabled"}
    conforms("SenderProfileList", profiles)
    lists = api.get("/leads/api/lists").json()
    assert sorted(x["name"] for x in lists["data"]) == [
        "Enterprise accounts",
        "Inbound leads",
        "Webinar attendees",
    ]
    conforms("ContactListList", lists)
    one = profiles["data"][0]
    assert api.get(f"/flows/api/sender-profiles/{one['uuid']}").json() == one


def test_team_isolation(emulator: EmulatorServer, client_for: Callable[..., httpx.Client]) -> None:
    team1, team2 = client_for(emulator, team=1), client_for(emulator, team=2)
    tag = team1.post("/leads/api/tags", json={"name": "Warm"}).json()
    assert team2.get(f"/leads/api/tags/{tag['uuid']}").status_code == 404
    assert team2.put(f"/leads/api/tags/{tag['uuid']}", json={"name": "x"}).status_code == 404
    assert team2.delete(f"/leads/api/tags/{tag['uuid']}").status_code == 404
    assert team2.get("/leads/api/tags").json()["total"] == 0
    assert team2.post("/leads/api/tags", json={"name": "Warm"}).json()["team_id"] == 2
    assert team1.get(f"/leads/api/tags/{tag['uuid']}").json()["name"] == "Warm"
    sp1 = {p["uuid"] for p in team1.get("/flows/api/sender-profiles").json()["data"]}
    sp2 = {p["uuid"] for p in team2.get("/flows/api/sender-profiles").json()["data"]}
    assert len(sp1) == len(sp2) == 3 and not sp1 & sp2


def test_references_must_exist_in_the_team(
    api: httpx.Client, emulator: EmulatorServer, client_for: Callable[..., httpx.Client]
) -> None:
    other_ws = (
        client_for(emulator, team=2).post("/flows/api/flow-workspaces", json={"name": "W"}).json()
    )
    r = api.post(
        "/flows/api/flows", json={**KINDS["flow"][1], "flow_workspace_uuid": other_ws["uuid"]}
    )
    assert r.status_code == 422 and list(r.json()["error"]["data"]) == ["flow_workspace_uuid"]
    r = api.post(
        "/flows/api/ai-agents", json={"name": "A", "classification_llm_uuid": "not-a-uuid"}
    )
    assert r.status_code == 422 and r.json()["error"]["data"]["classification_llm_uuid"] == [
        "must be a valid uuid"
    ]
    llm = api.post("/ai/api/llms", json=KINDS["llm_connection"][1]).json()
    r = api.post("/flows/api/ai-agents", json={"name": "A", "classification_llm_uuid": llm["uuid"]})
    assert r.status_code == 201


def test_deleting_a_workspace_keeps_its_flows(api: httpx.Client) -> None:
    ws = api.post("/flows/api/flow-workspaces", json={"name": "Inbound"}).json()
    assert (
        ws["order"] == 1
        and api.post("/flows/api/flow-workspaces", json={"name": "B"}).json()["order"] == 2
    )
    flow = api.post(
        "/flows/api/flows", json={**KINDS["flow"][1], "flow_workspace_uuid": ws["uuid"]}
    ).json()
    assert flow["flow_workspace_uuid"] == ws["uuid"]
    assert api.delete(f"/flows/api/flow-workspaces/{ws['uuid']}").status_code == 204
    kept = api.get(f"/flows/api/flows/{flow['uuid']}")
    assert kept.status_code == 200 and kept.json()["flow_workspace_uuid"] is None


def test_timeblock_max_must_exceed_min(api: httpx.Client) -> None:
    schedule = {"timezone": "UTC", "timeblocks": [{"dow": 1, "min": 600, "max": 600}]}
    r = api.post("/flows/api/flows", json={**KINDS["flow"][1], "schedule": schedule})
    assert r.status_code == 422 and r.json()["error"]["data"] == {
        "schedule.timeblocks.0.max": ["must exceed min"]
    }


def test_current_user_and_teams(
    emulator_factory: Callable[..., EmulatorServer], client_for: Callable[..., httpx.Client]
) -> None:
    server = emulator_factory(api_keys=["first-key", "multi-key:7430,7431"])
    user = client_for(server, key="multi-key", team=7431).get("/id/api/users/current")
    assert user.status_code == 200 and user.json()["id"] == 2
    load_contract().validate("User", user.json())
    teams = client_for(server, key="multi-key", team=7430).get(
        "/id/api/teams", params={"order_field": "id", "order_type": "asc"}
    )
    assert [t["id"] for t in teams.json()["data"]] == [7430, 7431]
    conforms("TeamList", teams.json())
    assert [
        t["id"] for t in client_for(server, key="first-key").get("/id/api/teams").json()["data"]
    ] == [1]
