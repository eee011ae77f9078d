"""Reading list endpoints page by page: the list reads of :class:`~gsctl.api.client.Client`.

``list_all`` reads a whole list in turn, with every bound of :mod:`gsctl.api.bounds` (page
guard, re-reads of a list that changed while it was read); ``list_page`` reads one page for
callers that read pages in parallel and check the whole themselves
(:func:`gsctl.reconcile.live.fetch`). Every page is ``{data: [...]}`` or a bare array whose
items pass the contract guard.
"""

from __future__ import annotations

from typing import Any

from gsctl.api import guard, kinds, wire
from gsctl.api.bounds import PageGuard, ReadLimits, RepeatedPageError, bad_answer
from gsctl.api.calls import LIST_DEFAULTS, Page


class PagedReads:
    """List reads over the client's ``_call`` (one call with retries) and ``_emit`` (-v log)."""

    limits: ReadLimits

    def _call(self, method: str, path: str, *, params: dict[str, str] | None = None) -> Any:
        raise NotImplementedError

    def _emit(self, line: str) -> None:
        raise NotImplementedError

    def list_all(
        self, path: str, params: dict[str, str] | None = None, *, key: str = "uuid"
    ) -> list[dict[str, Any]]:
        """Every object of a list endpoint: pages of ``MAX_PAGE`` by offset, oldest first.

        A page is ``{data: [...]}`` or a bare array. Stops when ``has_more`` is false (else
        when ``offset`` reaches ``total``, else on a short page), or when a page brings only
        objects already seen (a server that ignores ``offset``). Every item must be an object
        with an identity, ``key`` (:mod:`gsctl.api.guard`).
        A list that changed while it was read (``total`` moved, or differs from the objects
        read) is read again, at most ``limits.list_attempts`` times; hostile paging raises
        (see :class:`~gsctl.api.bounds.PageGuard`).
        """
        attempts = max(1, self.limits.list_attempts)
        for attempt in range(1, attempts + 1):
            pages = PageGuard(path, self.limits.max_pages)
            try:
                items = self._list_pages(path, params, pages, key)
            except RepeatedPageError as exc:  # objects shifted forward, or a broken server
                if attempt == attempts:
                    raise
                self._emit(f"{exc}; reading it again ({attempt}/{attempts})")
                continue
            if pages.consistent:
                return items
            self._emit(
                f"GET {path}: the list changed while it was read (total {pages.totals[-1]}, "
                f"{pages.count} read); reading it again ({attempt}/{attempts})"
            )
        raise bad_answer(
            "GET", path, f"the list kept changing while it was read ({attempts} attempts)"
        )

    def _list_pages(
        self, path: str, params: dict[str, str] | None, pages: PageGuard, key: str
    ) -> list[dict[str, Any]]:
        """One paged read of a list; ``pages`` sees every page."""
        out: list[dict[str, Any]] = []
        seen: set[Any] = set()
        while True:
            data, meta = self._page(path, params, len(out), key)
            fresh = [o for o in data if o[key] not in seen]
            if data and not fresh:  # the server ignores offset: unless total says otherwise
                pages.check_complete(meta, len(out))
                return out
            pages.add(data, meta, key)
            seen.update(o[key] for o in fresh)
            out.extend(fresh)
            if not fresh or not wire.has_more(meta, len(out), len(data)):
                return out

    def _page(
        self, path: str, params: dict[str, str] | None, offset: int, key: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(items, page metadata) at ``offset``: ``{data: [...]}`` or a bare array, every item
        an object with ``key`` (the guard)."""
        query = {**LIST_DEFAULTS, **(params or {}), "limit": str(kinds.MAX_PAGE)}
        page = self._call("GET", path, params={**query, "offset": str(offset)})
        data = guard.list_answer("GET", path, page, key)
        return data, page if isinstance(page, dict) else {}

    def list_page(
        self, path: str, params: dict[str, str] | None = None, offset: int = 0, *, key: str = "uuid"
    ) -> Page:
        """One page of a list endpoint at ``offset`` (``MAX_PAGE`` objects, oldest first), for
        readers that fetch pages in parallel and check the whole themselves."""
        data, meta = self._page(path, params, offset, key)
        more = bool(data) and wire.has_more(meta, offset + len(data), len(data))
        total = meta.get("total")
        return Page(data, more=more, total=total if type(total) is int else None)
