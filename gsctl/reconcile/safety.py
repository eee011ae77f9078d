"""Safety gates over a plan: protected objects, replaces, objects in use, delete share,
emptied kinds.

Gates are computed for every plan, so ``plan`` can show the full plan *and* why it would be
refused (a refusal must not hide what triggered it). ``apply`` enforces them.
"""

from __future__ import annotations

from collections import Counter
from fnmatch import fnmatchcase

from gsctl.api import kinds
from gsctl.model import Desired
from gsctl.reconcile.changes import Plan, PlanOptions, Violation
from gsctl.reconcile.live import LiveState

MIN_OBJECTS_FOR_THRESHOLD = 10


def check_gates(
    plan: Plan, desired: Desired, live: LiveState, options: PlanOptions
) -> list[Violation]:
    out: list[Violation] = []
    out.extend(_protected(plan))
    out.extend(_durably_protected(plan, desired.settings.protect))
    out.extend(_replaces(plan, options))
    out.extend(_in_use(plan, options))
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


def protecting_pattern(kind: str, name: str, patterns: tuple[tuple[str, str], ...]) -> str | None:
    """The first ``settings.protect`` pattern (``KIND/NAME`` glob) matching the object."""
    k = kinds.KINDS[kind]
    fold = "name" in k.case_insensitive
    for pattern_kind, glob in patterns:
        if pattern_kind != kind:
            continue
        if fnmatchcase(name.casefold() if fold else name, glob.casefold() if fold else glob):
            return f"{pattern_kind}/{glob}"
    return None


def _durably_protected(plan: Plan, patterns: tuple[tuple[str, str], ...]) -> list[Violation]:
    """Live objects matching ``settings.protect``: declared or not, never deleted or replaced."""
    out = []
    for c in plan.changes:
        if not c.destructive or c.live is None:
            continue
        pattern = protecting_pattern(c.kind, c.live.name, patterns)
        if pattern is not None:
            out.append(
                Violation(
                    "protect",
                    f'{c.kind} "{c.live.name}" is protected by settings.protect "{pattern}" '
                    f"and would be {c.action}d; remove the pattern from settings.protect "
                    "to allow it",
                    overridable=False,
                )
            )
    return out


def _in_use(plan: Plan, options: PlanOptions) -> list[Violation]:
    """Deletes and replaces of objects in use (usage above 0), unless --allow-data-loss."""
    if options.allow_data_loss:
        return []
    out = []
    for c in plan.changes:
        if c.destructive and c.usage is not None and c.usage.in_use:
            out.append(
                Violation(
                    "in_use",
                    f'{c.kind} "{c.name}" is in use ({c.usage.text(c.kind)}) and would be '
                    f"{c.action}d, taking that data with it. "
                    "Re-run with --allow-data-loss to accept",
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
