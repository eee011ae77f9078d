"""Shared fixtures: real emulators on loopback, one fresh in-memory database per test.

- ``emulator``: a started :class:`EmulatorServer` with default options (key
  ``gsctl-local-key``, any team, team 1 by default), stopped after the test.
- ``emulator_factory(**kwargs)``: start more servers with any ``EmulatorServer`` options; all
  are stopped at teardown.
- ``api``: an ``httpx.Client`` on ``emulator`` with the default key (no Team-ID: team 1).
- ``client_for(server, key=..., team=...)``: more clients; all closed at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gsctl.emulator import DEFAULT_API_KEY, EmulatorServer


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
