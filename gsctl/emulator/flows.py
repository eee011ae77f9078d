"""Flow versions and flow status actions, as the contract defines them.

A version body (``FlowVersionCreate``) is valid when, besides its schema (nodes >= 1,
contact_sources >= 1, every node with created_at/updated_at):

- node ids are unique; contact source ids, where given, are unique;
- edges are symmetric: A.after holds {node_id: B, branch_id: x} iff B.before holds
  {node_id: A, branch_id: x};
- every edge and every contact source ``after_id`` names an existing node;
- every path reaches an end node: a node without outgoing edges must be of type ``end``, and
  from every node some ``end`` node is reachable (no closed loops).

Stored versions keep only the declared node / contact-source fields, with the schema
defaults filled (``automation``, ``payload`` = {}, ``delay_in_seconds`` = 0); a payload sent
as ``[]`` stays ``[]``. Contact sources without ``id`` get the lowest free id from 1.
Referenced uuids inside payloads are not checked.
"""

from __future__ import annotations

import copy
import uuid as uuidlib
from typing import Any

from gsctl.emulator.contract import Contract
from gsctl.emulator.problem import FieldErrors, Problem

Obj = dict[str, Any]


def initial_version(contract: Contract, flow_uuid: str, now: str) -> Obj:
    """The version every new flow starts with: one end node (1), contact source 1."""
    node = {
        "id": 1,
        "type": "end",
        "before": [],
        "after": [],
        "payload": [],
        "created_at": now,
        "updated_at": now,
    }
    source = {"id": 1, "rotation_strategy": "fair", "sender_profiles": [], "after_id": 1}
    return _version(contract, flow_uuid, now, [node], [source], None)


def _version(
    contract: Contract, flow_uuid: str, now: str, nodes: list[Obj], sources: list[Obj], common: Any
) -> Obj:
    node_props = contract.schemas["FlowNode"]["properties"]
    source_props = contract.schemas["ContactSource"]["properties"]
    return {
        "uuid": str(uuidlib.uuid4()),
        "flow_uuid": flow_uuid,
        "created_at": now,
        "nodes": [_shape(n, node_props) for n in nodes],
        "contact_sources": [_shape(s, source_props, defaults=False) for s in sources],
        "first_common_node_id": common,
    }


def _shape(item: Obj, props: dict[str, Any], *, defaults: bool = True) -> Obj:
    """Declared fields only, in schema order, with schema defaults filled."""
    out: Obj = {}
    for name, prop in props.items():
        if name in item:
            out[name] = copy.deepcopy(item[name])
        elif defaults and "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
    return out


def check_version(contract: Contract, body: Any) -> FieldErrors:
    """Every field error of a version body ({} when it may be saved)."""
    errors = contract.validate("FlowVersionCreate", body)
    if errors:
        return errors
    nodes: list[Obj] = body["nodes"]
    ids: dict[int, int] = {}
    for i, node in enumerate(nodes):
        if node["id"] in ids:
            errors.setdefault(f"nodes.{i}.id", []).append(f"node id {node['id']} is used twice")
        ids.setdefault(node["id"], i)
    if errors:
        return errors
    _check_edges(nodes, ids, errors)
    if not errors:
        _check_paths(nodes, ids, errors)
    _check_sources(body["contact_sources"], ids, errors)
    return errors


def _check_edges(nodes: list[Obj], ids: dict[int, int], errors: FieldErrors) -> None:
    opposite = {"after": "before", "before": "after"}
    for i, node in enumerate(nodes):
        for side, other_side in opposite.items():
            for j, edge in enumerate(node[side]):
                where = f"nodes.{i}.{side}.{j}.node_id"
                k = ids.get(edge["node_id"])
                if k is None:
                    errors.setdefault(where, []).append(f"names a missing node ({edge['node_id']})")
                    continue
                mirror = {"node_id": node["id"], "branch_id": edge["branch_id"]}
                if not any(_same_edge(e, mirror) for e in nodes[k][other_side]):
                    errors.setdefault(where, []).append(
                        f"edge is not symmetric: node {edge['node_id']} has no {other_side} edge "
                        f"to node {node['id']} on branch {edge['branch_id']}"
                    )


def _same_edge(a: Obj, b: Obj) -> bool:
    return bool(a["node_id"] == b["node_id"] and a["branch_id"] == b["branch_id"])


def _check_paths(nodes: list[Obj], ids: dict[int, int], errors: FieldErrors) -> None:
    """Sinks must be end nodes, and an end node must be reachable from every node."""
    parents: dict[int, list[int]] = {n["id"]: [] for n in nodes}
    for node in nodes:
        for edge in node["after"]:
            parents[edge["node_id"]].append(node["id"])
    reach = {n["id"] for n in nodes if n["type"] == "end"}
    todo = list(reach)
    while todo:
        for parent in parents[todo.pop()]:
            if parent not in reach:
                reach.add(parent)
                todo.append(parent)
    for i, node in enumerate(nodes):
        if not node["after"] and node["type"] != "end":
            errors.setdefault(f"nodes.{i}", []).append(
                "has no outgoing edge and is not an end node: every path must reach an end node"
            )
        elif node["id"] not in reach:
            errors.setdefault(f"nodes.{i}", []).append("no path from this node reaches an end node")


def _check_sources(sources: list[Obj], ids: dict[int, int], errors: FieldErrors) -> None:
    seen: set[int] = set()
    for i, source in enumerate(sources):
        if "id" in source:
            if source["id"] in seen:
                errors.setdefault(f"contact_sources.{i}.id", []).append(
                    f"contact source id {source['id']} is used twice"
                )
            seen.add(source["id"])
        after = source.get("after_id")
        if after is not None and after not in ids:
            errors.setdefault(f"contact_sources.{i}.after_id", []).append(
                f"names a missing node ({after})"
            )


def build_version(contract: Contract, flow_uuid: str, body: Obj, now: str) -> Obj:
    """The stored version for a checked body; contact sources without id are numbered."""
    sources = [dict(s) for s in body["contact_sources"]]
    used = {s["id"] for s in sources if "id" in s}
    free = 1
    for source in sources:
        if "id" not in source:
            while free in used:
                free += 1
            source["id"] = free
            used.add(free)
    return _version(
        contract, flow_uuid, now, body["nodes"], sources, body.get("first_common_node_id")
    )


def next_status(table: dict[str, str | int], status: str, action: str) -> str:
    """The status after ``action`` per its ``x-gsctl-transitions`` table; 422 when refused."""
    outcome = table.get(status)
    if outcome is None or isinstance(outcome, int):
        raise Problem(
            outcome if isinstance(outcome, int) else 422,
            f"Cannot {action} a flow in status {status}.",
            {"status": [f"cannot {action} a flow whose status is {status}"]},
        )
    return outcome
