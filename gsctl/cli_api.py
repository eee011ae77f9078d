"""Commands that talk to the API: plan, apply, emulator. Thin adapters over ``workflow``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from . import render, workflow
from .apply import Outcome, build_ops
from .cli_common import Output, api_options, handle_errors, plan_options, run_config
from .errors import ExitCode, UnsafePlanError, UsageError
from .plan import Plan


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file: never a partial file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_plan(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "json":
        return render.plan_json(plan)
    if fmt == "markdown":
        return render.plan_markdown(plan)
    return render.plan_text(plan, color=color)


def enforce_gates(plan: Plan, force: bool) -> None:
    blocking = plan.blocking(force)
    if blocking:
        raise UnsafePlanError(
            "refused by safety gates:\n" + "\n".join(f"  ! {v.message}" for v in blocking)
        )


def step_summary(plan: Plan) -> None:
    """In GitHub Actions, add the Markdown plan to the job summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render.plan_markdown(plan) + "\n")


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
    with workflow.connect(cfg, team_id) as client:
        planned = workflow.make_plan(
            cfg, client, desired, team_id, workflow.api_url_of(cfg, client)
        )
    output.out(render_plan(planned.plan, fmt, output.color))
    if out:
        write_atomic(out, render.plan_json(planned.plan))
    step_summary(planned.plan)
    enforce_gates(planned.plan, cfg.plan.force)
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(int(ExitCode.CHANGES))


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
    with workflow.connect(cfg, team_id) as client:
        api_url = workflow.api_url_of(cfg, client)
        if saved is not None and (saved.get("api_url"), saved.get("team_id")) != (api_url, team_id):
            raise UsageError(
                f"the plan was made for {saved.get('api_url')} team {saved.get('team_id')}, "
                f"not {api_url} team {team_id}"
            )
        planned = workflow.make_plan(cfg, client, desired, team_id, api_url)
        if saved is not None:
            workflow.check_saved(saved, planned, planned.plan.to_dict())
        output.out(render.plan_text(planned.plan, color=output.color))
        enforce_gates(planned.plan, cfg.plan.force)
        if not planned.plan.has_changes:
            return
        confirm(auto_approve)
        report = workflow.apply_plan(cfg, client, planned, progress=Progress(output, planned.plan))
    output.out(render.report_text(report))
    if not report.ok:
        sys.exit(int(ExitCode.PARTIAL))


class Progress:
    """One stderr line per finished operation, numbered ``[done/total]``."""

    def __init__(self, output: Output, plan: Plan) -> None:
        self.output = output
        self.total = len(build_ops(plan))
        self.count = 0

    def __call__(self, outcome: Outcome) -> None:
        self.count += 1
        width = len(str(self.total))
        self.output.err(f"[{self.count:>{width}}/{self.total}] {render.progress_line(outcome)}")


def confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError("refusing to apply without --auto-approve: no terminal to confirm on")
    answer = click.prompt(
        "Apply these changes? Only 'yes' is accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        raise UsageError("apply cancelled")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8484, show_default=True)
@click.option("--db", default=":memory:", show_default=True, help="SQLite file for persistence.")
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY[:TEAM,...]",
    help="Accepted key, optionally bound to teams (repeatable).",
)
@click.option(
    "--rate-limit", type=int, default=None, help="Requests per minute per key (429 past it)."
)
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault injection.")
@click.option(
    "--seed-file", type=click.Path(exists=True, dir_okay=False), help="Objects to preload."
)
@handle_errors
def emulator(
    host: str,
    port: int,
    db: str,
    api_keys: tuple[str, ...],
    rate_limit: int | None,
    fault_rate: float,
    seed: int,
    seed_file: str | None,
) -> None:
    """Serve a local GetSales API (for tests, demos and offline work)."""
    from .emulator.server import serve

    serve(
        host=host,
        port=port,
        db=db,
        api_keys=list(api_keys) or None,
        rate_limit=rate_limit,
        fault_rate=fault_rate,
        seed=seed,
        seed_file=seed_file,
    )


def register(group: click.Group) -> None:
    for command in (plan, apply, emulator):
        group.add_command(command)
