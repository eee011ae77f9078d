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


def limiter(per_minute: float | None, **kw: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(per_minute, clock=clock, sleep=clock.sleep, **kw), clock


def grant_times(lim: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    out = []
    for _ in range(n):
        lim.acquire()
        out.append(clock())
    return out


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """The most grants in any closed window ``[t, t + window]``."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] <= start + window:
            j += 1
        best = max(best, j - i)
    return best


def test_max_in_window_helper() -> None:
    assert max_in_window([0, 30, 60, 60.5, 121]) == 3  # 0, 30, 60: 60 - 0 is in the window
    assert max_in_window([0, 61, 122]) == 1


@pytest.mark.parametrize("per_minute", [300, 60, 7, 600])
def test_no_60s_window_ever_holds_more_than_the_limit(per_minute: int) -> None:
    lim, clock = limiter(per_minute)
    times = grant_times(lim, clock, per_minute * 4 + 3)
    assert max_in_window(times) == per_minute


def test_no_window_over_the_limit_with_threads_idle_gaps_and_penalties() -> None:
    per_minute = 120
    lim, clock = limiter(per_minute)
    times: list[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(n):
            lim.acquire()
            with lock:
                times.append(clock())
                if i % 37 == 36:
                    clock.now += 13.0  # idle time: must not allow a burst afterwards
                if i == 50:
                    lim.penalize(2.5)

    threads = [threading.Thread(target=worker, args=(150,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(times) == 600
    assert max_in_window(times) <= per_minute


def test_steady_rate_is_spaced_and_reaches_the_limit_less_the_margin() -> None:
    lim, clock = limiter(300)  # one every 0.2 s
    start = clock()
    times = grant_times(lim, clock, 301)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g == pytest.approx(0.2) for g in gaps[:299])
    # the 301st would be at 60.0 s: same closed window as the first, so it waits for 61 s
    assert times[300] - start == pytest.approx(61.0)


def test_throughput_over_ten_minutes_is_at_least_0_98_of_the_limit() -> None:
    lim, clock = limiter(300)
    start = clock()
    times = grant_times(lim, clock, 3000)
    rate_per_min = (len(times) - 1) / (times[-1] - start) * 60
    assert 0.98 * 300 <= rate_per_min <= 300


def test_zero_margin_still_keeps_a_sliding_window_of_60s() -> None:
    lim, clock = limiter(60, margin=0)
    times = grant_times(lim, clock, 200)
    assert max_in_window(times, 60.0 - 1e-6) == 60


def test_starts_at_once_and_never_bursts_after_idle() -> None:
    lim, clock = limiter(600)  # one every 0.1 s
    start = clock()
    lim.acquire()
    assert clock() == start  # the first request goes at once
    lim.acquire()
    assert clock() - start == pytest.approx(0.1)
    clock.now += 100  # long idle
    idle_end = clock()
    times = grant_times(lim, clock, 3)
    assert times[0] == idle_end
    assert times[1] - idle_end == pytest.approx(0.1)
    assert times[2] - idle_end == pytest.approx(0.2)


@pytest.mark.parametrize("per_minute", [None, 0])
def test_unlimited_never_sleeps(per_minute: float | None) -> None:
    lim, clock = limiter(per_minute)
    grant_times(lim, clock, 10_000)
    assert clock.slept == []


def test_penalize_blocks_everyone_for_the_given_time() -> None:
    lim, clock = limiter(None)
    lim.acquire()
    assert lim.penalize(7.5) is True
    start = clock()
    lim.acquire()
    assert clock() - start == pytest.approx(7.5)
    lim.acquire()  # the penalty is over
    assert clock() - start == pytest.approx(7.5)


def test_penalize_only_extends_ignores_non_positive_and_says_when_a_pause_starts() -> None:
    lim, clock = limiter(None)
    assert lim.penalize(10) is True
    assert lim.penalize(2) is False  # shorter: does not shorten the wait, not a new pause
    assert lim.penalize(12) is False  # extends the same pause
    assert lim.penalize(0) is False
    assert lim.penalize(-1) is False
    start = clock()
    lim.acquire()
    assert clock() - start == pytest.approx(12)
    assert lim.penalize(3) is True  # the earlier pause is over: a new one


def test_no_burst_after_a_penalty() -> None:
    lim, clock = limiter(60)  # 1 per second
    clock.now += 100
    lim.penalize(30)
    start = clock()
    times = grant_times(lim, clock, 3)
    assert times[0] - start == pytest.approx(30)
    assert times[1] - start == pytest.approx(31)
    assert times[2] - start == pytest.approx(32)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)
    with pytest.raises(ValueError):
        RateLimiter(60, margin=-1)
