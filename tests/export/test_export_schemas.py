"""Portable exports: the ``$schema`` line never holds an absolute path, and what it points at
exists after the directory is moved (as a ``git clone`` elsewhere would); ``gsctl schema
--write``. Against the emulator over HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from e2e import api, run

from gsctl.manifests.schema import schema_names

PACKAGED = Path(__file__).resolve().parents[2] / "gsctl" / "schemas"
SCHEMA_FILES = {"manifest.schema.json", *(f"{k}.schema.json" for k in schema_names())}


def schema_line(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    return first[len(prefix) :]


def seed(emulator: Any) -> None:
    api(emulator, "POST", "/leads/api/tags", {"name": "Warm", "color": "#F4A300"})


def test_export_writes_a_schema_copy_beside_the_manifests(emulator: Any, tmp_path: Path) -> None:
    seed(emulator)
    out = tmp_path / "work" / "config"
    result = run(emulator, "export", "--out", str(out), "--kind", "tag")
    assert result.exit_code == 0, result.output
    assert schema_line(out / "tags.yaml") == ".schemas/manifest.schema.json"
    copied = {p.name for p in (out / ".schemas").iterdir()}
    assert copied == SCHEMA_FILES
    for name in copied:
        assert (out / ".schemas" / name).read_bytes() == (PACKAGED / name).read_bytes()
    # moved to another machine: the reference still resolves, relative to the file
    moved = tmp_path / "elsewhere" / "repo"
    shutil.copytree(out, moved)
    target = (moved / schema_line(moved / "tags.yaml")).resolve()
    assert target == (moved / ".schemas" / "manifest.schema.json").resolve()
    assert json.loads(target.read_text())["$schema"].startswith("https://json-schema.org/")


def test_export_points_at_a_schemas_folder_found_upward(emulator: Any, tmp_path: Path) -> None:
    seed(emulator)
    repo = tmp_path / "repo"
    (repo / "schemas").mkdir(parents=True)
    for name in SCHEMA_FILES:
        shutil.copy(PACKAGED / name, repo / "schemas" / name)
    out = repo / "teams" / "prod"
    result = run(emulator, "export", "--out", str(out), "--kind", "tags")
    assert result.exit_code == 0, result.output
    assert schema_line(out / "tags.yaml") == "../../schemas/manifest.schema.json"
    assert not (out / ".schemas").exists()


def test_schema_write_writes_every_schema_file(tmp_path: Path) -> None:
    result = run(None, "schema", "--write", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "s").iterdir()} == SCHEMA_FILES
    tag = json.loads((tmp_path / "s" / "tag.schema.json").read_text())
    assert "name" in tag["properties"]
    assert f"Wrote {len(SCHEMA_FILES)} schema files" in result.stderr
    refused = run(None, "schema", "tag", "--write", str(tmp_path / "t"))
    assert refused.exit_code == 1
    assert "give no KIND" in refused.stderr
