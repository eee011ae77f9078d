"""Running the emulator: :class:`EmulatorServer` (tests, ``--emulator``) and :func:`serve`.

``EmulatorServer(...).start()`` serves on loopback from a daemon thread (uvicorn, h11) on a
free port when ``port=0``, and returns its URL once it accepts connections. ``stop()`` closes
it quickly. :func:`serve` is the blocking entry point of ``gsctl emulator``.

The documented default key is ``gsctl-local-key`` (:data:`DEFAULT_API_KEY`): bound to no team,
so it may act on any team id, and on team 1 when no ``Team-ID`` is sent.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import uvicorn

from gsctl.emulator.app import Emulator, RequestRecord
from gsctl.emulator.auth import DEFAULT_API_KEY, KeyRing
from gsctl.emulator.contract import load_contract
from gsctl.emulator.dialect import DIALECTS, Dialect
from gsctl.emulator.faults import FaultInjector, RateLimiter
from gsctl.emulator.metrics import set_usage
from gsctl.emulator.rules import Rules
from gsctl.emulator.seed import apply_seed, read_seed_file, seed_team
from gsctl.emulator.store import Store

__all__ = ["DEFAULT_API_KEY", "EmulatorServer", "RequestRecord", "serve"]

_START_TIMEOUT = 10.0
_GRACE_SECONDS = 1.0


class EmulatorServer:
    """One emulated GetSales API with its own store (see the module docstring)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = ":memory:",
        api_keys: list[str] | None = None,
        rate_limit: int | None = None,
        fault_rate: float = 0.0,
        seed: int = 0,
        seed_file: str | None = None,
        dialect: str | Dialect = "contract",
    ) -> None:
        self.host = host
        self.dialect = DIALECTS[dialect] if isinstance(dialect, str) else dialect
        self.port = port
        self.url = ""
        contract = load_contract()
        self.store = Store(db)
        rules = Rules(
            contract,
            self.store,
            new_flow_status=self.dialect.new_flow_status,
            flow_priority_default=self.dialect.flow_priority_default,
        )
        real_stages = self.dialect.precreated_stages
        self.store.on_new_team = lambda team: seed_team(rules, team, real_stages=real_stages)
        self._faults = FaultInjector(fault_rate, seed)
        self._limiter = RateLimiter()
        self._limiter.set_limit(rate_limit)
        self._emulator = Emulator(
            contract,
            self.store,
            rules,
            KeyRing(api_keys),
            self._limiter,
            self._faults,
            self.dialect,
        )
        self.requests: list[RequestRecord] = self._emulator.requests
        if seed_file:
            apply_seed(rules, read_seed_file(seed_file))
        self._rules = rules
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._error: BaseException | None = None

    # -- runtime controls --------------------------------------------------------------

    @property
    def slow_seconds(self) -> float:
        """Delay of the ``slow`` fault (default 2 s)."""
        return self._faults.slow_seconds

    @slow_seconds.setter
    def slow_seconds(self, value: float) -> None:
        self._faults.slow_seconds = value

    def set_faults(self, rate: float, seed: int, kinds: Sequence[str] | None = None) -> None:
        """Change the fault rate and seed at runtime; ``kinds`` restricts the fault types."""
        self._faults.configure(rate, seed, kinds)

    def set_rate_limit(self, per_minute: int | None) -> None:
        """Change the per-key limit (requests per minute; None = off) at runtime."""
        self._limiter.set_limit(per_minute)

    def set_usage(self, team: int, kind: str, ident: dict[str, Any], **counts: int) -> None:
        """Seed usage counts (``leads_count=...``) on the object ``ident`` names (uuid or
        name, plus object for stages), as ``PUT /_emulator/usage`` does."""
        set_usage(self._rules, team, kind, ident, counts)

    # -- lifecycle ---------------------------------------------------------------------

    def _uvicorn(self) -> uvicorn.Server:
        config = uvicorn.Config(
            self._emulator.asgi,
            log_level="warning",
            lifespan="off",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            http="h11",
        )
        return uvicorn.Server(config)

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
        # the listener's proto says TCP; without it every keep-alive answer waits ~40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        port = sock.getsockname()[1]
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.url = f"http://{host}:{port}"
        return sock

    def start(self) -> str:
        """Serve from a daemon thread; returns the URL once the server accepts connections."""
        if self._thread is not None:
            return self.url
        sock = self._bind()
        self._server = self._uvicorn()
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name="gsctl-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if (
                self._error is not None
                or not self._thread.is_alive()
                or time.monotonic() > deadline
            ):
                sock.close()
                raise RuntimeError("the emulator did not start") from self._error
            time.sleep(0.002)
        return self.url

    def _run(self, sock: socket.socket) -> None:
        try:
            asyncio.run(self._main(sock))
        except BaseException as exc:  # reported by start()
            self._error = exc

    async def _main(self, sock: socket.socket) -> None:
        server = self._server
        assert server is not None
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        config = server.config
        if not config.loaded:
            config.load()
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        await server.on_tick(0)
        await self._stop_event.wait()
        await _fast_shutdown(server)
        sock.close()

    def stop(self) -> None:
        """Stop serving (quickly: idle connections are closed, busy ones get 1 s)."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
        thread.join(timeout=5.0)
        self._thread = None

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the current thread until interrupted (Ctrl-C / SIGTERM).

        ``on_ready`` is called with the URL once the port is bound.
        """
        sock = self._bind()
        if on_ready is not None:
            on_ready(self.url)
        self._server = self._uvicorn()
        self._server.run(sockets=[sock])

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def _fast_shutdown(server: uvicorn.Server) -> None:
    """uvicorn's shutdown without its fixed 0.1 s sleeps."""
    for listener in server.servers:
        listener.close()
    for connection in list(server.server_state.connections):
        connection.shutdown()
    deadline = time.monotonic() + _GRACE_SECONDS
    while server.server_state.tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    for task in list(server.server_state.tasks):
        task.cancel()
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.close()
    await asyncio.sleep(0)


def serve(
    host: str = "127.0.0.1",
    port: int = 8484,
    db: str = ":memory:",
    api_keys: list[str] | None = None,
    rate_limit: int | None = None,
    fault_rate: float = 0.0,
    seed: int = 0,
    seed_file: str | None = None,
    dialect: str = "contract",
) -> None:
    """Blocking entry point of ``gsctl emulator``: one line on stderr, then serve."""
    server = EmulatorServer(
        host=host,
        port=port,
        db=db,
        api_keys=api_keys,
        rate_limit=rate_limit,
        fault_rate=fault_rate,
        seed=seed,
        seed_file=seed_file,
        dialect=dialect,
    )
    keys = server._emulator.keys
    who = (
        f"API key: {DEFAULT_API_KEY}" if keys.has_default else f"{len(keys)} API key(s) configured"
    )

    def announce(url: str) -> None:
        shown = f"; {dialect} dialect" if dialect != "contract" else ""
        sys.stderr.write(f"gsctl emulator serving {url} ({who}{shown}; Ctrl-C to stop)\n")
        sys.stderr.flush()

    server.serve_forever(announce)
