"""``gsctl export``: write the live workspace as manifests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gsctl.api import kinds
from gsctl.cli.connect import connect
from gsctl.cli.options import api_options, run_config
from gsctl.cli.output import Output, handle_errors, write_atomic
from gsctl.errors import UsageError
from gsctl.export.dump import Export, export_team, filter_kinds, kind_filters, known_secrets
from gsctl.manifests.files import find_files, read_text
from gsctl.reconcile import workflow

KIND_HELP = "Only this kind, singular or plural: " + ", ".join(k.name for k in kinds.MANAGED)


def schema_ref(out_dir: Path) -> str:
    """Where the exported files' ``$schema`` comment points: the nearest ``schemas/``
    folder above ``out_dir`` (relative, so the repository stays portable), else the
    schemas installed with gsctl."""
    target = out_dir.resolve()
    for parent in [target, *target.parents]:
        candidate = parent / "schemas" / "manifest.schema.json"
        if candidate.is_file():
            return str(
                Path(*([".."] * len(target.relative_to(parent).parts)))
                / "schemas"
                / "manifest.schema.json"
            )
    return str(Path(__file__).parents[1] / "schemas" / "manifest.schema.json")


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
@click.option("--kind", "kind_names", multiple=True, metavar="KIND", help=KIND_HELP + ".")
@click.option(
    "--only",
    multiple=True,
    metavar="KIND[/NAME]",
    help="Only this kind or this one object (repeatable; adds to --kind).",
)
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
    with connect(cfg, team_id) as client:
        exported = export_team(
            cfg,
            client,
            filter_kinds(filters),
            schema_ref=schema_ref(target),
            filters=filters,
            secrets=known_secrets(cfg.environ(), manifest_texts(target)),
        )
    for name, text in exported.files.items():
        write_atomic(str(target / name), text)
    output.err(f"Exported {exported.count} objects into {len(exported.files)} files in {target}.")
    summary(output, exported)


def manifest_texts(target: Path) -> list[str]:
    """The manifests already in the export directory (they name the secrets in use)."""
    if not target.is_dir():
        return []
    return [text for path in find_files([str(target)]) if (text := read_text(path)[0])]


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
