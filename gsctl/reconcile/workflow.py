"""The steps every API command shares: options -> team -> client -> live -> plan -> apply.

:mod:`gsctl.cli` reads flags into a :class:`RunConfig`, opens a client (``gsctl.cli.connect``)
and calls the functions here, which wire the manifests, the live fetch, the plan and apply.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gsctl.api import kinds
from gsctl.api.bounds import ReadLimits
from gsctl.api.client import Client
from gsctl.api.versioncache import VersionCache
from gsctl.errors import StalePlanError, UsageError
from gsctl.manifests.validate import load_desired
from gsctl.model import Desired, Resource
from gsctl.reconcile import usage
from gsctl.reconcile.apply import ApplyReport, Executor, Outcome
from gsctl.reconcile.changes import Plan, PlanOptions
from gsctl.reconcile.flowops import check_transition
from gsctl.reconcile.live import LiveState, fetch
from gsctl.reconcile.plan import (
    build_plan,
    check_only,
    desired_digest,
    fetch_kinds,
    parse_only,
    pending_renames,
    scope_kinds,
)

DEFAULT_API_URL = "https://amazing.getsales.io"


@dataclass(frozen=True)
class RunConfig:
    """Everything a command needs, read once from flags and the environment."""

    paths: tuple[str, ...] = (".",)
    api_url: str = DEFAULT_API_URL
    api_key: str | None = field(default=None, repr=False)
    team: str | None = None  # id or a name from settings.teams
    emulator: bool = False
    parallelism: int = 4
    timeout: float = 30.0  # seconds per API answer
    rate_limit: float | None = 300
    verbose_log: Callable[[str], None] | None = None
    notify: Callable[[str], None] | None = None  # shown without -v: waits, rate limiting
    refresh: bool = False  # --refresh: bypass the flow-version cache
    limits: ReadLimits = field(default_factory=ReadLimits)
    plan: PlanOptions = field(default_factory=PlanOptions)
    env: dict[str, str] | None = None

    def environ(self) -> dict[str, str]:
        return dict(os.environ) if self.env is None else self.env


def resolve_team(team: str | None, desired: Desired | None) -> int | None:
    """An integer team id from ``--team`` (an id or a ``settings.teams`` name)."""
    if team is None or team == "":
        return None
    if team.isdigit():
        return int(team)
    teams = desired.settings.teams if desired is not None else {}
    if team in teams:
        return int(teams[team])
    known = ", ".join(sorted(teams)) or "none defined in settings.teams"
    raise UsageError(f"unknown team {team!r}: use a team id or one of: {known}")


@dataclass
class Planned:
    plan: Plan
    desired: Desired
    live: LiveState
    team_id: int | None


def load(cfg: RunConfig, *, strict_env: bool = True) -> tuple[Desired, int | None]:
    """The desired state for ``cfg``'s team; an unset variable is an error when ``strict_env``
    (anything that talks to the API), else a warning (e.g. drawing a flow offline)."""
    desired = load_desired(list(cfg.paths), team=cfg.team, env=cfg.environ(), strict_env=strict_env)
    return desired, resolve_team(cfg.team, desired)


def make_plan(
    cfg: RunConfig, client: Client, desired: Desired, team_id: int | None, api_url: str
) -> Planned:
    """Fetch what the plan needs and compare."""
    scope = scope_kinds(parse_only(cfg.plan.only))
    wanted = fetch_kinds(desired, scope)
    steps_for = [r.name for r in desired.by_kind("flow") if "nodes" in r.fields]
    live = fetch(
        client,
        wanted,
        steps_for=steps_for,
        parallelism=cfg.parallelism,
        renames=pending_renames(desired),
        versions=version_cache(cfg, client, team_id),
    )
    check_only(parse_only(cfg.plan.only), desired, live)
    check_flow_transitions(desired, live)
    manifests = {"paths": list(cfg.paths), "digest": desired_digest(desired)}
    plan = build_plan(
        desired,
        live,
        cfg.plan,
        team_id=team_id,
        api_url=api_url,
        manifests=manifests,
        usage=usage.reader(client),
    )
    return Planned(plan, desired, live, team_id)


def version_cache(cfg: RunConfig, client: Client, team_id: int | None) -> VersionCache:
    """The flow-version cache of this API host and team (off for the embedded emulator,
    whose port and database change from run to run)."""
    if cfg.emulator:
        return VersionCache(None)
    return VersionCache.for_api(
        client.base_url, team_id, refresh=cfg.refresh, environ=cfg.environ()
    )


def check_flow_transitions(desired: Desired, live: LiveState) -> None:
    from gsctl.errors import Diagnostic, ManifestError

    by_name = {r.name: r for r in live.resources.get("flow", [])}
    problems = []
    for res in desired.by_kind("flow"):
        lv = by_name.get(res.name)
        message = check_transition(
            lv.fields.get("status") if lv else "draft", res.fields.get("status")
        )
        if message:
            o = res.origin_of(("status",))
            problems.append(
                Diagnostic(
                    o.path if o else "?",
                    o.line if o else 0,
                    o.column if o else 0,
                    message,
                    "flow",
                    res.name,
                )
            )
    if problems:
        raise ManifestError(problems)


def apply_plan(
    cfg: RunConfig,
    client: Client,
    planned: Planned,
    progress: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    executor = Executor(
        client,
        planned.live.names,
        parallelism=cfg.parallelism,
        rotate_secrets=cfg.plan.rotate_secrets,
        progress=progress,
    )
    return executor.run(planned.plan)


def read_plan_file(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the plan file: {exc}") from exc
    if not isinstance(data, dict) or data.get("format_version") != 1:
        raise UsageError(f"{path}: not a gsctl plan file (format_version 1)")
    return data


def config_for_saved(cfg: RunConfig, saved: dict[str, Any], paths: Sequence[str]) -> RunConfig:
    """The run configuration the saved plan was made with (paths, scope, options)."""
    plan_opts = PlanOptions.from_dict(saved.get("options") or {})
    manifest_paths = tuple(paths) or tuple((saved.get("manifests") or {}).get("paths") or (".",))
    team = saved.get("team_id")
    return replace(
        cfg, paths=manifest_paths, plan=plan_opts, team=str(team) if team is not None else cfg.team
    )


def check_saved(saved: dict[str, Any], planned: Planned, fresh_json: dict[str, Any]) -> None:
    """Refuse a saved plan whose live state or manifests changed since it was made."""
    if saved.get("live_fingerprint") != planned.plan.live_fingerprint:
        raise StalePlanError(
            "the live workspace changed since the plan was made (live_fingerprint differs); "
            "run gsctl plan again and review the new plan"
        )
    old_digest = (saved.get("manifests") or {}).get("digest")
    if old_digest != desired_digest(planned.desired):
        raise StalePlanError(
            "the manifests changed since the plan was made; "
            "run gsctl plan again and review the new plan"
        )
    if _without_usage(saved.get("changes")) != _without_usage(fresh_json.get("changes")):
        raise StalePlanError("the saved plan no longer matches what would be applied; plan again")


def _without_usage(changes: Any) -> Any:
    """Changes as compared for a saved plan: usage counts move on their own (contacts get
    tagged all day), and the in-use gate is checked again against the fresh counts."""
    if not isinstance(changes, list):
        return changes
    return [
        {k: v for k, v in c.items() if k != "usage"} if isinstance(c, dict) else c for c in changes
    ]


def managed_kind_names() -> list[str]:
    return [k.name for k in kinds.MANAGED]


def live_flow(cfg: RunConfig, client: Client, desired: Desired, name: str) -> Resource | None:
    """The live flow ``name`` (a Resource with its steps, references by name), or None."""
    live = fetch(
        client, fetch_kinds(desired, ("flow",)), steps_for=[name], parallelism=cfg.parallelism
    )
    return next((r for r in live.resources.get("flow", []) if r.name == name), None)


def flow_plan(
    cfg: RunConfig, client: Client, desired: Desired, team_id: int | None, name: str
) -> Plan:
    """The plan for the one flow ``name`` (``--only flow/NAME``)."""
    scoped = replace(cfg, plan=replace(cfg.plan, only=(f"flow/{name}",)))
    return make_plan(scoped, client, desired, team_id, cfg.api_url).plan
