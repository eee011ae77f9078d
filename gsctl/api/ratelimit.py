"""A thread-safe token bucket shared by every request a :class:`~gsctl.api.client.Client` sends.

Contract:
- ``acquire()`` blocks until the caller may send one request. Tokens refill continuously at
  ``per_minute / 60`` per second up to ``burst``; ``per_minute`` of ``None`` or ``0`` means no
  limit (only penalties block).
- The bucket starts with **one** token, not a full bucket: a fresh client never opens with a
  burst, so against a server whose limit is at least ``per_minute`` the first minute cannot
  exceed the limit. After idle time at most ``burst`` requests go out back to back.
- ``burst`` defaults to two seconds' worth of requests (``per_minute / 30``), at least 1: small
  enough that a server counting requests per minute sees at most ``per_minute + burst``.
- ``penalize(seconds)`` (after a 429 with ``Retry-After``) stops every thread from sending for
  ``seconds``; tokens do not accumulate during the penalty and at most one is left, so sending
  resumes at the steady rate, not with a burst.

``clock`` and ``sleep`` are injectable so tests run on a fake clock without real sleeping.
Sleeping always happens outside the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_PER_MINUTE = 300.0
_EPSILON = 1e-9  # float slack so a wait of exactly (1 - tokens) / rate is enough


class RateLimiter:
    """Token bucket: ``per_minute`` requests per minute, bursts of at most ``burst``."""

    def __init__(
        self,
        per_minute: float | None,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute is not None and per_minute < 0:
            raise ValueError("per_minute must be positive, 0 or None")
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1")
        self.per_minute = per_minute or None
        self._rate = self.per_minute / 60.0 if self.per_minute else None  # tokens per second
        default_burst = max(1, int(self._rate * 2)) if self._rate else 1
        self.burst = burst if burst is not None else default_burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = 1.0
        self._last = clock()
        self._blocked_until = float("-inf")

    def __repr__(self) -> str:
        return f"RateLimiter(per_minute={self.per_minute!r}, burst={self.burst})"

    def acquire(self) -> None:
        """Block until one request may be sent, then take its token."""
        while True:
            wait = self._try_take()
            if wait <= 0:
                return
            self._sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` from now (penalties only ever extend)."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._blocked_until = max(self._blocked_until, now + seconds)
            self._tokens = min(self._tokens, 1.0)
            self._last = max(self._last, self._blocked_until)

    def _try_take(self) -> float:
        """Take a token and return 0, or return how long to wait before trying again."""
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return self._blocked_until - now
            if self._rate is None:
                return 0.0
            self._refill(now)
            if self._tokens >= 1.0 - _EPSILON:
                self._tokens = max(0.0, self._tokens - 1.0)
                return 0.0
            return (1.0 - self._tokens) / self._rate

    def _refill(self, now: float) -> None:
        """Add the tokens earned since the last refill (caller holds the lock)."""
        if self._rate is None or now <= self._last:
            return
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self._rate)
        self._last = now
