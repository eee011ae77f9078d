"""Copy one team's configuration onto another (``gsctl clone``). No click, no printing.

Steps: :func:`resolve_teams` (ids, or names from ``settings.teams``),
:func:`gsctl.export.compare.read_team` (fetch every kind of the source team), :func:`prepare`
(export the source in memory and load it back as manifests with
:func:`gsctl.export.compare.team_manifests`, the same reading ``gsctl diff`` uses; fetch the
target, leave out what cannot be copied, plan). The command
shows the plan and applies it with :func:`gsctl.reconcile.workflow.apply_plan`.

What cannot be copied is *skipped*, never created broken, and reported as :class:`Skip`:

- an object whose secret placeholder (``${env:GSCTL_..._API_KEY}``) is not set, when the
  target needs the secret (the target lacks the object, or it must be replaced);
- a flow whose status cannot move from the target's status to the source's;
- an object holding a reference to an object that no longer exists in the source;
- an object that references something the target will not have: a skipped object, a sender
  profile or list the target lacks, or an object outside ``--kind`` the target lacks.
  This is applied transitively (agent -> LLM, flow -> template -> LLM, webhook -> flow...).

A skipped object that the target already has is left exactly as it is (it is planned
against itself), so ``--prune`` never deletes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.api.refs import references_of
from gsctl.errors import UsageError
from gsctl.export.compare import Key, team_manifests
from gsctl.export.dump import Export, Filter, export_live, filter_kinds, selected
from gsctl.manifests.files import find_files
from gsctl.manifests.interpolate import is_env_reference
from gsctl.manifests.loader import load_file
from gsctl.model import Desired, Resource, Secret, Settings
from gsctl.reconcile import workflow
from gsctl.reconcile.flowops import check_transition
from gsctl.reconcile.live import LiveState, fetch
from gsctl.reconcile.plan import build_plan, compare, desired_digest, fetch_kinds
from gsctl.reconcile.usage import reader


@dataclass(frozen=True)
class Skip:
    """An object of the source team left out of the copy, and why."""

    kind: str
    name: str
    reason: str
    kept: bool = False  # the target has an object of that name: it is left as it is


@dataclass
class Prepared:
    planned: workflow.Planned
    skipped: list[Skip]


def resolve_teams(paths: Sequence[str], source: str, target: str) -> tuple[int, int]:
    """Team ids for ``--from-team`` and ``--to-team``: ids, or names from the
    ``settings.teams`` of the manifests under ``paths``. Only ``settings.teams`` is read,
    and only when a name is used (the rest of the manifests may be anything)."""
    if not source or not target:
        raise UsageError("--from-team and --to-team need a team id or a settings.teams name")
    desired = None
    names = [t for t in (source, target) if not t.isdigit()]
    if names:
        files = find_files(paths)
        if not files:
            raise UsageError(
                f"team name {names[0]!r} needs settings.teams, but there are no manifests in "
                f"{', '.join(paths)}: pass team ids, or the path of the manifests that define "
                "settings.teams"
            )
        settings = Settings(teams=_teams(files))
        desired = Desired(resources=[], settings=settings, files=files, mentioned_kinds=frozenset())
    a, b = workflow.resolve_team(source, desired), workflow.resolve_team(target, desired)
    if a is None or b is None:  # unreachable: names and ids resolve or raise
        raise UsageError("--from-team and --to-team need a team id or a settings.teams name")
    if a == b:
        raise UsageError(f"--from-team and --to-team are the same team ({a})")
    return a, b


def _teams(files: Sequence[str]) -> dict[str, int]:
    """``settings.teams`` of the first file that has a ``settings`` mapping."""
    for path in files:
        doc, _ = load_file(path)
        data = doc.data if doc is not None else None
        settings = data.get("settings") if isinstance(data, dict) else None
        if isinstance(settings, dict):
            teams = settings.get("teams")
            items = teams.items() if isinstance(teams, dict) else []
            return {str(k): v for k, v in items if isinstance(v, int) and not isinstance(v, bool)}
    return {}


def export_selected(source: LiveState, filters: Sequence[Filter], schema_ref: str) -> Export:
    """The copied objects as ``gsctl export`` would write them (for ``clone --out``)."""
    return export_live(source, filter_kinds(filters), schema_ref=schema_ref, filters=filters)


def prepare(
    cfg: workflow.RunConfig,
    client: Client,
    source: LiveState,
    filters: Sequence[Filter],
    *,
    source_team: int,
    team_id: int,
    api_url: str,
    env: Mapping[str, str],
) -> Prepared:
    """Plan the copy of ``source`` (filtered) onto the team of ``client``."""
    scope = filter_kinds(filters)
    desired, broken = team_manifests(source, source_team, env)
    chosen = [r for k in scope for r in desired.by_kind(k) if selected(filters, k, r.name)]
    chosen += [
        r
        for k in scope
        for r in source.resources.get(k, [])
        if (k, r.name) in broken and selected(filters, k, r.name)
    ]
    steps_for = [r.name for r in desired.by_kind("flow")] if "flow" in scope else []
    live = fetch(
        client, fetch_kinds(desired, scope), steps_for=steps_for, parallelism=cfg.parallelism
    )
    reasons = _decide(chosen, broken, live, env, cfg.plan.rotate_secrets, team_id, set(scope))
    desired, skipped = _without_skipped(desired, chosen, reasons, live)
    options = replace(cfg.plan, only=tuple(k if n is None else f"{k}/{n}" for k, n in filters))
    manifests = {"paths": [f"team {source_team}"], "digest": desired_digest(desired)}
    plan = build_plan(
        desired,
        live,
        options,
        team_id=team_id,
        api_url=api_url,
        manifests=manifests,
        usage=reader(client),
    )
    return Prepared(workflow.Planned(plan, desired, live, team_id), skipped)


# --- what cannot be copied ----------------------------------------------------------------------


def unset_env(value: Any, env: Mapping[str, str]) -> list[str]:
    """Environment variables that ``value``'s secrets name and ``env`` lacks: an unset
    ``${env:NAME}`` stays written as it is inside its :class:`Secret`."""
    if isinstance(value, Secret):
        text = value.reveal()
        name = text[len("${env:") : -1]
        return [name] if is_env_reference(text) and name not in env else []
    if isinstance(value, dict):
        return [n for v in value.values() for n in unset_env(v, env)]
    if isinstance(value, list):
        return [n for v in value for n in unset_env(v, env)]
    return []


def _intrinsic(
    r: Resource, target: Resource | None, env: Mapping[str, str], rotate: bool, team: int
) -> str:
    """Why ``r`` cannot be copied by itself ('' when it can)."""
    missing = unset_env(r.fields, env)
    if missing:
        change = compare(r, target, rotate) if target is not None else None
        if target is None or rotate or (change is not None and change.action == "replace"):
            verb = "is" if len(missing) == 1 else "are"
            return f"{', '.join(sorted(set(missing)))} {verb} not set"
    if r.kind == "flow" and target is not None:
        message = check_transition(target.fields.get("status"), r.fields.get("status"))
        if message:
            return f"{message} (status in team {team})"
    return ""


def _decide(
    chosen: list[Resource],
    broken: Mapping[Key, str],
    live: LiveState,
    env: Mapping[str, str],
    rotate: bool,
    team: int,
    scope: set[str],
) -> dict[Key, str]:
    """Why each object of ``chosen`` that cannot be copied is skipped, by (kind, name)."""
    by_ident = {r.ident: r for rs in live.resources.values() for r in rs}
    names = {(r.kind, r.name) for r in chosen}
    reasons: dict[Key, str] = {k: why for k, why in broken.items() if k in names}
    for r in chosen:
        why = reasons.get((r.kind, r.name)) or _intrinsic(
            r, by_ident.get(r.ident), env, rotate, team
        )
        if why:
            reasons[(r.kind, r.name)] = why
    changed = True
    while changed:
        changed = False
        for r in chosen:
            if (r.kind, r.name) in reasons:
                continue
            for target in sorted(references_of(r.kind, r.fields)):
                ok = (target in names and target not in reasons) or live.names.has(*target)
                if not ok:
                    reasons[(r.kind, r.name)] = _missing(target, reasons, team, scope)
                    changed = True
                    break
    return reasons


def _missing(target: Key, reasons: Mapping[Key, str], team: int, scope: set[str]) -> str:
    kind, name = target
    if target in reasons:
        return f'depends on {kind} "{name}", which is skipped'
    if not kinds.KINDS[kind].managed:
        return f'needs {kind} "{name}", which team {team} does not have (gsctl cannot create it)'
    hint = f" (add --kind {kind})" if kind not in scope else ""
    return f'needs {kind} "{name}", which team {team} does not have and is not copied{hint}'


def _without_skipped(
    desired: Desired, chosen: list[Resource], reasons: Mapping[Key, str], live: LiveState
) -> tuple[Desired, list[Skip]]:
    """``desired`` without the skipped objects, and the skips in apply order. A skipped
    object the target has is pinned to its live self, so the plan leaves it as it is (no
    update, and no delete with --prune)."""
    by_ident = {r.ident: r for rs in live.resources.values() for r in rs}
    skipped = [r for r in chosen if (r.kind, r.name) in reasons]
    gone = {(r.kind, r.name) for r in skipped}
    kept = [r for r in desired.resources if (r.kind, r.name) not in gone]
    pinned = [by_ident[r.ident] for r in skipped if r.ident in by_ident]
    skips = [Skip(r.kind, r.name, reasons[(r.kind, r.name)], r.ident in by_ident) for r in skipped]
    skips.sort(key=lambda s: (kinds.KINDS[s.kind].level or 0, s.kind, s.name))
    return replace(desired, resources=kept + pinned), skips
