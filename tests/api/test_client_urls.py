"""Request URLs: a list page reuses its path merged with the base URL, and what reaches the
server is exactly what httpx made of the path and the query parameters before."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
from conftest import StubServer, send_json

from gsctl.api import client as client_module
from gsctl.api.calls import Call
from gsctl.api.client import Client
from gsctl.emulator import DEFAULT_API_KEY

Stub = Callable[[dict[str, Callable[[Any], None]]], StubServer]


def page(handler: Any) -> None:
    send_json(handler, 200, {"data": [], "total": 0, "has_more": False})


def targets(server: StubServer) -> list[str]:
    return [path for _, path, _ in server.requests]


def test_query_parameters_reach_the_server_encoded_as_before(stub_server: Stub) -> None:
    server = stub_server({"*": page})
    with Client(server.url + "/v1", DEFAULT_API_KEY, 1, rate_limit=None) as client:
        params = {"filter[name]": "a b&c=é", "limit": "5"}
        client.read("/leads/api/tags", params)
        client.read("/leads/api/tags", {"limit": "6"})  # the merged path is reused
        client.read("leads/api/lists", params)  # no leading slash: under the base path too
        client.read("/x?keep=1")  # no parameters: the path's own query stays
        client.read("/x?keep=1", {"a": "1"})  # parameters replace it, as httpx does
    assert targets(server) == [
        "/v1/leads/api/tags?filter%5Bname%5D=a+b%26c%3D%C3%A9&limit=5",
        "/v1/leads/api/tags?limit=6",
        "/v1/leads/api/lists?filter%5Bname%5D=a+b%26c%3D%C3%A9&limit=5",
        "/v1/x?keep=1",
        "/v1/x?a=1",
    ]


def test_list_pages_of_many_paths_past_the_kept_urls(stub_server: Stub) -> None:
    server = stub_server({"*": page})
    count = client_module.MAX_KEPT_URLS + 3
    with Client(server.url, DEFAULT_API_KEY, 1, rate_limit=None) as client:
        for i in range(count):
            client.list_page(f"/p{i}", {"f": str(i)}, 100)
        assert len(client._urls) == client_module.MAX_KEPT_URLS
        client.list_page(f"/p{count - 1}", {"f": "again"}, 200)
    expected = [
        f"/p{i}?order_field=created_at&order_type=asc&f={i}&limit=100&offset=100"
        for i in range(count)
    ]
    expected.append(
        f"/p{count - 1}?order_field=created_at&order_type=asc&f=again&limit=100&offset=200"
    )
    assert targets(server) == expected


def test_requests_are_the_ones_httpx_builds() -> None:
    """Random paths and parameters (reserved, non-ASCII and control characters): the same
    URL, headers and body as ``httpx.Client.build_request`` gives, or the same refusal."""
    rng = random.Random(16)
    chars = "aZ09 -_.~!*'();:@&=+$,/?#[]%é€\t\"<>\\^`{|}"

    def text(most: int) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, most)))

    def shape(build: Callable[..., httpx.Request], *args: Any, **kwargs: Any) -> Any:
        try:
            request = build(*args, **kwargs)
        except httpx.InvalidURL as exc:
            return str(exc)
        return str(request.url), request.headers.raw, request.content

    with Client("https://api.example.com/base", DEFAULT_API_KEY, 3, rate_limit=None) as client:
        for _ in range(3000):
            path = "/" + text(10)
            params = rng.choice([None, {}, {text(6): text(8) for _ in range(rng.randint(1, 4))}])
            body = rng.choice([None, {"name": text(5)}])
            method = rng.choice(["GET", "POST"])
            ours = shape(client._request, Call(method, path, params, body))
            ref = shape(client._http.build_request, method, path, params=params, json=body)
            assert ours == ref, (path, params)


def test_a_verbose_client_logs_every_answer_with_its_query(stub_server: Stub) -> None:
    server = stub_server({"*": page})
    lines: list[str] = []
    with Client(server.url, DEFAULT_API_KEY, 1, rate_limit=None, verbose_log=lines.append) as c:
        c.read("/t", {"q": "a b"})
        c.read("/t")
    assert [line.split(" in ")[0] for line in lines] == ["GET /t?q=a+b -> 200", "GET /t -> 200"]
    assert all(line.endswith(" ms") for line in lines)
