"""What the client does after a failed attempt: retry after a wait, or give up.

A mixin of :class:`~gsctl.api.client.Client` (see its module docstring for the contract):
waits are capped backoff with full jitter or ``Retry-After``, booked against the client's
waiting budget; a 429 pauses every thread through the shared limiter and a long pause is
announced once; an ambiguous create asks ``find_existing`` whether it happened.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from gsctl import errors
from gsctl.api.bounds import ReadLimits, WaitBudget
from gsctl.api.calls import IDEMPOTENT, Call, ClientStats, Retry
from gsctl.api.ratelimit import RateLimiter


class Retries:
    """Retry decisions over the client's limits, limiter, counters and log."""

    max_retries: int
    backoff_base: float
    backoff_cap: float
    limiter: RateLimiter
    limits: ReadLimits
    stats: ClientStats
    _waits: WaitBudget
    _notify: Callable[[str], None] | None
    _lock: threading.Lock
    _rng: random.Random

    def _emit(self, line: str) -> None:
        raise NotImplementedError

    def _scrub(self, text: str) -> str:
        raise NotImplementedError

    def _retry_or_raise(self, call: Call, retry: Retry, took: str) -> dict[str, Any] | None:
        """Wait before the next attempt (None), raise if this failure is final, or return the
        object ``find_existing`` found after an ambiguous create."""
        if retry.ambiguous:
            call.ambiguous = True
            if call.method not in IDEMPOTENT and not call.reads_only:
                found = self._resolve_ambiguous(call, retry, took)
                if found is not None:
                    return found
        # A call's own retry cap never shortens the wait for a 429: being rate limited is
        # not a failure of the endpoint.
        own = call.max_retries
        limit = self.max_retries if own is None or retry.penalize else own
        if call.attempt >= limit:
            if retry.penalize and retry.wait:  # the other threads must wait all the same
                self.limiter.penalize(min(retry.wait, self.limits.max_retry_after))
            self._emit(took)
            raise retry.error
        wait = self._wait_before_retry(call, retry, limit)
        # A pause other threads already announced (they wait in the limiter too) is not told
        # again.
        if not retry.penalize or self.limiter.penalize(wait):
            self._announce(call, retry, wait, limit)
        call.attempt += 1
        self._emit(f"{took}; retry {call.attempt}/{limit} after {wait:.2f} s: {retry.reason}")
        with self._lock:
            self.stats.retries += 1
        if not retry.penalize and wait > 0:
            time.sleep(wait)
        return None

    def _resolve_ambiguous(self, call: Call, retry: Retry, took: str) -> dict[str, Any] | None:
        """A non-idempotent call may have happened: ask ``find_existing`` or give up."""
        if call.find_existing is None:
            self._emit(took)
            raise errors.OutcomeUnknownError(
                f"{call.method} {call.path}: outcome unknown after {retry.reason}; "
                "run plan again to see whether it was applied"
            )
        found = self._find_existing(call, retry.error)
        if found is not None:
            self._emit(f"{took}; found by natural key after {retry.reason}")
        return found

    def _find_existing(self, call: Call, cause: errors.GsctlError) -> dict[str, Any] | None:
        assert call.find_existing is not None
        try:
            return call.find_existing()
        except errors.GsctlError as exc:
            raise errors.OutcomeUnknownError(
                f"{call.method} {call.path}: outcome unknown ({cause}); "
                f"checking by natural key failed: {exc}"
            ) from exc

    def _wait_before_retry(self, call: Call, retry: Retry, limit: int) -> float:
        """Seconds to wait before the next attempt: backoff, or ``Retry-After`` capped at
        ``limits.max_retry_after``; raises when the client's waiting budget is spent."""
        if retry.wait is None:
            wait = min(self._backoff(call.attempt + 1), self.backoff_cap)
        else:
            wait = min(retry.wait, self.limits.max_retry_after)
        if not self._waits.take(wait):
            raise errors.GsctlError(
                f"{call.method} {call.path}: gave up after {retry.reason}: waiting "
                f"{wait:.0f} s more would exceed the limit of {self.limits.max_wait:g} s "
                f"spent waiting for retries ({self._waits.spent:.0f} s so far)"
            )
        return wait

    def _announce(self, call: Call, retry: Retry, wait: float, limit: int) -> None:
        """Say on stderr (``notify``, shown without -v) what is being waited for: a rate-limit
        pause over ``limits.announce_after`` seconds, or any other wait of a second or more."""
        if self._notify is None:
            return
        if retry.penalize and wait <= self.limits.announce_after:
            return
        if not retry.penalize and wait < 1.0:
            return
        shown = f"{math.ceil(wait)} s" if wait >= 5 else f"{wait:.1f} s"
        prefix = "rate limited by the API; " if retry.penalize else ""
        self._notify(
            self._scrub(
                f"{prefix}waiting {shown} before retrying {call.method} {call.path} "
                f"({retry.reason}; retry {call.attempt + 1} of {limit})"
            )
        )

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        with self._lock:
            return self._rng.uniform(0, ceiling)
