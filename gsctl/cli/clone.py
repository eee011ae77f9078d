"""``gsctl clone``: copy one team's configuration onto another. A thin adapter over
:mod:`gsctl.export.clone`; the plan is shown and confirmed exactly as ``apply`` does."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gsctl import render
from gsctl.cli.connect import api_url_of, connect
from gsctl.cli.export import summary, write_export
from gsctl.cli.lock import apply_lock
from gsctl.cli.options import api_options, kind_option, only_option, run_config
from gsctl.cli.output import Output, Progress, confirm, enforce_gates, handle_errors
from gsctl.errors import ExitCode, UsageError
from gsctl.export import clone as cloning
from gsctl.export.compare import read_team
from gsctl.export.dump import Filter, check_filters, kind_filters
from gsctl.export.schemas import schema_target
from gsctl.reconcile import workflow
from gsctl.reconcile.live import LiveState

F = TypeVar("F", bound=Callable[..., Any])


def api_options_without_team(func: F) -> F:
    """The shared API options minus ``--team`` (clone names two teams instead)."""
    func = api_options(func)
    params = getattr(func, "__click_params__", [])
    func.__click_params__ = [p for p in params if p.name != "team"]  # type: ignore[attr-defined]
    return func


def check_out_dir(out_dir: Path) -> None:
    """``--out`` must be new or empty, or confirmed on a terminal (checked before any call)."""
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{out_dir} is not empty: give --out a new or empty directory")
    if not click.confirm(f"{out_dir} is not empty; overwrite gsctl's files in it?", default=False):
        raise UsageError("clone cancelled")


def report_skipped(output: Output, skipped: list[cloning.Skip], team: int) -> None:
    for s in skipped:
        kept = f"; team {team} keeps its own {s.kind} of that name" if s.kept else ""
        output.err(f'skipped: {s.kind} "{s.name}": {s.reason}{kept}')


@click.command(name="clone")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--from-team",
    "source",
    required=True,
    metavar="TEAM",
    help="Team to copy from: an id, or a name from settings.teams in PATH.",
)
@click.option(
    "--to-team",
    "target",
    required=True,
    metavar="TEAM",
    help="Team to copy onto: an id, or a name from settings.teams in PATH.",
)
@kind_option
@only_option("Only this kind or this one object.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Also keep the source team's exported manifests in this new or empty directory.",
)
@click.option(
    "--prune", is_flag=True, help="Delete target objects (of the copied kinds) the source lacks."
)
@click.option("--force", is_flag=True, help="Override the delete-share and emptied-kind gates.")
@click.option(
    "--allow-replace", is_flag=True, help="Allow delete+create when a create-only field differs."
)
@click.option("--allow-data-loss", is_flag=True, help="Allow deleting or replacing objects in use.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@api_options_without_team
@handle_errors
def clone_cmd(
    paths: tuple[str, ...],
    source: str,
    target: str,
    kind_names: tuple[str, ...],
    only: tuple[str, ...],
    out_dir: str | None,
    auto_approve: bool,
    **opts: Any,
) -> None:
    """Copy team A's configuration onto team B: plan, confirm, apply.

    PATH (default .) is read only for settings.teams, so team names work. Secrets come
    from the GSCTL_..._API_KEY variables the export names; an object whose secret is not
    set is skipped with everything that depends on it (exit 5 after applying the rest).
    """
    cfg = run_config(paths, {**opts, "team": None, "only": ()})
    output = Output(opts["no_color"])
    filters = kind_filters(kind_names, only)
    team_a, team_b = cloning.resolve_teams(list(cfg.paths), source, target)
    out = Path(out_dir) if out_dir else None
    if out is not None:
        check_out_dir(out)
    with connect(cfg, team_a) as client:
        state = read_team(cfg, client)
    check_filters(filters, state)
    if out is not None:
        keep_export(output, state, filters, out, team_a)
    prepared, ok = plan_and_apply(cfg, output, state, filters, (team_a, team_b), auto_approve)
    if prepared.skipped:
        output.err(
            f"Clone incomplete: {len(prepared.skipped)} object(s) skipped (see above); "
            "fix what they need and run clone again."
        )
    if prepared.skipped or not ok:
        sys.exit(int(ExitCode.PARTIAL))


def keep_export(
    output: Output, state: LiveState, filters: list[Filter], out: Path, team: int
) -> None:
    """``--out``: write the source team's manifests, as ``gsctl export`` would."""
    schemas = schema_target(out)
    exported = cloning.export_selected(state, filters, schemas.ref)
    write_export(out, exported, schemas.files)
    output.err(f"Exported {exported.count} objects of team {team} into {out}.")
    summary(output, exported)


def plan_and_apply(
    cfg: workflow.RunConfig,
    output: Output,
    state: LiveState,
    filters: list[Filter],
    teams: tuple[int, int],
    auto_approve: bool,
) -> tuple[cloning.Prepared, bool]:
    """Plan the source state against the target team, show it, confirm, apply."""
    source, target = teams
    with apply_lock(target), connect(cfg, target) as client:
        prepared = cloning.prepare(
            cfg,
            client,
            state,
            filters,
            source_team=source,
            team_id=target,
            api_url=api_url_of(cfg, client),
            env=cfg.environ(),
        )
        plan = prepared.planned.plan
        output.err(f"Cloning team {source} onto team {target}:")
        output.out(render.plan_text(plan, color=output.color))
        report_skipped(output, prepared.skipped, target)
        enforce_gates(plan, cfg.plan.force)
        if not plan.has_changes:
            return prepared, True
        confirm(auto_approve)
        progress = Progress(output, plan)
        report = workflow.apply_plan(cfg, client, prepared.planned, progress=progress)
        output.out(render.report_text(report))
        return prepared, report.ok
