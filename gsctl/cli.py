"""Command-line interface: read options, call one core function, render, exit.

Every error is one message on stderr and an exit code from :class:`gsctl.errors.ExitCode`;
a traceback is a bug (``-v`` adds detail, never secrets).
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

import click

from . import __version__
from .cli_api import register
from .cli_clone import register as register_clone
from .cli_common import handle_errors
from .cli_export import register as register_export
from .errors import ExitCode, GsctlError


class BadUsage(click.UsageError):
    exit_code = int(ExitCode.ERROR)


class GsctlGroup(click.Group):
    """A click group whose usage errors exit 1 (bad input), not click's 2: exit 2 means
    "there are changes" for ``plan --detailed-exitcode``."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise BadUsage(exc.format_message(), exc.ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise BadUsage(exc.format_message(), exc.ctx) from None


@click.group(cls=GsctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gsctl")
def main() -> None:
    """gsctl: config-as-code for GetSales workspaces.

    Keep tags, custom fields, pipeline stages, flow workspaces, flows, AI agents, templates,
    webhooks and LLM connections as YAML in git; plan and apply them like Terraform.
    """
    # A command builds many small objects once and keeps them: collect garbage rarely
    # (bench/: about 10% of a 20,000-object plan).
    gc.set_threshold(100_000, 50, 50)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check manifests offline: YAML, JSON Schema, references, duplicates."""
    from .validate import summary_line, validate_paths

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


@main.command()
@click.argument("kind", required=False)
@handle_errors
def schema(kind: str | None) -> None:
    """Print the JSON Schema of a manifest file, or of one KIND."""
    from .schema import load_schema, schema_names

    if kind is not None and kind not in schema_names():
        raise GsctlError(f"unknown kind {kind!r}; one of: {', '.join(schema_names())}")
    click.echo(json.dumps(load_schema(kind), indent=2))


register(main)
register_export(main)
register_clone(main)

if __name__ == "__main__":  # pragma: no cover
    main()
