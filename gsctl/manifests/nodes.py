"""Composed YAML nodes -> plain data, with origins and the loader's limits (no ``import yaml``:
``loader.py`` composes the nodes and hands in PyYAML's safe scalar constructor).

Nodes are told apart by their ``id`` (``"scalar"``, ``"sequence"``, ``"mapping"``), which every
PyYAML node class carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gsctl.manifests.document import Path, Problem
from gsctl.model import Origin

TAG = "tag:yaml.org,2002:"
STR = TAG + "str"
_SCALAR_TAGS = {TAG + t for t in ("str", "int", "float", "bool", "null")}
_COMMENT_VALUE = re.compile(r"#\S")


@dataclass(frozen=True)
class Limits:
    """Per-file limits (see ``loader.py``)."""

    depth: int
    alias_expansions: int
    alias_values: int


def hidden_comment(text: str, index: int) -> tuple[str, int] | None:
    """An empty value at ``index`` of ``text`` followed by an unquoted ``#word`` on its line
    (``color: #F4A300`` is an empty value plus a comment): the word and its offset from
    ``index``, else None."""
    end = text.find("\n", index)
    line = text[index : end if end >= 0 else len(text)]
    rest = line.lstrip()
    if not _COMMENT_VALUE.match(rest):
        return None
    return rest.split()[0], len(line) - len(rest)


def too_deep(depth: int) -> str:
    return f"refused: nesting deeper than {depth} levels (limit)"


def origin(path: str, mark: Any) -> Origin:
    return Origin(path, mark.line + 1, mark.column + 1)


class Fatal(Exception):
    """A problem that stops loading the file (limit, unsupported tag, bad value)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class Builder:
    """Turns composed nodes into plain data, recording origins and budget use."""

    def __init__(
        self, path: str, text: str, limits: Limits, constructor: Any, record: int | None = None
    ) -> None:
        self.path = path
        self.text = text
        self.limits = limits
        self.record = record if record is not None else limits.depth + 1  # longest path kept
        self.data: Any = None
        self.values: dict[Path, Origin] = {}
        self.keys: dict[Path, Origin] = {}
        self.problems: list[Problem] = []
        self.copied = 0  # values materialised through aliases
        self.copying = 0  # > 0 while converting the subtree of an alias
        self.aliases = 0
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.constructor = constructor  # PyYAML's SafeConstructor

    def build(self, node: Any, path: Path, depth: int = 0) -> Any:
        if node.id == "scalar":  # never an alias by itself, never recursive: only the budgets
            if depth >= self.limits.depth or self.copying:
                self._spend(node, depth)
            if depth <= self.record:
                self.values[path] = origin(self.path, node.start_mark)
            return self._scalar(node, path)
        alias = self._spend(node, depth)
        if depth <= self.record:
            self.values[path] = origin(self.path, node.start_mark)
        self.active.add(id(node))
        self.copying += alias
        try:
            if node.id == "sequence":
                self._check_tag(node, "seq")
                return [self.build(n, (*path, i), depth + 1) for i, n in enumerate(node.value)]
            self._check_tag(node, "map")
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
            self.copying -= alias

    def _spend(self, node: Any, depth: int) -> bool:
        """Check the limits before converting ``node``; True if it is an alias's copy."""
        if id(node) in self.active:
            raise Fatal("refused: recursive alias (a value that contains itself)", node.start_mark)
        if depth >= self.limits.depth:  # depth 0 is the root, level 1 for the composer
            raise Fatal(too_deep(self.limits.depth), node.start_mark)
        # a second use of an anchored collection is an alias (scalars are cheap to copy)
        alias = node.id != "scalar" and id(node) in self.seen
        if alias:
            self.aliases += 1
            if self.aliases > self.limits.alias_expansions:
                n = self.limits.alias_expansions
                msg = f"refused: more than {n} alias expansions (limit)"
                raise Fatal(msg, node.start_mark)
        if alias or self.copying:
            self.copied += 1
            if self.copied > self.limits.alias_values:
                n = self.limits.alias_values
                msg = f"refused: more than {n} values copied through aliases (limit)"
                raise Fatal(msg, node.start_mark)
        self.seen.add(id(node))
        return alias

    def _check_tag(self, node: Any, expected: str) -> None:
        if node.tag != TAG + expected:
            raise Fatal(f"unsupported YAML tag {node.tag!r}", node.start_mark)

    def _scalar(self, node: Any, path: Path) -> Any:
        if node.tag == STR and node.value.isascii():  # the common case, what
            return node.value  # SafeConstructor.construct_yaml_str returns
        if node.tag not in _SCALAR_TAGS:
            raise Fatal(f"unsupported YAML tag {node.tag!r}", node.start_mark)
        if node.tag == TAG + "null" and node.value == "" and not node.style:
            self._check_comment_value(node, path)
        if node.tag == STR:  # what SafeConstructor.construct_yaml_str returns
            value = node.value
        else:
            method = "construct_yaml_" + node.tag.rsplit(":", 1)[1]
            try:
                value = getattr(self.constructor, method)(node)
            except (ValueError, TypeError) as exc:
                msg = f"value {node.value!r} is not a valid {node.tag.rsplit(':', 1)[1]}"
                raise Fatal(msg, node.start_mark) from exc
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                msg = "invalid text: a lone surrogate escape (such as \\ud800) is not a character"
                raise Fatal(msg, node.start_mark) from None
        return value

    def _check_comment_value(self, node: Any, path: Path) -> None:
        """``color: #F4A300`` reads as an empty value plus a comment: say so."""
        found = hidden_comment(self.text, node.start_mark.index)
        if path and found is not None:
            word, offset = found
            mark = node.start_mark
            here = Origin(self.path, mark.line + 1, mark.column + 1 + offset)
            msg = (
                f"the value is empty because an unquoted {word} starts a YAML comment;"
                f' quote it: "{word}"'
            )
            self.problems.append(Problem(path, msg, origin=here))

    def _mapping(self, node: Any, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag == TAG + "merge":
                merges.append(value_node)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            sub = (*path, key)
            if key in out:
                first = self._first_key(node, key, sub)
                msg = f"duplicate key '{key}' (first at line {first.line}, column {first.column})"
                here = origin(self.path, key_node.start_mark)
                self.problems.append(Problem(sub, msg, origin=here))
                continue
            if depth < self.record:
                self.keys[sub] = origin(self.path, key_node.start_mark)
            out[key] = self.build(value_node, sub, depth + 1)
        for merge in merges:
            self._merge(merge, out, path, depth)
        return out

    def _key(self, node: Any, path: Path) -> str | None:
        if node.id != "scalar":
            msg = "a mapping key must be a plain string"
            self.problems.append(Problem(path, msg, origin=origin(self.path, node.start_mark)))
            return None
        value = self._scalar(node, path)
        if not isinstance(value, str):
            msg = f"mapping key {node.value!r} is read as a {_yaml_type(value)}; quote it"
            self.problems.append(Problem(path, msg, origin=origin(self.path, node.start_mark)))
            return None
        return value

    def _merge(self, node: Any, out: dict[str, Any], path: Path, depth: int) -> None:
        """``<<: *base`` or ``<<: [*a, *b]``: add the keys not already present (explicit keys
        and earlier sources win), keeping the origins of the merged source."""
        sources = node.value if node.id == "sequence" else [node]
        for src in sources:
            if src.id != "mapping":
                msg = "a merge key (<<) needs a mapping or a list of mappings"
                raise Fatal(msg, src.start_mark)
            alias = self._spend(src, depth + 1)
            self.copying += alias
            try:
                self._merge_entries(src, out, path, depth)
            finally:
                self.copying -= alias

    def _merge_entries(self, src: Any, out: dict[str, Any], path: Path, depth: int) -> None:
        for key_node, value_node in src.value:
            if key_node.tag == TAG + "merge":
                self._merge(value_node, out, path, depth)
                continue
            key = self._key(key_node, path)
            if key is None or key in out:
                continue
            sub = (*path, key)
            if depth < self.record:
                self.keys[sub] = origin(self.path, key_node.start_mark)
            out[key] = self.build(value_node, sub, depth + 1)

    def _first_key(self, node: Any, key: str, sub: Path) -> Origin:
        """Origin of the first ``key`` of a mapping (when origins at this depth are not kept)."""
        if sub in self.keys:
            return self.keys[sub]
        for key_node, _ in node.value:
            if key_node.id == "scalar" and key_node.value == key:
                return origin(self.path, key_node.start_mark)
        return origin(self.path, node.start_mark)  # pragma: no cover - the key was seen


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__
