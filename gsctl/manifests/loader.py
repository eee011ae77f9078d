"""Find, load and write manifest YAML. The only gsctl module that imports ``yaml``.

Loading keeps the source location of every value: a :class:`Document` holds the plain data
(dicts, lists, str, int, float, bool, None) plus ``values`` and ``keys``, two maps from a path
within the document (``("flows", 0, "nodes", 2, "payload", "tag")``) to the 1-based
:class:`~gsctl.model.Origin` of the value and of its mapping key.

Only safe YAML is read (PyYAML's SafeLoader nodes, converted by hand): no Python tags, no
custom tags, no ``!!binary``/``!!set``/``!!omap``; timestamps stay strings. Merge keys
(``<<: *anchor``) and aliases work. Problems that do not stop loading (duplicate keys, an
unquoted ``#colour`` read as a comment) come back as :class:`Problem` values next to the
document; problems that do (syntax, encoding, limits) come back as one located
:class:`~gsctl.errors.Diagnostic`.

Limits, per file (a file beyond one is refused with a message naming the limit):

- ``MAX_FILE_BYTES``: 5 MiB.
- ``MAX_DEPTH``: 100 levels of nested mappings and sequences (also counted through aliases).
- ``MAX_ALIAS_EXPANSIONS``: 10,000 alias uses while building the data, nested uses included
  (a "billion laughs" document needs millions).
- ``MAX_ALIAS_VALUES``: 250,000 values copied through aliases (one alias of a huge subtree
  used many times). Values written out in the file are bounded by its size.
- Text must be UTF-8 (a BOM is allowed) with no NUL byte; anything else is reported as one
  error (at the first invalid byte for non-UTF-8 text, else at line 1, column 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from gsctl import errors
from gsctl.manifests.files import read_text
from gsctl.model import Origin, Secret

MAX_DEPTH = 100
MAX_ALIAS_EXPANSIONS = 10_000
MAX_ALIAS_VALUES = 250_000

Path = tuple[Any, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_COMMENT_VALUE = re.compile(r"#\S")
_TOO_DEEP = f"refused: nesting deeper than {MAX_DEPTH} levels (limit)"


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


@dataclass
class Document:
    """One loaded manifest file: plain data plus the origin of every value and key."""

    path: str
    data: Any
    values: dict[Path, Origin] = field(default_factory=dict)
    keys: dict[Path, Origin] = field(default_factory=dict)

    def origin(self, path: Path, *, at_key: bool = False) -> Origin:
        """Origin of the key (if ``at_key`` and known) or value at ``path``, else its parent's."""
        if at_key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Origin(self.path, 1, 1))


class _Fatal(Exception):
    """A problem that stops loading the file (limit, unsupported tag, bad value)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting while composing (the composer is recursive)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Fatal(_TOO_DEEP, mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Timestamps stay strings; "=" (the YAML 1.1 value tag) has no safe constructor.
_RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TAG + "timestamp", _TAG + "value")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = _RESOLVERS

_CLoaderBase: Any = getattr(yaml, "CSafeLoader", None)
if _CLoaderBase is not None:

    class _CLoader(_CLoaderBase):
        """libyaml's parser and composer (several times faster), same resolvers."""

        yaml_implicit_resolvers = _RESOLVERS


def _compose_fast(text: str) -> Any:
    """Compose with libyaml when it is installed and the text is valid YAML within the depth
    limit; None means "use the pure-Python loader" (which words every error the same way).

    libyaml's composer recurses in C, so the depth is checked first over the parser's events,
    which is iterative and cheap."""
    if _CLoaderBase is None:
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_CLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth >= MAX_DEPTH:
                    return None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        loader = _CLoader(text)
        try:
            return loader.get_single_node() or None
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None


def load_file(path: str) -> tuple[Document | None, list[Problem]]:
    """Read one manifest file. Returns ``(None, [problem])`` when it cannot be read as YAML
    (the problem carries an origin); else the document and any non-fatal problems."""
    text, why, (line, column) = read_text(path)
    if text is None:
        return None, [Problem((), why, origin=Origin(path, line, column))]
    return load_text(text, path)


def load_text(text: str, path: str) -> tuple[Document | None, list[Problem]]:
    """Parse YAML ``text`` as the manifest file ``path`` (see :func:`load_file`)."""
    loader: _Loader | None = None
    try:
        node = _compose_fast(text)
        if node is None:
            loader = _Loader(text)
            node = loader.get_single_node()
        if node is None:
            msg = "file is empty; expected a mapping starting with 'version: 1'"
            return None, [Problem((), msg, origin=Origin(path, 1, 1))]
        builder = _Builder(path, text)
        data = builder.build(node, ())
    except _Fatal as exc:
        return None, [Problem((), exc.message, origin=_origin(path, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(path, exc)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(path, text, exc)]
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        return None, [Problem((), f"invalid YAML: {exc}", origin=Origin(path, 1, 1))]
    finally:
        if loader is not None:
            loader.dispose()
    doc = Document(path, data, builder.values, builder.keys)
    return doc, builder.problems


def _origin(path: str, mark: Any) -> Origin:
    return Origin(path, mark.line + 1, mark.column + 1)


def _syntax_problem(path: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    origin = _origin(path, mark) if mark is not None else Origin(path, 1, 1)
    if exc.context == "expected a single document in the stream":
        msg = "a manifest file holds one YAML document; found another here"
        return Problem((), msg, origin=origin)
    msg = f"invalid YAML: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        ctx = exc.context_mark
        msg += f" ({exc.context} at line {ctx.line + 1}, column {ctx.column + 1})"
    return Problem((), msg, origin=origin)


def _reader_problem(path: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    msg = f"invalid YAML: character {char:#06x} is not allowed in YAML text"
    return Problem((), msg, origin=Origin(path, line, column))


class _Builder:
    """Turns composed nodes into plain data, recording origins and budget use."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.values: dict[Path, Origin] = {}
        self.keys: dict[Path, Origin] = {}
        self.problems: list[Problem] = []
        self.copied = 0  # values materialised through aliases
        self.copying = 0  # > 0 while converting the subtree of an alias
        self.aliases = 0
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        alias = self._spend(node, depth)
        self.values[path] = _origin(self.path, node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        self.copying += alias
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, "seq")
                return [self.build(n, (*path, i), depth + 1) for i, n in enumerate(node.value)]
            self._check_tag(node, "map")
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
            self.copying -= alias

    def _spend(self, node: yaml.Node, depth: int) -> bool:
        """Check the limits before converting ``node``; True if it is an alias's copy."""
        if id(node) in self.active:
            raise _Fatal("refused: recursive alias (a value that contains itself)", node.start_mark)
        if depth >= MAX_DEPTH:  # depth 0 is the root, level 1 for the composer
            raise _Fatal(_TOO_DEEP, node.start_mark)
        # a second use of an anchored collection is an alias (scalars are cheap to copy)
        alias = isinstance(node, yaml.CollectionNode) and id(node) in self.seen
        if alias:
            self.aliases += 1
            if self.aliases > MAX_ALIAS_EXPANSIONS:
                msg = f"refused: more than {MAX_ALIAS_EXPANSIONS} alias expansions (limit)"
                raise _Fatal(msg, node.start_mark)
        if alias or self.copying:
            self.copied += 1
            if self.copied > MAX_ALIAS_VALUES:
                msg = f"refused: more than {MAX_ALIAS_VALUES} values copied through aliases (limit)"
                raise _Fatal(msg, node.start_mark)
        self.seen.add(id(node))
        return alias

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != _TAG + expected:
            raise _Fatal(f"unsupported YAML tag {node.tag!r}", node.start_mark)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise _Fatal(f"unsupported YAML tag {node.tag!r}", node.start_mark)
        if node.tag == _TAG + "null" and node.value == "" and not node.style:
            self._check_comment_value(node, path)
        method = "construct_yaml_" + node.tag.rsplit(":", 1)[1]
        try:
            value = getattr(self.constructor, method)(node)
        except (ValueError, TypeError) as exc:
            msg = f"value {node.value!r} is not a valid {node.tag.rsplit(':', 1)[1]}"
            raise _Fatal(msg, node.start_mark) from exc
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                msg = "invalid text: a lone surrogate escape (such as \\ud800) is not a character"
                raise _Fatal(msg, node.start_mark) from None
        return value

    def _check_comment_value(self, node: yaml.ScalarNode, path: Path) -> None:
        """``color: #F4A300`` reads as an empty value plus a comment: say so."""
        line = self.text[node.start_mark.index :].split("\n", 1)[0]
        rest = line.lstrip()
        if path and _COMMENT_VALUE.match(rest):
            word = rest.split()[0]
            mark = node.start_mark
            here = Origin(self.path, mark.line + 1, mark.column + 1 + len(line) - len(rest))
            msg = (
                f"the value is empty because an unquoted {word} starts a YAML comment;"
                f' quote it: "{word}"'
            )
            self.problems.append(Problem(path, msg, origin=here))

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merges.append(value_node)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            sub = (*path, key)
            if key in out:
                first = self.keys[sub]
                msg = f"duplicate key '{key}' (first at line {first.line}, column {first.column})"
                here = _origin(self.path, key_node.start_mark)
                self.problems.append(Problem(sub, msg, origin=here))
                continue
            self.keys[sub] = _origin(self.path, key_node.start_mark)
            out[key] = self.build(value_node, sub, depth + 1)
        for merge in merges:
            self._merge(merge, out, path, depth)
        return out

    def _key(self, node: yaml.Node, path: Path) -> str | None:
        origin = _origin(self.path, node.start_mark)
        if not isinstance(node, yaml.ScalarNode):
            msg = "a mapping key must be a plain string"
            self.problems.append(Problem(path, msg, origin=origin))
            return None
        value = self._scalar(node, path)
        if not isinstance(value, str):
            msg = f"mapping key {node.value!r} is read as a {_yaml_type(value)}; quote it"
            self.problems.append(Problem(path, msg, origin=origin))
            return None
        return value

    def _merge(self, node: yaml.Node, out: dict[str, Any], path: Path, depth: int) -> None:
        """``<<: *base`` or ``<<: [*a, *b]``: add the keys not already present (explicit keys
        and earlier sources win), keeping the origins of the merged source."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for src in sources:
            if not isinstance(src, yaml.MappingNode):
                msg = "a merge key (<<) needs a mapping or a list of mappings"
                raise _Fatal(msg, src.start_mark)
            alias = self._spend(src, depth + 1)
            self.copying += alias
            try:
                self._merge_entries(src, out, path, depth)
            finally:
                self.copying -= alias

    def _merge_entries(
        self, src: yaml.MappingNode, out: dict[str, Any], path: Path, depth: int
    ) -> None:
        for key_node, value_node in src.value:
            if key_node.tag == _TAG + "merge":
                self._merge(value_node, out, path, depth)
                continue
            key = self._key(key_node, path)
            if key is None or key in out:
                continue
            sub = (*path, key)
            self.keys[sub] = _origin(self.path, key_node.start_mark)
            out[key] = self.build(value_node, sub, depth + 1)


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


# --- writing (export) -----------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents sequences under their key and never folds long lines."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


def _secret_representer(dumper: yaml.SafeDumper, value: Secret) -> yaml.ScalarNode:
    raise errors.GsctlError("refusing to write a secret value to YAML; write ${env:NAME} instead")


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(Secret, _secret_representer)


def dump_yaml(data: Any, *, schema_comment: str | None = None) -> str:
    """YAML text for ``data`` (plain dicts/lists/scalars): keys in the order given (callers
    order them), multi-line strings as block scalars, strings YAML would misread (``"on"``,
    ``"1"``, ``"#F4A300"``) quoted, no line folding. With ``schema_comment``, the text starts
    with ``# yaml-language-server: $schema=<schema_comment>``. A :class:`~gsctl.model.Secret`
    anywhere in ``data`` raises :class:`~gsctl.errors.GsctlError` (never written in clear)."""
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    if schema_comment:
        return f"# yaml-language-server: $schema={schema_comment}\n{body}"
    return body


def load_data(path: str) -> Any:
    """Plain data of a YAML or JSON file that is not a manifest (an OpenAPI description).

    Raises ``UsageError`` naming the file (and line) when it cannot be read or parsed."""
    text, error, (line, _column) = read_text(path)
    if text is None:
        where = f"{path}:{line}" if line > 1 else path
        raise errors.UsageError(f"{where}: {error}")
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise errors.UsageError(f"{where}: not valid YAML or JSON") from None
