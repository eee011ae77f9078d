"""Translate objects between API vocabulary (uuids) and manifest vocabulary (names).

``to_manifest`` turns a live API object into manifest fields (export and the live side of a
plan); ``to_api`` turns manifest fields into a request body (apply). Flow steps live in
versions and are translated by :mod:`gsctl.flows.graph`; here a flow is its scalar fields.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from gsctl.api import kinds
from gsctl.api.kinds import Kind
from gsctl.model import Secret, reveal

Resolver = Callable[[str, str], str]  # (kind, name) -> uuid, KeyError if unknown
Namer = Callable[[str, str], "str | None"]  # (kind, uuid) -> name, None if unknown

# Flow fields that are not sent with the flow itself (steps go to versions, status to actions).
FLOW_LEVEL6_FIELDS = ("status", "nodes", "contact_sources")


class NameIndex:
    """Name <-> uuid per kind, for both directions of translation. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, dict[str, str]] = {}
        self._by_uuid: dict[str, dict[str, str]] = {}

    @staticmethod
    def _folds(kind: str) -> bool:
        """Names of ``kind`` are compared case-insensitively."""
        k = kinds.KINDS.get(kind)
        return k is not None and "name" in k.case_insensitive

    @classmethod
    def _fold(cls, kind: str, name: str) -> str:
        return name.casefold() if cls._folds(kind) else name

    def add(self, kind: str, name: str, uuid: str) -> None:
        with self._lock:
            self._by_name.setdefault(kind, {})[self._fold(kind, name)] = uuid
            self._by_uuid.setdefault(kind, {})[uuid] = name

    def add_first(self, kind: str, name: str, uuid: str) -> None:
        """Like :meth:`add`, but an already known name keeps its uuid (of live objects
        sharing a name, the oldest is the one references mean)."""
        with self._lock:
            self._by_name.setdefault(kind, {}).setdefault(self._fold(kind, name), uuid)
            self._by_uuid.setdefault(kind, {})[uuid] = name

    def add_first_all(self, kind: str, pairs: Iterable[tuple[str, str]]) -> None:
        """:meth:`add_first` of every (name, uuid) of ``pairs``, in order, under one lock."""
        fold = self._folds(kind)
        with self._lock:
            by_name = self._by_name.setdefault(kind, {})
            by_uuid = self._by_uuid.setdefault(kind, {})
            for name, uuid in pairs:
                by_name.setdefault(name.casefold() if fold else name, uuid)
                by_uuid[uuid] = name

    def uuid(self, kind: str, name: str) -> str:
        """The uuid of ``name``; raises KeyError when the workspace has no such object."""
        with self._lock:
            return self._by_name.get(kind, {})[self._fold(kind, name)]

    def name(self, kind: str, uuid: str) -> str | None:
        with self._lock:
            return self._by_uuid.get(kind, {}).get(uuid)

    def has(self, kind: str, name: str) -> bool:
        try:
            self.uuid(kind, name)
        except KeyError:
            return False
        return True

    def names(self, kind: str) -> Iterable[str]:
        with self._lock:
            return list(self._by_uuid.get(kind, {}).values())


def ref_name(k: Kind, api_obj: dict[str, Any]) -> str:
    """The name other objects use to reference ``api_obj`` (pipeline stages: ``object/name``)."""
    if k.label_field == "label":
        label = api_obj.get("label")
        if label:
            return str(label)
        return f"{api_obj.get('first_name', '')} {api_obj.get('last_name', '')}".strip()
    return kinds.display_name(k, api_obj)  # reads only the natural key's fields


def stage_ref(value: str) -> str:
    """A pipeline stage reference: ``object/name``, or a bare name meaning a lead stage."""
    return value if "/" in value else f"lead/{value}"


def reference_name(kind: str, name: str) -> str:
    """The name by which objects of ``kind`` are referenced (stages: ``object/name``)."""
    return stage_ref(name) if kind == "pipeline_stage" else name


def to_manifest(k: Kind, api_obj: dict[str, Any], name_of: Namer) -> dict[str, Any]:
    """Manifest fields of a live object: server fields dropped, uuids turned into names.

    A uuid whose target is unknown stays under its API field name so nothing is lost.
    Secret fields are absent (the API never returns them).
    """
    out: dict[str, Any] = {}
    read = k.read_fields
    for api_field, value in api_obj.items():
        kept = read.get(api_field)
        if kept is None:
            continue
        manifest, ref = kept
        if ref is not None and value is not None:
            name = name_of(ref.target, value)
            if name is None:
                out[api_field] = value
                continue
            value = name
        out[manifest] = value
    if k.name == "webhook" and out.get("filters"):
        out["filters"] = _webhook_filters(out["filters"], lambda f: _flow_name(f, name_of))
    return out


def to_api(
    k: Kind,
    fields: dict[str, Any],
    resolve: Resolver,
    *,
    include: Iterable[str] | None = None,
    secrets: bool = True,
) -> dict[str, Any]:
    """Request body for ``fields`` (all of them, or only ``include``), names resolved.

    Secrets are revealed only here, only when ``secrets`` is true. Flow steps and status
    are never part of the body. Raises KeyError for a reference to an unknown name.
    """
    wanted = set(fields) if include is None else set(include)
    body: dict[str, Any] = {}
    for manifest, value in fields.items():
        if manifest not in wanted or manifest not in k.fields:
            continue
        if k.name == "flow" and manifest in FLOW_LEVEL6_FIELDS:
            continue
        if manifest in k.secret and not secrets:
            continue
        ref = k.ref_for(manifest)
        if ref is not None and value is not None:
            value = resolve(ref.target, reveal(value))
        body[k.api_name(manifest)] = reveal(value)
    if k.name == "webhook" and body.get("filters"):
        body["filters"] = _webhook_filters(body["filters"], lambda f: _flow_uuid(f, resolve))
    return body


def _webhook_filters(filters: Any, convert: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """Copy of webhook ``filters`` with each ``jsonLogic.data.flows[]`` entry converted."""
    if not isinstance(filters, dict):
        return filters
    node: Any = filters
    for step in kinds.WEBHOOK_FLOW_LIST[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    flows = node.get(kinds.WEBHOOK_FLOW_LIST[-1]) if isinstance(node, dict) else None
    if not isinstance(flows, list):
        return filters
    new_flows = [convert(f) if isinstance(f, dict) else f for f in flows]
    return _replace_path(filters, kinds.WEBHOOK_FLOW_LIST, new_flows)


def _replace_path(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = dict(tree)
    if len(path) == 1:
        copy[path[0]] = value
    else:
        copy[path[0]] = _replace_path(dict(copy[path[0]]), path[1:], value)
    return copy


def _flow_name(entry: dict[str, Any], name_of: Namer) -> dict[str, Any]:
    out = {k: v for k, v in entry.items() if k != "flow_uuid"}
    uuid = entry.get("flow_uuid")
    if uuid is None:
        return dict(entry)
    name = name_of("flow", uuid)
    if name is None:
        out["flow_uuid"] = uuid
    else:
        out["flow"] = name
    return out


def _flow_uuid(entry: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    if "flow" not in entry:
        return dict(entry)
    out = {k: v for k, v in entry.items() if k != "flow"}
    out["flow_uuid"] = resolve("flow", entry["flow"])
    return out


def webhook_flow_names(filters: Any) -> list[str]:
    """Flow names a webhook's manifest ``filters`` reference."""
    found: list[str] = []

    def collect(entry: dict[str, Any]) -> dict[str, Any]:
        if "flow" in entry:
            found.append(str(entry["flow"]))
        return entry

    _webhook_filters(filters, collect)
    return found


def secret_placeholder(kind: str, name: str, field: str) -> str:
    """The ``${env:...}`` placeholder export writes for a secret field."""
    slug = "".join(c if c.isascii() and c.isalnum() else "_" for c in name.upper()).strip("_")
    return f"${{env:GSCTL_{kind.upper()}_{slug}_{field.upper()}}}"


def is_secret_value(value: Any) -> bool:
    return isinstance(value, Secret)


def references_of(kind: str, fields: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (kind, name) the manifest fields of one object refer to."""
    k = kinds.KINDS[kind]
    out: set[tuple[str, str]] = set()
    for ref in k.refs:
        value = fields.get(ref.manifest_field)
        if isinstance(value, str):
            out.add((ref.target, value))
    if kind == "webhook":
        out.update(("flow", n) for n in webhook_flow_names(fields.get("filters")))
    if kind == "flow":
        out.update(_step_references(fields))
    return out


_PAYLOAD_TARGETS = {manifest: target for manifest, target in kinds.PAYLOAD_REFS.values()}


def _step_references(fields: dict[str, Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for node in fields.get("nodes") or []:
        payload = node.get("payload") if isinstance(node, dict) else None
        if not isinstance(payload, dict):
            continue
        for manifest, target in _PAYLOAD_TARGETS.items():
            value = payload.get(manifest)
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, str):
                    out.add((target, reference_name(target, v)))
    for source in fields.get("contact_sources") or []:
        if isinstance(source, dict):
            for label in source.get("sender_profiles") or []:
                if isinstance(label, str):
                    out.add(("sender_profile", label))
    return out


# Query parameters whose values are credentials by their name (token=, api_key=, sig=, ...).
SECRET_PARAM = re.compile(r"token|key|secret|passw|pwd|sig|auth|credential|session", re.I)


def mask_url(value: Any) -> Any:
    """``value`` with its userinfo and the values of credential-like query parameters
    (:data:`SECRET_PARAM`) replaced by ``(sensitive)``. Non-strings are returned as is.

    A token in the path (``/services/T0/B0/XXXX``) cannot be told from a path: write such a
    URL as ``${env:NAME}`` and the whole value is sensitive."""
    if not isinstance(value, str):
        return value
    parts = urllib.parse.urlsplit(value)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "(sensitive)@" + netloc.rsplit("@", 1)[1]
    query = "&".join(_mask_param(p) for p in parts.query.split("&")) if parts.query else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_param(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    return f"{name}=(sensitive)" if sep and SECRET_PARAM.search(name) else pair


def url_has_hidden_parts(value: Any) -> bool:
    return isinstance(value, str) and mask_url(value) != value
