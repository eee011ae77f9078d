"""``gsctl diff``: compare two teams, or two config directories, read-only. A thin adapter
over :mod:`gsctl.export.compare`; shown like a plan by :mod:`gsctl.render.diff`."""

from __future__ import annotations

import sys
from typing import Any

import click

from gsctl.cli.clone import api_options_without_team
from gsctl.cli.connect import api_url_of, connect
from gsctl.cli.options import kind_option, run_config
from gsctl.cli.output import Output, handle_errors
from gsctl.errors import ExitCode, UsageError
from gsctl.export import compare as comparing
from gsctl.export.clone import resolve_teams
from gsctl.export.dump import filter_kinds, kind_filters
from gsctl.render import diff as show


@click.command(name="diff")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--from-team", "source", metavar="TEAM", help="Old side: a team id or name.")
@click.option("--to-team", "target", metavar="TEAM", help="New side: a team id or name.")
@kind_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@api_options_without_team
@handle_errors
def diff_cmd(
    paths: tuple[str, ...],
    source: str | None,
    target: str | None,
    kind_names: tuple[str, ...],
    fmt: str,
    **opts: Any,
) -> None:
    """Compare two teams (--from-team A --to-team B) or two config directories (DIR_A
    DIR_B, offline). Read-only. Exit 0: no difference, 2: differences.

    "+" is only in B, "-" only in A, "~" differs (A -> B). With teams, PATH (default .)
    is read only for settings.teams, so team names work. Secrets are never compared.
    """
    kinds_ = filter_kinds(kind_filters(kind_names))
    if source is not None or target is not None:
        result = _teams(paths, source, target, kinds_, opts)
    elif len(paths) == 2:
        old, new = (comparing.load_dir(p) for p in paths)
        result = comparing.compare(old, new, kinds_, labels=(paths[0], paths[1]))
    else:
        raise UsageError("give two config directories, or --from-team A --to-team B")
    output = Output(opts["no_color"])
    for line in result.left_out:
        output.err(f"not compared: {line}")
    plan, labels = result.plan, (result.old, result.new)
    if fmt == "json":
        output.out(show.diff_json(plan, *labels, result.left_out))
    elif fmt == "markdown":
        output.out(show.diff_markdown(plan, *labels))
    else:
        output.out(show.diff_text(plan, *labels, color=output.color))
    if plan.has_changes:
        sys.exit(int(ExitCode.CHANGES))


def _teams(
    paths: tuple[str, ...],
    source: str | None,
    target: str | None,
    kind_names: list[str],
    opts: dict[str, Any],
) -> comparing.Comparison:
    if not source or not target:
        raise UsageError("--from-team and --to-team go together")
    cfg = run_config(paths, {**opts, "team": None, "only": ()})
    ids = resolve_teams(list(cfg.paths), source, target)
    states = []
    for team in ids:
        with connect(cfg, team) as client:
            states.append(comparing.team_state(cfg, client, team))
            api_url = api_url_of(cfg, client)
    labels = tuple(
        f"team {team}" + ("" if given.isdigit() else f" ({given})")
        for team, given in zip(ids, (source, target), strict=True)
    )
    return comparing.compare(
        states[0][0],
        states[1][0],
        kind_names,
        labels=(labels[0], labels[1]),
        left_out=states[0][1] + states[1][1],
        api_url=api_url,
    )
