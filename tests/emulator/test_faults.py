"""Emulator: fault injection produces each fault type, deterministically."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import httpx
import pytest

from gsctl.emulator import EmulatorServer


def tag_names(emulator: EmulatorServer) -> list[str]:
    return [t["name"] for t in emulator.store.objects(1, "tag")]


def test_server_error_happens_before_anything(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults(1.0, seed=1, kinds=["server_error"])
    r = api.post("/leads/api/tags", json={"name": "Warm"})
    assert (
        r.status_code == 500
        and r.json()["error"]["reason"] == "server_error"
        and r.json()["code"] == 500
    )
    emulator.set_faults(0.0, seed=1)
    assert tag_names(emulator) == []
    assert emulator.requests[0].fault == "server_error" and emulator.requests[0].status == 500


def test_bad_gateway_after_a_committed_write(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults(1.0, seed=1, kinds=["bad_gateway"])
    r = api.post("/leads/api/tags", json={"name": "Warm"})
    assert r.status_code == 502 and r.json()["code"] == 502
    assert tag_names(emulator) == ["Warm"]  # the write happened
    assert api.get("/leads/api/tags").status_code == 502  # reads: nothing served
    emulator.set_faults(0.0, seed=1)
    assert [t["name"] for t in api.get("/leads/api/tags").json()["data"]] == ["Warm"]


def test_dropped_connection_gives_no_answer(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults(1.0, seed=1, kinds=["drop"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("/leads/api/tags", json={"name": "Warm"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.get("/leads/api/tags")
    emulator.set_faults(0.0, seed=1)
    assert tag_names(emulator) == []
    assert [(r.fault, r.status) for r in emulator.requests] == [("drop", 0), ("drop", 0)]
    assert api.get("/leads/api/tags").status_code == 200  # the server is fine afterwards


def test_slow_answer_is_delayed_then_served(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.slow_seconds = 0.3
    emulator.set_faults(1.0, seed=1, kinds=["slow"])
    began = time.monotonic()
    r = api.post("/leads/api/tags", json={"name": "Warm"})
    assert time.monotonic() - began >= 0.3
    assert r.status_code == 201 and tag_names(emulator) == ["Warm"]
    with pytest.raises(httpx.ReadTimeout):
        api.get("/leads/api/tags", timeout=0.1)


def run_sequence(
    server: EmulatorServer, client: httpx.Client, count: int
) -> list[tuple[str | None, int]]:
    for i in range(count):
        with contextlib.suppress(httpx.TransportError):
            client.post("/leads/api/tags", json={"name": f"t{i}"})
    return [(r.fault, r.status) for r in server.requests]


def test_faults_are_deterministic_per_seed(
    emulator_factory: Callable[..., EmulatorServer], client_for: Callable[..., httpx.Client]
) -> None:
    runs = []
    for seed in (7, 7, 8):
        server = emulator_factory(fault_rate=0.5, seed=seed)
        server.slow_seconds = 0.0
        runs.append(run_sequence(server, client_for(server), 40))
    assert runs[0] == runs[1] != runs[2]
    kinds = {fault for fault, _ in runs[0]}
    assert kinds == {None, "server_error", "bad_gateway", "drop", "slow"}
    statuses = {fault: {s for f, s in runs[0] if f == fault} for fault in kinds}
    assert statuses["server_error"] == {500} and statuses["bad_gateway"] == {502}
    assert (
        statuses["drop"] == {0} and statuses["slow"] <= {201, 422} and statuses[None] <= {201, 422}
    )


def test_fault_rate_zero_means_no_faults(
    emulator_factory: Callable[..., EmulatorServer], client_for: Callable[..., httpx.Client]
) -> None:
    server = emulator_factory(fault_rate=0.0, seed=3)
    assert {f for f, _ in run_sequence(server, client_for(server), 20)} == {None}
    with pytest.raises(ValueError):
        server.set_faults(1.5, seed=0)
    with pytest.raises(ValueError):
        server.set_faults(0.5, seed=0, kinds=["meteor"])


def test_latency_delays_every_answer_after_doing_the_work(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.set_latency(0.3)
    started = time.monotonic()
    r = api.post("/leads/api/tags", json={"name": "Slow"})
    took = time.monotonic() - started
    assert r.status_code == 201 and tag_names(emulator) == ["Slow"]
    assert 0.3 <= took < 2.0
    emulator.set_latency(0)
    started = time.monotonic()
    api.get("/leads/api/tags")
    assert time.monotonic() - started < 0.25


def test_latency_range_and_bad_values() -> None:
    from gsctl.emulator.faults import FaultInjector

    faults = FaultInjector()
    assert faults.draw_latency() == 0.0
    faults.set_latency(0.2, 0.5)
    draws = [faults.draw_latency() for _ in range(200)]
    assert all(0.2 <= d <= 0.5 for d in draws) and max(draws) - min(draws) > 0.2
    with pytest.raises(ValueError):
        faults.set_latency(0.5, 0.2)
    with pytest.raises(ValueError):
        faults.set_latency(-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, None), ("0.3", (0.3, 0.3)), ("0.2-0.5", (0.2, 0.5)), ("0", (0.0, 0.0))],
)
def test_cli_latency_option_parses(text: str | None, expected: object) -> None:
    from gsctl.cli.emulator import parse_latency

    assert parse_latency(text) == expected


@pytest.mark.parametrize("text", ["x", "0.5-0.2", "-1", "1-", "100"])
def test_cli_latency_option_refuses_bad_values(text: str) -> None:
    import click

    from gsctl.cli.emulator import parse_latency

    with pytest.raises(click.BadParameter):
        parse_latency(text)
