"""``gsctl export``: write the live workspace as manifests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gsctl.cli.connect import connect
from gsctl.cli.options import api_options, kind_option, only_option, run_config
from gsctl.cli.output import Output, handle_errors, write_atomic
from gsctl.errors import UsageError
from gsctl.export.dump import Export, export_team, filter_kinds, kind_filters, known_secrets
from gsctl.export.schemas import schema_target
from gsctl.manifests.files import find_files, read_text
from gsctl.reconcile import workflow


def check_target(out_dir: Path, force: bool) -> None:
    """Writing into a non-empty directory asks first (or needs --force)."""
    if force or not out_dir.exists() or not any(out_dir.iterdir()):
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{out_dir} is not empty: pass --force to write into it")
    if not click.confirm(f"{out_dir} is not empty; overwrite gsctl's files in it?", default=False):
        raise UsageError("export cancelled")


@click.command(name="export")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Directory for the manifests (one file per kind).",
)
@kind_option
@only_option("Only this kind or this one object (repeatable; adds to --kind).")
@click.option("--force", is_flag=True, help="Write into a non-empty directory without asking.")
@api_options
@handle_errors
def export_cmd(
    out_dir: str, kind_names: tuple[str, ...], only: tuple[str, ...], force: bool, **opts: Any
) -> None:
    """Write the live workspace as manifests that plan reports as unchanged."""
    cfg = run_config((), opts)
    output = Output(opts["no_color"])
    filters = kind_filters(kind_names, only)
    target = Path(out_dir)
    check_target(target, force)
    team_id = workflow.resolve_team(cfg.team, None)
    schemas = schema_target(target)
    with connect(cfg, team_id) as client:
        exported = export_team(
            cfg,
            client,
            filter_kinds(filters),
            schema_ref=schemas.ref,
            filters=filters,
            secrets=known_secrets(cfg.environ(), manifest_texts(target)),
        )
    write_export(target, exported, schemas.files)
    output.err(f"Exported {exported.count} objects into {len(exported.files)} files in {target}.")
    summary(output, exported)


def manifest_texts(target: Path) -> list[str]:
    """The manifests already in the export directory (they name the secrets in use)."""
    if not target.is_dir():
        return []
    return [text for path in find_files([str(target)]) if (text := read_text(path)[0])]


def write_export(target: Path, exported: Export, schemas: dict[str, str]) -> None:
    """The manifests, and the schema copy their ``$schema`` line points at (if any)."""
    for name, text in {**exported.files, **schemas}.items():
        write_atomic(str(target / name), text)


def summary(output: Output, exported: Export) -> None:
    """What will not round-trip (dangling references, flow graphs gsctl refuses) and the
    secret placeholders to set, on stderr."""
    for (kind, name), problems in sorted(exported.problems.items()):
        for problem in problems:
            output.err(f'warning: {kind} "{name}": {problem} (fix it before plan/apply)')
    if exported.secrets:
        output.err(
            "Set these environment variables before plan/apply (secrets are never exported):"
        )
        for name in exported.secrets:
            output.err(f"  {name}")
