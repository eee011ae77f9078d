"""``gsctl schema``: print the JSON Schema of a manifest file or of one kind, or write all of
them into a directory for editors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gsctl.cli.output import handle_errors, write_atomic
from gsctl.errors import GsctlError, UsageError


@click.command()
@click.argument("kind", required=False)
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write every schema file into DIR (manifest.schema.json and one per kind).",
)
@handle_errors
def schema(kind: str | None, write_dir: str | None) -> None:
    """Print the JSON Schema of a manifest file, or of one KIND; or write them all (--write).

    Point an editor at DIR/manifest.schema.json with a first line
    "# yaml-language-server: $schema=<relative path>/manifest.schema.json".
    """
    from gsctl.manifests.schema import load_schema, schema_files, schema_names

    if write_dir is not None:
        if kind is not None:
            raise UsageError("--write writes every schema: give no KIND")
        files = schema_files()
        for name, text in files.items():
            write_atomic(str(Path(write_dir) / name), text)
        click.echo(f"Wrote {len(files)} schema files into {write_dir}.", err=True)
        return
    if kind is not None and kind not in schema_names():
        raise GsctlError(f"unknown kind {kind!r}; one of: {', '.join(schema_names())}")
    click.echo(json.dumps(load_schema(kind), indent=2))
