"""The HTTP contract (``gsctl/schemas/getsales-api.yaml``) as the emulator uses it.

Loaded once per process (:func:`load_contract`): kinds from ``x-gsctl-kinds``, one
:class:`Operation` per path and method, and JSON Schema validators for every component
schema, built up front. Validation uses JSON Schema 2020-12 (what OpenAPI 3.1 uses) with
``$ref`` resolved inside the document, and checks only the formats that matter to clients:
``uuid``, ``date-time`` and ``uri``. Error messages name the constraint, never the value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import yaml
from jsonschema.exceptions import ValidationError
from referencing.jsonschema import DRAFT202012

from gsctl.emulator.problem import FieldErrors

CONTRACT_PATH = Path(__file__).resolve().parent.parent / "schemas" / "getsales-api.yaml"
_BASE = "urn:gsctl:getsales-api"
_METHODS = ("get", "post", "put", "delete", "patch")
_SCALARS = {"string", "integer", "number", "boolean", "null"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_INT = re.compile(r"^[+-]?\d+$")


class ContractError(Exception):
    """The contract file cannot be served (unknown operation shape, bad YAML)."""


@dataclass(frozen=True)
class KindSpec:
    """One kind of ``x-gsctl-kinds`` plus what the emulator derives from its schemas."""

    name: str
    schema: str
    collection: str
    item: str | None
    managed: bool
    natural_key: tuple[str, ...]
    case_insensitive: tuple[str, ...]
    create_only: tuple[str, ...]
    secret: tuple[str, ...]
    references: Mapping[str, str]
    properties: Mapping[str, Mapping[str, Any]]  # read schema properties
    create_fields: frozenset[str]
    update_fields: frozenset[str]
    max_count: Mapping[str, Any] | None
    required: frozenset[str] = frozenset()  # read schema's required fields


@dataclass(frozen=True)
class Param:
    """A declared query parameter."""

    name: str
    required: bool
    type: str
    default: Any
    cap: int | None
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    """One path + method of the contract and the role the emulator serves it with."""

    method: str  # upper case
    path: str
    operation_id: str
    role: str  # list|create|get|update|delete|action|current_user|teams|usage
    kind: str | None
    params: tuple[Param, ...]
    body_schema: str | None
    transitions: Mapping[str, str | int] | None


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())

    def uuid(value: object) -> bool:
        return not isinstance(value, str) or bool(_UUID.match(value))

    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATETIME.match(value):
            return False
        try:
            dt.datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            return False
        return True

    def uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    checker.checks("uuid")(uuid)
    checker.checks("date-time")(date_time)
    checker.checks("uri")(uri)
    return checker


def _describe(err: ValidationError) -> Iterator[tuple[str, str]]:
    """(dotted path, message) pairs for one schema error, without the offending value."""
    path = [str(p) for p in err.absolute_path]
    kw, arg = err.validator, err.validator_value
    if kw == "required":
        present = err.instance if isinstance(err.instance, dict) else {}
        for name in arg:
            if name not in present:
                yield ".".join([*path, name]), "is required"
        return
    messages = {
        "type": lambda: "must be of type " + " or ".join(arg if isinstance(arg, list) else [arg]),
        "enum": lambda: "must be one of: " + ", ".join(json.dumps(v) for v in arg),
        "const": lambda: f"must be {json.dumps(arg)}",
        "minLength": lambda: (
            "must not be empty" if arg == 1 else f"must have at least {arg} characters"
        ),
        "maxLength": lambda: f"must have at most {arg} characters",
        "pattern": lambda: f"must match the pattern {arg}",
        "minimum": lambda: f"must be at least {arg}",
        "maximum": lambda: f"must be at most {arg}",
        "exclusiveMinimum": lambda: f"must be greater than {arg}",
        "exclusiveMaximum": lambda: f"must be less than {arg}",
        "minItems": lambda: f"must have at least {arg} item" + ("" if arg == 1 else "s"),
        "maxItems": lambda: "must be empty" if arg == 0 else f"must have at most {arg} items",
        "format": lambda: f"must be a valid {arg}",
    }
    text = messages.get(str(kw), lambda: f"is invalid ({kw})")()
    yield ".".join(path) or "body", text


def _absolute_refs(node: Any) -> Any:
    """A copy with local ``#/...`` refs made absolute, so each schema validates on its own."""
    if isinstance(node, dict):
        return {
            k: _BASE + v
            if k == "$ref" and isinstance(v, str) and v.startswith("#")
            else _absolute_refs(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


class Contract:
    """Kinds, operations and validators of one contract document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.schemas: dict[str, Any] = doc["components"]["schemas"]
        absolute = _absolute_refs(doc)
        registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            _BASE, DRAFT202012.create_resource(absolute)
        )
        checker = _format_checker()
        self._validators = {
            name: jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)
            for name, schema in absolute["components"]["schemas"].items()
        }
        self._checker = checker
        self._param_validators: dict[str, jsonschema.Draft202012Validator] = {}
        self.kinds = {name: self._kind(name, raw) for name, raw in doc["x-gsctl-kinds"].items()}
        self.operations = self._operations()

    # -- kinds -------------------------------------------------------------------------

    def _props(self, schema: str) -> dict[str, Any]:
        return dict(self.schemas.get(schema, {}).get("properties", {}))

    def _kind(self, name: str, raw: Mapping[str, Any]) -> KindSpec:
        schema = raw["schema"]
        read = self.schemas[schema]
        secret = tuple(raw.get("secret") or ())
        create_only = tuple(raw.get("create_only") or ())
        create = set(self._props(schema + "Create")) - set(secret)
        update = set(self._props(schema + "Update")) - set(secret) - set(create_only)
        return KindSpec(
            name=name,
            schema=schema,
            collection=raw["collection"],
            item=raw.get("item"),
            managed=bool(raw.get("managed")),
            natural_key=tuple(raw.get("natural_key") or ()),
            case_insensitive=tuple(read.get("x-gsctl-case-insensitive") or ()),
            create_only=create_only,
            secret=secret,
            references=dict(raw.get("references") or {}),
            properties=self._props(schema),
            create_fields=frozenset(create),
            update_fields=frozenset(update),
            max_count=read.get("x-gsctl-max-count"),
            required=frozenset(read.get("required") or ()),
        )

    def sortable(self, schema: str) -> frozenset[str]:
        """Scalar properties of a read schema: the allowed ``order_field`` values."""
        out = set()
        for name, prop in self._props(schema).items():
            types = prop.get("type")
            types = types if isinstance(types, list) else [types]
            if types and all(t in _SCALARS for t in types):
                out.add(name)
        return frozenset(out)

    # -- operations --------------------------------------------------------------------

    def _param(self, raw: Mapping[str, Any]) -> Param:
        if "$ref" in raw:
            raw = self.doc["components"]["parameters"][raw["$ref"].rsplit("/", 1)[-1]]
        schema = raw.get("schema", {})
        key = json.dumps(schema, sort_keys=True)
        if key not in self._param_validators:
            self._param_validators[key] = jsonschema.Draft202012Validator(
                dict(schema), format_checker=self._checker
            )
        return Param(
            name=raw["name"],
            required=bool(raw.get("required")),
            type=str(schema.get("type", "string")),
            default=schema.get("default"),
            cap=raw.get("x-gsctl-cap"),
            schema=schema,
        )

    def _role(self, path: str, method: str, op: Mapping[str, Any]) -> tuple[str, str | None]:
        if op.get("x-gsctl-transitions"):
            return "action", "flow"
        if op.get("operationId") == "getCurrentUser":
            return "current_user", None
        if op.get("operationId") == "listTeams":
            return "teams", None
        if op.get("x-gsctl-reads-only"):
            return "usage", (op.get("x-gsctl-usage") or {}).get("kind")
        if op.get("operationId") == "getFlowVersion":
            return "get", "flow_version"
        for kind in self.kinds.values():
            if path == kind.collection and method in ("GET", "POST"):
                return ("list" if method == "GET" else "create"), kind.name
            if path == kind.item and method in ("GET", "PUT", "DELETE"):
                return {"GET": "get", "PUT": "update", "DELETE": "delete"}[method], kind.name
        raise ContractError(f"cannot serve {method} {path}: no kind or role matches")

    def _operations(self) -> list[Operation]:
        ops = []
        for path, item in self.doc["paths"].items():
            for method in _METHODS:
                if method not in item:
                    continue
                raw = item[method]
                role, kind = self._role(path, method.upper(), raw)
                body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
                ref = body.get("schema", {}).get("$ref")
                ops.append(
                    Operation(
                        method=method.upper(),
                        path=path,
                        operation_id=raw.get("operationId", ""),
                        role=role,
                        kind=kind,
                        params=tuple(
                            p
                            for p in map(
                                self._param,
                                [*item.get("parameters", []), *raw.get("parameters", [])],
                            )
                            if p.name != "uuid"
                        ),
                        body_schema=ref.rsplit("/", 1)[-1] if ref else None,
                        transitions=raw.get("x-gsctl-transitions"),
                    )
                )
        return ops

    # -- validation --------------------------------------------------------------------

    def validate(self, schema: str, instance: Any) -> FieldErrors:
        """Field errors of ``instance`` against component ``schema`` ({} when valid)."""
        errors: FieldErrors = {}
        for err in self._validators[schema].iter_errors(instance):
            for path, message in _describe(err):
                errors.setdefault(path, [])
                if message not in errors[path]:
                    errors[path].append(message)
        return errors

    def parse_query(
        self, op: Operation, query: Mapping[str, str]
    ) -> tuple[dict[str, Any], FieldErrors]:
        """Declared query parameters of ``op``, typed, defaulted and capped; plus errors."""
        values: dict[str, Any] = {}
        errors: FieldErrors = {}
        for param in op.params:
            raw = query.get(param.name)
            if raw is None:
                if param.required:
                    errors[param.name] = ["is required"]
                elif param.default is not None:
                    values[param.name] = param.default
                continue
            value: Any = raw
            if param.type == "integer":
                if not _INT.match(raw.strip()):
                    errors[param.name] = ["must be an integer"]
                    continue
                value = int(raw)
            problems = self._param_errors(param, value)
            if problems:
                errors[param.name] = problems
                continue
            values[param.name] = min(value, param.cap) if param.cap is not None else value
        return values, errors

    def _param_errors(self, param: Param, value: Any) -> list[str]:
        validator = self._param_validators[json.dumps(param.schema, sort_keys=True)]
        return [msg for err in validator.iter_errors(value) for _, msg in _describe(err)]


@lru_cache(maxsize=4)
def load_contract(path: str | None = None) -> Contract:
    """The contract at ``path`` (default: the packaged one), parsed once per process."""
    file = Path(path) if path else CONTRACT_PATH
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with file.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=loader)
    if not isinstance(doc, dict) or "x-gsctl-kinds" not in doc:
        raise ContractError(f"{file}: not a gsctl API contract")
    return Contract(doc)
