"""``gsctl apply``: plan, confirm, carry out; or carry out a saved plan if nothing changed."""

from __future__ import annotations

import sys
from typing import Any

import click

from gsctl import render
from gsctl.cli.connect import api_url_of, connect
from gsctl.cli.lock import apply_lock
from gsctl.cli.options import api_options, plan_options, run_config
from gsctl.cli.output import (
    Output,
    Progress,
    confirm,
    enforce_gates,
    handle_errors,
    warn_duplicates,
)
from gsctl.errors import ExitCode, Interrupted, UsageError
from gsctl.reconcile import workflow


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Apply exactly this saved plan (refused if the workspace changed since).",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@plan_options
@api_options
@handle_errors
def apply(paths: tuple[str, ...], plan_file: str | None, auto_approve: bool, **opts: Any) -> None:
    """Make the live workspace match the manifests."""
    cfg = run_config(paths, opts)
    output = Output(opts["no_color"])
    saved = workflow.read_plan_file(plan_file) if plan_file else None
    if saved is not None:
        cfg = workflow.config_for_saved(cfg, saved, paths)
    desired, team_id = workflow.load(cfg)
    with (
        apply_lock(team_id if team_id is not None or not cfg.emulator else 1),
        connect(cfg, team_id) as client,
    ):
        api_url = api_url_of(cfg, client)
        if saved is not None and (saved.get("api_url"), saved.get("team_id")) != (api_url, team_id):
            raise UsageError(
                f"the plan was made for {saved.get('api_url')} team {saved.get('team_id')}, "
                f"not {api_url} team {team_id}"
            )
        planned = workflow.make_plan(cfg, client, desired, team_id, api_url)
        warn_duplicates(output, planned.plan)
        if saved is not None:
            workflow.check_saved(saved, planned, planned.plan.to_dict())
        output.out(render.plan_text(planned.plan, color=output.color))
        enforce_gates(planned.plan, cfg.plan.force)
        if not planned.plan.has_changes:
            return
        confirm(auto_approve)
        report = workflow.apply_plan(cfg, client, planned, progress=Progress(output, planned.plan))
        if report.interrupted and client.stats.writes == 0:
            raise Interrupted(wrote=False)
    output.out(render.report_text(report))
    if not report.ok:
        sys.exit(int(ExitCode.PARTIAL))
