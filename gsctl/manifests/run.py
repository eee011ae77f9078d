"""One validation run: the manifest items being checked and the diagnostics collected.

Shared by :mod:`gsctl.manifests.validate` (which builds the run) and
:mod:`gsctl.manifests.checks` (which adds semantic diagnostics to it).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from gsctl.api import kinds
from gsctl.errors import Diagnostic
from gsctl.flows import steps
from gsctl.manifests.document import Document, Path, Problem
from gsctl.model import Origin, Resource


@dataclass
class Item:
    """One manifest item and the resource built from it."""

    doc: Document
    section: str
    index: int
    resource: Resource
    schema_paths: set[Path] = field(default_factory=set)  # field paths with schema problems
    aliases: dict[Path, Path] = field(default_factory=dict)  # compiled node path -> step path


@dataclass
class Run:
    team: str | int | None
    env: Mapping[str, str]
    strict_env: bool
    all_teams: bool
    docs: list[Document] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    out: list[Diagnostic] = field(default_factory=list)
    raw: list[tuple[Document, Problem]] = field(default_factory=list)  # labelled at the end
    unparsed: list[str] = field(default_factory=list)  # files that could not be read as YAML

    @functools.cached_property
    def named(self) -> list[Item]:
        """Items whose natural key is fully written (the others already have a schema error).
        Read only once every item is built (the semantic checks)."""
        return [
            item
            for item in self.items
            if all(
                isinstance(item.resource.fields.get(f), str)
                for f in kinds.KINDS[item.resource.kind].natural_key
            )
        ]

    def item_error(
        self, item: Item, sub: Path, message: str, severity: str = "error", *, prefix: bool = True
    ) -> None:
        """A diagnostic located at ``sub`` (a compiled step: the step) within the item."""
        sub = steps.source_path(sub, item.aliases)
        origin = item.doc.origin((item.section, item.index, *sub))
        self.out.append(diag(origin, message, sub if prefix else (), item.resource, severity))


def diag(
    origin: Origin,
    message: str,
    sub: Path = (),
    resource: Resource | None = None,
    severity: str = "error",
) -> Diagnostic:
    prefix = f"{dotted(sub)}: " if sub else ""
    return Diagnostic(
        origin.path,
        origin.line,
        origin.column,
        prefix + message,
        kind=resource.kind if resource else "",
        name=resource.name if resource else "",
        severity=severity,
    )


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
