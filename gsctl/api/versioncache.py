"""An on-disk cache of flow versions: immutable snapshots, so a plan reads each one once.

Contract:
- Where: ``$XDG_CACHE_HOME/gsctl`` (an absolute path), else ``~/.cache/gsctl``, then
  ``flow-versions/<api host>/<team>/<version uuid>.json``. The host is the URL's host and port
  only (never user info or path); the team is the id, or ``default`` when none was given.
- What: one JSON file per version, ``{"format": 1, "uuid": ..., "version": {...}}``: the
  version object as the API answered it, nothing else (no key, no header). Directories are
  created mode 0700, files mode 0600, written to a temporary file and renamed into place.
- Bad entries: a missing, unreadable, corrupt or truncated file, one of another format or for
  another uuid, reads as ``None`` (a miss: the caller reads the API and ``put`` overwrites
  it). Writing problems are ignored too: the cache only ever saves requests.
- Bypass: ``refresh=True`` (``--refresh``) makes every ``get`` a miss but still stores what was
  read; ``GSCTL_NO_CACHE=1`` turns the cache off completely (no read, no write).
- Version uuids that are not plain ``[A-Za-z0-9-]`` tokens are never used as file names.

Usage (what a plan does per flow whose steps it needs)::

    cache = VersionCache.for_api(api_url, team_id, refresh=cfg.refresh, environ=cfg.environ())
    version = cache.get(flow["flow_version_uuid"])
    if version is None:
        version = client.get_flow_version(flow["flow_version_uuid"])
        cache.put(flow["flow_version_uuid"], version)
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FORMAT = 1
NO_CACHE_ENV = "GSCTL_NO_CACHE"
_SAFE_UUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,99}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9.-]")


def cache_root(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/gsctl`` when that is an absolute path, else ``~/.cache/gsctl``."""
    xdg = environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "gsctl"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".cache" / "gsctl"


def host_key(api_url: str) -> str:
    """The API's host and port as a directory name: ``amazing.getsales.io``, ``127.0.0.1_8484``."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "unknown").lower()
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return _UNSAFE_CHARS.sub("_", host)


class VersionCache:
    """Flow versions of one API host and team on disk (see the module docstring)."""

    def __init__(self, directory: Path | None, *, read: bool = True) -> None:
        """``directory`` None: a disabled cache (every ``get`` misses, ``put`` does nothing)."""
        self.directory = directory
        self.read = read and directory is not None
        self._folder = str(directory)

    @classmethod
    def for_api(
        cls,
        api_url: str,
        team_id: int | None,
        *,
        refresh: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> VersionCache:
        """The cache of ``api_url`` and ``team_id``, honouring ``--refresh`` and GSCTL_NO_CACHE."""
        env = os.environ if environ is None else environ
        if env.get(NO_CACHE_ENV, "") == "1":
            return cls(None)
        team = "default" if team_id is None else str(int(team_id))
        directory = cache_root(env) / "flow-versions" / host_key(api_url) / team
        return cls(directory, read=not refresh)

    def __repr__(self) -> str:
        return f"VersionCache({str(self.directory)!r}, read={self.read})"

    def path(self, version_uuid: str) -> Path | None:
        """The entry's file, or None when the cache is off or the uuid is not a safe name."""
        if self.directory is None or not _SAFE_UUID.match(version_uuid or ""):
            return None
        return self.directory / f"{version_uuid}.json"

    def get(self, version_uuid: str) -> dict[str, Any] | None:
        """The cached version, or None (a miss, a bad entry, a bypassed or disabled cache)."""
        if not self.read or not _SAFE_UUID.match(version_uuid or ""):
            return None
        path = os.path.join(self._folder, f"{version_uuid}.json")  # a plan reads 1000s
        try:
            entry = json.loads(_read_file(path))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        version = entry.get("version")
        if entry.get("uuid") != version_uuid or not isinstance(version, dict):
            return None
        return version

    def put(self, version_uuid: str, version: dict[str, Any]) -> bool:
        """Store ``version`` atomically (mode 0600); False when not stored (never raises)."""
        path = self.path(version_uuid)
        if path is None or not isinstance(version, dict):
            return False
        try:
            data = json.dumps({"format": FORMAT, "uuid": version_uuid, "version": version})
        except (TypeError, ValueError):
            return False
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_atomic(path, data.encode())
        except OSError:
            return False
        return True


def _read_file(path: str | Path) -> bytes:
    """The file's bytes in four system calls (open, fstat, read, close): a plan reads one
    entry per flow, and ``Path.read_bytes`` costs twice as much per small file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # not inherited (PEP 446)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]  # the file grew since fstat: read on to its end
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a fresh 0600 file next to ``path`` and rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
