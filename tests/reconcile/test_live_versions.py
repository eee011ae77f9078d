"""Flow versions in live.fetch over HTTP: cached ones are read from disk, only the others
from the API, and every flow gets its own version whatever mix of hits and misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e import api

from gsctl import errors
from gsctl.api.client import Client
from gsctl.api.versioncache import VersionCache
from gsctl.emulator import DEFAULT_API_KEY
from gsctl.reconcile import live

SCHEDULE = {"timezone": "UTC", "timeblocks": []}


def make_flows(emulator: Any, count: int) -> list[dict[str, Any]]:
    body = {"use_sender_schedule": True, "schedule": SCHEDULE}
    return [
        api(emulator, "POST", "/flows/api/flows", {**body, "name": f"F{i}"}) for i in range(count)
    ]


def version_reads(emulator: Any, start: int) -> list[str]:
    return [
        r.path.rsplit("/", 1)[1]
        for r in emulator.requests[start:]
        if r.method == "GET" and r.path.startswith("/flows/api/flow-versions/")
    ]


def fetch(emulator: Any, cache: VersionCache) -> live.LiveState:
    with Client(emulator.url, DEFAULT_API_KEY, 1, rate_limit=None) as client:
        return live.fetch(client, ["flow"], parallelism=3, versions=cache)


def test_hits_and_misses_each_go_to_their_own_flow(emulator: Any, tmp_path: Path) -> None:
    flows = make_flows(emulator, 5)
    cache = VersionCache(tmp_path)
    fetch(emulator, cache)  # fills the cache
    for flow in (flows[1], flows[3]):  # two misses between hits
        path = cache.path(flow["flow_version_uuid"])
        assert path is not None
        path.unlink()
    start = len(emulator.requests)
    state = fetch(emulator, cache)
    expected = sorted([flows[1]["flow_version_uuid"], flows[3]["flow_version_uuid"]])
    assert sorted(version_reads(emulator, start)) == expected
    assert list(state.versions) == [f["uuid"] for f in flows]  # in the flows' order
    for flow in flows:
        version = state.versions[flow["uuid"]]
        assert version["uuid"] == flow["flow_version_uuid"]
        assert version["flow_uuid"] == flow["uuid"]
    assert [r.fields["nodes"][0]["type"] for r in state.resources["flow"]] == ["end"] * 5


def test_a_cached_version_of_another_flow_stops_the_fetch(emulator: Any, tmp_path: Path) -> None:
    first, second = make_flows(emulator, 2)
    cache = VersionCache(tmp_path)
    fetch(emulator, cache)
    wrong = cache.get(second["flow_version_uuid"])
    assert wrong is not None and wrong["flow_uuid"] == second["uuid"]
    cache.put(first["flow_version_uuid"], wrong)  # the entry of F0 now says it is F1's
    with pytest.raises(errors.UnexpectedAnswerError) as caught:
        fetch(emulator, cache)
    assert caught.value.message == (
        f"GET /flows/api/flow-versions/{first['flow_version_uuid']}: unexpected answer: "
        "flow_uuid: expected the uuid of the flow naming it, got another uuid"
    )


def test_live_resources_have_no_source_location(emulator: Any, tmp_path: Path) -> None:
    make_flows(emulator, 2)
    state = fetch(emulator, VersionCache(tmp_path))
    for res in state.resources["flow"]:
        assert dict(res.origins) == {} and res.origin is None
        assert res.origin_of(("nodes", 0, "payload")) is None
    assert state.resources["flow"][0].origins is state.resources["flow"][1].origins  # shared


def test_a_failed_read_stops_the_other_reads_and_keeps_the_earlier_ones(
    emulator: Any, tmp_path: Path
) -> None:
    flows = make_flows(emulator, 40)
    lost = flows[5]["flow_version_uuid"]
    assert emulator.store.remove(1, "flow_version", lost)  # its GET now answers 404
    cache = VersionCache(tmp_path)
    start = len(emulator.requests)
    with pytest.raises(errors.ApiError) as caught:
        fetch(emulator, cache)
    assert lost in caught.value.message and "404" in caught.value.message
    reads = version_reads(emulator, start)
    # parallelism 3: the reads already started when the 6th failed, not all 40
    assert lost in reads and len(reads) <= 5 + 1 + 3 * 2
    # the versions read and used before the failure are cached; the lost one is not
    for flow in flows[:5]:
        assert cache.get(flow["flow_version_uuid"]) is not None
    assert cache.get(lost) is None
