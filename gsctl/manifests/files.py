"""Finding manifest files and reading them as text (no YAML here: see ``manifest.py``)."""

from __future__ import annotations

import codecs
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


Position = tuple[int, int]  # 1-based line and column


def read_text(path: str) -> tuple[str | None, str, Position]:
    """``(text, "", (1, 1))``, or ``(None, why, where)`` when the file is unreadable, larger
    than :data:`MAX_FILE_BYTES`, binary (a NUL byte) or not UTF-8 (a BOM is allowed; ``where``
    is the line and column of the first invalid byte)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror}", (1, 1)
    if len(raw) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return None, f"file is larger than {limit} MiB; refusing to load it", (1, 1)
    if b"\0" in raw:
        return None, "binary file (contains a NUL byte); expected YAML text", (1, 1)
    try:
        return raw.decode("utf-8-sig"), "", (1, 1)
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if raw.startswith(codecs.BOM_UTF8) else 0)  # after the BOM
        line, column = byte_position(raw, start)
        why = f"file is not UTF-8 text (invalid byte 0x{raw[start]:02x} at line {line}, "
        return None, why + f"column {column})", (line, column)


def byte_position(raw: bytes, offset: int) -> Position:
    """Line and column (in characters, as editors count them) of the byte at ``offset``."""
    start = raw.rfind(b"\n", 0, offset) + 1
    before = raw[start:offset].decode("utf-8-sig" if start == 0 else "utf-8", errors="replace")
    return raw.count(b"\n", 0, offset) + 1, len(before) + 1
