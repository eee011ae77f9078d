"""Client against the real emulator over HTTP: paging, typed errors, headers, key hygiene."""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from gsctl import errors
from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer

TAGS = kinds.KINDS["tag"].collection
FLOWS = kinds.KINDS["flow"].collection
Factory = Callable[..., EmulatorServer]


def make_client(
    server: EmulatorServer, key: str = DEFAULT_API_KEY, team: int | None = 1, **kw: Any
) -> Client:
    kw.setdefault("rate_limit", None)
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("backoff_cap", 0.05)
    return Client(server.url, key, team, **kw)


def records(server: EmulatorServer, n: int) -> list[Any]:
    """The server's request records once ``n`` are in (they are written after the answer)."""
    deadline = time.monotonic() + 5
    while len(server.requests) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    return list(server.requests)


def test_list_all_pages_over_250_tags(emulator: EmulatorServer) -> None:
    with make_client(emulator) as client:
        for i in range(250):
            client.create(TAGS, {"name": f"tag-{i:03d}"})
        emulator.requests.clear()
        tags = client.list_all(TAGS)
    assert [t["name"] for t in tags] == [f"tag-{i:03d}" for i in range(250)]  # oldest first
    assert len({t["uuid"] for t in tags}) == 250
    pages = [r for r in records(emulator, 3) if r.method == "GET" and r.path == TAGS]
    assert len(pages) == 3
    for page, offset in zip(pages, (0, 100, 200), strict=True):
        assert f"offset={offset}" in page.query
        assert "limit=100" in page.query
        assert "order_type=asc" in page.query
        assert "order_field=created_at" in page.query


def test_list_all_keeps_caller_filters_and_an_exact_multiple_of_the_page(
    emulator: EmulatorServer,
) -> None:
    with make_client(emulator) as client:
        stages = client.list_all(
            kinds.KINDS["pipeline_stage"].collection, {"filter[object]": "lead"}
        )
        assert stages and all(s["object"] == "lead" for s in stages)
        for i in range(100):
            client.create(TAGS, {"name": f"t{i}"})
        before = client.stats.requests
        assert len(client.list_all(TAGS)) == 100
        assert client.stats.requests == before + 1  # has_more was false: no empty extra page


def test_crud_round_trip_and_team_header(emulator: EmulatorServer) -> None:
    with make_client(emulator, team=2) as client:
        tag = client.create(TAGS, {"name": "Blue", "color": "#0000ff"})
        item = kinds.KINDS["tag"].item_path(tag["uuid"])
        assert client.get(item)["name"] == "Blue"
        assert client.update(item, {"name": "Navy"})["name"] == "Navy"
        assert [t["name"] for t in emulator.store.objects(2, "tag")] == ["Navy"]
        assert emulator.store.objects(1, "tag") == []
        client.delete(item)
        assert emulator.store.objects(2, "tag") == []
        assert client.stats.by_method == {"POST": 1, "GET": 1, "PUT": 1, "DELETE": 1}
        assert client.stats.requests == 4 and client.stats.retries == 0
    assert {r.team_id for r in records(emulator, 4)} == {2}


def test_account_calls_and_flow_versions(emulator: EmulatorServer) -> None:
    with make_client(emulator) as client:
        assert client.current_user()["email"]
        assert [t["id"] for t in client.teams()] == [1]
        schedule = {"timezone": "UTC", "timeblocks": [{"dow": 1, "min": 540, "max": 1020}]}
        flow = client.create(
            FLOWS, {"name": "F", "use_sender_schedule": False, "schedule": schedule}
        )
        version = client.get_flow_version(flow["flow_version_uuid"])
        assert version["uuid"] == flow["flow_version_uuid"]
        assert [n["type"] for n in version["nodes"]] == ["end"]
        started = client.action(kinds.FLOW_ACTIONS["start"].format(uuid=flow["uuid"]))
        assert started["status"] == "on"


def test_typed_errors(emulator_factory: Factory) -> None:
    server = emulator_factory(api_keys=[DEFAULT_API_KEY, "team5-key:5"])
    missing = kinds.KINDS["tag"].item_path(str(uuid.uuid4()))
    with make_client(server) as client:
        with pytest.raises(errors.NotFoundError) as nf:
            client.get(missing)
        assert nf.value.status == 404 and nf.value.reason == "not_found"
        assert f"GET {missing}: 404 not_found" in str(nf.value)
        with pytest.raises(errors.NotFoundError):
            client.delete(missing)  # a first-attempt 404 is an error
        client.create(TAGS, {"name": "dup"})
        with pytest.raises(errors.ApiError) as dup:
            client.create(TAGS, {"name": "DUP"})
        assert dup.value.status == 422 and dup.value.reason == "validation_error"
        assert "name" in dup.value.field_errors
        with pytest.raises(errors.ApiError) as bad:
            client.create(TAGS, {"color": "red"})
        assert bad.value.status == 422 and bad.value.field_errors
        assert client.stats.retries == 0  # 4xx are never retried
    with make_client(server, key="no-such-key") as client, pytest.raises(errors.AuthError) as a401:
        client.current_user()
    assert a401.value.status == 401
    with (
        make_client(server, key="team5-key", team=6) as client,
        pytest.raises(errors.AuthError) as a403,
    ):
        client.list_all(TAGS)
    assert a403.value.status == 403
    assert not isinstance(a403.value, errors.NotFoundError)


def test_server_error_500_is_retried_for_reads_and_ambiguous_for_creates(
    emulator: EmulatorServer,
) -> None:
    emulator.set_faults(1.0, 1, kinds=["server_error"])
    with make_client(emulator, max_retries=2) as client:
        with pytest.raises(errors.ApiError) as info:
            client.list_all(TAGS)
        assert info.value.status == 500
        assert "Injected fault" in str(info.value)
        assert client.stats.requests == 3 and client.stats.retries == 2
        with pytest.raises(errors.OutcomeUnknownError):
            client.create(TAGS, {"name": "x"})  # no find_existing: never re-sent blindly
        assert client.stats.requests == 4
    emulator.set_faults(0.0, 1)
    assert emulator.store.objects(1, "tag") == []


KEY = "sk-live-SECRET-7f3a9c21d4"
WRONG_KEY = "sk-live-SECRET-wrong-0b8e"


def _leak_texts(exc: BaseException) -> list[str]:
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


def test_key_never_in_logs_exceptions_or_repr(emulator_factory: Factory) -> None:
    server = emulator_factory(api_keys=[KEY])
    lines: list[str] = []
    texts: list[str] = []
    with make_client(server, key=KEY, verbose_log=lines.append) as client:
        texts.append(repr(client))
        client.create(TAGS, {"name": "a"})
        client.list_all(TAGS)
        for call in (
            lambda: client.get(kinds.KINDS["tag"].item_path(str(uuid.uuid4()))),
            lambda: client.create(TAGS, {"name": "A"}),
        ):
            with pytest.raises(errors.ApiError) as info:
                call()
            texts += _leak_texts(info.value)
    with make_client(server, key=WRONG_KEY, verbose_log=lines.append) as client:
        texts.append(repr(client))
        with pytest.raises(errors.AuthError) as info:
            client.list_all(TAGS)
        assert info.value.status == 401
        texts += _leak_texts(info.value)
    assert len(lines) == 5  # one line per attempt, without bodies
    assert lines[0].startswith(f"POST {TAGS} -> 201 in ")
    assert all(" ms" in line and "{" not in line for line in lines)
    for text in lines + texts:
        assert KEY not in text and WRONG_KEY not in text
        assert "SECRET" not in text
