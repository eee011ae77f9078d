"""Rate limiting and fault injection.

Rate limit: a sliding 60-second window per key. Past ``per_minute`` requests in the window the
answer is 429 ``too_many_requests`` with ``Retry-After`` (whole seconds, at least 1) until the
oldest counted request leaves the window. Refused requests are not counted.

Faults: with probability ``rate`` a request gets one fault, chosen uniformly among the enabled
kinds, from ``random.Random(seed)`` under a lock (the same seed and request order give the
same faults):

- ``server_error``: 500 before anything is done;
- ``bad_gateway``: a write (POST/PUT/PATCH/DELETE) is performed and committed, then answered
  502 (the ambiguous case); a read is answered 502 without being served;
- ``drop``: the connection is closed without any answer;
- ``slow``: the request is handled at once (a write is committed) and the answer is sent
  ``slow_seconds`` (default 2) later: past the client's timeout, the outcome is unknown.

Latency (not a fault): with ``latency = (low, high)`` every normal answer is handled at once
and sent after a delay drawn uniformly from ``[low, high]`` seconds, like a distant API.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

FAULT_KINDS = ("server_error", "bad_gateway", "drop", "slow")
WINDOW_SECONDS = 60.0


class RateLimiter:
    """Per-key sliding-window limiter; ``per_minute=None`` turns it off."""

    def __init__(
        self, per_minute: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self.per_minute = per_minute

    def set_limit(self, per_minute: int | None) -> None:
        """Change the limit at runtime; the windows start empty again."""
        if per_minute is not None and per_minute < 1:
            raise ValueError("the rate limit must be at least 1 request per minute")
        with self._lock:
            self.per_minute = per_minute
            self._hits.clear()

    def check(self, key_id: str) -> int | None:
        """Count one request; None if allowed, else the seconds to wait."""
        with self._lock:
            if self.per_minute is None:
                return None
            now = self._clock()
            hits = self._hits.setdefault(key_id, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
            hits.append(now)
            return None


class FaultInjector:
    """Deterministic random faults (see the module docstring)."""

    def __init__(self, rate: float = 0.0, seed: int = 0, slow_seconds: float = 2.0) -> None:
        self._lock = threading.Lock()
        self.slow_seconds = slow_seconds
        self.rate = 0.0
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.latency: tuple[float, float] = (0.0, 0.0)
        self._latency_rng = random.Random(seed)
        self._rng = random.Random(seed)
        self.configure(rate, seed)

    def configure(self, rate: float, seed: int, kinds: Sequence[str] | None = None) -> None:
        """Set the fault probability, reseed, and optionally restrict the fault kinds."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the fault rate must be between 0 and 1")
        chosen = tuple(kinds) if kinds is not None else FAULT_KINDS
        unknown = [k for k in chosen if k not in FAULT_KINDS]
        if unknown or not chosen:
            raise ValueError(f"fault kinds must be among {', '.join(FAULT_KINDS)}")
        with self._lock:
            self.rate = rate
            self.kinds = chosen
            self._rng = random.Random(seed)

    def set_latency(self, low: float, high: float | None = None) -> None:
        """Delay every normal answer by ``low`` s, or uniformly ``low``..``high`` s."""
        high = low if high is None else high
        if not 0.0 <= low <= high:
            raise ValueError("the latency must be 0 <= low <= high seconds")
        with self._lock:
            self.latency = (low, high)

    def draw_latency(self) -> float:
        """The delay of the next normal answer (0 when latency is off)."""
        low, high = self.latency
        if high <= 0.0:
            return 0.0
        with self._lock:
            return self._latency_rng.uniform(low, high)

    def draw(self) -> str | None:
        """The fault for the next request, or None."""
        with self._lock:
            if self.rate <= 0.0:
                return None
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choice(self.kinds)
