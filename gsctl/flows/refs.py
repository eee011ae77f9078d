"""Flow steps as written: normalisation and the API shape (validation: ``flowcheck``). Pure, no I/O.

Manifest node: ``{id, type, payload?, delay_in_seconds?, after?}`` with payload references by
name (``tag``, ``ai_template``, ``pipeline_stage``, ``list``, ``sender_profile``, ``flow``,
``flows``, ``webhook``; the payload's own ``template`` is message text and is never touched).
API node: the same plus ``before`` edges, ``automation``, timestamps, references as ``*_uuid``
(``kinds.PAYLOAD_REFS``); an API payload may be ``[]``, meaning ``{}``.

Only top-level payload keys are references. A list value (``flows``) is translated element by
element. ``null`` references are kept when sending and dropped by :func:`normalize_node`.

The manifest side and the live side are normalised by the same functions
(:func:`normalize_node`, :func:`normalize_source`): default values are dropped
(``delay_in_seconds: 0``, empty payload, empty ``after``, ``rotation_strategy: fair``,
``null`` optional source settings), so a manifest and its round trip compare equal.

Callers use these through :mod:`gsctl.flows.graph`, which re-exports them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeGuard

from gsctl.api.kinds import PAYLOAD_REFS

Resolve = Callable[[str, str], str]  # (kind, name) -> uuid; KeyError when unknown
NameOf = Callable[[str, str], "str | None"]  # (kind, uuid) -> name; None when unknown

END = "end"
AUTOMATION = "auto"
DEFAULT_ROTATION = "fair"
SOURCE_FIELDS = (
    "id",
    "name",
    "rotation_strategy",
    "sender_profiles",
    "after_id",
    "active_limit",
    "coworkers_limit",
    "mass_actions_filter",
    "filter_tree_format",
)
# Optional contact-source settings and the value that means "not set".
SOURCE_DEFAULTS: dict[str, Any] = {
    "name": None,
    "rotation_strategy": DEFAULT_ROTATION,
    "active_limit": None,
    "coworkers_limit": None,
    "mass_actions_filter": None,
    "filter_tree_format": None,
}
# Manifest payload field -> (API payload field, target kind).
MANIFEST_REFS: dict[str, tuple[str, str]] = {m: (api, kd) for api, (m, kd) in PAYLOAD_REFS.items()}


MAX_DELAY_SECONDS = 365 * 86400  # gsctl's bound on one step's delay: the contract gives none
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copied(value: Any) -> Any:
    """``copy.deepcopy(value)``, without its cost for a scalar (most payload values)."""
    return value if type(value) in _SCALARS else copy.deepcopy(value)


def is_int(value: Any) -> TypeGuard[int]:
    """An integer that is not a bool (YAML ``true`` must not pass for node 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def payload_of(value: Any) -> Any:
    """A node's payload with ``[]`` and missing read as ``{}``; anything else unchanged."""
    if value is None or value == []:
        return {}
    return value


# ---------------------------------------------------------------- normalisation


def normalize_node(node: dict[str, Any]) -> dict[str, Any]:
    """Manifest-shape copy of ``node`` with server fields and default values dropped.

    Keeps ``id`` and ``type`` always; ``payload`` when non-empty (``null`` references
    removed); ``delay_in_seconds`` when not 0; ``after`` (only ``node_id``/``branch_id``)
    when non-empty. Unknown keys (``before``, timestamps, ``automation``...) are dropped.
    """
    out: dict[str, Any] = {"id": node.get("id"), "type": node.get("type")}
    payload = payload_of(node.get("payload"))
    if isinstance(payload, dict):
        refs = MANIFEST_REFS.keys() | PAYLOAD_REFS.keys()
        payload = {k: _copied(v) for k, v in payload.items() if not (k in refs and v is None)}
    if payload:
        out["payload"] = payload
    delay = node.get("delay_in_seconds")
    if delay is not None and not (is_int(delay) and delay == 0):
        out["delay_in_seconds"] = delay
    edges = node.get("after")
    if isinstance(edges, list):
        after = [_edge(e) for e in edges]
        if after:
            out["after"] = after
    elif edges is not None:
        out["after"] = edges  # malformed: kept so that it shows in a diff
    return out


def _edge(edge: Any) -> Any:
    if isinstance(edge, dict):
        return {"node_id": edge.get("node_id"), "branch_id": edge.get("branch_id")}
    return edge


def normalize_source(source: dict[str, Any]) -> dict[str, Any]:
    """Manifest-shape copy of a contact source with default settings dropped.

    ``sender_profiles`` (default ``[]``) and ``after_id`` (default ``None``) are always
    present; ``id`` when set; other settings when they differ from :data:`SOURCE_DEFAULTS`.
    """
    out: dict[str, Any] = {}
    for key in SOURCE_FIELDS:
        value = source.get(key, SOURCE_DEFAULTS.get(key))
        if key == "sender_profiles":
            out[key] = list(value) if isinstance(value, list | tuple) else (value or [])
        elif key == "after_id":
            out[key] = value
        elif key == "id":
            if value is not None:
                out[key] = value
        elif value != SOURCE_DEFAULTS[key]:
            out[key] = _copied(value)
    return out


def normalize(
    nodes: list[dict[str, Any]], contact_sources: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both lists normalised (:func:`normalize_node`, :func:`normalize_source`); non-mapping
    items are skipped."""
    return (
        [normalize_node(n) for n in nodes if isinstance(n, dict)],
        [normalize_source(s) for s in contact_sources if isinstance(s, dict)],
    )


# ---------------------------------------------------------------- manifest -> API


def to_api_version(
    nodes: list[dict[str, Any]],
    contact_sources: list[dict[str, Any]],
    *,
    resolve: Resolve,
    now: str,
) -> dict[str, Any]:
    """Body for ``POST /flows/api/flows/{uuid}/flow-versions`` from a valid manifest graph.

    Every node gets ``automation: auto``, ``created_at = updated_at = now``, a payload with
    references resolved by ``resolve(kind, name)`` (a KeyError for an unknown name
    propagates) and ``before`` edges mirroring every ``after`` edge (same ``branch_id``).
    Contact sources get their sender profile labels resolved (``resolve("sender_profile",
    label)``) and ``rotation_strategy`` defaulted to ``fair``. ``first_common_node_id`` is
    :func:`first_common_node_id` from the first contact source's entry.
    """
    api_nodes = [_api_node(n, resolve, now) for n in nodes]
    by_id: dict[Any, dict[str, Any]] = {}
    for n in api_nodes:
        by_id.setdefault(n["id"], n)
    for n in api_nodes:
        for e in n["after"]:
            target = by_id.get(e["node_id"]) if isinstance(e, dict) else None
            if target is not None:
                target["before"].append({"node_id": n["id"], "branch_id": e["branch_id"]})
    sources = [_api_source(s, resolve) for s in contact_sources]
    entry = sources[0].get("after_id") if sources else None
    return {
        "nodes": api_nodes,
        "contact_sources": sources,
        "first_common_node_id": first_common_node_id(nodes, entry),
    }


def _api_node(node: dict[str, Any], resolve: Resolve, now: str) -> dict[str, Any]:
    payload = payload_of(node.get("payload"))
    return {
        "id": node.get("id"),
        "type": node.get("type"),
        "automation": AUTOMATION,
        "payload": uuids_in_payload(payload, resolve) if isinstance(payload, dict) else payload,
        "delay_in_seconds": node.get("delay_in_seconds") or 0,
        "before": [],
        "after": [_edge(e) for e in node.get("after") or []],
        "created_at": now,
        "updated_at": now,
    }


def uuids_in_payload(payload: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """Payload with name references replaced by ``*_uuid`` fields, keys in the same order."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key not in MANIFEST_REFS:
            out[key] = _copied(value)
            continue
        api_field, target = MANIFEST_REFS[key]
        if value is None:
            out[api_field] = None
        elif isinstance(value, list):
            out[api_field] = [resolve(target, v) for v in value]
        else:
            out[api_field] = resolve(target, value)
    return out


def _api_source(source: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in SOURCE_FIELDS:
        if key in source and not (key == "id" and source[key] is None):
            out[key] = _copied(source[key])
    out["rotation_strategy"] = source.get("rotation_strategy") or DEFAULT_ROTATION
    out["sender_profiles"] = [
        resolve("sender_profile", p) for p in source.get("sender_profiles") or []
    ]
    out.setdefault("after_id", None)
    return out


# ---------------------------------------------------------------- API -> manifest


def from_api_version(
    version: dict[str, Any], *, name_of: NameOf
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A live flow version in manifest shape: ``(nodes, contact_sources)``.

    Server fields are dropped, payload ``[]`` reads as ``{}``, ``*_uuid`` payload references
    and sender profile uuids become names via ``name_of(kind, uuid)``. An unknown uuid stays
    as it is (under its ``*_uuid`` key; for a list, the whole list stays under ``flow_uuids``)
    so nothing is lost and a diff shows it. Defaults are dropped by :func:`normalize`.
    """
    nodes: list[dict[str, Any]] = []
    for node in version.get("nodes") or []:
        if isinstance(node, dict):
            payload = payload_of(node.get("payload"))
            if isinstance(payload, dict):
                payload = names_in_payload(payload, name_of)
            nodes.append(normalize_node({**node, "payload": payload}))
    sources: list[dict[str, Any]] = []
    for source in version.get("contact_sources") or []:
        if isinstance(source, dict):
            out = dict(source)
            profiles = source.get("sender_profiles")
            if isinstance(profiles, list):
                out["sender_profiles"] = [
                    _name_or_raw(name_of, "sender_profile", p) for p in profiles
                ]
            sources.append(normalize_source(out))
    return nodes, sources


def _name_or_raw(name_of: NameOf, kind: str, uuid: Any) -> Any:
    if not isinstance(uuid, str):
        return uuid
    name = name_of(kind, uuid)
    return uuid if name is None else name


def names_in_payload(payload: dict[str, Any], name_of: NameOf) -> dict[str, Any]:
    """Payload with ``*_uuid`` references replaced by names, keys in the same order."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key not in PAYLOAD_REFS or value is None:
            out[key] = _copied(value)
            continue
        manifest_field, target = PAYLOAD_REFS[key]
        values = value if isinstance(value, list) else [value]
        names = [name_of(target, v) if isinstance(v, str) else None for v in values]
        if any(n is None for n in names):
            out[key] = _copied(value)  # unknown target: keep the raw uuid(s)
        else:
            out[manifest_field] = names if isinstance(value, list) else names[0]
    return out


# ---------------------------------------------------------------- first_common_node_id


def first_common_node_id(nodes: list[dict[str, Any]], entry: Any) -> int | None:
    """Where the branches of the flow meet again, for the web editor.

    Rule: walk from ``entry`` along single outgoing edges to the first node with two or more
    outgoing edges (the first branching); the answer is that node's immediate
    post-dominator, i.e. the first node that every path from it passes through (ends being
    joined by a virtual exit). ``None`` when the walk reaches an end without branching (a
    purely linear flow, per Grinfi KNOWN_ISSUES section 3: "use null only for a purely linear
    tree"), or when the branches never meet (each ends in its own end node).
    """
    succ = _successors(nodes)
    node, seen = entry, set()
    while node in succ and len(succ[node]) == 1 and node not in seen:
        seen.add(node)
        node = succ[node][0]
    if node not in succ or len(succ[node]) < 2:
        return None
    pdom = _post_dominators(succ, node)
    candidates = pdom[node] - {node}
    if not candidates:
        return None
    return max(candidates, key=lambda d: (len(pdom[d]), -d))


def _successors(nodes: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Node id -> ids of the existing targets of its edges (edge order; first id wins)."""
    succ: dict[int, list[int]] = {}
    for n in nodes:
        if isinstance(n, dict) and is_int(n.get("id")) and n["id"] not in succ:
            succ[n["id"]] = [
                e["node_id"]
                for e in n.get("after") or []
                if isinstance(e, dict) and is_int(e.get("node_id"))
            ]
    for n_id, targets in succ.items():
        succ[n_id] = [t for t in targets if t in succ]
    return succ


def _post_dominators(succ: dict[int, list[int]], start: int) -> dict[int, set[int]]:
    """Post-dominator sets of the nodes reachable from ``start`` (fixed point; cycle-safe)."""
    reach: list[int] = []
    stack, seen = [start], {start}
    while stack:
        n = stack.pop()
        reach.append(n)
        for t in succ[n]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    pdom = {n: ({n} if not succ[n] else set(reach)) for n in reach}
    changed = True
    while changed:
        changed = False
        for n in reach:
            if succ[n]:
                new = {n} | set.intersection(*(pdom[t] for t in succ[n]))
                if new != pdom[n]:
                    pdom[n], changed = new, True
    return pdom
