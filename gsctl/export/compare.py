"""Comparing two configurations, read-only (``gsctl diff``), and reading a team as manifests
(shared with ``gsctl clone``). No click, no printing.

Both sides become :class:`~gsctl.model.Desired` states: a team is fetched, exported in memory
and loaded back exactly as ``clone`` does (:func:`team_manifests`); a directory is loaded as
manifests (``${env:...}`` need not be set). :func:`compare` pairs the objects of each kind by
natural key and returns a :class:`~gsctl.reconcile.changes.Plan` of the changes that turn the
old side into the new one (``+`` only in the new side, ``-`` only in the old side, ``~``
old value -> new value), with no safety gates. Secrets are write-only and never compared.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.api.refs import references_of
from gsctl.errors import Diagnostic, ManifestError
from gsctl.export.dump import export_live, fetch_plan
from gsctl.manifests.validate import load_desired
from gsctl.model import Desired, Resource
from gsctl.reconcile import workflow
from gsctl.reconcile.changes import Change, Plan, PlanOptions
from gsctl.reconcile.live import LiveState, fetch
from gsctl.reconcile.plan import compare_kind

Key = tuple[str, str]  # (kind, name) as references name objects


@dataclass
class Comparison:
    """What :func:`compare` found: the plan-shaped changes and what was left out."""

    plan: Plan
    old: str  # how the old side is named ("team 1 (prod)", "config/a")
    new: str
    left_out: list[str]  # objects that could not be compared, with why


def compare(
    old: Desired,
    new: Desired,
    kind_names: Sequence[str],
    *,
    labels: tuple[str, str],
    left_out: Sequence[str] = (),
    api_url: str = "",
    team_id: int | None = None,
) -> Comparison:
    """The changes that turn ``old`` into ``new`` over ``kind_names`` (apply order)."""
    changes: list[Change] = []
    unchanged = 0
    scope = tuple(k.name for k in kinds.MANAGED if k.name in set(kind_names))
    for kind in scope:
        found, same = compare_kind(kind, new.by_kind(kind), old.by_kind(kind))
        changes.extend(found)
        unchanged += same
    plan = Plan(changes, unchanged, [], "", team_id, api_url, PlanOptions(only=scope), scope)
    return Comparison(plan, labels[0], labels[1], list(left_out))


def load_dir(path: str) -> Desired:
    """A config directory as manifests, for comparing: ``${env:...}`` need not be set (secrets
    are not compared) and only ``settings.vars.default`` applies."""
    return load_desired([path], env={}, strict_env=False)


def team_state(cfg: workflow.RunConfig, client: Client, team: int) -> tuple[Desired, list[str]]:
    """The client's team (``team``) as manifests, and the objects that could not be read as
    manifests (a dangling reference, a flow graph gsctl refuses), with why."""
    desired, broken = team_manifests(read_team(cfg, client), team, {})
    left_out = [f'{kind} "{name}" in team {team}: {why}' for (kind, name), why in broken.items()]
    return desired, sorted(left_out)


def read_team(cfg: workflow.RunConfig, client: Client) -> LiveState:
    """Every managed kind of the client's team, flow steps and the names references use."""
    wanted, steps_for = fetch_plan([k.name for k in kinds.MANAGED])
    return fetch(client, wanted, steps_for=steps_for, parallelism=cfg.parallelism)


# --- a team as manifests ----------------------------------------------------------------------


def team_manifests(
    source: LiveState, team: int, env: Mapping[str, str]
) -> tuple[Desired, dict[Key, str]]:
    """``source`` (the state of ``team``) exported and loaded back as manifests, and the
    objects left out because they cannot be written as valid manifests (with why)."""
    broken = _unexportable(source, team)
    return _load(source, broken, env, team), broken


def _unexportable(source: LiveState, team: int) -> dict[Key, str]:
    """Objects holding a dangling reference, and every object referencing them: they
    cannot be written as valid manifests."""
    from gsctl.export.dump import dangling

    out: dict[Key, str] = {}
    for r in _everything(source):
        problems = dangling(r)
        if problems:
            out[(r.kind, r.name)] = f"{problems[0]} in team {team}"
    return _close(source, out)


def _everything(source: LiveState) -> list[Resource]:
    return [r for k in kinds.MANAGED for r in source.resources.get(k.name, [])]


def _close(source: LiveState, out: dict[Key, str]) -> dict[Key, str]:
    """``out`` plus (transitively) every source object that references one of them."""
    changed = True
    while changed:
        changed = False
        for r in _everything(source):
            if (r.kind, r.name) in out:
                continue
            hit = sorted(references_of(r.kind, r.fields) & set(out))
            if hit:
                kind, name = hit[0]
                out[(r.kind, r.name)] = f'depends on {kind} "{name}", which cannot be copied'
                changed = True
    return out


def _load(source: LiveState, broken: dict[Key, str], env: Mapping[str, str], team: int) -> Desired:
    """The source's export without ``broken``, written to a temporary directory and loaded
    like manifests (an unset ``${env:...}`` stays written as it is inside its
    :class:`Secret`). An object the manifest checks reject (say, a flow graph gsctl's rules
    refuse) is added to ``broken`` with its dependants, and the rest is loaded again."""
    while True:
        exported = export_live(source, [k.name for k in kinds.MANAGED], skip=set(broken))
        with tempfile.TemporaryDirectory(prefix="gsctl-clone-") as tmp:
            for name, text in exported.files.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            try:
                return load_desired([tmp], env=env, strict_env=False)
            except ManifestError as exc:
                errors = [
                    replace(d, path=_relabel(d, tmp, team))
                    for d in exc.diagnostics
                    if d.severity == "error"
                ]
        rejected = {(d.kind, d.name): d.message for d in errors if d.kind}
        if not rejected or any(not d.kind for d in errors) or set(rejected) & set(broken):
            raise ManifestError(errors)
        for key, message in rejected.items():
            broken[key] = f"not valid as a manifest ({message})"
        _close(source, broken)


def _relabel(d: Diagnostic, tmp: str, team: int) -> str:
    return d.path.replace(tmp, f"<export of team {team}>")
