"""Flow diagrams: a flow (or a flow change) as a Mermaid ``flowchart`` or Graphviz DOT.

:func:`flow_diagram` draws one flow's nodes and contact sources; given the step changes of a
plan (:func:`gsctl.flows.graph.diff_graph` entries) it colours them: added green, removed red
and dashed (drawn from the live side, edges in desired node ids), changed amber. Waits sit on
the edge into the delayed node, branches are labelled (yes/no, A/B with share). Labels come
from :mod:`gsctl.render.steps` (whitelisted payload fields, secrets masked). Pure, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gsctl.errors import printable
from gsctl.model import mask
from gsctl.reconcile.changes import Change
from gsctl.render.steps import branch_label, duration, node_label, truncate

MAX_NODES = 60  # a flow with more nodes gets a note instead of a diagram
LEGEND = "green = added, red dashed = removed, amber = changed"
STYLES = {
    "added": "fill:#dafbe1,stroke:#1a7f37,color:#0a3622",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-dasharray:5 5,color:#82071e",
    "changed": "fill:#fff8c5,stroke:#9a6700,color:#4d2d00",
}
EDGE_COLORS = {"added": "#1a7f37", "removed": "#cf222e"}
DOT_COLORS = {"added": ("#dafbe1", "#1a7f37"), "removed": ("#ffebe9", "#cf222e")}
DOT_COLORS["changed"] = ("#fff8c5", "#9a6700")
Nodes = dict[Any, dict[str, Any]]


@dataclass
class Box:
    key: str  # diagram id: n<id> (desired), r<id> (removed), s<i> (contact source)
    label: str
    shape: str  # step | branch | end | source
    status: str = ""  # "" | added | changed | removed


@dataclass
class Arrow:
    src: str
    dst: str
    label: str = ""
    status: str = ""  # "" | added | removed


@dataclass
class Diagram:
    title: str
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    coloured: bool = False  # drawn from a change: show the legend

    @property
    def size(self) -> int:
        return sum(1 for b in self.boxes if b.shape != "source")


def _shape(node_type: Any) -> str:
    if node_type == "end":
        return "end"
    text = str(node_type)
    return "branch" if text.startswith(("trigger_", "rule_", "ai_rule_")) else "step"


def _by_id(nodes: Any) -> Nodes:
    return {n.get("id"): n for n in nodes or [] if isinstance(n, dict)}


def _edge_label(source: dict[str, Any] | None, branch: Any, target: dict[str, Any] | None) -> str:
    parts = [branch_label(source, branch)] if source is not None else []
    delay = (target or {}).get("delay_in_seconds")
    if delay and (target or {}).get("type") != "util_timer":
        parts.append(duration(delay))
    return ", ".join(p for p in parts if p)


def _source_label(source: dict[str, Any], index: int) -> str:
    name = source.get("name") or ", ".join(str(p) for p in source.get("sender_profiles") or [])
    return f"Contacts: {truncate(str(mask(name)))}" if name else f"Contacts {index + 1}"


def flow_diagram(
    title: str,
    nodes: Any,
    sources: Any,
    steps: list[dict[str, Any]] | None = None,
    live_nodes: Any = None,
) -> Diagram:
    """The diagram of a flow; with ``steps`` (and the live nodes, for removed ones) coloured."""
    desired, live = _by_id(nodes), _by_id(live_nodes)
    # Ids of removed nodes are live ids and may equal a desired one: only add/change here.
    status = {s.get("node_id"): s["op"] for s in steps or [] if s.get("op") in ("add", "change")}
    d = Diagram(printable(title), coloured=steps is not None)
    for i, s in enumerate(sources or []):
        if isinstance(s, dict):
            d.boxes.append(Box(f"s{i}", _source_label(s, i), "source", _source_status(s, steps)))
            target = desired.get(s.get("after_id"))
            if target is not None:
                entry = _key("n", s["after_id"])
                d.arrows.append(Arrow(f"s{i}", entry, _edge_label(None, 1, target)))
    for node_id, n in desired.items():
        op = status.get(node_id, "")
        mark = {"add": "added", "change": "changed"}.get(op, "")
        d.boxes.append(Box(_key("n", node_id), node_label(n), _shape(n.get("type")), mark))
    _desired_arrows(d, desired, live, steps or [])
    _removed(d, desired, live, steps or [])
    return d


def _source_status(source: dict[str, Any], steps: list[dict[str, Any]] | None) -> str:
    for s in steps or []:
        if s.get("contact_source") is not None and s.get("contact_source") == source.get("id"):
            return {"add": "added", "change": "changed"}.get(s["op"], "")
    return ""


def _desired_arrows(d: Diagram, desired: Nodes, live: Nodes, steps: list[dict[str, Any]]) -> None:
    """Edges of the desired graph: new ones green (from added nodes or changed edges)."""
    added = {s["node_id"] for s in steps if s.get("op") == "add" and "node_id" in s}
    before = {
        s["node_id"]: s["values"]["after"]["before"]
        for s in steps
        if s.get("op") == "change" and "after" in (s.get("values") or {})
    }
    for node_id, n in desired.items():
        old = before.get(node_id)
        for e in n.get("after") or []:
            if not isinstance(e, dict):
                continue
            target = desired.get(e.get("node_id"))
            new = node_id in added or (old is not None and _ref(e) not in map(_ref, old))
            d.arrows.append(
                Arrow(
                    _key("n", node_id),
                    _key("n", e.get("node_id")),
                    _edge_label(n, e.get("branch_id"), target),
                    "added" if new else "",
                )
            )
        for e in old or []:
            if isinstance(e, dict) and _ref(e) not in map(_ref, n.get("after") or []):
                _removed_arrow(d, _key("n", node_id), n, e, live if e.get("removed") else desired)


def _ref(edge: Any) -> tuple[Any, Any, bool]:
    if not isinstance(edge, dict):
        return (None, None, False)
    return (edge.get("node_id"), edge.get("branch_id"), bool(edge.get("removed")))


def _key(prefix: str, node_id: Any) -> str:
    """A diagram id: ``n4`` (desired node 4), ``r11`` (removed node 11), ``s0`` (source)."""
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", str(node_id))


def _edge_key(edge: dict[str, Any]) -> str:
    return _key("r" if edge.get("removed") else "n", edge.get("node_id"))


def _removed_arrow(
    d: Diagram, src: str, node: dict[str, Any] | None, e: dict[str, Any], target_nodes: Nodes
) -> None:
    label = _edge_label(node, e.get("branch_id"), target_nodes.get(e.get("node_id")))
    arrow = Arrow(src, _edge_key(e), label, "removed")
    if arrow not in d.arrows:
        d.arrows.append(arrow)


def _removed(d: Diagram, desired: Nodes, live: Nodes, steps: list[dict[str, Any]]) -> None:
    """Removed nodes (from the live side) with their old edges, all red and dashed."""
    gone = [s for s in steps if s.get("op") == "remove" and "node_id" in s]
    for s in gone:
        n = live.get(s["node_id"]) or {"type": s.get("type")}
        d.boxes.append(
            Box(_key("r", s["node_id"]), node_label(n), _shape(n.get("type")), "removed")
        )
    for s in gone:
        me = _key("r", s["node_id"])
        n = live.get(s["node_id"]) or {"type": s.get("type")}
        for e in s.get("in") or []:
            if isinstance(e, dict):
                source = (live if e.get("removed") else desired).get(e.get("node_id"))
                label = _edge_label(source, e.get("branch_id"), n)
                arrow = Arrow(_edge_key(e), me, label, "removed")
                if arrow not in d.arrows:
                    d.arrows.append(arrow)
        for e in s.get("out") or []:
            if isinstance(e, dict):
                _removed_arrow(d, me, n, e, live if e.get("removed") else desired)


# ---------------------------------------------------------------- Mermaid and DOT text


def _text(label: str) -> str:
    """A label safe inside Mermaid's double quotes (and a Markdown code fence)."""
    out = printable(label).replace("#", "#35;").replace('"', "#quot;")
    return out.replace("<", "#lt;").replace(">", "#gt;").replace("`", "'")


_SHAPES = {"step": '["{}"]', "branch": '{{"{}"}}', "end": '(["{}"])', "source": '[/"{}"/]'}


def to_mermaid(d: Diagram, *, legend_comment: bool = True) -> str:
    """``flowchart TD`` text; styles as ``classDef``/``class`` lines and ``linkStyle``."""
    lines = ["flowchart TD"]
    if d.coloured and legend_comment:
        lines.append(f"  %% {LEGEND}")
    lines += [f"  {b.key}{_SHAPES[b.shape].format(_text(b.label))}" for b in d.boxes]
    styles: dict[str, list[int]] = {}
    for i, a in enumerate(d.arrows):
        arrow = "-.->" if a.status == "removed" else "-->"
        label = f'|"{_text(a.label)}"|' if a.label else ""
        lines.append(f"  {a.src} {arrow}{label} {a.dst}")
        if a.status:
            styles.setdefault(a.status, []).append(i)
    for status, style in STYLES.items():
        keys = [b.key for b in d.boxes if b.status == status]
        if keys:
            lines.append(f"  classDef {status} {style}")
            lines.append(f"  class {','.join(keys)} {status}")
    for status, indexes in styles.items():
        lines.append(
            f"  linkStyle {','.join(map(str, indexes))} "
            f"stroke:{EDGE_COLORS[status]},stroke-width:2px"
        )
    return "\n".join(lines) + "\n"


def _dot_text(label: str) -> str:
    return printable(label).replace("\\", "\\\\").replace('"', '\\"')


_DOT_SHAPES = {"step": "box", "branch": "diamond", "end": "oval", "source": "parallelogram"}


def to_dot(d: Diagram) -> str:
    """Graphviz ``digraph`` text with the same colours as :func:`to_mermaid`."""
    lines = [f'digraph "{_dot_text(d.title)}" {{', "  rankdir=TB;", "  node [fontname=Helvetica];"]
    if d.coloured:
        lines.append(f'  label="{LEGEND}"; labelloc=b;')
    for b in d.boxes:
        attrs = [f'label="{_dot_text(b.label)}"', f"shape={_DOT_SHAPES[b.shape]}"]
        if b.status:
            fill, line = DOT_COLORS[b.status]
            style = "filled,dashed" if b.status == "removed" else "filled"
            attrs += [f'style="{style}"', f'fillcolor="{fill}"', f'color="{line}"']
        lines.append(f"  {b.key} [{', '.join(attrs)}];")
    for a in d.arrows:
        attrs = [f'label="{_dot_text(a.label)}"'] if a.label else []
        if a.status:
            attrs.append(f'color="{EDGE_COLORS[a.status]}"')
        if a.status == "removed":
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {a.src} -> {a.dst}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- plans


def change_diagram(c: Change) -> Diagram | None:
    """The coloured diagram of a flow change whose steps change (all green for a created
    flow with nodes); None for other changes."""
    if c.kind != "flow" or c.action == "delete":
        return None
    fields = c.desired.fields if c.desired is not None else {}
    if c.action == "create" and fields.get("nodes"):
        steps = [{"op": "add", "node_id": n.get("id")} for n in _by_id(fields["nodes"]).values()]
        return flow_diagram(c.name, fields["nodes"], fields.get("contact_sources"), steps)
    if not c.steps or c.desired is None:
        return None
    live = c.live.fields.get("nodes") if c.live is not None else None
    return flow_diagram(
        c.name, fields.get("nodes"), fields.get("contact_sources"), c.steps, live_nodes=live
    )
