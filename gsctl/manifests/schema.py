"""JSON Schema (Draft 2020-12) validation of manifest documents, worded for people.

The published schemas live in ``gsctl/schemas/*.schema.json``: one per managed kind
(``tag.schema.json``, ...) and ``manifest.schema.json`` for a whole file, which ``$ref``s the
kind schemas by relative file name so that yaml-language-server and check-jsonschema resolve
them from disk. They carry descriptions, enums and defaults for editor help; the same files
drive :func:`check`. This is the only gsctl module that imports ``jsonschema`` (the emulator
aside) and ``fastjsonschema``.

Speed: a document is first checked by a fast gate, the same schemas compiled once to Python
code by fastjsonschema (refs inlined; ``const``/``enum`` also refuse booleans, which Python
takes for 0 and 1). Only a document that fails the gate goes through jsonschema, which words
the messages; a document that passes the gate has no problem to report.

:func:`check` turns each failure into a :class:`~gsctl.manifests.document.Problem` located at the
offending value (or, for unknown fields, at the key), with messages such as
``unknown field 'colour' (did you mean 'color'?)`` instead of raw jsonschema text. It never
echoes the value of a secret field.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Collection, Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # imported when first needed: a document that passes the gate never is
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from gsctl import errors
from gsctl.api import kinds
from gsctl.manifests.document import Path, Problem

MANIFEST_SCHEMA = "manifest.schema.json"

# Keywords whose failure on a not-yet-interpolated string ("${var:x}") is not meaningful:
# such values are checked again after interpolation (see ``only``).
_DEFERRED = frozenset({"pattern", "enum", "const", "minLength", "format"})

# Unknown-field hints: API names a user might copy from an API dump.
_RENAMED = {r.api_field: r.manifest_field for k in kinds.MANAGED for r in k.refs}
_RENAMED.update({api: m for k in kinds.MANAGED for m, api in k.secret.items()})
_RENAMED.update({api: m for api, (m, _) in kinds.PAYLOAD_REFS.items()})
_DERIVED = frozenset({"before", "created_at", "updated_at", "automation", "first_common_node_id"})

_SECRET_MESSAGE = (
    "must be a ${env:NAME} reference such as ${env:OPENAI_API_KEY}; literal secrets are refused"
)
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def schema_names() -> list[str]:
    """Kind names that have a schema (``gsctl schema KIND``), in dependency order."""
    return [k.name for k in kinds.MANAGED]


def load_schema(kind: str | None) -> dict[str, Any]:
    """The published schema of ``kind`` (singular or section name), or of a whole manifest
    file when ``kind`` is None. Raises :class:`~gsctl.errors.UsageError` for an unknown kind."""
    if kind is None:
        return copy.deepcopy(_schemas()[MANIFEST_SCHEMA])
    try:
        name = kinds.kind(kind).name
    except KeyError:
        raise errors.UsageError(
            f"unknown kind '{kind}'; kinds: {', '.join(schema_names())}"
        ) from None
    if name not in schema_names():
        raise errors.UsageError(f"kind '{kind}' is not managed by gsctl and has no schema")
    return copy.deepcopy(_schemas()[f"{name}.schema.json"])


def schema_files() -> dict[str, str]:
    """The published schema files as written on disk, by file name (``manifest.schema.json``
    and one per kind): what ``gsctl schema --write`` and ``gsctl export`` copy."""
    folder = resources.files("gsctl") / "schemas"
    names = [MANIFEST_SCHEMA] + [f"{k}.schema.json" for k in schema_names()]
    return {n: (folder / n).read_text(encoding="utf-8") for n in names}


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files("gsctl") / "schemas"
    names = [MANIFEST_SCHEMA] + [f"{k}.schema.json" for k in schema_names()]
    return {n: json.loads((folder / n).read_text(encoding="utf-8")) for n in names}


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    schemas = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (name, Resource.from_contents(s, default_specification=DRAFT202012))
        for name, s in schemas.items()
    )
    return Draft202012Validator(schemas[MANIFEST_SCHEMA], registry=registry)


# Keywords that validate nothing: left out of the gate's schema to keep its code small.
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "patternErrorMessage", "writeOnly"}
)


# Every JSON type but boolean: a type test, not a "not" (the gate's code raises and catches an
# exception per value for a "not").
_NOT_BOOLEAN = ["string", "number", "null", "object", "array"]


@functools.cache
def _gate() -> Any:
    """The fast validity check: all schemas in one, compiled to Python code once."""
    # Every schema and each of its $defs becomes one flat entry of the root's $defs: the
    # generated code embeds a rule's schema in its error, and nesting would repeat them all.
    defs: dict[str, Any] = {}
    for name, schema in copy.deepcopy(_schemas()).items():
        schema.pop("$schema", None)
        for sub, sub_schema in schema.pop("$defs", {}).items():
            defs[f"{name}__{sub}"] = _gate_rewrite(sub_schema, name)
        defs[name] = _gate_rewrite(schema, name)
    root = {"$ref": f"#/$defs/{MANIFEST_SCHEMA}", "$defs": defs}
    code = fastjsonschema.compile_to_code(
        root, use_default=False, use_formats=False, detailed_exceptions=False
    )
    # Each item's name for the error text ("data.tags[3]") is formatted from locals() as the
    # item is checked; the gate reads only pass or fail, so the names stay unformatted.
    namespace: dict[str, Any] = {}
    code = code.replace(".format(**locals())", "")
    exec(compile(code, "<schema gate>", "exec"), namespace)
    return namespace["validate"]


def _gate_rewrite(node: Any, owner: str) -> Any:
    """``node`` of schema ``owner`` for the gate: annotations dropped, refs pointed at the
    flat $defs, and a ``const``/``enum`` of no boolean also refusing booleans (True == 1 in
    Python, not in JSON Schema)."""
    if isinstance(node, list):
        return [_gate_rewrite(v, owner) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):  # names, not keywords
            out[key] = {k: _gate_rewrite(v, owner) for k, v in value.items()}
        elif key in ("enum", "const"):
            out[key] = value
        elif key not in _ANNOTATIONS:
            out[key] = _gate_rewrite(value, owner)
    ref = out.get("$ref")
    if isinstance(ref, str):
        local = ref.startswith("#/$defs/")
        out["$ref"] = f"#/$defs/{owner}__{ref[8:]}" if local else f"#/$defs/{ref}"
    if "const" in out and "enum" not in out:  # the same rule; fastjsonschema's short
        out["enum"] = [out.pop("const")]  # errors mode fails to compile ``const``
    values = out.get("enum", []) + ([out["const"]] if "const" in out else [])
    if ("enum" in out or "const" in out) and not any(isinstance(v, bool) for v in values):
        return {"allOf": [out, {"type": _NOT_BOOLEAN}]}
    return out


def _passes_gate(data: Any) -> bool:
    try:
        _gate()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check(data: Any, *, only: Collection[Path] | None = None) -> list[Problem]:
    """Schema problems of one manifest document's ``data``.

    Without ``only`` (the raw document): strings holding ``${...}`` skip the value checks
    (pattern, enum, ...) that only make sense after interpolation. With ``only`` (the same
    document after interpolation): just the problems at those paths, without their values.
    """
    if _passes_gate(data):
        return []
    by_path: dict[Path, list[ValidationError]] = {}
    for err in _validator().iter_errors(data):
        path = tuple(err.absolute_path)
        if only is not None and path not in only:
            continue
        if only is None and _deferred(err, path):  # checked after interpolation
            continue
        by_path.setdefault(path, []).append(err)
    out: list[Problem] = []
    for path, errs in by_path.items():
        typed = [e for e in errs if e.validator == "type"]
        for err in typed or errs:
            out.extend(_problems(err, path, hide=only is not None or _is_secret(path)))
    if only is not None:
        out = [Problem(p.path, f"{p.message} (after interpolation)", p.at_key) for p in out]
    return out


def _deferred(err: ValidationError, path: Path) -> bool:
    return (
        err.validator in _DEFERRED
        and isinstance(err.instance, str)
        and "${" in err.instance
        and not _is_secret(path)
    )


def _is_secret(path: Path) -> bool:
    if len(path) != 3 or not isinstance(path[0], str):
        return False
    kind = kinds.BY_SECTION.get(path[0])
    return kind is not None and path[2] in kind.secret


def _problems(err: ValidationError, path: Path, *, hide: bool) -> Iterator[Problem]:
    v = err.validator
    if v == "additionalProperties":
        allowed = list(err.schema.get("properties", {}))
        for key in err.instance:
            if key not in allowed:
                yield Problem((*path, key), _unknown_field(key, allowed, path), at_key=True)
    elif v == "required":
        for name in err.validator_value:
            if name not in err.instance:
                yield Problem(path, _missing(name, path))
    elif v == "not":
        yield Problem(path, _unknown_field(str(path[-1]), [], path[:-1]), at_key=True)
    elif "propertyNames" in err.relative_schema_path:
        rx = err.validator_value
        yield Problem(
            (*path, err.instance), f"invalid name '{err.instance}' (must match {rx})", True
        )
    elif _is_secret(path):
        yield Problem(path, _SECRET_MESSAGE)
    else:
        yield Problem(path, _value_message(err, path, hide=hide))


def _unknown_field(key: str, allowed: list[str], path: Path) -> str:
    where = "top-level key" if not path else "field"
    msg = f"unknown {where} '{key}'"
    if key in _RENAMED:
        target = _RENAMED[key]
        if target == "api_key":
            return f"{msg}: write api_key: ${{env:NAME}} instead"
        return f"{msg}: references are by name; write {target}: <name> instead"
    if key in kinds.SERVER_FIELDS or key in _DERIVED:
        return f"{msg}: it is set by the server or derived by gsctl; remove it"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"{msg} (did you mean '{close[0]}'?)"
    if not path:
        return f"{msg}; expected: {', '.join(allowed)}"
    return msg


def _missing(name: str, path: Path) -> str:
    if not path and name == "version":
        return "missing 'version: 1' (required in every manifest file)"
    return f"missing required field '{name}'"


def _value_message(err: ValidationError, path: Path, *, hide: bool) -> str:
    v, value, schema = err.validator, err.instance, err.schema
    shown = "" if hide else f" (got {_show(value)})"
    if v == "type":
        return _type_message(err.validator_value, value, path, schema.get("enum"))
    if v == "const" and path == ("version",):
        return f"must be 1{shown}"
    if v == "enum":
        return _enum_message(err.validator_value, value, path, shown)
    if v in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"must be between {low} and {high}{shown}"
        return (
            f"must be at least {low}{shown}" if v == "minimum" else f"must be at most {high}{shown}"
        )
    if v == "minLength":
        return "must not be empty"
    if v == "minItems":
        return f"must have at least {err.validator_value} item(s)"
    if v == "uniqueItems":
        return "has duplicate entries"
    if v == "pattern":
        return str(schema.get("patternErrorMessage") or f"must match {err.validator_value}")
    return f"invalid value (fails the schema's '{v}' rule)"


def _type_message(expected: Any, value: Any, path: Path, allowed: Any = None) -> str:
    """What a value of the wrong type should be; for an enum field, the allowed values
    (a "quote it" hint only when the quoted value would be one of them)."""
    names = [expected] if isinstance(expected, str) else list(expected)
    want = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
    got = _json_type(value)
    msg = f"expected {want}, got {_TYPE_WORDS.get(got, got)}"
    if isinstance(allowed, list) and _as_written(value) not in [str(a) for a in allowed]:
        return f"{msg}; must be one of: {', '.join(str(a) for a in allowed)}"
    if isinstance(value, bool) and "string" in names:
        if path and path[-1] == "status":
            word = "on" if value else "off"
            return f'{msg}: YAML 1.1 reads bare on/off as booleans; quote it: status: "{word}"'
        return f"{msg}: YAML reads bare yes/no/on/off/true/false as booleans; quote the value"
    if isinstance(value, bool) and "integer" in names:
        return f"{msg} (write 1 or 0)"
    if value is None:
        return f"{msg} (the value is empty)"
    if isinstance(value, int | float) and "string" in names:
        return f"{msg}; quote it to make it a string"
    return msg


def _as_written(value: Any) -> str:
    """A scalar as YAML text would spell it unquoted (``on`` for a YAML 1.1 true)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value) if isinstance(value, int | float | str) else ""


def _enum_message(allowed: list[Any], value: Any, path: Path, shown: str) -> str:
    if len(path) >= 2 and path[-2] == "ignore_changes":
        return f"unknown field '{value}' in ignore_changes; fields: {', '.join(allowed)}"
    if path[:2] == ("settings", "prune"):
        sections = ", ".join(k.section for k in kinds.MANAGED)
        return f"unknown kind '{value}' in settings.prune; kinds: {sections}"
    msg = f"must be one of: {', '.join(str(a) for a in allowed)}{shown}"
    if shown and isinstance(value, str):
        close = difflib.get_close_matches(value, [str(a) for a in allowed], n=1)
        if close:
            msg += f" (did you mean '{close[0]}'?)"
    return msg


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict | list):
        return _TYPE_WORDS[_json_type(value)]
    return json.dumps(value)
