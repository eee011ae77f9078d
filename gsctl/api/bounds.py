"""Limits that keep one command bounded against a hostile or broken server. No I/O.

- :class:`ReadLimits`: the caps a :class:`~gsctl.api.client.Client` applies (answer size,
  pages per list, one ``Retry-After`` wait, the total time spent waiting, list re-reads).
- :class:`PageGuard`: checks each list page as it arrives; a page repeating uuids already
  read, more uuids than ``total`` or too many pages raise ``ApiError`` naming the endpoint.
- :class:`WaitBudget`: the time all threads of one client spent waiting before retries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from gsctl import errors

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Caps of one client (defaults suit the real API; tests tighten them)."""

    max_body_bytes: int = 32 * MB  # one answer, after decompression
    max_pages: int = 10_000  # pages of one list (1,000,000 objects at 100 per page)
    max_retry_after: float = 120.0  # seconds: one wait asked for by Retry-After
    max_wait: float = 600.0  # seconds: all waits before retries, summed over the client
    list_attempts: int = 3  # reads of one list whose count disagrees with ``total``
    announce_after: float = 5.0  # seconds: a longer rate-limit pause is told on stderr


class RepeatedPageError(errors.ApiError):
    """A page repeated objects already read: the list moved under us, or paging is broken."""


def bad_answer(method: str, path: str, what: str) -> errors.ApiError:
    """The error for an answer gsctl refuses to read further."""
    return errors.ApiError(0, "bad_response", what, method=method, path=path)


@dataclass
class PageGuard:
    """What one paged read has seen so far; :meth:`add` raises on a hostile page."""

    path: str
    max_pages: int
    seen: set[str] = field(default_factory=set)
    pages: int = 0
    count: int = 0  # items read
    totals: list[int] = field(default_factory=list)  # ``total`` of each page that had one

    def check_complete(self, page: dict[str, Any], read: int) -> None:
        """A page brought only objects already read (a server that ignores ``offset``): the
        list is complete unless a reported ``total`` says more objects exist."""
        total = page.get("total")
        if isinstance(total, int) and not isinstance(total, bool) and read < total:
            raise RepeatedPageError(
                0,
                "bad_response",
                f"page {self.pages + 1} repeats objects already read while total {total} "
                f"says {total - read} more exist; the server's paging does not advance",
                method="GET",
                path=self.path,
            )

    def add(self, items: list[Any], page: dict[str, Any], key: str = "uuid") -> None:
        """Record a page's items and ``total``; raise when paging must stop."""
        self.pages += 1
        total = page.get("total")
        if isinstance(total, int) and not isinstance(total, bool):
            self.totals.append(total)
        uuids = [str(o.get(key)) for o in items if isinstance(o, dict) and key in o]
        repeated = sorted(set(uuids) & self.seen)
        if repeated:
            raise RepeatedPageError(
                0,
                "bad_response",
                f"page {self.pages} repeats {len(repeated)} object(s) already read "
                f"(e.g. {repeated[0]}); the server's paging does not advance",
                method="GET",
                path=self.path,
            )
        self.seen.update(uuids)
        self.count += len(items)
        if self.totals and self.count > max(self.totals):
            raise bad_answer(
                "GET",
                self.path,
                f"read {self.count} objects but the server reported total {max(self.totals)}",
            )
        if self.pages >= self.max_pages and page.get("has_more") is not False:
            raise bad_answer(
                "GET", self.path, f"more than {self.max_pages} pages; refusing to read further"
            )

    @property
    def consistent(self) -> bool:
        """True when the list did not change while it was read: every page reported the
        same ``total`` and it equals the objects read (or the server reported no total)."""
        if not self.totals:
            return True
        return len(set(self.totals)) == 1 and self.totals[-1] == self.count


class WaitBudget:
    """Seconds spent waiting before retries, shared by the threads of one client."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0
        self._lock = threading.Lock()

    def take(self, seconds: float) -> bool:
        """Book ``seconds`` of waiting; False (nothing booked) when it would exceed the limit."""
        with self._lock:
            if self.spent + seconds > self.limit:
                return False
            self.spent += seconds
            return True
