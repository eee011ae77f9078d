"""RateLimiter on a fake clock: no real sleeping."""

from __future__ import annotations

import itertools
import threading

import pytest

from gsctl.api.ratelimit import RateLimiter


class FakeClock:
    """A clock that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the limiter must never sleep for nothing"
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def limiter(per_minute: float | None, **kw: int) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(per_minute, clock=clock, sleep=clock.sleep, **kw), clock


def grant_times(lim: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    out = []
    for _ in range(n):
        lim.acquire()
        out.append(clock())
    return out


def test_steady_rate_matches_per_minute() -> None:
    lim, clock = limiter(300)  # 5 per second
    start = clock()
    times = grant_times(lim, clock, 101)
    # one token at start, then one every 0.2 s
    assert times[-1] - start == pytest.approx(100 * 0.2)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g == pytest.approx(0.2) for g in gaps)


def test_starts_with_one_token_not_a_burst() -> None:
    lim, clock = limiter(600)
    start = clock()
    lim.acquire()
    assert clock() == start  # the first request goes at once
    lim.acquire()
    assert clock() - start == pytest.approx(0.1)  # the second waits for a token


def test_default_burst_is_two_seconds_worth() -> None:
    assert RateLimiter(300).burst == 10
    assert RateLimiter(600).burst == 20
    assert RateLimiter(20).burst == 1  # never below 1
    assert RateLimiter(300, burst=3).burst == 3


def test_burst_after_idle_is_capped() -> None:
    lim, clock = limiter(60, burst=3)  # 1 per second
    lim.acquire()
    clock.now += 100  # long idle: bucket refills, but only to `burst`
    idle_end = clock()
    times = grant_times(lim, clock, 5)
    assert times[:3] == [idle_end] * 3
    assert times[3] - idle_end == pytest.approx(1.0)
    assert times[4] - idle_end == pytest.approx(2.0)


@pytest.mark.parametrize("per_minute", [None, 0])
def test_unlimited_never_sleeps(per_minute: float | None) -> None:
    lim, clock = limiter(per_minute)
    grant_times(lim, clock, 10_000)
    assert clock.slept == []


def test_penalize_blocks_everyone_for_the_given_time() -> None:
    lim, clock = limiter(None)
    lim.acquire()
    lim.penalize(7.5)
    start = clock()
    lim.acquire()
    assert clock() - start == pytest.approx(7.5)
    lim.acquire()  # the penalty is over
    assert clock() - start == pytest.approx(7.5)


def test_penalize_only_extends_and_ignores_non_positive() -> None:
    lim, clock = limiter(None)
    lim.penalize(10)
    lim.penalize(2)  # shorter: does not shorten the wait
    lim.penalize(0)
    lim.penalize(-1)
    start = clock()
    lim.acquire()
    assert clock() - start == pytest.approx(10)


def test_no_burst_after_a_penalty() -> None:
    lim, clock = limiter(60, burst=5)  # 1 per second
    clock.now += 100  # bucket full (5 tokens)
    lim.penalize(30)  # tokens must not keep the full bucket nor grow during the penalty
    start = clock()
    times = grant_times(lim, clock, 3)
    assert times[0] - start == pytest.approx(30)
    assert times[1] - start == pytest.approx(31)
    assert times[2] - start == pytest.approx(32)


def test_threads_share_one_bucket() -> None:
    """With several threads, no window of time ever gets more than burst + rate * window."""
    per_minute, burst = 600, 4  # 10 per second
    lim, clock = limiter(per_minute, burst=burst)
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            lim.acquire()
            with lock:
                times.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(times) == 200
    times.sort()
    rate = per_minute / 60
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            if times[j] - start > 5:
                break
            assert j - i + 1 <= burst + rate * (times[j] - start) + 1e-6


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)
    with pytest.raises(ValueError):
        RateLimiter(60, burst=0)
