"""Finding manifest files and reading them as text (no YAML here: see ``manifest.py``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from gsctl import errors

MAX_FILE_BYTES = 5 * 1024 * 1024
SUFFIXES = (".yaml", ".yml")


def find_files(paths: Sequence[str], skipped: list[str] | None = None) -> list[str]:
    """Manifest files under ``paths``: each file as given, each directory searched recursively
    for ``*.yaml``/``*.yml`` (hidden directories and files such as ``.git`` and ``.gsctl`` are
    skipped). Stable order: sorted within each directory, arguments in the order given, no
    duplicates. Raises :class:`~gsctl.errors.UsageError` for a path that does not exist or
    is not a regular file. In a directory, a ``*.yaml`` that is not a regular file (a named
    pipe, a socket, a device) is never opened: its path is added to ``skipped``."""
    found: list[str] = []
    for top in paths:
        if os.path.isfile(top):
            found.append(top)
        elif os.path.isdir(top):
            found.extend(_walk(top, skipped if skipped is not None else []))
        elif os.path.exists(top):
            raise errors.UsageError(f"{top}: not a regular file")
        else:
            raise errors.UsageError(f"{top}: no such file or directory")
    seen: set[str] = set()
    out = []
    for p in found:
        norm = os.path.normpath(p)
        if norm not in seen:
            seen.add(norm)
            out.append(p)
    return out


def _walk(top: str, skipped: list[str]) -> list[str]:
    out: list[str] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                path = os.path.join(root, name).removeprefix(os.curdir + os.sep)
                (out if os.path.isfile(path) else skipped).append(path)
    return out


def read_text(path: str) -> tuple[str | None, str]:
    """``(text, "")``, or ``(None, why)`` when the file is unreadable, larger than
    :data:`MAX_FILE_BYTES`, binary (a NUL byte) or not UTF-8 (a BOM is allowed)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror}"
    if len(raw) > MAX_FILE_BYTES:
        return (
            None,
            f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refusing to load it",
        )
    if b"\0" in raw:
        return None, "binary file (contains a NUL byte); expected YAML text"
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"file is not UTF-8 text (invalid byte at offset {exc.start})"
