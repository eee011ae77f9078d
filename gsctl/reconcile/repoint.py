"""Replaced objects get new uuids: every object that references one must be re-pointed.

A ``replace`` (delete + create) gives the object a new uuid; objects that keep referencing
it by name (an AI agent's ``llm``, a flow step's ``ai_template``) would otherwise point at
the deleted one until the next apply. This adds an update for each of them to the same
plan, so one apply leaves nothing dangling. No I/O.
"""

from __future__ import annotations

from typing import Any

from gsctl.api import kinds
from gsctl.api.refs import reference_name, references_of
from gsctl.model import Resource
from gsctl.reconcile.changes import Change
from gsctl.reconcile.diff import FieldChange

Ident = tuple[str, str]


def repoint(changes: list[Change], same: list[tuple[Resource, Resource]]) -> int:
    """Add or extend updates for objects referencing a replaced object; returns how many
    unchanged objects (from ``same``) became updates."""
    replaced = {
        (c.kind, reference_name(c.kind, c.desired.name))
        for c in changes
        if c.action == "replace" and c.desired is not None
    }
    if not replaced:
        return 0
    moved = 0
    for c in [c for c in changes if c.action == "update"]:
        assert c.desired is not None
        fields, steps = _repointed(c.desired, replaced)
        known = c.field_names()
        c.fields.extend(f for f in fields if f.path not in known)
        c.steps = c.steps or steps
    for d, lv in same:
        fields, steps = _repointed(d, replaced)
        if fields or steps:
            changes.append(Change("update", d.kind, d.name, lv.uuid, fields, d, lv, steps))
            moved += 1
    return moved


def _repointed(d: Resource, replaced: set[Ident]) -> tuple[list[FieldChange], list[dict[str, Any]]]:
    """Field changes (top-level references) and step changes (flow nodes) that re-point
    ``d`` at the replacements of ``replaced``. Only LLM connections and templates have
    create-only fields, so only their referrers (agents, templates, flows) need this."""
    hits = references_of(d.kind, d.fields) & replaced
    if not hits:
        return [], []
    k = kinds.KINDS[d.kind]
    fields = []
    for ref in k.refs:
        value = d.fields.get(ref.manifest_field)
        if (ref.target, value) in hits:
            note = f'{ref.target} "{value}" is replaced: re-pointed to the new one'
            fields.append(FieldChange(ref.manifest_field, value, value, note=note))
    top = {(r.target, d.fields.get(r.manifest_field)) for r in k.refs}
    in_steps = hits - top
    steps = _repointed_nodes(d, in_steps) if d.kind == "flow" and in_steps else []
    return fields, steps


def _repointed_nodes(d: Resource, replaced: set[Ident]) -> list[dict[str, Any]]:
    """One step change per flow node whose payload references a replaced object, naming the
    node and the new reference: ``{"op": "change", "node_id": 3, "type": "re-point",
    "fields": ['ai_template -> new template "Intro"']}``."""
    steps = []
    for node in d.fields.get("nodes") or []:
        payload = node.get("payload") if isinstance(node, dict) else None
        if not isinstance(payload, dict):
            continue
        moved = []
        for manifest, target in _PAYLOAD_TARGETS.items():
            value = payload.get(manifest)
            for name in value if isinstance(value, list) else [value]:
                if isinstance(name, str) and (target, reference_name(target, name)) in replaced:
                    moved.append(f'{manifest} -> new {target} "{name}"')
        if moved:
            steps.append(
                {"op": "change", "node_id": node.get("id"), "type": "re-point", "fields": moved}
            )
    return steps


_PAYLOAD_TARGETS = {manifest: target for manifest, target in kinds.PAYLOAD_REFS.values()}
