"""Canonical form of a resource's fields, the same for desired and live.

Rules, all in one place:
- only the kind's manifest fields count (server-managed fields never reach here);
- documented server defaults are filled on both sides, so an omitted field equals its default;
- a field the manifest leaves out and that has no documented default is not managed: it is
  dropped from both sides;
- ``ignore_changes`` fields are dropped from both sides;
- secrets are compared only when rotating (the API never returns them);
- unordered lists are sorted (schedule timeblocks, contact source sender profiles);
- flow steps are compared in the canonical graph form of :func:`graph.canonical`;
- a live ``off`` flow satisfies a declared ``draft`` (both: not sending; the real API
  creates flows ``off``), so it compares equal.
"""

from __future__ import annotations

from typing import Any

from gsctl.api import kinds
from gsctl.flows import graph
from gsctl.model import Resource, reveal
from gsctl.reconcile.flowops import satisfies


def _sort_schedule(schedule: Any) -> Any:
    if not isinstance(schedule, dict):
        return schedule
    out = dict(schedule)
    blocks = out.get("timeblocks")
    if isinstance(blocks, list):
        out["timeblocks"] = sorted(
            blocks,
            key=lambda b: (
                (b.get("dow"), b.get("min"), b.get("max")) if isinstance(b, dict) else (0, 0, 0)
            ),
        )
    out.setdefault("use_lead_timezone", False)
    return out


def _field_value(kind: str, name: str, value: Any) -> Any:
    if kind == "flow" and name == "schedule":
        return _sort_schedule(value)
    if kind == "template" and name == "is_public" and isinstance(value, bool):
        return int(value)
    if kind == "tag" and name == "color" and isinstance(value, str):
        return value.upper()
    return value


def comparable(
    desired: Resource, live: Resource, *, rotate_secrets: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (desired, live) field dicts to diff, normalised by the rules above."""
    k = kinds.KINDS[desired.kind]
    managed = set(desired.fields) | set(k.defaults)
    managed -= set(desired.ignore_changes)
    if not rotate_secrets:
        managed -= set(k.secret)
    if desired.kind == "flow":
        managed -= {"nodes", "contact_sources"}
        if "status" not in desired.fields:
            managed.discard("status")
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    for name in sorted(managed):
        if name in k.secret:
            # Live never shows a secret: rotating always differs.
            left[name] = desired.fields.get(name)
            right[name] = None
            continue
        left[name] = _field_value(
            desired.kind, name, desired.fields.get(name, k.defaults.get(name))
        )
        right[name] = _field_value(live.kind, name, live.fields.get(name, k.defaults.get(name)))
    if desired.kind == "flow" and "status" in left and satisfies(right["status"], left["status"]):
        right["status"] = left["status"]
    if desired.kind == "flow" and _steps_managed(desired):
        left["steps"] = steps_form(desired)
        right["steps"] = steps_form(live)
    return left, right


def _steps_managed(desired: Resource) -> bool:
    ignored = set(desired.ignore_changes)
    return "nodes" in desired.fields and not ({"nodes", "steps"} & ignored)


def steps_form(res: Resource) -> dict[str, Any]:
    """Canonical graph of a flow resource (for comparison only)."""
    nodes = reveal(res.fields.get("nodes") or [])  # reveal copies every dict and list
    sources = reveal(res.fields.get("contact_sources") or [])
    return graph.canonical(nodes, sources)


def draft_note(desired: Resource, live: Resource) -> str:
    """The plan's note when a declared ``draft`` is met by a live ``off`` flow, else ''."""
    if desired.kind != "flow" or desired.fields.get("status") != "draft":
        return ""
    if live.fields.get("status") != "off" or "status" in desired.ignore_changes:
        return ""
    return (
        f'flow "{desired.name}": declared draft, live off: both mean "not sending"; '
        "nothing to change (the API creates new flows off)"
    )


def create_fields(desired: Resource) -> dict[str, Any]:
    """Fields shown for a create: the manifest's fields with defaults filled."""
    k = kinds.KINDS[desired.kind]
    out = {name: k.defaults[name] for name in k.defaults if name not in desired.fields}
    out.update(desired.fields)
    return {name: _field_value(desired.kind, name, out[name]) for name in sorted(out)}
