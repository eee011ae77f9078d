"""A client for the configured API, or for the embedded emulator with ``--emulator``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from gsctl.api.client import Client
from gsctl.errors import Interrupted, UsageError
from gsctl.reconcile.workflow import RunConfig

EMULATOR_DB = Path(".gsctl") / "emulator.db"


@contextlib.contextmanager
def connect(cfg: RunConfig, team_id: int | None) -> Iterator[Client]:
    """A client for the configured API, or for the embedded emulator with ``--emulator``."""
    if cfg.emulator:
        from gsctl.emulator.server import DEFAULT_API_KEY, EmulatorServer

        EMULATOR_DB.parent.mkdir(parents=True, exist_ok=True)
        server = EmulatorServer(db=str(EMULATOR_DB))
        url = server.start()
        try:
            with _client(cfg, url, DEFAULT_API_KEY, team_id or 1) as client:
                yield from _session(client)
        finally:
            server.stop()
        return
    if not cfg.api_key:
        raise UsageError("no API key: set GETSALES_API_KEY or pass --api-key (or use --emulator)")
    with _client(cfg, cfg.api_url, cfg.api_key, team_id) as client:
        yield from _session(client)


def _session(client: Client) -> Iterator[Client]:
    """Hand out ``client``; Ctrl-C says whether any write had been sent by then."""
    try:
        yield client
    except KeyboardInterrupt:
        raise Interrupted(wrote=client.stats.writes > 0) from None


def _client(cfg: RunConfig, url: str, key: str, team_id: int | None) -> Client:
    return Client(
        url,
        key,
        team_id,
        rate_limit=cfg.rate_limit,
        timeout=cfg.timeout,
        verbose_log=cfg.verbose_log,
        limits=cfg.limits,
        notify=cfg.notify,
    )


def api_url_of(cfg: RunConfig, client: Client) -> str:
    return "emulator" if cfg.emulator else cfg.api_url
