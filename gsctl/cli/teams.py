"""``gsctl teams``: list the teams of ``settings.teams`` (for fleet jobs)."""

from __future__ import annotations

import json

import click

from gsctl.cli.output import handle_errors


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--json", "as_json", is_flag=True, help='A GitHub Actions matrix: {"include": [...]}.'
)
@handle_errors
def teams(paths: tuple[str, ...], as_json: bool) -> None:
    """List the teams of settings.teams (for fleet jobs)."""
    from gsctl.manifests.validate import load_desired

    desired = load_desired(list(paths) or ["."], strict_env=False)
    rows = [
        {"team": name, "team_id": team_id}
        for name, team_id in sorted(desired.settings.teams.items())
    ]
    if as_json:
        click.echo(json.dumps({"include": rows}))
        return
    for row in rows:
        click.echo(f"{row['team']}\t{row['team_id']}")
