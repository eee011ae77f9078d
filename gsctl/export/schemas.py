"""Where exported manifests point their ``# yaml-language-server: $schema=`` line.

Never at an absolute path (that is wrong on every other machine once committed): at the
nearest ``schemas/manifest.schema.json`` found upward from the export directory (a
repository that keeps the schemas), by a relative path; else at a copy of the schemas that
the export writes beside the manifests, in ``.schemas/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gsctl.manifests.schema import MANIFEST_SCHEMA, schema_files

COPY_DIR = ".schemas"


@dataclass(frozen=True)
class SchemaTarget:
    """The ``$schema`` reference (relative to the export directory) and the schema files to
    write with the manifests (file path relative to the export directory -> text)."""

    ref: str
    files: dict[str, str] = field(default_factory=dict)


def schema_target(out_dir: Path) -> SchemaTarget:
    """The ``$schema`` reference for manifests written into ``out_dir`` (see the module)."""
    target = out_dir.absolute()
    for parent in [target, *target.parents]:
        if (parent / "schemas" / MANIFEST_SCHEMA).is_file():
            rel = os.path.relpath(parent / "schemas" / MANIFEST_SCHEMA, target)
            return SchemaTarget(Path(rel).as_posix())
    files = {f"{COPY_DIR}/{name}": text for name, text in schema_files().items()}
    return SchemaTarget(f"{COPY_DIR}/{MANIFEST_SCHEMA}", files)
