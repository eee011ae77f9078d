"""Load and write manifest YAML. The only gsctl module that imports ``yaml``.

Loading keeps the source location of every value: a :class:`~gsctl.manifests.document.Document`
(``document.py``) holds the plain data plus the origin of every value and key (sections' and
items' recorded while loading, the rest located by a second parse when a message needs one).
``nodes.py`` turns the composed nodes into plain data, within the limits below.

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

from typing import Any

import yaml

from gsctl import errors
from gsctl.manifests import fastload
from gsctl.manifests.document import TOP_DEPTH, Document, Origins, Path, Problem
from gsctl.manifests.files import read_text
from gsctl.manifests.nodes import TAG as _TAG
from gsctl.manifests.nodes import Builder, Fatal, Limits, too_deep
from gsctl.manifests.nodes import origin as _origin
from gsctl.model import Origin, Secret

__all__ = ["Document", "Path", "Problem", "dump_yaml", "load_data", "load_file", "load_text"]

MAX_DEPTH = 100
MAX_ALIAS_EXPANSIONS = 10_000
MAX_ALIAS_VALUES = 250_000


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
                raise Fatal(too_deep(MAX_DEPTH), mark)
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


def _libyaml_limits_nesting() -> bool:
    """Whether libyaml refuses nesting past its own limit (1,000 levels since 0.2.5)."""
    deep = "[" * 5000 + "]" * 5000
    try:
        loader = _CLoader(deep)
        try:
            loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return True
    return False


_LIBYAML_SAFE_DEPTH = _CLoaderBase is not None and _libyaml_limits_nesting()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _construct(tag: str, text: str) -> Any:
    """PyYAML's safe value of a plain scalar resolved to ``tag`` (int, float, bool)."""
    method = getattr(_CONSTRUCTOR, "construct_yaml_" + tag.rsplit(":", 1)[1])
    return method(yaml.ScalarNode(tag, text))


_EVENTS = fastload.Events(
    scalar=yaml.ScalarEvent,
    mapping_start=yaml.MappingStartEvent,
    sequence_start=yaml.SequenceStartEvent,
    mapping_end=yaml.MappingEndEvent,
    sequence_end=yaml.SequenceEndEvent,
    document_end=yaml.DocumentEndEvent,
    stream_end=yaml.StreamEndEvent,
    resolvers=_RESOLVERS,
    construct=_construct,
    booleans=_CONSTRUCTOR.bool_values,
)


def _load_fast(text: str, path: str) -> Document | None:
    """The document read straight from libyaml's events (``fastload.py``), or None when
    libyaml is missing or the text needs the node path (any problem, alias, tag, ...)."""
    if _CLoaderBase is None:
        return None
    loader = _CLoader(text)
    try:
        loaded = fastload.load(loader.get_event, _EVENTS, text, path, MAX_DEPTH)
    except (fastload.Unusual, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    doc = Document(path, loaded.data, text=text, locate=_locate)
    doc.top_values, doc.top_keys = loaded.values, loaded.keys
    doc.finite, doc.interpolates = True, loaded.interpolates
    return doc


def _compose_fast(text: str) -> Any:
    """Compose with libyaml when it is installed and the text is valid YAML; None means
    "use the pure-Python loader" (which words every error the same way).

    libyaml's composer recurses in C. libyaml >= 0.2.5 stops at 1,000 levels by itself (the
    builder then refuses anything past ``MAX_DEPTH``); with an older libyaml the depth is
    checked first over the parser's events, which is iterative."""
    if _CLoaderBase is None:
        return None
    try:
        if not _LIBYAML_SAFE_DEPTH and _too_deep_for_c(text):
            return None
        loader = _CLoader(text)
        try:
            return loader.get_single_node() or None
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None


def _too_deep_for_c(text: str) -> bool:
    depth = 0
    for event in yaml.parse(text, Loader=_CLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth >= MAX_DEPTH:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


def load_file(path: str) -> tuple[Document | None, list[Problem]]:
    """Read one manifest file. Returns ``(None, [problem])`` when it cannot be read as YAML
    (the problem carries an origin); else the document and any non-fatal problems."""
    text, why, (line, column) = read_text(path)
    if text is None:
        return None, [Problem((), why, origin=Origin(path, line, column))]
    return load_text(text, path)


def load_text(text: str, path: str) -> tuple[Document | None, list[Problem]]:
    """Parse YAML ``text`` as the manifest file ``path`` (see :func:`load_file`)."""
    fast = _load_fast(text, path)
    if fast is not None:
        return fast, []
    built = _build(text, path, TOP_DEPTH)
    if isinstance(built, Problem):
        return None, [built]
    doc = Document(path, built.data, text=text, locate=_locate)
    doc.top_values, doc.top_keys = built.values, built.keys
    return doc, built.problems


def _locate(text: str, path: str) -> tuple[Origins, Origins]:
    """The origin of every value and key of ``text``, which loaded before without error."""
    built = _build(text, path, None)
    if isinstance(built, Problem):  # pragma: no cover - the text loaded once already
        return {}, {}
    return built.values, built.keys


def _build(text: str, path: str, record: int | None) -> Builder | Problem:
    """Compose and convert ``text``: the builder (data, origins, problems) or a fatal problem.
    ``record``: origins of paths up to that length only (None: all)."""
    loader: _Loader | None = None
    try:
        node = _compose_fast(text)
        if node is None:
            loader = _Loader(text)
            node = loader.get_single_node()
        if node is None:
            msg = "file is empty; expected a mapping starting with 'version: 1'"
            return Problem((), msg, origin=Origin(path, 1, 1))
        limits = Limits(MAX_DEPTH, MAX_ALIAS_EXPANSIONS, MAX_ALIAS_VALUES)
        constructor = yaml.constructor.SafeConstructor()
        builder = Builder(path, text, limits, constructor, record)
        builder.data = builder.build(node, ())
        return builder
    except Fatal as exc:
        return Problem((), exc.message, origin=_origin(path, exc.mark))
    except yaml.MarkedYAMLError as exc:
        return _syntax_problem(path, exc)
    except yaml.reader.ReaderError as exc:
        return _reader_problem(path, text, exc)
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        return Problem((), f"invalid YAML: {exc}", origin=Origin(path, 1, 1))
    finally:
        if loader is not None:
            loader.dispose()


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
