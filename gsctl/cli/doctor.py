"""``gsctl doctor``: probe the account read-only, or compare a published OpenAPI spec."""

from __future__ import annotations

import sys
from typing import Any

import click

from gsctl.cli.connect import api_url_of, connect
from gsctl.cli.options import api_options, run_config
from gsctl.cli.output import Output, handle_errors
from gsctl.errors import ExitCode
from gsctl.reconcile import workflow


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(dir_okay=False),
    help="Compare this OpenAPI description (YAML or JSON) with the calls gsctl makes; "
    "offline, no key needed.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="json/markdown: a report to attach to a bug report (no key, no secret).",
)
@click.option("--include-names", is_flag=True, help="Name one object per kind in the report.")
@api_options
@handle_errors
def doctor(
    paths: tuple[str, ...], spec_file: str | None, fmt: str, include_names: bool, **opts: Any
) -> None:
    """Check that the API answers every call gsctl makes in a shape it can use (read-only).

    Exit 0 when it does, 1 otherwise."""
    from gsctl import render
    from gsctl.reconcile import doctor as probe

    output = Output(opts["no_color"])
    if spec_file:
        from gsctl.manifests.loader import load_data
        from gsctl.reconcile.specdiff import compare

        mismatches = compare(load_data(spec_file))
        shown_spec = render.doctor.spec_json if fmt == "json" else render.doctor.spec_text
        output.out(shown_spec(mismatches, spec_file))
        if any(not m.optional for m in mismatches):
            sys.exit(int(ExitCode.ERROR))
        return
    cfg = run_config(paths, opts)
    desired = None
    if cfg.team and not cfg.team.isdigit():
        desired, _ = workflow.load(cfg)  # a team name from settings.teams
    team_id = workflow.resolve_team(cfg.team, desired)
    with connect(cfg, team_id) as client:
        report = probe.probe(client, api_url_of(cfg, client), include_names=include_names)
    shown = {"json": render.doctor.doctor_json, "markdown": render.doctor.doctor_markdown}
    output.out(shown.get(fmt, render.doctor.doctor_text)(report))
    if not report.ok:
        sys.exit(int(ExitCode.ERROR))
