"""Client checks that need no emulator: URL safety, repr, unreachable hosts, and answers the
emulator never gives (non-JSON bodies, 503/504, HTTP-date Retry-After, bare arrays), served by
a small scripted HTTP server on loopback."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gsctl import errors
from gsctl.api import kinds
from gsctl.api.bounds import ReadLimits
from gsctl.api.client import Client
from gsctl.api.wire import is_loopback

KEY = "sk-test-SECRET-4b1d9e"


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://10.0.0.5:8484",
        "http://127.example.com",
        "ftp://127.0.0.1",
        "not a url",
        "https://user:pw@amazing.getsales.io",
    ],
)
def test_refuses_unsafe_base_url_without_leaking_the_key(url: str) -> None:
    with pytest.raises(errors.UsageError) as info:
        Client(url, KEY, 1)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "no API key given"),
        ("   ", "no API key given"),
        ("sk-a b", "the API key contains whitespace or control characters"),
        ("sk-a\x00b", "the API key contains whitespace or control characters"),
        ("sk-a\nb", "the API key contains whitespace or control characters"),
    ],
)
def test_refuses_a_missing_or_unsendable_key(key: str, message: str) -> None:
    with pytest.raises(errors.UsageError) as info:
        Client("https://amazing.getsales.io", key, 1)
    assert info.value.message == message


def test_key_is_used_without_surrounding_blanks() -> None:
    with Client("https://amazing.getsales.io", f"  {KEY}\n", 1) as client:
        assert client._key == KEY


def test_plain_http_message_names_the_host() -> None:
    with pytest.raises(errors.UsageError, match=r"api\.example\.com.*https"):
        Client("http://api.example.com", KEY, 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://amazing.getsales.io",
        "https://amazing.getsales.io/",
        "http://127.0.0.1:8484",
        "http://127.5.6.7",
        "http://localhost:9000",
        "http://[::1]:8484",
    ],
)
def test_accepts_https_and_loopback_http(url: str) -> None:
    with Client(url, KEY, 7) as client:
        assert not client.base_url.endswith("/")
        assert KEY not in repr(client)
        assert "7" in repr(client)


def test_is_loopback() -> None:
    assert is_loopback("localhost")
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("getsales.io")


@pytest.mark.parametrize("key", ["", "   ", "abc def", "abc\ndef"])
def test_refuses_unusable_keys(key: str) -> None:
    with pytest.raises(errors.UsageError) as info:
        Client("https://amazing.getsales.io", key, 1)
    assert "abc" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_host_retries_then_raises_transport_error() -> None:
    lines: list[str] = []
    url = f"http://127.0.0.1:{_closed_port()}"
    with Client(
        url, KEY, 1, rate_limit=None, max_retries=2, backoff_base=0.01, verbose_log=lines.append
    ) as client:
        with pytest.raises(errors.TransportError) as info:
            client.get("/leads/api/tags/x")
        # a connect error happened before anything was sent: a POST is retried as freely
        with pytest.raises(errors.TransportError):
            client.create("/leads/api/tags", {"name": "a"})
    text = str(info.value)
    assert "GET /leads/api/tags/x" in text
    assert KEY not in text and KEY not in repr(info.value)
    assert client.stats.requests == 6
    assert client.stats.retries == 4
    assert client.stats.by_method == {"GET": 3, "POST": 3}
    assert len(lines) == 6
    assert lines[0].startswith("GET /leads/api/tags/x -> ConnectError in ")
    assert "retry 1/2 after" in lines[0]
    assert all(KEY not in line for line in lines)


# ----- a scripted loopback server for answers the emulator never gives ---------------------

Answer = tuple[int, str, bytes, dict[str, str]]  # status, content type, body, extra headers


class Scripted:
    """A real HTTP server on loopback answering each path from a script (last answer repeats)."""

    def __init__(self, script: dict[str, list[Answer]]) -> None:
        self.script = script
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                path = self.path.split("?")[0]
                outer.seen.append((self.command, path, dict(self.headers)))
                answers = outer.script[path]
                status, ctype, body, extra = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[[dict[str, list[Answer]]], Scripted]]:
    servers: list[Scripted] = []

    def make(script: dict[str, list[Answer]]) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


JSON = "application/json"


def _client(url: str, **kw: Any) -> Client:
    return Client(url, KEY, 42, rate_limit=None, backoff_base=0.01, backoff_cap=0.02, **kw)


def test_headers_sent(scripted: Callable[..., Scripted]) -> None:
    server = scripted({"/id/api/users/current": [(200, JSON, b'{"id": 1}', {})]})
    with _client(server.url, user_agent="gsctl/test") as client:
        assert client.current_user() == {"id": 1}
    _, _, headers = server.seen[0]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Team-ID"] == "42"
    assert headers["Accept"] == JSON and headers["Content-Type"] == JSON
    assert headers["User-Agent"] == "gsctl/test"
    with Client(server.url, KEY, None) as client:
        assert client.current_user() == {"id": 1}
        assert client.limiter.per_minute == 300  # the default limit
    assert "Team-ID" not in server.seen[1][2]
    assert server.seen[1][2]["User-Agent"].startswith("gsctl/")


def test_non_json_error_bodies(scripted: Callable[..., Scripted]) -> None:
    html = b"<html><body>Bad gateway</body></html>"
    server = scripted(
        {
            "/html": [(502, "text/html", html, {})],
            "/text": [(400, "text/plain", b"plain failure\nmore", {})],
            "/empty": [(418, "text/plain", b"", {})],
            "/not-json-ok": [(200, "text/plain", b"hello", {})],
        }
    )
    with _client(server.url, max_retries=1) as client:
        with pytest.raises(errors.ApiError) as info:
            client.get("/html")
        assert (info.value.status, info.value.reason) == (502, "http_502")
        assert "Bad Gateway" in str(info.value) and "<html>" not in str(info.value)
        with pytest.raises(errors.ApiError) as info:
            client.get("/text")
        assert (info.value.reason, info.value.api_message) == ("http_400", "plain failure")
        with pytest.raises(errors.ApiError) as info:
            client.delete("/empty")
        assert info.value.reason == "http_418" and info.value.api_message
        with pytest.raises(errors.ApiError, match="not JSON"):
            client.get("/not-json-ok")
    assert [m for m, p, _ in server.seen].count("GET") == 4  # the 502 GET was retried once


def test_503_then_success_for_idempotent_calls(scripted: Callable[..., Scripted]) -> None:
    busy: Answer = (
        503,
        JSON,
        b'{"error": {"reason": "server_error", "message": "busy", "data": {}}}',
        {},
    )
    ok: Answer = (200, JSON, b'{"uuid": "u1"}', {})
    server = scripted({"/a": [busy, (504, JSON, b"{}", {}), ok], "/b": [busy, ok]})
    with _client(server.url) as client:
        assert client.get("/a") == {"uuid": "u1"}
        assert client.update("/b", {"x": 1}) == {"uuid": "u1"}
    assert client.stats.retries == 3 and client.stats.requests == 5


def test_429_with_http_date_retry_after_and_wrapped_create(
    scripted: Callable[..., Scripted],
) -> None:
    date = email.utils.formatdate(time.time() + 3600, usegmt=True)
    limited = (429, JSON, b"{}", {"Retry-After": date})
    server = scripted({"/c": [limited, (201, JSON, b'{"data": {"uuid": "u2", "name": "n"}}', {})]})
    lines: list[str] = []
    limits = ReadLimits(max_retry_after=0.02)
    with _client(server.url, verbose_log=lines.append, limits=limits) as client:
        assert client.create("/c", {"name": "n"}) == {"uuid": "u2", "name": "n"}
    assert "retry 1/5 after 0.02 s: 429 http_429" in lines[0]  # an hour, capped
    assert client.stats.rate_limited == 1


def test_one_flow_version_with_unknown_fields(scripted: Callable[..., Scripted]) -> None:
    path = kinds.FLOW_VERSION.format(uuid="v2")
    answer = b'{"uuid": "v2", "nodes": [{"id": 1, "type": "end", "new": 1}], "extra": {}}'
    server = scripted({path: [(200, JSON, answer, {})]})
    with _client(server.url) as client:
        assert client.get_flow_version("v2")["nodes"] == [{"id": 1, "type": "end", "new": 1}]
