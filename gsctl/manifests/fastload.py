"""The common manifest, straight from libyaml's parser events to plain data (no ``import
yaml``: ``loader.py`` hands in the parser and the event classes).

Composing nodes first (:mod:`gsctl.manifests.nodes`) costs about twice as much as reading the
events: every node is a Python object, its scalars resolved one call at a time. This module
builds the data directly, for the documents that need none of the node path's care: one
mapping document with no anchors, aliases, merge keys or explicit tags, no duplicate or
non-string keys, no non-finite numbers, no lone surrogates, no empty value that hides an
unquoted ``#`` and nesting well inside the loader's limit. Anything else raises
:class:`Unusual` before any data escapes, and the loader falls back to the node path, which
words every problem exactly as before. So a document read here equals what the node path
reads (data, key order and the origins of sections and items).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from sys import intern
from typing import Any

from gsctl.manifests.document import TOP_DEPTH, Origins, Path
from gsctl.manifests.nodes import TAG, hidden_comment
from gsctl.model import Origin

_TYPED = {TAG + "int", TAG + "float"}
_NULL = TAG + "null"
_INT = TAG + "int"
_BOOL = TAG + "bool"


class Unusual(Exception):
    """The document needs the node path (a feature or a problem this module does not handle)."""


@dataclass(frozen=True)
class Events:
    """libyaml's event classes and resolvers, as ``loader.py`` sees them."""

    scalar: Any
    mapping_start: Any
    sequence_start: Any
    mapping_end: Any
    sequence_end: Any
    document_end: Any
    stream_end: Any
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]  # first character -> (tag, regexp)
    construct: Callable[[str, str], Any]  # (tag, text) -> value, ValueError when invalid
    booleans: dict[str, bool]  # YAML 1.1 boolean words (lower case) as the constructor reads them


@dataclass
class Loaded:
    data: dict[str, Any]
    values: Origins  # origins of values at paths of up to TOP_DEPTH steps
    keys: Origins
    interpolates: bool  # False: no string holds "${" (interpolation would change nothing)


def load(get_event: Callable[[], Any], ev: Events, text: str, path: str, max_depth: int) -> Loaded:
    """Read the document ``text`` of file ``path`` from ``get_event`` (a parser of ``text``,
    positioned before the stream start).

    Raises :class:`Unusual` for anything the node path must read instead."""
    get_event()  # stream start
    get_event()  # document start
    first: Any = get_event()
    if first.__class__ is not ev.mapping_start or first.anchor is not None or first.tag:
        raise Unusual
    reader = _Reader(ev, text, path, max_depth)
    data: dict[str, Any] = {}
    reader.values[()] = _origin(path, first)
    reader.mapping(get_event, data, (), 0)
    if get_event().__class__ is not ev.document_end or get_event().__class__ is not ev.stream_end:
        raise Unusual
    return Loaded(data, reader.values, reader.keys, reader.interpolates)


def _origin(path: str, event: Any) -> Origin:
    mark = event.start_mark
    return Origin(path, mark.line + 1, mark.column + 1)


class _Reader:
    def __init__(self, ev: Events, text: str, path: str, max_depth: int) -> None:
        self.ev = ev
        self.resolvers = ev.resolvers
        self.text = text
        self.path = path
        self.depth_limit = max_depth - 2  # leave the limit's own wording to the node path
        self.values: Origins = {}
        self.keys: Origins = {}
        self.interpolates = False  # some string holds "${"
        self.known_keys: dict[str, str] = {}  # plain key text -> the key it reads as

    def mapping(
        self, get_event: Callable[[], Any], out: dict[str, Any], at: Path, depth: int
    ) -> None:
        """Fill ``out``, the mapping at ``at`` (exact up to ``TOP_DEPTH`` steps) and nesting
        level ``depth``, with its entries up to its end event."""
        ev, located = self.ev, depth < TOP_DEPTH
        while True:
            key_event = get_event()
            if key_event.__class__ is ev.mapping_end:
                return
            if key_event.__class__ is not ev.scalar:
                raise Unusual  # a collection as a key
            key = self.known_keys.get(key_event.value) if key_event.implicit[0] else None
            if key is None or key_event.anchor is not None or key_event.tag is not None:
                key = self._key(key_event)
            if key in out:
                raise Unusual  # a duplicate key
            event = get_event()
            if located:
                sub = (*at, key)
                self.keys[sub] = _origin(self.path, key_event)
                out[key] = self.value(get_event, event, sub, depth + 1)
            elif event.__class__ is ev.scalar:  # the most common entry, read in line
                out[key] = self.scalar_value(event)
            else:
                out[key] = self.value(get_event, event, at, depth + 1)

    def _key(self, event: Any) -> str:
        key = self.scalar(event)
        if key.__class__ is not str:
            raise Unusual  # a merge (<<) or a key read as a number, boolean or null
        key = intern(key)  # one "name" for every item, not one each
        if event.implicit[0]:
            self.known_keys[event.value] = key
        return key

    def sequence(self, get_event: Callable[[], Any], out: list[Any], at: Path, depth: int) -> None:
        end, located = self.ev.sequence_end, depth < TOP_DEPTH
        while True:
            event = get_event()
            if event.__class__ is end:
                return
            sub = (*at, len(out)) if located else at
            out.append(self.value(get_event, event, sub, depth + 1))

    def value(self, get_event: Callable[[], Any], event: Any, at: Path, depth: int) -> Any:
        """The value that starts with ``event``, at nesting level ``depth``."""
        ev = self.ev
        if depth <= TOP_DEPTH:
            self.values[at] = _origin(self.path, event)
        cls = event.__class__
        if cls is ev.scalar:
            return self.scalar_value(event)
        if event.anchor is not None or event.tag or depth >= self.depth_limit:
            raise Unusual  # an alias, an anchor, an explicit tag (!!omap), or deep nesting
        if cls is ev.mapping_start:
            mapping: dict[str, Any] = {}
            self.mapping(get_event, mapping, at, depth)
            return mapping
        if cls is ev.sequence_start:
            items: list[Any] = []
            self.sequence(get_event, items, at, depth)
            return items
        raise Unusual  # pragma: no cover - any other event is an alias (caught above)

    def scalar_value(self, event: Any) -> Any:
        """A scalar in a value's place: an empty one must not hide an unquoted ``#word``
        (``key: #F4A300``), which the node path words."""
        value = self.scalar(event)
        empty = value is None and event.value == ""
        if empty and hidden_comment(self.text, event.start_mark.index) is not None:
            raise Unusual
        return value

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise Unusual
        text = event.value
        if event.implicit[0]:  # plain: resolved by its first character, as PyYAML does
            for tag, rx in self.resolvers.get(text[:1], ()):
                if rx.match(text):
                    return self._typed(tag, text)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise Unusual from None  # a lone surrogate escape
        if "${" in text:
            self.interpolates = True
        return text

    def _typed(self, tag: str, text: str) -> Any:
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return self.ev.booleans[text.lower()]
        if tag == _INT and text.isdecimal() and (text[0] != "0" or text == "0"):
            return int(text)
        if tag not in _TYPED:
            raise Unusual  # merge key, "=" or another tag the node path words
        try:
            value = self.ev.construct(tag, text)
        except (ValueError, TypeError):
            raise Unusual from None
        if isinstance(value, float) and not math.isfinite(value):
            raise Unusual  # reported by the validator's finite-number check
        return value
