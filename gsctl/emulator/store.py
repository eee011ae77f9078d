"""SQLite-backed object store of the emulator, with an in-memory working copy.

Objects are stored as they are served (API-shaped dicts) plus private keys starting with
``_`` (insertion sequence, secret hashes) that :func:`public` strips. SQLite (stdlib
``sqlite3``, one connection guarded by a re-entrant lock) is the durable copy; every object
is also kept in memory, indexed by team, kind and natural key, so lists and uniqueness
checks stay fast with tens of thousands of objects.

Contract for callers: never mutate a dict returned by :meth:`Store.get` or
:meth:`Store.all`; build a new dict and :meth:`Store.put` it. Group several writes in
``with store.transaction():`` to commit them together. Validate before writing: a
transaction is committed even when its block raises, so memory and disk stay equal.

Several processes may share one database file (two ``gsctl apply --emulator`` runs): every
write transaction is ``BEGIN IMMEDIATE`` (one writer at a time across processes) and first
reloads the working copy when another connection committed since (``PRAGMA data_version``),
so uniqueness checks see every process's objects; reads reload the same way.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KeyOf = Callable[[str, dict[str, Any]], tuple[str, ...] | None]
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    team_id INTEGER NOT NULL, kind TEXT NOT NULL, uuid TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (team_id, kind, uuid));
CREATE TABLE IF NOT EXISTS teams (team_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
"""


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """The API shape of a stored object: private ``_`` keys removed (shallow copy)."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _parse_ts(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Store:
    """Objects per (team, kind), persisted in SQLite at ``path`` (``:memory:`` by default)."""

    def __init__(self, path: str = ":memory:", *, key_of: KeyOf | None = None) -> None:
        self.path = path
        self.key_of: KeyOf = key_of or (lambda kind, obj: None)
        self.on_new_team: Callable[[int], None] | None = None
        self._lock = threading.RLock()
        self._depth = 0
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._shared = path != ":memory:"
        self._data_version = self._read_data_version()
        self._objs: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}
        self._index: dict[tuple[int, str, tuple[str, ...]], str] = {}
        self._versions: dict[tuple[int, str], int] = {}
        self._teams: dict[int, str] = {}
        self._seq = 0
        self._last = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        self._load()

    def _load(self) -> None:
        rows = self._conn.execute("SELECT team_id, kind, uuid, seq, data FROM objects ORDER BY seq")
        for team_id, kind, uuid, seq, data in rows:
            obj = json.loads(data)
            obj["_seq"] = seq
            self._objs.setdefault((team_id, kind), {})[uuid] = obj
            self._seq = max(self._seq, seq)
            for field in ("created_at", "updated_at"):
                ts = _parse_ts(obj.get(field))
                if ts and ts > self._last:
                    self._last = ts
        for (team_id, kind), bucket in self._objs.items():
            for uuid, obj in bucket.items():
                key = self.key_of(kind, obj)
                if key is not None:
                    self._index[(team_id, kind, key)] = uuid
        self._teams = dict(self._conn.execute("SELECT team_id, name FROM teams"))

    def _read_data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _sync(self) -> None:
        """Reload the working copy if another connection committed since (caller: lock)."""
        if not self._shared:
            return
        version = self._read_data_version()
        if version == self._data_version:
            return
        self._data_version = version
        keys = set(self._objs) | set(self._versions)
        self._objs, self._index = {}, {}
        self._load()
        for key in keys | set(self._objs):
            self._versions[key] = self._versions.get(key, 0) + 1

    def reindex(self) -> None:
        """Rebuild the natural-key index (after :attr:`key_of` is replaced)."""
        with self._lock:
            self._index.clear()
            for (team_id, kind), bucket in self._objs.items():
                for uuid, obj in bucket.items():
                    key = self.key_of(kind, obj)
                    if key is not None:
                        self._index[(team_id, kind, key)] = uuid

    # -- transactions and time ---------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and commit all writes of the block at once (nestable)."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
                self._sync()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("COMMIT")

    def now(self) -> str:
        """A UTC ISO 8601 timestamp strictly later than every one handed out before."""
        with self._lock:
            moment = dt.datetime.now(dt.UTC)
            if moment <= self._last:
                moment = self._last + dt.timedelta(microseconds=1)
            self._last = moment
            return moment.strftime(TS_FORMAT)

    # -- teams -------------------------------------------------------------------------

    def ensure_team(self, team_id: int) -> None:
        """Create the team on first use and run :attr:`on_new_team` for it (once, ever)."""
        if team_id in self._teams:
            return
        with self.transaction():
            if team_id in self._teams:
                return
            self._teams[team_id] = f"Team {team_id}"
            self._conn.execute(
                "INSERT OR REPLACE INTO teams VALUES (?, ?)", (team_id, self._teams[team_id])
            )
            if self.on_new_team is not None:
                self.on_new_team(team_id)

    def team_name(self, team_id: int) -> str:
        return self._teams.get(team_id, f"Team {team_id}")

    def set_team_name(self, team_id: int, name: str) -> None:
        self.ensure_team(team_id)
        with self.transaction():
            self._teams[team_id] = name
            self._conn.execute("UPDATE teams SET name = ? WHERE team_id = ?", (name, team_id))

    # -- objects -----------------------------------------------------------------------

    def get(self, team_id: int, kind: str, uuid: str) -> dict[str, Any] | None:
        with self._lock:
            if self._depth == 0:
                self._sync()
            return self._objs.get((team_id, kind), {}).get(uuid)

    def all(self, team_id: int, kind: str) -> list[dict[str, Any]]:
        """Objects of a kind in creation order (the stored dicts: do not mutate)."""
        with self._lock:
            if self._depth == 0:
                self._sync()
            return list(self._objs.get((team_id, kind), {}).values())

    def find(self, team_id: int, kind: str, key: tuple[str, ...]) -> dict[str, Any] | None:
        """The object holding natural key ``key`` (as :attr:`key_of` computes it)."""
        with self._lock:
            if self._depth == 0:
                self._sync()
            uuid = self._index.get((team_id, kind, key))
            return None if uuid is None else self.get(team_id, kind, uuid)

    def version(self, team_id: int, kind: str) -> int:
        """A counter that changes on every write to (team, kind), by any process."""
        with self._lock:
            if self._depth == 0:
                self._sync()
            return self._versions.get((team_id, kind), 0)

    def put(self, team_id: int, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace ``obj`` (keyed by its ``uuid``); returns it."""
        uuid = obj["uuid"]
        with self.transaction():
            bucket = self._objs.setdefault((team_id, kind), {})
            old = bucket.get(uuid)
            if old is None:
                self._seq += 1
                obj["_seq"] = self._seq
            else:
                obj["_seq"] = old["_seq"]
                self._unindex(team_id, kind, old)
            bucket[uuid] = obj
            key = self.key_of(kind, obj)
            if key is not None:
                self._index[(team_id, kind, key)] = uuid
            self._versions[(team_id, kind)] = self._versions.get((team_id, kind), 0) + 1
            stored = {k: v for k, v in obj.items() if k != "_seq"}
            self._conn.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)",
                (team_id, kind, uuid, obj["_seq"], json.dumps(stored, separators=(",", ":"))),
            )
        return obj

    def remove(self, team_id: int, kind: str, uuid: str) -> bool:
        """Delete one object; False when there was none."""
        with self.transaction():
            old = self._objs.get((team_id, kind), {}).pop(uuid, None)
            if old is None:
                return False
            self._unindex(team_id, kind, old)
            self._versions[(team_id, kind)] = self._versions.get((team_id, kind), 0) + 1
            self._conn.execute(
                "DELETE FROM objects WHERE team_id = ? AND kind = ? AND uuid = ?",
                (team_id, kind, uuid),
            )
        return True

    def _unindex(self, team_id: int, kind: str, obj: dict[str, Any]) -> None:
        key = self.key_of(kind, obj)
        if key is not None and self._index.get((team_id, kind, key)) == obj["uuid"]:
            del self._index[(team_id, kind, key)]

    # -- inspection (tests) ------------------------------------------------------------

    def objects(self, team_id: int, kind: str) -> list[dict[str, Any]]:
        """API-shaped deep copies of every object of ``kind`` in the team, oldest first.

        Kinds are named as in ``gsctl/kinds.py``, plus ``flow_version``.
        """
        self.ensure_team(team_id)
        return [copy.deepcopy(public(o)) for o in self.all(team_id, kind)]

    def raw_rows(self) -> list[tuple[Any, ...]]:
        """Every row of every table, exactly as SQLite holds it."""
        with self._lock:
            rows = list(self._conn.execute("SELECT * FROM objects ORDER BY seq"))
            rows += list(self._conn.execute("SELECT * FROM teams ORDER BY team_id"))
            return rows

    def close(self) -> None:
        with self._lock:
            self._conn.close()
