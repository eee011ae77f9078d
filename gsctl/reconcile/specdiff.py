"""The operations gsctl uses, and their comparison with a published OpenAPI description.

:func:`uses` derives every call gsctl makes from the kinds table (paths, fields sent, fields
read) and from the flow version body gsctl builds (:func:`gsctl.flows.refs.to_api_version`).
:func:`compare` checks them against an OpenAPI 3 document (``gsctl doctor --spec``, offline):
every path and method exists; every request field gsctl sends exists; every field the spec
requires is one gsctl always sends; every response field gsctl reads exists. Usage reads
(``x-gsctl-reads-only``) are optional: their mismatches are listed but marked so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gsctl.api import kinds
from gsctl.flows.refs import SOURCE_FIELDS, to_api_version

_PARAM = re.compile(r"\{[^}]*\}")
_NIL = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Use:
    """One call gsctl makes: what it sends and what it reads of the answer."""

    method: str
    path: str
    sends: tuple[str, ...] = ()  # request body fields; nested as "nodes[].id"
    always: tuple[str, ...] = ()  # top-level fields sent on every such call
    reads: tuple[str, ...] = ()  # answer fields used (of each item when ``lists``)
    lists: bool = False
    optional: bool = False  # a usage read: gsctl works without it


@dataclass(frozen=True, order=True)
class Mismatch:
    path: str
    method: str
    field: str
    problem: str
    optional: bool = False

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        tail = " (optional: usage counts)" if self.optional else ""
        return f"{self.method} {self.path}{where}: {self.problem}{tail}"


def _fields(k: kinds.Kind, names: tuple[str, ...]) -> tuple[str, ...]:
    level6 = {"status", "nodes", "contact_sources"} if k.name == "flow" else set()
    return tuple(k.api_name(f) for f in names if f not in level6)


def _kind_uses(k: kinds.Kind) -> list[Use]:
    reads = ("uuid", *(k.api_name(f) for f in k.fields if f not in k.secret))
    if k.name == "flow":
        reads = tuple(f for f in reads if f not in ("nodes", "contact_sources"))
        reads += (kinds.ACTIVE_VERSION_FIELD,)
    if not k.managed:
        label = ("label", "first_name", "last_name") if k.label_field == "label" else ("name",)
        return [Use("GET", k.collection, reads=("uuid", *label), lists=True)]
    always = _fields(k, (*k.required, *k.always_sent))
    out = [
        Use("GET", k.collection, reads=reads, lists=True),
        Use("POST", k.collection, sends=_fields(k, k.fields), always=always, reads=("uuid",)),
        Use(
            "PUT",
            str(k.item),
            sends=_fields(k, tuple(f for f in k.fields if f not in k.create_only)),
        ),
        Use("DELETE", str(k.item)),
    ]
    if k.name == "flow":
        out.append(Use("GET", str(k.item), reads=("status", kinds.ACTIVE_VERSION_FIELD)))
    return out


def _version_sends() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fields of the version body gsctl builds (all of them, and the top-level ones)."""
    source = {f: None for f in SOURCE_FIELDS} | {"id": 1, "sender_profiles": ["s"]}
    body = to_api_version(
        [{"id": 1, "type": "end"}], [source], resolve=lambda kind, name: _NIL, now=""
    )
    nested = [f"nodes[].{f}" for f in body["nodes"][0]]
    nested += [f"contact_sources[].{f}" for f in body["contact_sources"][0]]
    return tuple(body) + tuple(nested), tuple(body)


def uses() -> list[Use]:
    """Every call gsctl makes, in a stable order."""
    out = [
        Use("GET", kinds.CURRENT_USER),
        Use("GET", kinds.TEAMS, reads=("id", "name"), lists=True),
    ]
    for k in kinds.KINDS.values():
        out.extend(_kind_uses(k))
    sends, top = _version_sends()
    out.append(Use("POST", kinds.FLOW_VERSIONS, sends=sends, always=top))
    out.append(Use("GET", kinds.FLOW_VERSION, reads=("nodes", "contact_sources")))
    out.extend(Use("PUT", path) for path in kinds.FLOW_ACTIONS.values())
    for usage in kinds.USAGE.values():
        lists = usage.filter_field is None
        sent = ("filter" if not lists else usage.ids_fields[0], *usage.body)
        reads = (*(("uuid",) if lists else ()), *(api for api, _ in usage.counts))
        out.append(Use("POST", usage.path, sent, sent, reads, lists=lists, optional=True))
    return out


# ------------------------------------------------------------------------ the spec side


class Spec:
    """An OpenAPI document with ``$ref`` resolution and merged object properties."""

    def __init__(self, doc: Any) -> None:
        self.doc: dict[str, Any] = doc if isinstance(doc, dict) else {}
        found = self.doc.get("paths")
        paths: dict[str, Any] = found if isinstance(found, dict) else {}
        self.paths = {_PARAM.sub("{}", p): v for p, v in paths.items() if isinstance(v, dict)}

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 50:
            node = self._lookup(node["$ref"])
            seen += 1
        return node

    def _lookup(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = (
                node.get(part.replace("~1", "/").replace("~0", "~"))
                if isinstance(node, dict)
                else None
            )
        return node

    def props(self, schema: Any) -> tuple[dict[str, Any], set[str]]:
        """(properties, required) of an object schema, allOf/anyOf/oneOf merged."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return {}, set()
        props = dict(schema.get("properties") or {})
        required = set(schema.get("required") or [])
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key) or []:
                more, req = self.props(part)
                props.update(more)
                if key == "allOf":
                    required |= req
        return props, required

    def items(self, schema: Any) -> Any:
        """The item schema of a list answer: ``data.items`` or an array's ``items``."""
        schema = self.resolve(schema)
        if isinstance(schema, dict) and schema.get("type") == "array":
            return schema.get("items")
        props, _ = self.props(schema)
        data = self.resolve(props.get("data"))
        return data.get("items") if isinstance(data, dict) else None

    def operation(self, use: Use) -> dict[str, Any] | None:
        item = self.paths.get(_PARAM.sub("{}", use.path)) or {}
        op = item.get(use.method.lower())
        return op if isinstance(op, dict) else None

    def body_schema(self, op: dict[str, Any]) -> Any:
        body = self.resolve(op.get("requestBody")) or {}
        return ((body.get("content") or {}).get("application/json") or {}).get("schema")

    def unknown_fields(self, method: str, path: str, obj: dict[str, Any], *, lists: bool) -> str:
        """What of ``obj`` differs from the answer schema, harmlessly: fields the spec does
        not know, and fields it knows that were left out ('' when neither)."""
        op = self.operation(Use(method, path))
        if op is None:
            return ""
        schema = self.answer_schema(op)
        props, _ = self.props(self.items(schema) if lists else schema)
        if not props:
            return ""
        extra = sorted(set(obj) - set(props))
        readable = {k for k, v in props.items() if not (self.resolve(v) or {}).get("writeOnly")}
        absent = sorted(readable - set(obj))
        parts = [f"not in the contract: {', '.join(extra)}"] if extra else []
        parts += [f"left out: {', '.join(absent)}"] if absent else []
        return "; ".join(parts)

    def answer_schema(self, op: dict[str, Any]) -> Any:
        for status in ("200", "201"):
            answer = self.resolve((op.get("responses") or {}).get(status))
            if isinstance(answer, dict):
                content = (answer.get("content") or {}).get("application/json") or {}
                return content.get("schema")
        return None


def _nested(spec: Spec, schema: Any, dotted: str) -> bool:
    """Does ``a[].b`` exist under ``schema``?"""
    head, _, rest = dotted.partition("[].")
    props, _ = spec.props(schema)
    if head not in props:
        return False
    if not rest:
        return True
    inner = spec.resolve(props[head])
    return _nested(spec, inner.get("items") if isinstance(inner, dict) else None, rest)


def _check(spec: Spec, use: Use) -> list[Mismatch]:
    def miss(field: str, problem: str) -> Mismatch:
        return Mismatch(use.path, use.method, field, problem, use.optional)

    op = spec.operation(use)
    if op is None:
        return [miss("", "path and method not in the spec")]
    out = []
    if use.sends:
        body = spec.body_schema(op)
        _, required = spec.props(body)
        out += [
            miss(f, "request field not in the spec")
            for f in use.sends
            if not _nested(spec, body, f)
        ]
        out += [
            miss(f, "required by the spec, not always sent by gsctl")
            for f in sorted(required - set(use.always))
        ]
    if use.reads:
        answer = spec.answer_schema(op)
        if use.lists:
            answer = spec.items(answer)
        props, _ = spec.props(answer)
        out += [miss(f, "response field not in the spec") for f in use.reads if f not in props]
    return out


def compare(doc: Any) -> list[Mismatch]:
    """Every mismatch between gsctl's calls and the OpenAPI document ``doc``, sorted."""
    spec = Spec(doc)
    return sorted(m for use in uses() for m in _check(spec, use))
