"""``gsctl validate``: check manifests offline."""

from __future__ import annotations

import json
import sys

import click

from gsctl.cli.output import handle_errors
from gsctl.errors import ExitCode


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check manifests offline: YAML, JSON Schema, references, duplicates."""
    from gsctl.manifests.validate import summary_line, validate_paths

    desired, diagnostics = validate_paths(list(paths) or ["."])
    errors = [d for d in diagnostics if d.severity == "error"]
    if fmt == "json":
        click.echo(json.dumps([d.to_dict() for d in diagnostics], indent=2))
    else:
        for d in diagnostics:
            click.echo(str(d), err=True)
        if desired is not None and not errors:
            click.echo(summary_line(desired))
    if errors:
        if fmt == "text":
            click.echo(f"{len(errors)} error(s)", err=True)
        sys.exit(int(ExitCode.ERROR))
