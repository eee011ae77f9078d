"""Safety gates over a plan: protected objects, replaces, delete share, emptied kinds.

Gates are computed for every plan, so ``plan`` can show the full plan *and* why it would be
refused (a refusal must not hide what triggered it). ``apply`` enforces them.
"""

from __future__ import annotations

from collections import Counter

from gsctl.model import Desired
from gsctl.reconcile.changes import Plan, PlanOptions, Violation
from gsctl.reconcile.live import LiveState

MIN_OBJECTS_FOR_THRESHOLD = 10


def check_gates(
    plan: Plan, desired: Desired, live: LiveState, options: PlanOptions
) -> list[Violation]:
    out: list[Violation] = []
    out.extend(_protected(plan))
    out.extend(_replaces(plan, options))
    out.extend(_threshold(plan, live, desired.settings.max_delete_percent))
    out.extend(_emptied(plan, desired, live))
    return out


def _protected(plan: Plan) -> list[Violation]:
    out = []
    for c in plan.changes:
        if c.action in ("delete", "replace") and c.desired is not None and c.desired.protect:
            out.append(
                Violation(
                    "protect",
                    f'{c.kind} "{c.name}" is protected (protect: true) and would be {c.action}d; '
                    "remove protect or change the manifest",
                    overridable=False,
                )
            )
    return out


def _replaces(plan: Plan, options: PlanOptions) -> list[Violation]:
    if options.allow_replace:
        return []
    out = []
    for c in plan.changes:
        if c.action == "replace":
            fields = ", ".join(sorted(c.field_names()))
            out.append(
                Violation(
                    "replace",
                    f'{c.kind} "{c.name}" must be replaced (create-only field changed: {fields}); '
                    "replacing deletes it and every value stored in it. "
                    "Re-run with --allow-replace to accept",
                    overridable=False,
                )
            )
    return out


def _threshold(plan: Plan, live: LiveState, max_percent: float) -> list[Violation]:
    destructive = Counter(c.kind for c in plan.changes if c.action in ("delete", "replace"))
    out = []
    for kind, count in sorted(destructive.items()):
        total = len(live.resources.get(kind, []))
        if total < MIN_OBJECTS_FOR_THRESHOLD:
            continue
        share = 100.0 * count / total
        if share > max_percent:
            out.append(
                Violation(
                    "threshold",
                    f"the plan would delete or replace {count} of {total} {kind} objects "
                    f"({share:.0f}% > max_delete_percent {max_percent:g}); check the manifests, "
                    "raise settings.max_delete_percent, or re-run with --force",
                )
            )
    return out


def _emptied(plan: Plan, desired: Desired, live: LiveState) -> list[Violation]:
    deletes = Counter(c.kind for c in plan.changes if c.action == "delete")
    out = []
    for kind, count in sorted(deletes.items()):
        total = len(live.resources.get(kind, []))
        if kind not in desired.mentioned_kinds and count == total and total > 0:
            out.append(
                Violation(
                    "emptied",
                    f"pruning would delete every {kind} ({count}) although no manifest mentions "
                    f"the kind; a mis-pathed file must not wipe a kind. Add an empty "
                    f"section to confirm, or re-run with --force",
                )
            )
    return out
