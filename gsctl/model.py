"""Value types shared by every stage of the pipeline. No I/O here.

Both sides of a plan, desired (from manifests) and live (from the API), are lists of
:class:`Resource` in *manifest vocabulary*: references hold the target's name, secrets are
:class:`Secret` values. Identity is ``(kind, key)`` with ``key`` from ``kinds.natural_key``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True, slots=True)
class Origin:
    """Where a value was written: file path and 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Secret:
    """A sensitive string. It never prints its value; use :meth:`reveal` to send it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('(sensitive)')"

    def __str__(self) -> str:
        return "(sensitive)"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        if isinstance(other, str):
            return self._value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


SENSITIVE = "(sensitive)"

# Every sensitive value this process has seen (API key, ${env:} values, Secret values):
# :func:`redact` masks them in any text before it is shown or written.
MIN_SENSITIVE_LEN = 6  # shorter values would mask ordinary words; too short to be a secret
_NOT_SECRET = frozenset({"true", "false", "null", "none", "https://", "http://"})
_sensitive: set[str] = set()
_sensitive_lock = threading.Lock()
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{0,30}://)(?P<user>[^/@\s:]{0,256}):(?P<pw>[^/@\s]{0,1024})@"
)


def register_sensitive(value: str) -> None:
    """Remember ``value`` (and each of its lines) as sensitive for :func:`redact`."""
    if not isinstance(value, str):
        return
    parts = {value, *(line.strip() for line in value.splitlines())}
    kept = [
        p
        for p in parts
        if len(p) >= MIN_SENSITIVE_LEN
        and p.lower() not in _NOT_SECRET
        and not p.replace(".", "").isdigit()  # a number would mask unrelated numbers
    ]
    with _sensitive_lock:
        _sensitive.update(kept)


def redact(text: str) -> str:
    """``text`` with every registered sensitive value replaced by ``(sensitive)`` (longest
    first) and the password of any ``scheme://user:password@`` URL masked."""
    with _sensitive_lock:
        values = sorted(_sensitive, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, SENSITIVE)
    if "://" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{SENSITIVE}@", text)


def reveal(value: Any) -> Any:
    """Deep copy of ``value`` with every :class:`Secret` replaced by its clear value."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def mask(value: Any) -> Any:
    """Deep copy of ``value`` with every :class:`Secret` replaced by ``(sensitive)``."""
    if isinstance(value, Secret):
        return SENSITIVE
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(has_secret(v) for v in value)
    return False


_NO_ORIGINS: Mapping[tuple[Any, ...], Origin] = {}


class LazyOrigins(Mapping[tuple[Any, ...], "Origin"]):
    """Origins by path, computed by ``factory(*args)`` on first use: locating every value of a
    large manifest costs a second parse, paid only when a message needs a location. (No
    closure and no ``__dict__``: a large plan holds one per resource.)"""

    __slots__ = ("_args", "_data", "_factory")

    def __init__(
        self, factory: Callable[..., Mapping[tuple[Any, ...], Origin]], *args: Any
    ) -> None:
        self._factory: Callable[..., Mapping[tuple[Any, ...], Origin]] | None = factory
        self._args = args
        self._data = _NO_ORIGINS

    def _get(self) -> Mapping[tuple[Any, ...], Origin]:
        if self._factory is not None:
            self._data, self._factory = self._factory(*self._args), None
            self._args = ()
        return self._data

    def __getitem__(self, path: tuple[Any, ...]) -> Origin:
        return self._get()[path]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return "LazyOrigins(...)" if self._factory is not None else f"LazyOrigins({self._data!r})"


@dataclass(slots=True)  # a large plan holds two per object
class Resource:
    """One object of a managed kind, desired or live, in manifest vocabulary."""

    kind: str  # singular kind name, e.g. "tag"
    name: str  # display name (``object/name`` for per-object kinds)
    key: tuple[str, ...]  # natural key, case-folded where the API compares so
    fields: dict[str, Any]  # manifest fields (no control keys); refs by name
    origin: Origin | None = None  # where the item starts (desired only)
    # Origin of every value in the item by path within it: () is the item itself,
    # ("nodes", 2, "payload", "tag") a nested value. Desired resources only.
    origins: Mapping[tuple[Any, ...], Origin] = field(default_factory=dict)
    uuid: str | None = None  # live only
    renamed_from: str | None = None
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()

    def origin_of(self, path: tuple[Any, ...] = ()) -> Origin | None:
        """Origin of the value at ``path``, or of its nearest located parent."""
        while True:
            if path in self.origins:
                return self.origins[path]
            if not path:
                return self.origin
            path = path[:-1]

    @property
    def ident(self) -> tuple[str, tuple[str, ...]]:
        return (self.kind, self.key)


@dataclass(frozen=True)
class Settings:
    """The ``settings:`` block of the manifests (DESIGN section 4)."""

    teams: dict[str, int] = field(default_factory=dict)
    vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    prune: bool | tuple[str, ...] = False  # True, False, or the kinds to prune
    max_delete_percent: float = 30.0
    origin: Origin | None = None
    # Durable protection: (kind, NAME glob) pairs from settings.protect, as written.
    protect: tuple[tuple[str, str], ...] = ()

    def prunes(self, kind: str) -> bool:
        if isinstance(self.prune, bool):
            return self.prune
        return kind in self.prune


@dataclass
class Desired:
    """What the manifests declare, after interpolation for one team."""

    resources: list[Resource]
    settings: Settings
    files: list[str]  # the manifest files read, in load order
    mentioned_kinds: frozenset[str]  # kinds with a section in any file (even empty)
    warnings: list[Any] = field(default_factory=list)  # errors.Diagnostic, severity warning

    def by_kind(self, kind: str) -> list[Resource]:
        return [r for r in self.resources if r.kind == kind]
