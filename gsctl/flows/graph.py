"""Flow steps as graphs: step diffs (with values) for the plan. Pure functions, no I/O.

A flow's steps are nodes (``{id, type, payload?, delay_in_seconds?, after?}``, edges
``{node_id, branch_id}``) fed by contact sources (``after_id`` = entry node). Validation,
normalisation and conversion to and from the API's version shape live in
:mod:`gsctl.flows.refs`; this module re-exports them, so callers use ``flowgraph.*`` only.

The canonical form (what counts as a change) is in :mod:`gsctl.flows.canon`.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from gsctl.flows.canon import (
    Target,
    _analyse,
    _branch_key,
    _content,
    _digest,
    _Graph,
    _settings,
    canonical,
)
from gsctl.flows.check import branch_rule, check_graph
from gsctl.flows.refs import (
    SOURCE_DEFAULTS,
    first_common_node_id,
    from_api_version,
    normalize,
    normalize_node,
    normalize_source,
    to_api_version,
)

__all__ = [
    "branch_rule",
    "canonical",
    "check_graph",
    "diff_graph",
    "first_common_node_id",
    "from_api_version",
    "normalize",
    "normalize_node",
    "normalize_source",
    "to_api_version",
]

# ================================================================ step diff


def diff_graph(
    desired: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    live: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Step changes for the plan; empty iff the canonical forms are equal.

    Nodes are paired by aligning the two canonical orders on node content (so renumbering
    alone pairs everything and an inserted step does not shift the rest); in a mismatched
    stretch, nodes of the same type pair up in order. Entries:
    ``{"op": "add"|"change"|"remove", "node_id", "type", "fields"}`` (ids of the desired side
    for add/change, of the live side for remove; ``fields`` like ``payload.template``,
    ``delay_in_seconds``, ``after``), then ``{"op", "contact_source": id, "fields"}``.
    """
    if canonical(*desired) == canonical(*live):
        return []
    d, lv = _analyse(*desired), _analyse(*live)
    match = _match_nodes(d, lv)
    out = _node_changes(d, lv, match) + _source_changes(d, lv, match)
    return out or [{"op": "change", "node_id": None, "type": "graph", "fields": []}]


def _match_nodes(d: _Graph, lv: _Graph) -> dict[int, int]:
    """Pair desired node indexes with live ones: (1) stretches of equal content in the two
    canonical orders; (2) leftovers of identical content anywhere (moved steps, e.g. after a
    branch swap); (3) leftovers of the same type within one mismatched stretch (edited)."""
    a = {i: _digest(_content(d.nodes[i])) for i in d.order}
    b = {j: _digest(_content(lv.nodes[j])) for j in lv.order}
    match: dict[int, int] = {}
    stretches: list[tuple[list[int], list[int]]] = []
    opcodes = SequenceMatcher(
        None, [a[i] for i in d.order], [b[j] for j in lv.order], autojunk=False
    )
    for tag, i1, i2, j1, j2 in opcodes.get_opcodes():
        if tag == "equal":
            match.update(zip(d.order[i1:i2], lv.order[j1:j2], strict=True))
        else:
            stretches.append((d.order[i1:i2], lv.order[j1:j2]))
    free = [j for _, js in stretches for j in js]
    same: list[Callable[[int, int], bool]] = [
        lambda i, j: a[i] == b[j],
        lambda i, j: d.nodes[i]["type"] == lv.nodes[j]["type"],
    ]
    for is_same, local in ((same[0], False), (same[1], True)):
        for ds, js in stretches:
            for i in ds:
                pool = js if local else free
                j = next((j for j in pool if j in free and is_same(i, j)), None)
                if i not in match and j is not None:
                    free.remove(j)
                    match[i] = j
    return match


def _mapper(match: dict[int, int]) -> Callable[[Target | None], Any]:
    return lambda t: match.get(t, f"unpaired:{t}") if isinstance(t, int) else t


def _node_changes(d: _Graph, lv: _Graph, match: dict[int, int]) -> list[dict[str, Any]]:
    """Added, changed and removed nodes, with values (see :func:`diff_graph`)."""
    out: list[dict[str, Any]] = []
    to_live = _mapper(match)
    edges = _EdgeViews(d, lv, match)
    for i in d.order:
        node = d.nodes[i]
        if i not in match:
            out.append({**_entry("add", node, []), "in": edges.into(d, i)})
            continue
        fields = _node_fields(node, lv.nodes[match[i]])
        mine = sorted(((repr(b), repr(to_live(t))) for b, t in d.succ[i]))
        theirs = sorted(((repr(b), repr(t)) for b, t in lv.succ[match[i]]))
        if mine != theirs or (
            not mine and d.nodes[i].get("after") != lv.nodes[match[i]].get("after")
        ):
            fields.append("after")
        if fields:
            entry = _entry("change", node, fields)
            entry["values"] = _values(node, lv.nodes[match[i]], fields, edges, i, match[i])
            out.append(entry)
    paired = set(match.values())
    for j in lv.order:
        if j not in paired:
            entry = _entry("remove", lv.nodes[j], [])
            out.append({**entry, "in": edges.into(lv, j), "out": edges.live_out(j)})
    return out


def _entry(op: str, node: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    return {"op": op, "node_id": node["id"], "type": node["type"], "fields": fields}


class _EdgeViews:
    """Edges as ``{"node_id", "branch_id"}`` in the desired side's node ids; a live node
    without a desired partner (a removed one) keeps its live id and gets ``"removed": True``."""

    def __init__(self, d: _Graph, lv: _Graph, match: dict[int, int]) -> None:
        self.d, self.lv = d, lv
        self.back = {j: i for i, j in match.items()}
        self.pred = {id(g): _predecessors(g) for g in (d, lv)}

    def ref(self, g: _Graph, t: Target, branch: Any) -> dict[str, Any]:
        if isinstance(t, str):
            return {"node_id": t, "branch_id": branch}
        if g is self.d:
            return {"node_id": self.d.nodes[t]["id"], "branch_id": branch}
        if t in self.back:
            return {"node_id": self.d.nodes[self.back[t]]["id"], "branch_id": branch}
        return {"node_id": self.lv.nodes[t]["id"], "branch_id": branch, "removed": True}

    def out(self, g: _Graph, i: int) -> list[dict[str, Any]]:
        return [self.ref(g, t, b) for b, t in sorted(g.succ[i], key=lambda e: _branch_key(e[0]))]

    def live_out(self, j: int) -> list[dict[str, Any]]:
        return self.out(self.lv, j)

    def into(self, g: _Graph, i: int) -> list[dict[str, Any]]:
        """Edges into node ``i``: the predecessor's id and the branch it leaves by."""
        return [self.ref(g, k, b) for k, b in self.pred[id(g)].get(i, [])]


def _predecessors(g: _Graph) -> dict[int, list[tuple[int, Any]]]:
    """Per node index: (predecessor index, branch) in canonical order."""
    out: dict[int, list[tuple[int, Any]]] = {}
    for k in g.order:
        for b, t in sorted(g.succ[k], key=lambda e: _branch_key(e[0])):
            if isinstance(t, int):
                out.setdefault(t, []).append((k, b))
    return out


def _values(
    mine: dict[str, Any],
    theirs: dict[str, Any],
    fields: list[str],
    edges: _EdgeViews,
    i: int,
    j: int,
) -> dict[str, dict[str, Any]]:
    """``{field: {"before", "after"}}`` for a changed node (edges in desired node ids)."""
    out: dict[str, dict[str, Any]] = {}
    for f in fields:
        if f == "after":
            out[f] = {"before": edges.out(edges.lv, j), "after": edges.out(edges.d, i)}
        elif f.startswith("payload."):
            key = f.removeprefix("payload.")
            out[f] = {
                "before": (theirs.get("payload") or {}).get(key),
                "after": (mine.get("payload") or {}).get(key),
            }
        elif f == "delay_in_seconds":
            out[f] = {"before": theirs.get(f, 0), "after": mine.get(f, 0)}
        else:
            out[f] = {"before": theirs.get(f), "after": mine.get(f, SOURCE_DEFAULTS.get(f))}
    return out


_ABSENT = object()


def _node_fields(mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    a, b = _content(mine), _content(theirs)
    fields = [f for f in ("type",) if a[f] != b[f]]
    pa, pb = a.get("payload", {}), b.get("payload", {})
    if isinstance(pa, dict) and isinstance(pb, dict):
        keys = sorted(set(pa) | set(pb), key=repr)
        fields += [f"payload.{k}" for k in keys if pa.get(k, _ABSENT) != pb.get(k, _ABSENT)]
    elif pa != pb:
        fields.append("payload")
    if a.get("delay_in_seconds", 0) != b.get("delay_in_seconds", 0):
        fields.append("delay_in_seconds")
    return fields


def _source_changes(d: _Graph, lv: _Graph, match: dict[int, int]) -> list[dict[str, Any]]:
    to_live = _mapper(match)

    def key_d(j: int) -> Any:
        return (_digest(_settings(d.sources[j])), repr(to_live(d.entries[j])))

    def key_l(j: int) -> Any:
        return (_digest(_settings(lv.sources[j])), repr(lv.entries[j]))

    free = list(lv.source_order)
    pairs: dict[int, int] = {}
    for j in d.source_order:
        hit = next((k for k in free if key_l(k) == key_d(j)), None)
        if hit is not None:
            free.remove(hit)
            pairs[j] = hit
    rest = [j for j in d.source_order if j not in pairs]
    pairs.update(zip(rest, free, strict=False))
    out: list[dict[str, Any]] = []
    for j in d.source_order:
        sid = d.sources[j].get("id")
        if j not in pairs:
            out.append({"op": "add", "contact_source": sid, "fields": []})
            continue
        k = pairs[j]
        mine, theirs = _settings(d.sources[j]), _settings(lv.sources[k])
        fields = [
            f for f in SOURCE_DEFAULTS.keys() | {"sender_profiles"} if mine.get(f) != theirs.get(f)
        ]
        if repr(to_live(d.entries[j])) != repr(lv.entries[k]):
            fields.append("after_id")
        if fields:
            values = {
                f: {"before": theirs.get(f, default), "after": mine.get(f, default)}
                for f in sorted(fields)
                if f != "after_id"
                for default in [SOURCE_DEFAULTS.get(f)]
            }
            entry = {"op": "change", "contact_source": sid, "fields": sorted(fields)}
            out.append({**entry, "values": values} if values else entry)
    paired = set(pairs.values())
    out += [
        {"op": "remove", "contact_source": lv.sources[k].get("id"), "fields": []}
        for k in lv.source_order
        if k not in paired
    ]
    return out
