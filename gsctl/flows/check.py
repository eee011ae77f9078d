"""Validation of flow steps as written in a manifest. Pure, no I/O.

Branch ids by node type (:func:`branch_rule`): ``end`` has no outgoing edges;
``rule_filter`` / ``ai_rule_filter`` 1 = match, 0 = else; ``rule_ab_test`` 1, 2;
``trigger_*`` 1 = yes, 2 = timeout; ``rule_manual_router`` any id >= 0; every other
(linear) step 1. Callers use :func:`check_graph` through :mod:`gsctl.flows.graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gsctl.flows.refs import END, MANIFEST_REFS, MAX_DELAY_SECONDS, is_int

_TWO_WAY = frozenset({1, 2})
Path = tuple[Any, ...]
Problem = tuple[Path, str]


def branch_rule(node_type: Any) -> tuple[frozenset[int] | None, str]:
    """Allowed outgoing ``branch_id`` values for a node type (None: any id >= 0), and a hint."""
    if node_type == END:
        return frozenset(), "an end node has no outgoing edges"
    if node_type in ("rule_filter", "ai_rule_filter"):
        return frozenset({0, 1}), "1 = match, 0 = else"
    if node_type == "rule_ab_test":
        return _TWO_WAY, "1 or 2"
    if isinstance(node_type, str) and node_type.startswith("trigger_"):
        return _TWO_WAY, "1 = yes, 2 = timeout"
    if node_type == "rule_manual_router":
        return None, "any branch id >= 0"
    return frozenset({1}), "linear steps use 1"


class _Problems(list[Problem]):
    def add(self, message: str, *path: Any) -> None:
        self.append((path, message))


@dataclass
class _Node:
    index: int  # position in the nodes list
    id: int | None  # None when the id is invalid
    type: Any
    n_edges: int = 0  # raw number of outgoing edges
    edges: list[tuple[int, int, int]] = field(default_factory=list)  # (k, node_id, branch_id)


def check_graph(nodes: Any, contact_sources: Any) -> list[Problem]:
    """Every problem of a manifest flow graph as ``(path within the flow item, message)``.

    Checks: node ids are unique integers >= 1; edges point at existing ids; branch ids are
    valid for the node type (:func:`branch_rule`); at most one edge per branch; an ``end``
    node has no outgoing edges and every other node has at least one (so every branch ends
    at an end node); no cycles; at least one contact source, each ``after_id`` an existing
    node; every node reachable from some contact source. Payload references must be names
    (strings; ``flows`` a list of them), not ``*_uuid`` fields. Malformed input is reported,
    never raised on.
    """
    out = _Problems()
    parsed = _parse_nodes(nodes, out)
    by_id: dict[int, _Node] = {}
    for node in parsed:
        if node.id is not None and node.id in by_id:
            first = by_id[node.id].index
            out.add(
                f"node id {node.id} is used more than once (first at nodes[{first}])",
                "nodes",
                node.index,
                "id",
            )
        elif node.id is not None:
            by_id[node.id] = node
    _check_edges(parsed, by_id, out)
    entries = _check_sources(contact_sources, by_id, out)
    if entries:
        _check_reach(parsed, by_id, entries, out)
    _check_cycles(by_id, out)
    return list(out)


def _parse_nodes(nodes: Any, out: _Problems) -> list[_Node]:
    if not isinstance(nodes, list) or not nodes:
        out.add("a flow needs a list of at least one node", "nodes")
        return []
    parsed: list[_Node] = []
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            out.add("a node must be a mapping", "nodes", i)
            continue
        node_id = node.get("id")
        if not (is_int(node_id) and node_id >= 1):
            out.add("node id must be an integer >= 1", "nodes", i, "id")
            node_id = None
        if not isinstance(node.get("type"), str) or not node["type"]:
            out.add("node type is required", "nodes", i, "type")
        _check_payload(i, node.get("payload"), out)
        delay = node.get("delay_in_seconds")
        if delay is not None and not (is_int(delay) and 0 <= delay <= MAX_DELAY_SECONDS):
            msg = f"delay_in_seconds must be an integer from 0 to {MAX_DELAY_SECONDS} (365 days)"
            out.add(msg, "nodes", i, "delay_in_seconds")
        parsed.append(_parse_edges(_Node(i, node_id, node.get("type")), node.get("after"), out))
    return parsed


def _parse_edges(node: _Node, after: Any, out: _Problems) -> _Node:
    if after is None:
        return node
    if not isinstance(after, list):
        out.add("after must be a list of edges", "nodes", node.index, "after")
        return node
    node.n_edges = len(after)
    for k, edge in enumerate(after):
        path = ("nodes", node.index, "after", k)
        if not isinstance(edge, dict):
            out.add("an edge must be a mapping {node_id, branch_id}", *path)
            continue
        target, branch = edge.get("node_id"), edge.get("branch_id")
        if not is_int(target):
            out.add("node_id must be an integer", *path, "node_id")
        if not is_int(branch):
            out.add("branch_id must be an integer", *path, "branch_id")
        if is_int(target) and is_int(branch):
            node.edges.append((k, target, branch))
    return node


def _check_payload(i: int, payload: Any, out: _Problems) -> None:
    if payload is None or payload == []:
        return
    if not isinstance(payload, dict):
        out.add("payload must be a mapping", "nodes", i, "payload")
        return
    for key, (api_field, target) in MANIFEST_REFS.items():
        value, what = payload.get(key), target.replace("_", " ")
        if api_field.endswith("_uuids"):
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            ):
                out.add(f"{key} must be a list of {what} names", "nodes", i, "payload", key)
        elif value is not None and not (isinstance(value, str) and value):
            out.add(f"{key} must be a {what} name", "nodes", i, "payload", key)
        if payload.get(api_field) is not None:
            msg = f"write the reference by name ({key}: <name>), not as {api_field}"
            out.add(msg, "nodes", i, "payload", api_field)


def _check_edges(parsed: list[_Node], by_id: dict[int, _Node], out: _Problems) -> None:
    for node in parsed:
        allowed, hint = branch_rule(node.type)
        if node.type == END and node.n_edges:
            out.add("an end node cannot have outgoing edges", "nodes", node.index, "after")
        elif node.type != END and node.n_edges == 0 and node.id is not None:
            msg = f"node {node.id} ({node.type}) has no outgoing edge"
            msg += ": every branch must end at an end node"
            out.add(msg, "nodes", node.index)
        used: set[int] = set()
        for k, target, branch in node.edges:
            path = ("nodes", node.index, "after", k)
            if target not in by_id:
                out.add(f"edge points at node {target}, which does not exist", *path, "node_id")
            if node.type == END:
                continue
            if branch < 0 if allowed is None else branch not in allowed:
                out.add(
                    f"branch {branch} is not valid for {node.type} ({hint})", *path, "branch_id"
                )
            elif branch in used:
                out.add(
                    f"node {node.id} already has an edge on branch {branch}", *path, "branch_id"
                )
            used.add(branch)


def _check_sources(sources: Any, by_id: dict[int, _Node], out: _Problems) -> list[int]:
    if not isinstance(sources, list) or not sources:
        out.add("a flow needs at least one contact source", "contact_sources")
        return []
    entries: list[int] = []
    seen_ids: set[int] = set()
    for j, source in enumerate(sources):
        path = ("contact_sources", j)
        if not isinstance(source, dict):
            out.add("a contact source must be a mapping", *path)
            continue
        sid, after_id = source.get("id"), source.get("after_id")
        if is_int(sid):
            if sid in seen_ids:
                out.add(f"contact source id {sid} is used more than once", *path, "id")
            seen_ids.add(sid)
        if after_id is None:
            out.add("after_id is required: the id of the first step", *path, "after_id")
        elif not is_int(after_id):
            out.add("after_id must be a node id (an integer)", *path, "after_id")
        elif after_id not in by_id:
            out.add(f"after_id points at node {after_id}, which does not exist", *path, "after_id")
        else:
            entries.append(after_id)
    return entries


def _check_reach(
    parsed: list[_Node], by_id: dict[int, _Node], entries: list[int], out: _Problems
) -> None:
    seen, stack = set(entries), list(entries)
    while stack:
        for _, target, _ in by_id[stack.pop()].edges:
            if target in by_id and target not in seen:
                seen.add(target)
                stack.append(target)
    for node in parsed:
        if node.id is not None and by_id.get(node.id) is node and node.id not in seen:
            out.add(f"node {node.id} is not reachable from any contact source", "nodes", node.index)


def _check_cycles(by_id: dict[int, _Node], out: _Problems) -> None:
    """One problem per edge that closes a cycle (iterative depth-first search)."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in by_id:
        if root in state:
            continue
        state[root], path, stack = 1, [root], [iter(by_id[root].edges)]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            k, target, _ = step
            if state.get(target) == 1:
                cycle = " -> ".join(str(n) for n in [*path[path.index(target) :], target])
                msg = f"edge to node {target} closes a cycle: {cycle}"
                out.add(msg, "nodes", by_id[path[-1]].index, "after", k)
            elif target in by_id and target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(by_id[target].edges))
