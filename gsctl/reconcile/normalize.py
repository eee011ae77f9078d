"""Canonical form of a resource's fields, the same for desired and live.

Rules, all in one place:
- only the kind's manifest fields count (server-managed fields never reach here);
- documented server defaults are filled on both sides, so an omitted field equals its default;
- a field the manifest leaves out and that has no documented default is not managed: it is
  dropped from both sides;
- ``ignore_changes`` fields are dropped from both sides;
- secrets are compared only when rotating (the API never returns them);
- unordered lists are sorted (schedule timeblocks, contact source sender profiles);
- flow steps are compared apart, in the canonical graph form of :func:`graph.canonical`
  (:func:`steps_differ`);
- a live ``off`` flow satisfies a declared ``draft`` (both: not sending; the real API
  creates flows ``off``), so it compares equal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from gsctl.api import kinds
from gsctl.flows import graph
from gsctl.model import Resource, reveal
from gsctl.reconcile.diff import identical
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


def _int_of_bool(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# Per kind: field -> how its value is compared (on both sides).
_RULES: dict[str, dict[str, Callable[[Any], Any]]] = {
    "flow": {"schedule": _sort_schedule},
    "template": {"is_public": _int_of_bool},
    "tag": {"color": _upper},
}


def _field_value(kind: str, name: str, value: Any) -> Any:
    rule = _RULES.get(kind, {}).get(name)
    return value if rule is None else rule(value)


@lru_cache(maxsize=256)
def _managed(
    kind: str, declared: tuple[str, ...], ignored: tuple[str, ...], rotate_secrets: bool
) -> tuple[str, ...]:
    """The field names compared, sorted (steps are compared apart: :func:`steps_differ`).
    Cached: the objects of a kind mostly declare the same fields."""
    k = kinds.KINDS[kind]
    managed = set(declared) | k.defaults.keys()
    managed.difference_update(ignored)
    if not rotate_secrets:
        managed.difference_update(k.secret)
    if kind == "flow":
        managed.difference_update(("nodes", "contact_sources"))
        if "status" not in declared:
            managed.discard("status")
    return tuple(sorted(managed))


def comparable(
    desired: Resource, live: Resource, *, rotate_secrets: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (desired, live) field dicts to diff, normalised by the rules above."""
    k = kinds.KINDS[desired.kind]
    names = _managed(desired.kind, tuple(desired.fields), desired.ignore_changes, rotate_secrets)
    default, mine, theirs = k.defaults.get, desired.fields.get, live.fields.get
    rules = _RULES.get(desired.kind, {})
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    for name in names:
        want, have = mine(name, default(name)), theirs(name, default(name))
        rule = rules.get(name)
        if rule is not None:
            want, have = rule(want), rule(have)
        left[name], right[name] = want, have
    for name in k.secret:
        if name in left:  # rotating: live never shows a secret, so it always differs
            left[name], right[name] = mine(name), None
    if desired.kind == "flow" and "status" in left and satisfies(right["status"], left["status"]):
        right["status"] = left["status"]
    return left, right


def _steps_managed(desired: Resource) -> bool:
    ignored = set(desired.ignore_changes)
    return "nodes" in desired.fields and not ({"nodes", "steps"} & ignored)


def steps_differ(desired: Resource, live: Resource) -> bool:
    """Whether a flow's managed steps differ from the live ones in canonical graph form.

    Graphs identical as written (:func:`identical`: same types, key order and values) have
    equal canonical forms, so an unchanged flow usually skips computing them.
    """
    if desired.kind != "flow" or not _steps_managed(desired):
        return False
    mine = (desired.fields.get("nodes") or [], desired.fields.get("contact_sources") or [])
    theirs = (live.fields.get("nodes") or [], live.fields.get("contact_sources") or [])
    return not identical(mine, theirs) and steps_form(desired) != steps_form(live)


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
