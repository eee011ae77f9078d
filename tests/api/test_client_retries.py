"""Retries against the real emulator: 429 + Retry-After, injected faults, ambiguous writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from gsctl import errors
from gsctl.api import kinds
from gsctl.api.bounds import ReadLimits
from gsctl.api.client import Client
from gsctl.api.ratelimit import RateLimiter
from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer

TAG = kinds.KINDS["tag"]
Factory = Callable[..., EmulatorServer]


def make_client(server: EmulatorServer, **kw: Any) -> Client:
    kw.setdefault("rate_limit", None)
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("backoff_cap", 0.05)
    kw.setdefault("limits", ReadLimits(max_retry_after=kw["backoff_cap"]))  # Retry-After cap
    return Client(server.url, DEFAULT_API_KEY, 1, **kw)


def finder(client: Client, name: str) -> Callable[[], dict[str, Any] | None]:
    """What apply passes as find_existing: re-list and match the natural key."""

    def find() -> dict[str, Any] | None:
        for tag in client.list_all(TAG.collection):
            if tag["name"].casefold() == name.casefold():
                return tag
        return None

    return find


def test_429_honours_retry_after_then_succeeds(emulator_factory: Factory) -> None:
    server = emulator_factory(rate_limit=2)
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if " -> 429 " in line:
            server.set_rate_limit(None)  # the limit is lifted while the client waits

    limits = ReadLimits(max_retry_after=0.3)
    with make_client(server, backoff_cap=0.3, verbose_log=log, limits=limits) as client:
        client.list_all(TAG.collection)
        client.list_all(TAG.collection)
        started = time.monotonic()
        assert client.list_all(TAG.collection) == []
        waited = time.monotonic() - started
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 1
    assert client.stats.requests == 4
    # Retry-After is >= 1 s and capped at max_retry_after, applied through the shared limiter
    assert "retry 1/5 after 0.30 s: 429 too_many_requests" in lines[2]
    assert waited >= 0.3


def test_429_penalty_holds_back_every_thread(emulator_factory: Factory) -> None:
    server = emulator_factory(rate_limit=1)
    with make_client(server, backoff_cap=0.4, max_retries=0) as client:
        client.get(kinds.CURRENT_USER)
        with pytest.raises(errors.RateLimitedError):
            client.get(kinds.CURRENT_USER)
        server.set_rate_limit(None)
        started = time.monotonic()
        client.get(kinds.CURRENT_USER)  # a different call still waits out the penalty
        assert time.monotonic() - started >= 0.35


def test_429_exhausted_raises_rate_limited_error(emulator_factory: Factory) -> None:
    server = emulator_factory(rate_limit=1)
    with make_client(server, max_retries=2, backoff_cap=0.01) as client:
        client.current_user()
        with pytest.raises(errors.RateLimitedError) as info:
            client.create(TAG.collection, {"name": "x"})
    assert info.value.status == 429
    assert client.stats.rate_limited == 3 and client.stats.retries == 2
    assert server.store.objects(1, "tag") == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_faults_create_update_delete_converge_without_duplicates(
    emulator: EmulatorServer, seed: int
) -> None:
    emulator.slow_seconds = 0.2
    emulator.set_faults(0.3, seed, kinds=["bad_gateway", "drop", "slow"])
    names = [f"tag-{i:02d}" for i in range(12)]
    with make_client(emulator, timeout=0.1, max_retries=10) as client:
        created = [
            client.create(TAG.collection, {"name": n}, find_existing=finder(client, n))
            for n in names
        ]
        for tag in created:
            client.update(TAG.item_path(tag["uuid"]), {"color": "#ff0000"})
        stored = emulator.store.objects(1, "tag")
        assert sorted(t["name"] for t in stored) == names  # exactly N: nothing lost, no duplicate
        assert {t["uuid"] for t in created} == {t["uuid"] for t in stored}
        assert all(t["color"] == "#ff0000" for t in stored)
        for tag in created:
            client.delete(TAG.item_path(tag["uuid"]))
        assert emulator.store.objects(1, "tag") == []
        assert client.stats.retries > 0  # the faults really happened


def test_ambiguous_create_without_find_existing_is_outcome_unknown(
    emulator: EmulatorServer,
) -> None:
    emulator.set_faults(1.0, 1, kinds=["bad_gateway"])
    with make_client(emulator) as client, pytest.raises(errors.OutcomeUnknownError) as info:
        client.create(TAG.collection, {"name": "maybe"})
    assert f"POST {TAG.collection}" in str(info.value)
    assert client.stats.requests == 1  # never blindly re-sent
    assert [t["name"] for t in emulator.store.objects(1, "tag")] == ["maybe"]


def test_ambiguous_create_found_by_natural_key_is_returned(emulator: EmulatorServer) -> None:
    emulator.set_faults(1.0, 1, kinds=["bad_gateway"])  # the write commits, the answer is 502

    def find() -> dict[str, Any] | None:
        emulator.set_faults(0.0, 1)
        return finder(client, "once")()

    with make_client(emulator) as client:
        tag = client.create(TAG.collection, {"name": "once"}, find_existing=find)
    assert tag["name"] == "once"
    assert client.stats.by_method == {"POST": 1, "GET": 1}
    assert [t["uuid"] for t in emulator.store.objects(1, "tag")] == [tag["uuid"]]


def test_retried_create_answering_422_taken_consults_find_existing(
    emulator: EmulatorServer,
) -> None:
    emulator.set_faults(1.0, 1, kinds=["bad_gateway"])
    calls: list[str] = []

    def find() -> dict[str, Any] | None:
        emulator.set_faults(0.0, 1)
        calls.append("find")
        if len(calls) == 1:
            return None  # a stale list: the create is not visible yet, so the POST is retried
        return finder(client, "late")()

    with make_client(emulator) as client:
        tag = client.create(TAG.collection, {"name": "late"}, find_existing=find)
    assert tag["name"] == "late" and len(calls) == 2
    assert client.stats.by_method == {"POST": 2, "GET": 1}  # second POST answered 422
    assert len(emulator.store.objects(1, "tag")) == 1


def test_create_times_out_then_outcome_unknown(emulator: EmulatorServer) -> None:
    emulator.slow_seconds = 0.4
    emulator.set_faults(1.0, 1, kinds=["slow"])
    with make_client(emulator, timeout=0.1) as client:
        with pytest.raises(errors.OutcomeUnknownError, match="ReadTimeout"):
            client.create(TAG.collection, {"name": "slowpoke"})
        with pytest.raises(errors.TransportError, match="GET /id/api/users/current"):
            Client(
                emulator.url,
                DEFAULT_API_KEY,
                1,
                rate_limit=None,
                timeout=0.1,
                max_retries=1,
                backoff_base=0.01,
            ).current_user()


def test_delete_404_after_ambiguous_attempt_is_success(emulator: EmulatorServer) -> None:
    with make_client(emulator, verbose_log=lambda line: None) as client:
        tag = client.create(TAG.collection, {"name": "gone"})
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        emulator.set_faults(0.0, 1)  # only the first DELETE gets the fault

    emulator.set_faults(1.0, 1, kinds=["bad_gateway"])  # deleted, then answered 502
    with make_client(emulator, verbose_log=log) as client:
        client.delete(TAG.item_path(tag["uuid"]))
    assert " -> 502 " in lines[0] and " -> 404 " in lines[1]
    assert emulator.store.objects(1, "tag") == []


class _FakeClock:
    """Fake time for the client's limiter: a Retry-After pause is not really waited out."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("cap", "expected"), [(30.0, ["rate limited by the API; waiting 30 s"]), (5.0, [])]
)
def test_a_long_retry_after_pause_is_announced_once(
    emulator_factory: Factory, cap: float, expected: list[str]
) -> None:
    """A pause over 5 s is told through ``notify`` (shown without -v); a short one is not."""
    server = emulator_factory(rate_limit=1)  # the 2nd request gets 429, Retry-After ~60 s
    clock = _FakeClock()
    notices: list[str] = []

    def log(line: str) -> None:
        if " -> 429 " in line:
            server.set_rate_limit(None)

    limits = ReadLimits(max_retry_after=cap)
    with make_client(server, limits=limits, verbose_log=log, notify=notices.append) as client:
        client.limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
        client.current_user()
        client.current_user()
    assert client.stats.rate_limited == 1
    assert clock.slept == [cap]  # the pause went through the shared limiter
    assert [n.split(" before retrying ")[0] for n in notices] == expected
    assert all(" before retrying GET " in n for n in notices)  # says what is waited for
