"""Deciding: desired vs live -> an ordered, safety-checked :class:`Plan`. No I/O.

Pairing is by natural key (``renamed_from`` pairs a desired item with its old live name).
A paired object whose normalised fields differ is an ``update``, or a ``replace`` when a
create-only field differs. Unpaired desired objects are ``create``s; unpaired live objects
are *unmanaged* and become ``delete``s only when pruning is on for their kind.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from gsctl.api import kinds
from gsctl.api.refs import mask_url, references_of
from gsctl.errors import Diagnostic, DuplicatesError, ManifestError, UsageError
from gsctl.flows import graph
from gsctl.model import Desired, Resource, has_secret, reveal
from gsctl.reconcile import normalize
from gsctl.reconcile.changes import Change, Plan, PlanOptions
from gsctl.reconcile.diff import FieldChange, field_changes
from gsctl.reconcile.live import LiveState
from gsctl.reconcile.repoint import repoint
from gsctl.reconcile.safety import check_gates
from gsctl.reconcile.usage import UsageReader


def desired_digest(desired: Desired) -> str:
    """Digest of the desired state, secrets masked (their values never enter a plan file).

    A :class:`Secret` is not JSON: ``default=str`` writes it as ``(sensitive)``, the text
    :func:`mask` would put there, without a masked copy of every resource. (Tuples are
    written as lists.) The text, and so the digest, must never change: saved plans hold it.
    """
    rows = [
        [r.kind, r.key, r.fields, r.renamed_from, r.protect, r.ignore_changes]
        for r in sorted(desired.resources, key=attrgetter("kind", "key"))
    ]
    text = json.dumps(rows, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def parse_only(only: Iterable[str]) -> list[tuple[str, str | None]]:
    """``--only`` filters as (kind, name or None); kind accepts singular or section names."""
    out = []
    for item in only:
        kind_text, _, name = item.partition("/")
        try:
            k = kinds.kind(kind_text)
        except KeyError as exc:
            known = ", ".join(k.name for k in kinds.MANAGED)
            raise UsageError(
                f"unknown kind {kind_text!r} in --only {item!r}; one of: {known}"
            ) from exc
        out.append((k.name, name or None))
    return out


def in_scope(filters: list[tuple[str, str | None]], kind: str, name: str) -> bool:
    if not filters:
        return True
    return any(k == kind and (n is None or n.casefold() == name.casefold()) for k, n in filters)


def _scoped(
    filters: list[tuple[str, str | None]], kind: str, items: list[Resource]
) -> list[Resource]:
    """The objects of ``kind`` among ``items`` that ``--only`` keeps (a new list)."""
    if not filters:
        return list(items)
    return [r for r in items if in_scope(filters, kind, r.name)]


def check_only(filters: list[tuple[str, str | None]], desired: Desired, live: LiveState) -> None:
    """Every ``--only KIND/NAME`` names a declared or a live object: a typo is an error."""

    def known(kind: str) -> set[str]:
        names = {r.name for r in desired.by_kind(kind)}
        return names | {r.name for r in live.resources.get(kind, [])}

    check_names(filters, known, "declared or live")


def check_names(
    filters: Iterable[tuple[str, str | None]], known: Callable[[str], set[str]], what: str
) -> None:
    """Raise ``UsageError`` for every ``--only KIND/NAME`` that matches none of ``known(KIND)``
    (case-insensitively), with a did-you-mean; ``what`` says where names were looked for."""
    problems = []
    for kind, name in filters:
        if name is None:
            continue
        names = known(kind)
        if any(n.casefold() == name.casefold() for n in names):
            continue
        by_fold = {n.casefold(): n for n in sorted(names)}
        close = difflib.get_close_matches(name.casefold(), list(by_fold), n=1, cutoff=0.6)
        hint = f"; did you mean --only {kind}/{by_fold[close[0]]}?" if close else ""
        problems.append(
            f"--only {kind}/{name} matches nothing: no {what} {kind} is named {name!r}{hint}"
        )
    if problems:
        raise UsageError("\n".join(problems))


def scope_kinds(filters: list[tuple[str, str | None]]) -> tuple[str, ...]:
    if not filters:
        return tuple(k.name for k in kinds.MANAGED)
    return tuple(k.name for k in kinds.MANAGED if any(f[0] == k.name for f in filters))


def pending_renames(desired: Desired) -> list[tuple[str, str, str]]:
    """(kind, old reference name, new reference name) for every ``renamed_from``."""
    out = []
    for r in desired.resources:
        if r.renamed_from is not None:
            k = kinds.KINDS[r.kind]
            old = kinds.display_name(k, {**r.fields, "name": r.renamed_from})
            out.append((r.kind, old, r.name))
    return out


def fetch_kinds(desired: Desired, scope: Iterable[str]) -> set[str]:
    """Kinds to fetch: the scope plus every kind that in-scope objects reference."""
    wanted = set(scope)
    for res in desired.resources:
        if res.kind in wanted:
            wanted.update(target for target, _ in references_of(res.kind, res.fields))
    return wanted


def check_references(
    desired: Desired, live: LiveState, filters: list[tuple[str, str | None]]
) -> None:
    """Every reference of an in-scope object names an in-scope declared object or a live one.

    A declared object outside ``--only`` does not count: this run would not create it.
    """
    in_run = [r for r in desired.resources if in_scope(filters, r.kind, r.name)]
    declared = {(r.kind, r.name) for r in in_run}
    problems = []
    for res in in_run:
        for target, name in sorted(references_of(res.kind, res.fields)):
            if (target, name) in declared or live.names.has(target, name):
                continue
            where = res.origin_of(_ref_path(res, name))
            problems.append(
                Diagnostic(
                    where.path if where else "?",
                    where.line if where else 0,
                    where.column if where else 0,
                    f"references {target} {name!r}, which is neither in the workspace "
                    "nor among the objects this run creates (check --only)",
                    res.kind,
                    res.name,
                )
            )
    if problems:
        raise ManifestError(problems)


def _ref_path(res: Resource, name: str) -> tuple[Any, ...]:
    """Best-effort path of the value ``name`` inside ``res`` (for error locations)."""
    for path, _origin in res.origins.items():
        if _value_at(res.fields, path) == name:
            return path
    return ()


def _value_at(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        in_dict = isinstance(tree, dict) and p in tree
        in_list = isinstance(tree, list) and isinstance(p, int) and p < len(tree)
        if in_dict or in_list:
            tree = tree[p]
        else:
            return None
    return reveal(tree) if not isinstance(tree, dict | list) else None


def pair(
    desired: list[Resource], live: list[Resource]
) -> tuple[list[tuple[Resource, Resource]], list[Resource], list[Resource]]:
    """(paired, desired-only, live-only) by natural key, honouring ``renamed_from``. Of live
    objects sharing a key (duplicates) the first, i.e. the oldest, is paired."""
    live_by_key: dict[tuple[str, ...], Resource] = {}
    extra: list[Resource] = []
    for r in live:
        if live_by_key.setdefault(r.key, r) is not r:
            extra.append(r)
    paired: list[tuple[Resource, Resource]] = []
    creates: list[Resource] = []
    for d in desired:
        match = live_by_key.pop(d.key, None)
        if match is None and d.renamed_from is not None:
            k = kinds.KINDS[d.kind]
            old_fields = dict(d.fields, name=d.renamed_from)
            match = live_by_key.pop(kinds.natural_key(k, old_fields), None)
        if match is None:
            creates.append(d)
        else:
            paired.append((d, match))
    return paired, creates, list(live_by_key.values()) + extra


def compare(d: Resource, live: Resource, rotate_secrets: bool) -> Change | None:
    """The update or replace that turns ``live`` into ``d``, or None when they match."""
    left, right = normalize.comparable(d, live, rotate_secrets=rotate_secrets)
    steps: list[dict[str, Any]] = []
    if normalize.steps_differ(d, live):
        steps = graph.diff_graph(
            (d.fields.get("nodes") or [], d.fields.get("contact_sources") or []),
            (live.fields.get("nodes") or [], live.fields.get("contact_sources") or []),
        )
        if not steps:
            steps = [{"op": "change", "node_id": None, "type": "graph", "fields": []}]
    changes = mask_urls(d.kind, field_changes(right, left))
    if not changes and not steps:
        return None
    k = kinds.KINDS[d.kind]
    action = "replace" if {c.path.split(".")[0] for c in changes} & set(k.create_only) else "update"
    return Change(action, d.kind, d.name, live.uuid, changes, desired=d, live=live, steps=steps)


def build_plan(
    desired: Desired,
    live: LiveState,
    options: PlanOptions,
    *,
    team_id: int | None,
    api_url: str,
    manifests: dict[str, Any] | None = None,
    usage: UsageReader | None = None,
) -> Plan:
    """Compare desired with live over the kinds in scope; gates are checked, not enforced.

    ``usage`` reads what the deletes and replaces take with them (the plan's only I/O,
    injected); without it their usage shows as unknown.
    """
    filters = parse_only(options.only)
    scope = scope_kinds(filters)
    check_references(desired, live, filters)
    dupes = check_duplicates(live, scope, filters, options.allow_duplicates)
    acc = _Sides()
    for kind in scope:
        want = _scoped(filters, kind, desired.by_kind(kind))
        have = _scoped(filters, kind, live.resources.get(kind, []))
        prune = options.prune or desired.settings.prunes(kind)
        _plan_kind(kind, want, have, prune, options.rotate_secrets, acc)
    changes, unmanaged = acc.changes, acc.unmanaged
    unchanged = len(acc.same) - repoint(changes, acc.same)
    if usage is not None:
        _count_usage(changes, usage)
    plan = Plan(
        changes=changes,
        unchanged=unchanged,
        unmanaged=unmanaged,
        live_fingerprint=live.fingerprint(live.fetched),
        team_id=team_id,
        api_url=api_url,
        options=options,
        scope=scope,
        manifests=manifests or {},
        duplicates=dupes,
        team_name=next((n for n, i in desired.settings.teams.items() if i == team_id), None),
    )
    plan.violations = check_gates(plan, desired, live, options)
    updates = [(c.desired, c.live) for c in changes if c.action == "update"]
    plan.notes = _draft_notes([*acc.same, *updates])
    return plan


def _draft_notes(pairs: list[tuple[Resource | None, Resource | None]]) -> list[str]:
    """The notes of flows declared ``draft`` and met by a live ``off``, among unchanged and
    updated pairs; sorted, each once."""
    return sorted(
        {
            n
            for d, lv in pairs
            if d is not None and lv is not None and (n := normalize.draft_note(d, lv))
        }
    )


def _count_usage(changes: list[Change], usage: UsageReader) -> None:
    """What each delete and replace takes with it (``None``: unknown)."""
    counted = usage([c for c in changes if c.destructive])
    for c in changes:
        if c.destructive and c.uuid is not None:
            c.usage = counted.get((c.kind, c.uuid))


def duplicates(live: list[Resource]) -> list[list[Resource]]:
    """Groups of live objects sharing a natural key (oldest first), in list order."""
    groups: dict[tuple[str, ...], list[Resource]] = {}
    for r in live:
        groups.setdefault(r.key, []).append(r)
    return [g for g in groups.values() if len(g) > 1]


def check_duplicates(
    live: LiveState, scope: Iterable[str], filters: list[tuple[str, str | None]], allow: bool
) -> list[list[Resource]]:
    """The duplicate groups in scope; raises :class:`DuplicatesError` unless ``allow``."""
    found = [
        group
        for kind in scope
        for group in duplicates(_scoped(filters, kind, live.resources.get(kind, [])))
    ]
    if found and not allow:
        raise DuplicatesError(
            "the workspace holds objects that share a name; gsctl cannot tell which one the "
            "manifests mean:\n"
            + "\n".join(f"  {duplicate_line(g)}" for g in found)
            + "\nremove all but one of each, or re-run with --allow-duplicates to use the "
            "oldest (the others are then unmanaged)"
        )
    return found


def duplicate_line(group: list[Resource], *, named: bool = True) -> str:
    """``tag "Warm": 2 objects (uuid, uuid)``; without the kind and name unless ``named``."""
    uuids = ", ".join(str(r.uuid) for r in group)
    what = f"{len(group)} objects ({uuids})"
    return f'{group[0].kind} "{group[0].name}": {what}' if named else what


def compare_kind(kind: str, new: list[Resource], old: list[Resource]) -> tuple[list[Change], int]:
    """The changes that turn ``old`` into ``new`` (creates, updates, replaces and deletes;
    secrets not compared) and the number of unchanged pairs: the core of ``gsctl diff``."""
    acc = _Sides()
    _plan_kind(kind, new, old, True, False, acc)
    return acc.changes, len(acc.same)


@dataclass
class _Sides:
    """What planning the kinds one by one accumulates."""

    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Resource] = field(default_factory=list)
    same: list[tuple[Resource, Resource]] = field(default_factory=list)  # unchanged pairs


def _plan_kind(
    kind: str, want: list[Resource], have: list[Resource], prune: bool, rotate: bool, acc: _Sides
) -> None:
    """Changes for one kind: updates of paired objects, creates, deletes or unmanaged."""
    paired, creates, leftovers = pair(want, have)
    for d, lv in paired:
        change = compare(d, lv, rotate)
        if change is None:
            acc.same.append((d, lv))
        else:
            acc.changes.append(change)
    acc.changes.extend(
        Change("create", kind, d.name, None, _create_fields(d), desired=d) for d in creates
    )
    for lv in leftovers:
        if prune:
            acc.changes.append(
                Change("delete", kind, lv.name, lv.uuid, _delete_fields(lv), live=lv)
            )
        else:
            acc.unmanaged.append(lv)


def _create_fields(d: Resource) -> list[FieldChange]:
    k = kinds.KINDS[d.kind]
    out = []
    for name, value in normalize.create_fields(d).items():
        sensitive = name in k.secret or has_secret(value)
        out.append(FieldChange(name, None, value, sensitive=sensitive))
    return mask_urls(d.kind, out)


def _delete_fields(lv: Resource) -> list[FieldChange]:
    fields = [FieldChange(name, value, None) for name, value in sorted(lv.fields.items())]
    return mask_urls(lv.kind, fields)


def mask_urls(kind: str, changes: list[FieldChange]) -> list[FieldChange]:
    """Hide the token-carrying parts of URL fields (userinfo, query values) in a plan; a
    change only there shows as ``(sensitive)``."""
    masked = kinds.KINDS[kind].masked_urls
    out = []
    for f in changes:
        if f.path in masked and not f.sensitive:
            before, after = mask_url(f.before), mask_url(f.after)
            if (before, after) != (f.before, f.after):
                f = FieldChange(f.path, before, after, sensitive=before == after)
        out.append(f)
    return out
