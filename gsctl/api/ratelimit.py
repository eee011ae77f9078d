"""A thread-safe limiter shared by every request a :class:`~gsctl.api.client.Client` sends.

Contract:
- ``acquire()`` blocks until the caller may send one request. ``per_minute`` of ``None`` or
  ``0`` means no limit (only penalties block).
- **Never more than the limit in any 60 s window.** Two rules, both on grant times:
  1. *Spacing* (a burst of 1): grants are at least ``60 / per_minute`` s apart, so requests
     go out evenly, never back to back, even after idle time.
  2. *Sliding window*: a grant is refused while ``per_minute`` grants already lie in the last
     ``60 + margin`` seconds. Spacing alone lets ``per_minute + 1`` grants fall in a closed
     60 s window (at ``0, 0.2, ..., 60.0`` for 300/min); the window forbids that, and its
     ``margin`` (default 1 s) absorbs the jitter between our clock and the server's arrival
     times. The cost is one ``margin`` per minute: 300/min sends at least 300 per 61 s.
- ``penalize(seconds)`` (after a 429 with ``Retry-After``) stops every thread from sending for
  ``seconds``; it returns True when it starts a new pause (nobody was paused), so a caller can
  announce a pause once, not once per thread that saw the 429.

``clock`` and ``sleep`` are injectable so tests run on a fake clock without real sleeping.
Sleeping always happens outside the lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

DEFAULT_PER_MINUTE = 300.0
WINDOW_SECONDS = 60.0
DEFAULT_MARGIN = 1.0  # seconds added to the window: server arrival jitter
_EPSILON = 1e-9  # float slack


class RateLimiter:
    """At most ``per_minute`` grants in any ``60 + margin`` s, spaced ``60 / per_minute``."""

    def __init__(
        self,
        per_minute: float | None,
        *,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute is not None and per_minute < 0:
            raise ValueError("per_minute must be positive, 0 or None")
        if margin < 0:
            raise ValueError("margin must be >= 0")
        self.per_minute = per_minute or None
        self._spacing = WINDOW_SECONDS / self.per_minute if self.per_minute else 0.0
        self._capacity = max(1, int(self.per_minute)) if self.per_minute else 0
        self._window = WINDOW_SECONDS + margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._grants: deque[float] = deque()  # grant times inside the window, oldest first
        self._next = float("-inf")  # earliest time the next grant may happen (spacing)
        self._blocked_until = float("-inf")

    def __repr__(self) -> str:
        return f"RateLimiter(per_minute={self.per_minute!r})"

    def acquire(self) -> None:
        """Block until one request may be sent, then record its grant."""
        while True:
            wait = self._try_take()
            if wait <= 0:
                return
            self._sleep(wait)

    def penalize(self, seconds: float) -> bool:
        """Nobody sends for ``seconds`` from now (penalties only ever extend).

        Returns True when this starts a new pause (nobody was paused before).
        """
        if seconds <= 0:
            return False
        with self._lock:
            now = self._clock()
            fresh = self._blocked_until <= now
            self._blocked_until = max(self._blocked_until, now + seconds)
            return fresh

    def _try_take(self) -> float:
        """Record a grant and return 0, or return how long to wait before trying again."""
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return self._blocked_until - now
            if self.per_minute is None:
                return 0.0
            grants = self._grants
            while grants and grants[0] <= now - self._window:
                grants.popleft()
            wait = self._next - now
            if len(grants) >= self._capacity:
                wait = max(wait, grants[0] + self._window - now)
            if wait > _EPSILON:
                return wait
            grants.append(now)
            self._next = now + self._spacing
            return 0.0
