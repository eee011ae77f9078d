"""Parallel list pages in live.fetch: over HTTP against a slow emulator, and the paging edge
cases (no total, a list that grows while it is read, errors) on a small in-memory lister."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gsctl import errors
from gsctl.api import kinds
from gsctl.api.calls import Page
from gsctl.api.client import Client
from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer
from gsctl.reconcile import live

TAGS = kinds.KINDS["tag"].collection


def test_slow_api_pages_are_read_in_parallel(tmp_path: Path) -> None:
    """850 tags = 9 pages at 0.4 s each: one after another >= 3.6 s; in parallel ~0.8 s."""
    seed = tmp_path / "seed.json"
    tags = [{"name": f"tag-{i:04d}"} for i in range(850)]
    seed.write_text(json.dumps({"teams": {"1": {"tags": tags}}}))
    with EmulatorServer(seed_file=str(seed), latency=(0.4, 0.4)) as server:
        with Client(server.url, DEFAULT_API_KEY, 1, rate_limit=None) as client:
            started = time.monotonic()
            state = live.fetch(client, ["tag", "webhook"], parallelism=8)
            took = time.monotonic() - started
        pages = [r for r in server.requests if r.path == TAGS]
    assert [t.name for t in state.resources["tag"]] == [t["name"] for t in tags]
    assert sorted(int(r.query.split("offset=")[1].split("&")[0]) for r in pages) == list(
        range(0, 900, 100)
    )
    assert state.resources["webhook"] == []
    assert took < 2.4, f"took {took:.2f} s: pages were not read in parallel"


class Lister:
    """A list endpoint in memory: pages of 100, ``total`` told or not, growing on demand."""

    def __init__(self, n: int, *, tell_total: bool = True, grow_by: int = 0) -> None:
        self.objects = [{"uuid": f"u{i}", "name": f"tag-{i:04d}"} for i in range(n)]
        self.tell_total = tell_total
        self.grow_by = grow_by
        self.offsets: list[int] = []
        self.lock = threading.Lock()

    def list_page(self, path: str, params: dict[str, str] | None, offset: int) -> Page:
        assert path == TAGS and params is None
        with self.lock:
            self.offsets.append(offset)
            if offset > 0 and self.grow_by:  # objects appear once the first page was read
                start = len(self.objects)
                self.objects += [
                    {"uuid": f"u{i}", "name": f"tag-{i:04d}"}
                    for i in range(start, start + self.grow_by)
                ]
                self.grow_by = 0
            data = self.objects[offset : offset + 100]
            more = offset + len(data) < len(self.objects)
            return Page(data, more=more, total=len(self.objects) if self.tell_total else None)

    def list_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The client's careful read: page after page from offset 0 (no growth this time)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.list_page(path, params, len(out))
            out += page.items
            if not page.more:
                return out

    def get_flow_version(self, version_uuid: str) -> dict[str, Any]:
        raise AssertionError("not asked")


@pytest.mark.parametrize(
    ("n", "tell_total", "grow_by", "offsets"),
    [
        (0, True, 0, [0]),
        (100, True, 0, [0]),
        (250, True, 0, [0, 100, 200]),
        # no total: the first page cannot say how many follow; the list is read again in turn
        (250, False, 0, [0, 0, 100, 200]),
        # grew to 370 after the first page: pages 0-200 in parallel do not add up to the
        # total, so the list is read again in turn (0-300)
        (250, True, 120, [0, 0, 100, 100, 200, 200, 300]),
    ],
)
def test_every_object_once_in_order(
    n: int, tell_total: bool, grow_by: int, offsets: list[int]
) -> None:
    lister = Lister(n, tell_total=tell_total, grow_by=grow_by)
    state = live.fetch(lister, ["tag"], parallelism=4)
    names = [t.name for t in state.resources["tag"]]
    assert names == [f"tag-{i:04d}" for i in range(n + grow_by)]
    assert sorted(lister.offsets) == offsets


def test_pages_ahead_are_capped() -> None:
    lister = Lister(0)
    first = Page([{"uuid": "x"}] * 100, more=True, total=10**9)
    ahead = live._offsets(first)
    assert len(ahead) == live.MAX_PAGES_AHEAD
    assert (ahead[0], ahead[-1]) == (100, 100 * live.MAX_PAGES_AHEAD)
    assert lister.offsets == []


def test_an_error_on_a_page_stops_the_read_and_cancels_queued_pages() -> None:
    class Failing(Lister):
        def list_page(self, path: str, params: dict[str, str] | None, offset: int) -> Page:
            if offset == 100:
                raise errors.AuthError(401, "unauthorized", "no", method="GET", path=path)
            time.sleep(0.01)
            return super().list_page(path, params, offset)

    lister = Failing(5000)
    with pytest.raises(errors.AuthError):
        live.fetch(lister, ["tag"], parallelism=2)
    assert len(lister.offsets) < 49  # queued pages were cancelled, not all read
