"""The on-disk flow-version cache: keying, file modes, bad entries, bypass switches."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from gsctl.api.versioncache import VersionCache, _read_file, cache_root, host_key

URL = "https://amazing.getsales.io"
V1 = "0b7f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
VERSION: dict[str, Any] = {
    "uuid": V1,
    "nodes": [{"id": 1, "type": "end", "payload": {"template": "Hi é"}}],
    "contact_sources": [],
}


def cache(tmp_path: Path, url: str = URL, team: int | None = 7, **kw: Any) -> VersionCache:
    return VersionCache.for_api(url, team, environ={"XDG_CACHE_HOME": str(tmp_path)}, **kw)


def test_round_trip_and_layout(tmp_path: Path) -> None:
    c = cache(tmp_path)
    assert c.get(V1) is None
    assert c.put(V1, VERSION) is True
    assert c.get(V1) == VERSION
    expected = tmp_path / "gsctl" / "flow-versions" / "amazing.getsales.io" / "7" / f"{V1}.json"
    assert c.path(V1) == expected
    assert json.loads(expected.read_text()) == {"format": 1, "uuid": V1, "version": VERSION}
    assert sorted(p.name for p in expected.parent.iterdir()) == [f"{V1}.json"]  # no temp left


def test_file_is_0600_directory_0700_and_holds_no_secret(tmp_path: Path) -> None:
    c = cache(tmp_path)
    c.put(V1, VERSION)
    path = c.path(V1)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    for word in ("Bearer", "api_key", "Authorization", "Team-ID"):
        assert word not in text


def test_keyed_by_host_port_and_team(tmp_path: Path) -> None:
    cache(tmp_path).put(V1, VERSION)
    assert cache(tmp_path, team=8).get(V1) is None
    assert cache(tmp_path, team=None).get(V1) is None
    assert cache(tmp_path, url="https://other.example.com").get(V1) is None
    assert cache(tmp_path, url="https://amazing.getsales.io:8443").get(V1) is None
    assert cache(tmp_path, url="https://amazing.getsales.io/").get(V1) == VERSION


def test_host_key_keeps_only_host_and_port() -> None:
    assert host_key("http://127.0.0.1:8484") == "127.0.0.1_8484"
    assert host_key("https://user:pw@API.Example.com/v1") == "api.example.com"
    assert host_key("http://[::1]:9000") == "__1_9000"


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b'{"format": 1, "uuid": "' + V1.encode() + b'", "version": {"nodes": [',  # truncated
        b"\xff\xfe not json",  # corrupt
        b"[1, 2]",  # not an object
        json.dumps({"format": 2, "uuid": V1, "version": VERSION}).encode(),  # other format
        json.dumps({"format": 1, "uuid": "other", "version": VERSION}).encode(),  # other uuid
        json.dumps({"format": 1, "uuid": V1, "version": [1]}).encode(),  # not a version
    ],
)
def test_bad_entries_are_misses_and_are_overwritten(tmp_path: Path, content: bytes) -> None:
    c = cache(tmp_path)
    c.put(V1, VERSION)
    path = c.path(V1)
    assert path is not None
    path.write_bytes(content)
    assert c.get(V1) is None
    assert c.put(V1, VERSION) is True
    assert c.get(V1) == VERSION


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    c = cache(tmp_path)
    c.put(V1, VERSION)
    path = c.path(V1)
    assert path is not None
    path.chmod(0)
    assert c.get(V1) is None


def test_a_directory_in_place_of_an_entry_is_a_miss_and_put_does_not_raise(
    tmp_path: Path,
) -> None:
    c = cache(tmp_path)
    path = c.path(V1)
    assert path is not None
    path.mkdir(parents=True)
    assert c.get(V1) is None
    assert c.put(V1, VERSION) is False


def test_refresh_misses_every_get_but_stores(tmp_path: Path) -> None:
    cache(tmp_path).put(V1, {"old": True})
    fresh = cache(tmp_path, refresh=True)
    assert fresh.get(V1) is None
    assert fresh.put(V1, VERSION) is True
    assert cache(tmp_path).get(V1) == VERSION


def test_no_cache_env_turns_it_off(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "GSCTL_NO_CACHE": "1"}
    cache(tmp_path).put(V1, VERSION)
    off = VersionCache.for_api(URL, 7, environ=env)
    assert off.get(V1) is None
    assert off.put("1c2d3e4f-0000-4000-8000-000000000000", VERSION) is False
    assert len(list(tmp_path.rglob("*.json"))) == 1


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "", ".hidden", "x" * 101, "a b"])
def test_unsafe_uuids_never_become_file_names(tmp_path: Path, bad: str) -> None:
    c = cache(tmp_path)
    assert c.put(bad, VERSION) is False
    assert c.get(bad) is None
    assert list(tmp_path.rglob("*")) == []


def test_cache_root_follows_xdg_then_home(tmp_path: Path) -> None:
    assert cache_root({"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"}) == Path("/x/cache/gsctl")
    assert cache_root({"XDG_CACHE_HOME": "relative", "HOME": "/h"}) == Path("/h/.cache/gsctl")
    assert cache_root({"HOME": "/h"}) == Path("/h/.cache/gsctl")


@pytest.mark.parametrize("size", [0, 1, 4095, 70_000])
def test_read_file_returns_the_whole_file(tmp_path: Path, size: int) -> None:
    path = tmp_path / "entry.json"
    data = bytes(i % 251 for i in range(size))
    path.write_bytes(data)
    assert _read_file(path) == data


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="needs Linux /proc")
def test_read_file_reads_past_a_size_that_says_less() -> None:
    """/proc files report size 0: the read goes on to the end of the file."""
    path = Path("/proc/version")
    assert path.stat().st_size == 0
    assert _read_file(path) == path.read_bytes() != b""
