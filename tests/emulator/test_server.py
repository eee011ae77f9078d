"""Emulator: lifecycle, persistence, secrets at rest, seeds, and the contract itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from gsctl.api import kinds
from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer
from gsctl.emulator.contract import CONTRACT_PATH, load_contract
from gsctl.emulator.seed import SeedError

FLOW = {
    "name": "F",
    "use_sender_schedule": False,
    "schedule": {"timezone": "UTC", "timeblocks": []},
}
SECRET = "sk-proj-NEVER-STORED-8d1f"


def test_contract_is_valid_openapi() -> None:
    validate(yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8")))


def test_contract_kinds_match_gsctl_kinds() -> None:
    contract = load_contract()
    for name, k in kinds.KINDS.items():
        assert (contract.kinds[name].collection, contract.kinds[name].item) == (
            k.collection,
            k.item,
        )
    assert contract.kinds["flow_version"].collection == kinds.FLOW_VERSIONS


def test_start_is_fast_and_stop_frees_the_port() -> None:
    load_contract()  # parsed once per process; not part of a start
    began = time.perf_counter()
    server = EmulatorServer()
    url = server.start()
    assert time.perf_counter() - began < 0.3
    assert (
        httpx.get(
            url + "/id/api/users/current", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}
        ).status_code
        == 200
    )
    began = time.perf_counter()
    server.stop()
    assert time.perf_counter() - began < 0.3
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/id/api/teams")


MINIMAL: dict[str, dict[str, Any]] = {
    "llm_connection": {"provider": "openai", "provider_api_token": "t"},
    "tag": {},
    "custom_field": {"object": "lead"},
    "pipeline_stage": {"object": "lead", "category": "cold"},
    "flow_workspace": {},
    "ai_agent": {},
    "template": {"type": "message", "is_public": 0},
    "flow": {"use_sender_schedule": True, "schedule": {"timezone": "UTC", "timeblocks": []}},
    "webhook": {"event": "contact_created", "target_url": "https://example.com/h"},
}


def test_every_contract_operation_is_served(api: httpx.Client, emulator: EmulatorServer) -> None:
    rules = emulator._emulator.rules
    for i, op in enumerate(load_contract().operations):
        kind = "flow" if op.kind == "flow_version" else op.kind
        path = op.path
        if "{uuid}" in path and kind in MINIMAL:
            obj = rules.create(1, 1, kind, {"name": f"n{i}", **MINIMAL[kind]})
            one_version = op.operation_id == "getFlowVersion"
            path = path.replace("{uuid}", obj["flow_version_uuid" if one_version else "uuid"])
        elif "{uuid}" in path:
            path = path.replace("{uuid}", emulator.store.objects(1, str(kind))[0]["uuid"])
        params = {"filter[object]": "lead"} if "pipeline-stages" in op.path else {}
        r = api.request(op.method, path, params=params, json={} if op.body_schema else None)
        assert r.status_code not in (404, 405) and r.status_code < 500, (op.method, op.path, r.text)


def test_request_log(api: httpx.Client, emulator: EmulatorServer) -> None:
    api.post("/leads/api/tags", json={"name": "x"})
    api.get("/leads/api/tags", params={"limit": 5})
    httpx.get(emulator.url + "/leads/api/tags")
    got = [(r.method, r.path, r.status, r.team_id, r.query) for r in emulator.requests]
    assert got == [
        ("POST", "/leads/api/tags", 201, 1, ""),
        ("GET", "/leads/api/tags", 200, 1, "limit=5"),
        ("GET", "/leads/api/tags", 400, None, ""),
    ]


def test_state_survives_a_restart(
    tmp_path: Path,
    emulator_factory: Callable[..., EmulatorServer],
    client_for: Callable[..., httpx.Client],
) -> None:
    db = str(tmp_path / "emulator.db")
    first = emulator_factory(db=db)
    api = client_for(first, team=7)
    tag = api.post("/leads/api/tags", json={"name": "Warm"}).json()
    flow = api.post("/flows/api/flows", json=FLOW).json()
    api.put(f"/flows/api/flows/{flow['uuid']}/start")
    llm = api.post(
        "/ai/api/llms", json={"name": "L", "provider": "openai", "provider_api_token": SECRET}
    ).json()
    before = {
        k: first.store.objects(7, k)
        for k in ("tag", "flow", "flow_version", "pipeline_stage", "sender_profile")
    }
    first.stop()

    second = emulator_factory(db=db)
    api = client_for(second, team=7)
    assert api.get(f"/leads/api/tags/{tag['uuid']}").json() == tag
    assert api.get(f"/flows/api/flows/{flow['uuid']}").json()["status"] == "on"
    assert api.get(f"/ai/api/llms/{llm['uuid']}").json() == llm
    assert {k: second.store.objects(7, k) for k in before} == before  # no second seeding
    newer = api.post("/leads/api/tags", json={"name": "Cold"}).json()
    assert newer["created_at"] > tag["created_at"]
    assert api.post("/leads/api/tags", json={"name": "warm"}).status_code == 422  # index rebuilt
    listed = api.get("/leads/api/tags", params={"order_type": "asc"}).json()["data"]
    assert [t["name"] for t in listed] == ["Warm", "Cold"]


def test_llm_token_is_never_stored_in_clear(
    tmp_path: Path,
    emulator_factory: Callable[..., EmulatorServer],
    client_for: Callable[..., httpx.Client],
) -> None:
    db = tmp_path / "secret.db"
    server = emulator_factory(db=str(db))
    api = client_for(server)
    llm = api.post(
        "/ai/api/llms", json={"name": "L", "provider": "openai", "provider_api_token": SECRET}
    ).json()
    api.put(f"/ai/api/llms/{llm['uuid']}", json={"provider_api_token": SECRET + "-rotated"})
    server.stop()
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert SECRET.encode() not in on_disk and b"NEVER-STORED" not in on_disk
    assert not any("NEVER-STORED" in repr(row) for row in server.store.raw_rows())
    [stored] = [
        json.loads(row[4]) for row in server.store.raw_rows() if row[:2] == (1, "llm_connection")
    ]
    algo, salt, digest = stored["_secrets"]["provider_api_token"].split("$")
    assert (
        algo == "sha256"
        and digest == hashlib.sha256((salt + SECRET + "-rotated").encode()).hexdigest()
    )
    assert "provider_api_token" not in server.store.objects(1, "llm_connection")[0]


SEED: dict[str, Any] = {
    "teams": {
        "7430": {
            "name": "Acme prod",
            "tags": [{"name": "Warm", "color": "#F4A300"}],
            "flow_workspace": [{"name": "Inbound", "uuid": "11111111-1111-4111-8111-111111111111"}],
            "sender_profiles": [{"label": "Dana - APAC", "first_name": "Dana", "last_name": "Lee"}],
            "lists": [{"name": "Partners"}],
            "flows": [
                {
                    **FLOW,
                    "flow_workspace_uuid": "11111111-1111-4111-8111-111111111111",
                    "status": "off",
                    "nodes": [
                        {
                            "id": 1,
                            "type": "end",
                            "before": [],
                            "after": [],
                            "created_at": "2024-01-01T00:00:00Z",
                            "updated_at": "2024-01-01T00:00:00Z",
                        }
                    ],
                    "contact_sources": [
                        {"rotation_strategy": "fair", "sender_profiles": [], "after_id": 1}
                    ],
                }
            ],
        }
    }
}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_seed_file(
    tmp_path: Path,
    emulator_factory: Callable[..., EmulatorServer],
    client_for: Callable[..., httpx.Client],
    fmt: str,
) -> None:
    path = tmp_path / f"seed.{fmt}"
    path.write_text(json.dumps(SEED) if fmt == "json" else yaml.safe_dump(SEED), encoding="utf-8")
    db = str(tmp_path / "state" / "db.sqlite")  # the directory is created
    server = emulator_factory(seed_file=str(path), db=db, api_keys=["k:7430"])
    api = client_for(server, key="k")
    assert [t["name"] for t in api.get("/leads/api/tags").json()["data"]] == ["Warm"]
    [flow] = api.get("/flows/api/flows").json()["data"]
    assert (
        flow["status"] == "off"
        and flow["flow_workspace_uuid"] == "11111111-1111-4111-8111-111111111111"
    )
    assert len(api.get(f"/flows/api/flows/{flow['uuid']}/flow-versions").json()["data"]) == 2
    labels = {p["label"] for p in api.get("/flows/api/sender-profiles").json()["data"]}
    assert labels == {"Anna - EU", "Ben - US", "Carla - LATAM", "Dana - APAC"}
    assert api.get("/leads/api/lists").json()["total"] == 4
    assert api.get("/id/api/teams").json()["data"][0]["name"] == "Acme prod"
    server.stop()
    again = emulator_factory(seed_file=str(path), db=db, api_keys=["k:7430"])  # idempotent
    assert len(again.store.objects(7430, "sender_profile")) == 4
    assert len(again.store.objects(7430, "list")) == 4
    assert (
        len(again.store.objects(7430, "tag")) == 1 and len(again.store.objects(7430, "flow")) == 1
    )


def test_seed_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tags: [{name: ''}]\n", encoding="utf-8")
    with pytest.raises(SeedError, match="tag"):
        EmulatorServer(seed_file=str(bad))
    bad.write_text("gadgets: []\n", encoding="utf-8")
    with pytest.raises(SeedError, match="gadgets"):
        EmulatorServer(seed_file=str(bad))


def test_serve_prints_its_url_and_serves(tmp_path: Path) -> None:
    code = "from gsctl.emulator import serve; serve(port=0)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert DEFAULT_API_KEY in line
        url = next(word for word in line.split() if word.startswith("http://"))
        for _ in range(100):
            try:
                r = httpx.get(
                    url + "/id/api/teams", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}
                )
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert r.status_code == 200 and r.json()["data"][0]["id"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
