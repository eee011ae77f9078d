"""Request URLs: a list page reuses its path merged with the base URL, and what reaches the
server is exactly what httpx made of the path and the query parameters before."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
from conftest import StubServer, send_json

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


def test_a_version_read_and_a_write_reach_their_paths(stub_server: Stub) -> None:
    def version(handler: Any) -> None:
        send_json(handler, 200, {"uuid": "u", "nodes": []})

    server = stub_server({"/api/leads/api/pipeline-stages": page, "*": version})
    with Client(server.url + "/api/", DEFAULT_API_KEY, 1, rate_limit=None) as client:
        client.get_flow_version("0b7f6a1e-2c3d")
        client.create("/leads/api/tags", {"name": "x"})
        client.list_page("/leads/api/pipeline-stages", {"filter[object]": "lead"}, 200)
    assert [(m, t, b) for m, t, b in server.requests] == [
        ("GET", "/api/flows/api/flow-versions/0b7f6a1e-2c3d", b""),
        ("POST", "/api/leads/api/tags", b'{"name":"x"}'),
        (
            "GET",
            "/api/leads/api/pipeline-stages?order_field=created_at&order_type=asc"
            "&filter%5Bobject%5D=lead&limit=100&offset=200",
            b"",
        ),
    ]


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

    bases = ["https://api.example.com/base", "http://127.0.0.1:8484", "https://h/a/b/"]
    bases += ["https://h/v1?x=1", "https://h/v1#f", "https://H.example.COM:443/x%20y"]
    pieces = ["/", "/", "a", "Z", "9", ".", "..", "-", "_", "~", "%", "?", "#", " ", "é"]
    for base in bases:
        with Client(base, DEFAULT_API_KEY, 3, rate_limit=None) as client:
            for _ in range(1500):
                path = rng.choice(
                    ["/" + text(10), "".join(rng.choices(pieces, k=rng.randint(0, 8)))]
                )
                params = rng.choice(
                    [None, {}, {text(6): text(8) for _ in range(rng.randint(1, 3))}]
                )
                body = rng.choice([None, {"name": text(5)}])
                method = rng.choice(["GET", "POST"])
                ours = shape(client._request, Call(method, path, params, body))
                ref = shape(client._http.build_request, method, path, params=params, json=body)
                assert ours == ref, (base, path, params)


def test_a_verbose_client_logs_every_answer_with_its_query(stub_server: Stub) -> None:
    server = stub_server({"*": page})
    lines: list[str] = []
    with Client(server.url, DEFAULT_API_KEY, 1, rate_limit=None, verbose_log=lines.append) as c:
        c.read("/t", {"q": "a b"})
        c.read("/t")
    assert [line.split(" in ")[0] for line in lines] == ["GET /t?q=a+b -> 200", "GET /t -> 200"]
    assert all(line.endswith(" ms") for line in lines)
