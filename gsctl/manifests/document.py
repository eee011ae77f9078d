"""A loaded manifest document and the problems found in it (no YAML here: see ``loader.py``).

A :class:`Document` holds the plain data (dicts, lists, str, int, float, bool, None) plus
``values`` and ``keys``, two maps from a path within the document
(``("flows", 0, "nodes", 2, "payload", "tag")``) to the 1-based :class:`~gsctl.model.Origin`
of the value and of its mapping key. Only the locations of the sections and items (paths of up
to ``TOP_DEPTH`` steps, ``top_values``/``top_keys``) are recorded while loading; the full maps
are built from the kept text, by the loader's ``locate``, the first time a message needs one
(a second parse, paid only by a document with a problem).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gsctl.model import Origin

TOP_DEPTH = 2  # origins recorded while loading: sections (1 step) and items (2 steps)

Path = tuple[Any, ...]
Origins = dict[Path, Origin]
Locator = Callable[[str, str], tuple[Origins, Origins]]  # (text, file path) -> values, keys


@dataclass(frozen=True)
class Problem:
    """A located problem found while reading or checking one document.

    ``path`` is the path of the offending value within the document; ``at_key`` locates it at
    the mapping key instead (unknown or duplicate keys); ``origin`` overrides both.
    """

    path: Path
    message: str
    at_key: bool = False
    origin: Origin | None = None


class Document:
    """One loaded manifest file: plain data plus the origin of every value and key."""

    def __init__(
        self,
        path: str,
        data: Any,
        values: dict[Path, Origin] | None = None,
        keys: dict[Path, Origin] | None = None,
        *,
        text: str | None = None,
        locate: Locator | None = None,
    ) -> None:
        """With ``text`` and ``locate`` and no ``values``: the full maps are built by
        ``locate(text, path)`` when first used."""
        self.path = path
        self.data = data
        self._values = values
        self._keys = keys
        self._text = text
        self._locate = locate
        self.top_values: dict[Path, Origin] = {}  # paths of up to TOP_DEPTH steps
        self.finite = False  # True: every number was checked to be finite while loading
        self.interpolates = True  # False: no string holds "${" (checked while loading)
        self.top_keys: dict[Path, Origin] = {}
        if values is not None and keys is not None:
            self.top_values = {p: o for p, o in values.items() if len(p) <= TOP_DEPTH}
            self.top_keys = {p: o for p, o in keys.items() if len(p) <= TOP_DEPTH}

    def __repr__(self) -> str:
        return f"Document({self.path!r})"

    @property
    def values(self) -> dict[Path, Origin]:
        """Origin of every value by path (built on first use)."""
        return self._index()[0]

    @property
    def keys(self) -> dict[Path, Origin]:
        """Origin of every mapping key by the path of its value (built on first use)."""
        return self._index()[1]

    def _index(self) -> tuple[dict[Path, Origin], dict[Path, Origin]]:
        if self._values is None or self._keys is None:
            located = self._locate(self._text or "", self.path) if self._locate else ({}, {})
            self._values, self._keys = located
            self._text = None
        return self._values, self._keys

    def origin(self, path: Path, *, at_key: bool = False) -> Origin:
        """Origin of the key (if ``at_key`` and known) or value at ``path``, else its parent's."""
        if len(path) <= TOP_DEPTH and not at_key and path in self.top_values:
            return self.top_values[path]
        values, keys = self._index()
        if at_key and path in keys:
            return keys[path]
        while path not in values and path:
            path = path[:-1]
        return values.get(path, Origin(self.path, 1, 1))
