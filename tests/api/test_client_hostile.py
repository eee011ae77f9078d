"""The client against hostile servers (stub server on 127.0.0.1): endless or repeated pages,
a giant body, a slow drip, a huge Retry-After, a 422 quoting the request body. Caps and
timeouts are tightened so every test runs in about a second."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import StubServer, send_json

from gsctl import errors
from gsctl.api.bounds import ReadLimits
from gsctl.api.client import Client
from gsctl.model import register_sensitive

KEY = "sk-hostile-KEY-91f3a0"
Stub = Callable[[dict[str, Callable[[Any], None]]], StubServer]


def client(url: str, **kw: Any) -> Client:
    kw.setdefault("limits", ReadLimits(max_pages=50, max_retry_after=0.05, max_wait=1.0))
    kw.setdefault("max_retries", 0)
    return Client(url, KEY, 1, rate_limit=None, backoff_base=0.01, backoff_cap=0.02, **kw)


def offset_of(handler: Any) -> int:
    query = handler.path.partition("?")[2]
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return int(params.get("offset", 0))


def test_endless_pages_stop_at_the_page_cap(stub_server: Stub) -> None:
    def endless(h: Any) -> None:  # new uuids on every page, has_more forever, no total
        start = offset_of(h)
        items = [{"uuid": f"u{start + i}", "name": f"t{start + i}"} for i in range(100)]
        send_json(h, 200, {"data": items, "has_more": True})

    server = stub_server({"/leads/api/tags": endless})
    with client(server.url) as c, pytest.raises(errors.ApiError) as info:
        c.list_all("/leads/api/tags")
    assert "GET /leads/api/tags" in str(info.value)
    assert "more than 50 pages" in str(info.value)
    assert len(server.requests) == 50


def test_a_repeated_page_stops_paging(stub_server: Stub) -> None:
    def same(h: Any) -> None:  # the first page again and again, though total says 1000
        items = [{"uuid": f"u{i}", "name": f"t{i}"} for i in range(100)]
        send_json(h, 200, {"data": items, "total": 1000, "has_more": True})

    server = stub_server({"/leads/api/tags": same})
    with client(server.url) as c, pytest.raises(errors.ApiError) as info:
        c.list_all("/leads/api/tags")
    assert "GET /leads/api/tags" in str(info.value)
    assert "page 2 repeats objects already read while total 1000 says 900 more" in str(info.value)
    assert len(server.requests) == 6  # read again twice (objects may shift), then refused


def test_a_page_repeating_some_objects_is_read_again_then_refused(stub_server: Stub) -> None:
    def shifted(h: Any) -> None:  # page 2 starts with the last object of page 1, forever
        start = offset_of(h) - (1 if offset_of(h) else 0)
        items = [{"uuid": f"u{start + i}"} for i in range(100)]
        send_json(h, 200, {"data": items, "has_more": True})

    server = stub_server({"/leads/api/tags": shifted})
    with client(server.url) as c, pytest.raises(errors.ApiError) as info:
        c.list_all("/leads/api/tags")
    assert "page 2 repeats 1 object(s) already read (e.g. u99)" in str(info.value)
    assert len(server.requests) == 6


def test_more_objects_than_total_stops_paging(stub_server: Stub) -> None:
    def liar(h: Any) -> None:
        start = offset_of(h)
        items = [{"uuid": f"u{start + i}"} for i in range(100)]
        send_json(h, 200, {"data": items, "total": 150, "has_more": True})

    server = stub_server({"/leads/api/tags": liar})
    with client(server.url) as c, pytest.raises(errors.ApiError, match="read 200 objects but"):
        c.list_all("/leads/api/tags")


def test_a_list_whose_total_keeps_moving_is_read_again_then_refused(stub_server: Stub) -> None:
    calls = {"n": 0}

    def shifting(h: Any) -> None:  # total differs on every request
        calls["n"] += 1
        send_json(h, 200, {"data": [{"uuid": "a"}], "total": calls["n"] + 1, "has_more": False})

    server = stub_server({"/leads/api/tags": shifting})
    lines: list[str] = []
    limits = ReadLimits(list_attempts=3)
    changing = r"kept changing .*\(3 attempts\)"
    with (
        client(server.url, limits=limits, verbose_log=lines.append) as c,
        pytest.raises(errors.ApiError, match=changing),
    ):
        c.list_all("/leads/api/tags")
    assert len(server.requests) == 3
    assert sum("reading it again" in line for line in lines) == 3


def test_a_giant_body_is_refused_without_reading_it_all(stub_server: Stub) -> None:
    sent = {"bytes": 0}

    def giant(h: Any) -> None:  # no Content-Length: streamed until the client hangs up
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        h.wfile.write(b'{"data": ["')
        chunk = b"x" * 65536
        for _ in range(2000):  # 128 MB if nobody stops it
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    server = stub_server({"/big": giant})
    limits = ReadLimits(max_body_bytes=1024 * 1024)
    with client(server.url, limits=limits) as c, pytest.raises(errors.ApiError) as info:
        c.get("/big")
    assert "GET /big" in str(info.value)
    assert "larger than 1 MB" in str(info.value)
    assert sent["bytes"] < 64 * 1024 * 1024


def test_a_declared_giant_body_is_refused_up_front(stub_server: Stub) -> None:
    def declared(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(10**9))
        h.end_headers()

    server = stub_server({"/big": declared})
    limits = ReadLimits(max_body_bytes=1024 * 1024)
    with client(server.url, limits=limits) as c, pytest.raises(errors.ApiError, match="larger"):
        c.get("/big")


def test_a_slow_drip_ends_at_the_timeout_not_per_read(stub_server: Stub) -> None:
    def drip(h: Any) -> None:  # one byte every 0.2 s: each read is quick, the answer never ends
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.2)

    server = stub_server({"/drip": drip})
    started = time.monotonic()
    with client(server.url, timeout=1.0) as c, pytest.raises(errors.TransportError) as info:
        c.get("/drip")
    took = time.monotonic() - started
    assert took < 2.5, took  # per-read timeouts would never fire: each byte comes in 0.2 s
    assert "not complete within 1 s" in str(info.value)


def test_a_huge_retry_after_is_capped_announced_and_bounded(stub_server: Stub) -> None:
    def limited(h: Any) -> None:
        send_json(h, 429, {"error": {"reason": "too_many_requests"}}, {"Retry-After": "999999"})

    server = stub_server({"/leads/api/tags": limited})
    notes: list[str] = []
    limits = ReadLimits(max_retry_after=0.3, max_wait=1.0, announce_after=0.0)
    started = time.monotonic()
    with (
        client(server.url, limits=limits, max_retries=10, notify=notes.append) as c,
        pytest.raises(errors.GsctlError) as info,
    ):
        c.list_all("/leads/api/tags")
    took = time.monotonic() - started
    # 0.3 s per wait (not 999999 s); the fourth wait would pass the 1 s budget: give up
    assert 0.8 < took < 2.0, took
    assert len(server.requests) == 4
    assert "gave up" in str(info.value) and "GET /leads/api/tags" in str(info.value)
    assert info.value.exit_code == 1
    assert len(notes) == 3
    assert notes[0] == (
        "rate limited by the API; waiting 0.3 s before retrying GET /leads/api/tags "
        "(429 too_many_requests; retry 1 of 10)"
    )


def test_a_422_echoing_the_request_body_leaks_no_secret(stub_server: Stub) -> None:
    token = "tok-ENV-5e1c77aa"
    llm_key = "sk-llm-ENV-0c9d22bb"

    def echo(h: Any) -> None:  # quotes the request body back, as some servers do
        _, _, sent = server.requests[-1]
        text = sent.decode()
        send_json(h, 422, {"error": {"reason": "invalid", "message": text, "data": {"x": [text]}}})

    server = stub_server({"/c": echo})
    register_sensitive(llm_key)  # what interpolation does with every ${env:...} value
    register_sensitive(token)
    lines: list[str] = []
    body = {"api_key": llm_key, "url": f"https://h/?token={token}"}
    with client(server.url, verbose_log=lines.append) as c, pytest.raises(errors.ApiError) as e:
        c.create("/c", body)
    shown = str(e.value) + repr(e.value) + "\n".join(lines)
    assert token not in shown and llm_key not in shown and KEY not in shown
    assert "(sensitive)" in str(e.value)
