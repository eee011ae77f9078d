"""Emulator: every error status, in the contract's envelope, in the contract's order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gsctl.emulator import EmulatorServer
from gsctl.emulator.contract import load_contract


def envelope_of(r: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    """Assert ``r`` is a contract error envelope; return its ``error.data``."""
    assert r.status_code == status, r.text
    body = r.json()
    assert load_contract().validate("Error", body) == {}
    assert set(body) == {"error", "message", "code"} and set(body["error"]) == {
        "reason",
        "message",
        "data",
    }
    assert body["code"] == status and body["error"]["reason"] == reason
    assert body["message"] == body["error"]["message"] and body["message"]
    data: dict[str, Any] = body["error"]["data"]
    return data


@pytest.fixture
def multi(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory(api_keys=["solo-key:7430", "multi-key:7430,7431", "free-key"])


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 400, "bad_request"),
        ({"Authorization": ""}, 400, "bad_request"),
        ({"Authorization": "Bearer"}, 400, "bad_request"),
        ({"Authorization": "Token abc"}, 400, "bad_request"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 400, "bad_request"),
        ({"Authorization": "Bearer solo-key", "Team-ID": "abc"}, 400, "bad_request"),
        ({"Authorization": "Bearer solo-key", "Team-ID": "0"}, 400, "bad_request"),
        ({"Authorization": "Bearer solo-key", "Team-ID": "-3"}, 400, "bad_request"),
        (
            {"Authorization": "Bearer wrong-key", "Team-ID": "x"},
            400,
            "bad_request",
        ),  # 400 before 401
        ({"Authorization": "Bearer wrong-key"}, 401, "auth_exception"),
        ({"Authorization": "Bearer wrong-key", "Team-ID": "7430"}, 401, "auth_exception"),
        ({"Authorization": "Bearer multi-key"}, 400, "bad_request"),
        ({"Authorization": "Bearer multi-key", "Team-ID": "7432"}, 403, "access_denied"),
        ({"Authorization": "Bearer solo-key", "Team-ID": "7431"}, 403, "access_denied"),
    ],
)
def test_auth_errors(
    multi: EmulatorServer, headers: dict[str, str], status: int, reason: str
) -> None:
    r = httpx.get(multi.url + "/leads/api/tags", headers=headers)
    assert envelope_of(r, status, reason) == {}


@pytest.mark.parametrize(
    ("headers", "team"),
    [
        ({"Authorization": "Bearer solo-key"}, 7430),
        ({"authorization": "bearer multi-key", "TEAM-ID": "7431"}, 7431),
        ({"AUTHORIZATION": "Bearer multi-key", "team-id": "7430"}, 7430),
        ({"Authorization": "Bearer free-key"}, 1),
        ({"Authorization": "Bearer free-key", "Team-ID": "99"}, 99),
    ],
)
def test_auth_success_and_team_choice(
    multi: EmulatorServer, headers: dict[str, str], team: int
) -> None:
    r = httpx.post(multi.url + "/leads/api/tags", headers=headers, json={"name": "t"})
    assert r.status_code == 201 and r.json()["team_id"] == team
    assert multi.requests[-1].team_id == team


def test_not_json_body_is_400(api: httpx.Client) -> None:
    r = api.post(
        "/leads/api/tags", content=b"{name: oops", headers={"Content-Type": "application/json"}
    )
    assert envelope_of(r, 400, "bad_request") == {}
    assert envelope_of(api.post("/leads/api/tags", content=b""), 400, "bad_request") == {}
    nan = b'{"name": "x", "color": NaN}'
    assert envelope_of(api.post("/leads/api/tags", content=nan), 400, "bad_request") == {}


def test_not_found(api: httpx.Client) -> None:
    assert (
        envelope_of(
            api.get("/leads/api/tags/3f1c3c1e-0000-4000-8000-000000000000"), 404, "not_found"
        )
        == {}
    )
    assert envelope_of(api.get("/leads/api/tags/not-a-uuid"), 404, "not_found") == {}
    assert envelope_of(api.get("/no/such/path"), 404, "not_found") == {}
    assert envelope_of(api.get("/leads/api/tags/"), 404, "not_found") == {}
    missing = "/flows/api/flows/3f1c3c1e-0000-4000-8000-000000000000"
    assert envelope_of(api.put(missing + "/start"), 404, "not_found") == {}
    assert envelope_of(api.get(missing + "/flow-versions"), 404, "not_found") == {}


def test_validation_errors_name_every_field(api: httpx.Client) -> None:
    r = api.post(
        "/flows/api/flows",
        json={"name": "", "schedule": {"timeblocks": [{"dow": 9, "min": 0}]}, "priority": "high"},
    )
    assert envelope_of(r, 422, "validation_error") == {
        "name": ["must not be empty"],
        "use_sender_schedule": ["is required"],
        "priority": ["must be of type integer"],
        "schedule.timezone": ["is required"],
        "schedule.timeblocks.0.max": ["is required"],
        "schedule.timeblocks.0.dow": ["must be at most 6"],
    }
    r = api.post("/leads/api/tags", json={"name": "x", "color": "red"})
    assert envelope_of(r, 422, "validation_error") == {
        "color": ["must match the pattern ^#[0-9A-Fa-f]{6}$"]
    }
    r = api.post("/leads/api/tags", json=["not", "an", "object"])
    assert envelope_of(r, 422, "validation_error") == {"body": ["must be of type object"]}
    r = api.post(
        "/integrations/api/webhooks", json={"name": "w", "event": "nope", "target_url": "no scheme"}
    )
    data = envelope_of(r, 422, "validation_error")
    assert set(data) == {"event", "target_url"} and data["target_url"] == ["must be a valid uri"]


def test_validation_messages_never_echo_values(api: httpx.Client) -> None:
    r = api.post(
        "/ai/api/llms", json={"name": "x", "provider": "openai", "provider_api_token": 12345678901}
    )
    assert r.status_code == 422 and "12345678901" not in r.text


def test_method_not_allowed_uses_the_envelope(api: httpx.Client) -> None:
    r = api.patch("/leads/api/tags")
    assert r.status_code == 405 and r.json()["error"]["reason"] == "bad_request"


def test_rate_limit_429_with_retry_after(
    emulator_factory: Callable[..., EmulatorServer], client_for: Callable[..., httpx.Client]
) -> None:
    server = emulator_factory(rate_limit=3, api_keys=["k1", "k2"])
    one, two = client_for(server, key="k1"), client_for(server, key="k2")
    assert [one.get("/leads/api/tags").status_code for _ in range(3)] == [200, 200, 200]
    r = one.get("/leads/api/tags")
    assert envelope_of(r, 429, "too_many_requests") == {}
    retry = r.headers["Retry-After"]
    assert retry.isdigit() and 1 <= int(retry) <= 60
    assert one.post("/leads/api/tags", json={"name": "x"}).status_code == 429
    assert two.get("/leads/api/tags").status_code == 200  # per key
    assert client_for(server, key="bad").get("/leads/api/tags").status_code == 401
    server.set_rate_limit(None)
    assert one.get("/leads/api/tags").status_code == 200
    server.set_rate_limit(1)
    assert [one.get("/leads/api/tags").status_code for _ in range(2)] == [200, 429]
