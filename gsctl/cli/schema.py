"""``gsctl schema``: print the JSON Schema of a manifest file or of one kind."""

from __future__ import annotations

import json

import click

from gsctl.cli.output import handle_errors
from gsctl.errors import GsctlError


@click.command()
@click.argument("kind", required=False)
@handle_errors
def schema(kind: str | None) -> None:
    """Print the JSON Schema of a manifest file, or of one KIND."""
    from gsctl.manifests.schema import load_schema, schema_names

    if kind is not None and kind not in schema_names():
        raise GsctlError(f"unknown kind {kind!r}; one of: {', '.join(schema_names())}")
    click.echo(json.dumps(load_schema(kind), indent=2))
