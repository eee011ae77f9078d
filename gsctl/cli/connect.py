"""A client for the configured API, or for the embedded emulator with ``--emulator``.

The embedded emulator keeps its state in ``.gsctl/emulator.db``, found upward from the working
directory as git finds ``.git`` (a new ``.gsctl/`` is made in the working directory when there
is none); ``GSCTL_EMULATOR_DB`` names the database file instead. Every ``--emulator`` run says
on stderr which database and team it uses.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.errors import Interrupted, UsageError
from gsctl.reconcile.workflow import RunConfig

STATE_DIR = ".gsctl"
DB_NAME = "emulator.db"
DB_ENV = "GSCTL_EMULATOR_DB"


def emulator_db(cwd: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """The embedded emulator's database: ``$GSCTL_EMULATOR_DB``, else ``.gsctl/emulator.db``
    in the nearest directory upward from ``cwd`` that has a ``.gsctl/`` folder, else in
    ``cwd`` itself (created on first use)."""
    environ = os.environ if env is None else env
    if environ.get(DB_ENV):
        return Path(environ[DB_ENV]).expanduser().absolute()
    here = (cwd or Path.cwd()).absolute()
    for parent in [here, *here.parents]:
        if (parent / STATE_DIR).is_dir():
            return parent / STATE_DIR / DB_NAME
    return here / STATE_DIR / DB_NAME


@contextlib.contextmanager
def connect(cfg: RunConfig, team_id: int | None) -> Iterator[Client]:
    """A client for the configured API, or for the embedded emulator with ``--emulator``."""
    if cfg.emulator:
        with _embedded(cfg, team_id or 1) as client:
            yield from _session(client)
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


@contextlib.contextmanager
def _embedded(cfg: RunConfig, team: int) -> Iterator[Client]:
    from gsctl.emulator.server import DEFAULT_API_KEY, EmulatorServer

    db = emulator_db()
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        server = EmulatorServer(db=str(db))
    except OSError as exc:
        raise UsageError(f"cannot open the emulator database {db}: {exc.strerror}") from None
    click.echo(f"emulator: database {_shown(db)}, team {team}", err=True)
    if _empty(server.store, team):
        click.echo(f"note: team {team} is empty in this emulator", err=True)
    url = server.start()
    try:
        with _client(cfg, url, DEFAULT_API_KEY, team) as client:
            yield client
    finally:
        server.stop()


def _empty(store: Any, team: int) -> bool:
    """True when ``team`` holds no object of a managed kind (a new team's native stages,
    sender profiles and lists do not count): it has never been written to."""
    for k in kinds.MANAGED:
        for obj in store.all(team, k.name):
            if not (k.name == "pipeline_stage" and obj.get("name") in kinds.NATIVE_STAGE_NAMES):
                return False
    return True


def _shown(db: Path) -> str:
    """``db`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(db.relative_to(Path.cwd().absolute()))
    except ValueError:
        return str(db)


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
