"""The client's value types: one call and its retry state, an answer read within bounds,
a list page, and the counters. Pure data (httpx only for its exception classes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gsctl import errors

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Failures that happen before any byte of the request left: always safe to retry.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after the request may have reached the server.
MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
LIST_DEFAULTS = {"order_field": "created_at", "order_type": "asc"}

FindExisting = Callable[[], dict[str, Any] | None]


@dataclass
class ClientStats:
    """Counters over the client's life: attempts sent, retries, 429s seen, attempts per method."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    writes: int = 0  # attempts that may change the workspace (read-only POSTs excluded)


@dataclass(frozen=True)
class Page:
    """One list page: its objects, whether another page follows, the list's total if told."""

    items: list[dict[str, Any]]
    more: bool
    total: int | None


@dataclass
class Call:
    """One logical call and its retry state."""

    method: str
    path: str
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    find_existing: FindExisting | None = None
    attempt: int = 0  # retries done so far
    ambiguous: bool = False  # an earlier attempt may have been processed by the server
    reads_only: bool = False  # a POST that changes nothing (metrics, search): retried freely
    max_retries: int | None = None  # None: the client's


@dataclass
class Retry:
    """A failed attempt that may be retried; ``error`` is raised when retries run out."""

    reason: str
    error: errors.GsctlError
    wait: float | None = None  # None: exponential backoff
    penalize: bool = False  # 429: every thread waits, through the limiter
    ambiguous: bool = False  # the server may have processed the request


@dataclass
class Done:
    value: Any


@dataclass
class Answer:
    """A complete answer read within the client's bounds (see ``Client._read_bounded``)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    reason_phrase: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def is_taken(error: errors.ApiError) -> bool:
    """A 422 that says a natural key is taken (the name exists already)."""
    texts = [error.api_message, *(m for v in error.field_errors.values() for m in v)]
    return any("taken" in t.lower() or "already exists" in t.lower() for t in texts)
