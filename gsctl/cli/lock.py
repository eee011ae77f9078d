"""The local apply lock: one ``gsctl apply`` per team per checkout at a time.

``.gsctl/lock/team-<id>`` (``team-default`` without a team; ``.gsctl/`` is found upward from
the working directory as the emulator's state is, else made here) is held with an exclusive,
non-blocking ``flock`` for the whole apply; the operating system releases it when the
process ends, even after ``kill -9``, so a stale file never blocks. Other checkouts and CI
runners are not covered: CI uses ``concurrency:`` groups per team (see the README).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from gsctl.errors import UsageError

STATE_DIR = ".gsctl"


def lock_dir(cwd: Path | None = None) -> Path:
    """``.gsctl/lock`` in the nearest directory upward that has ``.gsctl/``, else in ``cwd``."""
    here = (cwd or Path.cwd()).absolute()
    for parent in [here, *here.parents]:
        if (parent / STATE_DIR).is_dir():
            return parent / STATE_DIR / "lock"
    return here / STATE_DIR / "lock"


@contextlib.contextmanager
def apply_lock(team_id: int | None, root: Path | None = None) -> Iterator[Path]:
    """Hold the apply lock of ``team_id``; raise ``UsageError`` when another process has it."""
    root = root or lock_dir()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no local lock
        yield root
        return
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"team-{team_id if team_id is not None else 'default'}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise UsageError(
                f"another gsctl apply on team {team_id if team_id is not None else '(default)'} "
                f"is running from this checkout ({holder}; lock {path}); wait for it to finish"
            ) from None
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
