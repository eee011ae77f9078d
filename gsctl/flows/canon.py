"""Canonical form of a flow graph, the base of step diffs. Pure, no I/O.

Canonical form (:func:`canonical`): node ids, edge order, source ids, timestamps and server
fields do not count. Nodes are numbered 0, 1, ... in depth-first preorder from the entries of
the contact sources, outgoing edges taken in ``branch_id`` order. Sources are taken in the
order of their settings (rotation, sorted sender profiles, name, limits, filters), then of a
structural fingerprint of their entry node (colour refinement over the graph, so it does not
depend on ids). Unreachable nodes follow, by fingerprint. Default values are dropped on both
sides (:func:`gsctl.flows.refs.normalize`); references to case-insensitive kinds (tags) are
compared case-folded and a bare pipeline stage name means the lead stage of that name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from gsctl.api import kinds
from gsctl.api.refs import stage_ref
from gsctl.flows.refs import MANIFEST_REFS, is_int, normalize

# ================================================================ canonical form


def _freeze(value: Any) -> Any:
    """A repr-stable, order-insensitive (for mappings) view of a value, for fingerprints."""
    if isinstance(value, dict):
        return ("{", tuple(sorted((repr(k), _freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("[", tuple(_freeze(v) for v in value))
    return value


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(_freeze(value)).encode()).hexdigest()[:24]


def _cmp_payload(payload: Any) -> Any:
    """Payload as compared: tag names case-folded, bare stage names as ``lead/<name>``."""
    if not isinstance(payload, dict):
        return payload
    out = dict(payload)
    for key, (_, target) in MANIFEST_REFS.items():
        value = out.get(key)
        if not isinstance(value, str):
            continue
        if target == "pipeline_stage":
            out[key] = stage_ref(value)
        elif "name" in kinds.KINDS[target].case_insensitive:
            out[key] = value.casefold()
    return out


def _content(node: dict[str, Any]) -> dict[str, Any]:
    """What a node is, apart from its id and edges (defaults already dropped)."""
    out = {"type": node.get("type")}
    if "payload" in node:
        out["payload"] = _cmp_payload(node["payload"])
    if "delay_in_seconds" in node:
        out["delay_in_seconds"] = node["delay_in_seconds"]
    return out


def _settings(source: dict[str, Any]) -> dict[str, Any]:
    """A contact source's settings as compared: no id, no entry, sender profiles sorted."""
    out = {k: v for k, v in source.items() if k not in ("id", "after_id")}
    if isinstance(out.get("sender_profiles"), list):
        out["sender_profiles"] = sorted(out["sender_profiles"], key=repr)
    return out


Target = int | str  # index of an existing node, or "missing:<id>"


@dataclass
class _Graph:
    nodes: list[dict[str, Any]]  # normalised
    sources: list[dict[str, Any]]  # normalised
    succ: list[list[tuple[Any, Target]]]  # per node: (branch_id, target)
    entries: list[Target | None]  # per source
    order: list[int] = field(default_factory=list)  # canonical node order
    source_order: list[int] = field(default_factory=list)  # canonical source order


def _analyse(nodes: list[dict[str, Any]], contact_sources: list[dict[str, Any]]) -> _Graph:
    norm_nodes, norm_sources = normalize(nodes, contact_sources)
    index: dict[int, int] = {}
    for i, n in enumerate(norm_nodes):
        if is_int(n["id"]):
            index.setdefault(n["id"], i)

    def target(node_id: Any) -> Target:
        return index[node_id] if is_int(node_id) and node_id in index else f"missing:{node_id!r}"

    succ = [
        [
            (e.get("branch_id"), target(e.get("node_id")))
            for e in n.get("after", [])
            if isinstance(e, dict)
        ]
        if isinstance(n.get("after", []), list)
        else []
        for n in norm_nodes
    ]
    entries: list[Target | None] = [
        None if s["after_id"] is None else target(s["after_id"]) for s in norm_sources
    ]
    g = _Graph(norm_nodes, norm_sources, succ, entries)
    g.order, g.source_order = _traverse(g, _colors(g))
    return g


_ROUNDS = 8  # refinement rounds: nodes are told apart by their surroundings up to 8 steps away


def _colors(g: _Graph) -> list[str]:
    """Id-independent fingerprints of the nodes, used only to break ties in the ordering.

    Colour refinement: start from content and entering sources, then mix in the colours of
    successors and predecessors (by branch) until the partition is stable or after
    :data:`_ROUNDS` rounds. Same rounds on both sides, so renumbering never changes them.
    """
    marks: list[list[str]] = [[] for _ in g.nodes]
    for s, entry in zip(g.sources, g.entries, strict=True):
        if isinstance(entry, int):
            marks[entry].append(_digest(_settings(s)))
    pred: list[list[tuple[Any, int]]] = [[] for _ in g.nodes]
    for i, edges in enumerate(g.succ):
        for b, t in edges:
            if isinstance(t, int):
                pred[t].append((b, i))
    colors = [
        _digest(
            (
                _content(n),
                sorted(marks[i]),
                sorted((repr(b), t) for b, t in g.succ[i] if isinstance(t, str)),
            )
        )
        for i, n in enumerate(g.nodes)
    ]
    classes = len(set(colors))
    for _ in range(_ROUNDS):
        colors = [
            _digest(
                (
                    colors[i],
                    sorted((repr(b), colors[t]) for b, t in g.succ[i] if isinstance(t, int)),
                    sorted((repr(b), colors[p]) for b, p in pred[i]),
                )
            )
            for i in range(len(g.nodes))
        ]
        if len(set(colors)) == classes:
            break
        classes = len(set(colors))
    return colors


def _branch_key(branch: Any) -> tuple[int, Any]:
    return (0, branch) if is_int(branch) else (1, repr(branch))


def _traverse(g: _Graph, colors: list[str]) -> tuple[list[int], list[int]]:
    """Canonical node order (preorder DFS from the sources) and canonical source order."""

    def entry_color(j: int) -> str:
        e = g.entries[j]
        return colors[e] if isinstance(e, int) else repr(e)

    source_order = sorted(
        range(len(g.sources)), key=lambda j: (_digest(_settings(g.sources[j])), entry_color(j), j)
    )
    order: list[int] = []
    seen: set[int] = set()

    def visit(root: int) -> None:
        stack = [root]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            order.append(n)
            kids = [(b, t) for b, t in g.succ[n] if isinstance(t, int)]
            kids.sort(key=lambda bt: (_branch_key(bt[0]), colors[bt[1]]))
            stack.extend(t for _, t in reversed(kids))

    for j in source_order:
        entry = g.entries[j]
        if isinstance(entry, int):
            visit(entry)
    for i in sorted(range(len(g.nodes)), key=lambda i: (colors[i], i)):
        visit(i)
    return order, source_order


def canonical(nodes: list[dict[str, Any]], contact_sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Comparison form of a flow graph (see the module docstring for the rules).

    ``{"nodes": [{type, payload?, delay_in_seconds?, after?: [[branch_id, position], ...]}],
    "contact_sources": [{settings..., "after": position}]}``, positions being canonical
    indexes. Equal for graphs that differ only in numbering, edge order or source ids; any
    change of type, payload, delay, edge target, branch or source settings makes it differ.
    Accepts manifest or API shape (both sides must use the same vocabulary).
    """
    g = _analyse(nodes, contact_sources)
    pos = {i: p for p, i in enumerate(g.order)}

    def where(t: Target | None) -> Any:
        return pos[t] if isinstance(t, int) else t

    out_nodes = []
    for i in g.order:
        c = _content(g.nodes[i])
        edges = sorted(
            ([b, where(t)] for b, t in g.succ[i]), key=lambda e: (_branch_key(e[0]), repr(e[1]))
        )
        if edges:
            c["after"] = edges
        elif "after" in g.nodes[i]:
            c["after"] = g.nodes[i]["after"]  # malformed edges: still count
        out_nodes.append(c)
    out_sources = [
        {**_settings(g.sources[j]), "after": where(g.entries[j])} for j in g.source_order
    ]
    return {"nodes": out_nodes, "contact_sources": out_sources}
