"""Shared fixtures: real emulators on loopback, one fresh in-memory database per test.

- ``emulator``: a started :class:`EmulatorServer` with default options (key
  ``gsctl-local-key``, any team, team 1 by default), stopped after the test.
- ``emulator_factory(**kwargs)``: start more servers with any ``EmulatorServer`` options; all
  are stopped at teardown.
- ``api``: an ``httpx.Client`` on ``emulator`` with the default key (no Team-ID: team 1).
- ``client_for(server, key=..., team=...)``: more clients; all closed at teardown.
- Every test gets its own empty user cache (``XDG_CACHE_HOME``), so the flow-version cache
  never carries anything from one test to another, nor into the user's home.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("GSCTL_NO_CACHE", raising=False)


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    servers: list[EmulatorServer] = []

    def make(**kwargs: Any) -> EmulatorServer:
        server = EmulatorServer(**kwargs)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory()


@pytest.fixture
def client_for() -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(
        server: EmulatorServer, key: str | None = DEFAULT_API_KEY, team: int | None = None
    ) -> httpx.Client:
        headers = {}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if team is not None:
            headers["Team-ID"] = str(team)
        client = httpx.Client(base_url=server.url, headers=headers, timeout=10.0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(emulator: EmulatorServer, client_for: Callable[..., httpx.Client]) -> httpx.Client:
    return client_for(emulator)


class StubApi:
    """A tiny HTTP server on 127.0.0.1 answering canned JSON, for shapes the emulator never
    produces. ``answers[(method, path)] = (status, body)``; a body of ``None`` is sent empty.
    Unknown GETs answer an empty list page; anything else 404. ``requests`` logs
    (method, path) pairs."""

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                stub.requests.append((self.command, path))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                default = (200, {"data": []}) if self.command == "GET" else (404, None)
                status, body = stub.answers.get((self.command, path), default)
                raw = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


@pytest.fixture
def stub_api() -> Iterator[StubApi]:
    stub = StubApi()
    yield stub
    stub.stop()


class StubServer:
    """A tiny HTTP server on 127.0.0.1 for hostile answers the emulator never gives.

    ``routes`` maps a path (query string stripped; ``"*"``: any other path) to a function
    that writes the whole answer with the ``BaseHTTPRequestHandler`` it gets.
    """

    def __init__(self, routes: dict[str, Callable[[Any], None]]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.routes = routes
        self.requests: list[tuple[str, str, bytes]] = []  # method, path with query, body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.command, self.path, body))
                path = self.path.split("?")[0]
                route = outer.routes.get(path) or outer.routes.get("*")
                if route is None:
                    self.send_error(404)
                    return
                # the client may hang up mid-answer: that is what these tests want
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def send_json(handler: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """Write one complete JSON answer from a :class:`StubServer` route."""
    import json

    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def stub_server() -> Iterator[Callable[[dict[str, Callable[[Any], None]]], StubServer]]:
    """``stub_server(routes)`` starts a :class:`StubServer`; all are stopped at teardown."""
    servers: list[StubServer] = []

    def make(routes: dict[str, Callable[[Any], None]]) -> StubServer:
        servers.append(StubServer(routes))
        return servers[-1]

    yield make
    for server in servers:
        server.close()
