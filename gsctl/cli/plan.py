"""``gsctl plan``: show what apply would change. A thin adapter over ``workflow``."""

from __future__ import annotations

import sys
from typing import Any

import click

from gsctl import render
from gsctl.cli.connect import api_url_of, connect
from gsctl.cli.options import api_options, plan_options, run_config
from gsctl.cli.output import (
    Output,
    enforce_gates,
    handle_errors,
    render_plan,
    step_summary,
    warn_duplicates,
    write_atomic,
)
from gsctl.errors import ExitCode
from gsctl.reconcile import workflow


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Also write the JSON plan to this file."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none."
)
@plan_options
@api_options
@handle_errors
def plan(
    paths: tuple[str, ...], out: str | None, fmt: str, detailed_exitcode: bool, **opts: Any
) -> None:
    """Show what apply would change in the live workspace."""
    cfg = run_config(paths, opts)
    output = Output(opts["no_color"])
    desired, team_id = workflow.load(cfg)
    for warning in desired.warnings:
        output.err(str(warning))
    with connect(cfg, team_id) as client:
        planned = workflow.make_plan(cfg, client, desired, team_id, api_url_of(cfg, client))
    warn_duplicates(output, planned.plan)
    output.out(render_plan(planned.plan, fmt, output.color))
    if out:
        write_atomic(out, render.plan_json(planned.plan))
    step_summary(planned.plan)
    enforce_gates(planned.plan, cfg.plan.force)
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(int(ExitCode.CHANGES))
