"""The package layout: imports point one way, no cycles, and the docs describe the tree.

Each negative test plants one wrong import in a copy of the package and checks that the
rule catches it, so the check can fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from layout_rules import LAYERS, check

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of gsctl's sources (no schemas, no caches) to plant bad imports in."""
    shutil.copytree(
        ROOT / "gsctl", tmp_path / "gsctl", ignore=shutil.ignore_patterns("schemas", "__pycache__")
    )
    return tmp_path


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


def test_the_tree_follows_the_declared_direction() -> None:
    assert [str(v) for v in check(ROOT)] == []


def test_a_wrong_way_import_fails_the_check(tree: Path) -> None:
    plant(tree, "gsctl/api/kinds.py", "from gsctl.reconcile import plan  # noqa")
    found = [str(v) for v in check(tree)]
    assert any(
        v.startswith("gsctl/api/kinds.py:")
        and "gsctl.api.kinds (api) imports gsctl.reconcile.plan (reconcile)" in v
        for v in found
    ), found


def test_a_lazy_import_inside_a_function_counts(tree: Path) -> None:
    plant(tree, "gsctl/manifests/files.py", "def _late():\n    from gsctl.export import dump\n")
    found = [str(v) for v in check(tree)]
    assert any("gsctl.manifests.files (manifests) imports gsctl.export.dump" in v for v in found)


def test_an_import_cycle_fails_the_check(tree: Path) -> None:
    # validate imports checks; a lazy import back is still a cycle (issue: checks <-> validate).
    plant(
        tree,
        "gsctl/manifests/checks.py",
        "def _late():\n    from gsctl.manifests import validate\n",
    )
    found = [str(v) for v in check(tree)]
    assert any(
        "import cycle" in v and "gsctl.manifests.checks" in v and "gsctl.manifests.validate" in v
        for v in found
    ), found


def test_only_the_cli_starts_the_emulator(tree: Path) -> None:
    plant(tree, "gsctl/reconcile/workflow.py", "from gsctl.emulator.server import serve")
    found = [str(v) for v in check(tree)]
    assert any("gsctl.reconcile.workflow imports the emulator" in v for v in found), found


def test_the_emulator_imports_nothing_of_gsctl_but_the_kinds_table(tree: Path) -> None:
    plant(tree, "gsctl/emulator/store.py", "from gsctl.api import kinds  # noqa")
    assert check(tree) == []
    plant(tree, "gsctl/emulator/store.py", "from gsctl.api import client  # noqa")
    found = [str(v) for v in check(tree)]
    assert any("gsctl.emulator.store (emulator) imports gsctl.api.client" in v for v in found)


def packages() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "gsctl").glob("*/__init__.py"))


def test_every_package_is_declared_and_says_what_it_may_import() -> None:
    assert set(packages()) == set(LAYERS) - {"core"}
    for name in packages():
        doc = (ROOT / "gsctl" / name / "__init__.py").read_text(encoding="utf-8")
        assert doc.startswith('"""'), name
        assert "may import" in doc.lower(), f"gsctl/{name}/__init__.py: say what it may import"


def test_the_readme_architecture_matches_the_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`gsctl/([a-z_]+)/`", section))
    assert named == set(packages())
    for package in packages():
        modules = {p.name for p in (ROOT / "gsctl" / package).glob("*.py")} - {"__init__.py"}
        if package == "emulator":
            continue  # described in its own __init__ docstring
        line = section.split(f"`gsctl/{package}/`", 1)[1].split("\n- ", 1)[0]
        missing = sorted(m for m in modules if f"`{m}`" not in line)
        assert not missing, f"README Architecture, gsctl/{package}/: not described: {missing}"


def test_tests_mirror_the_packages() -> None:
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()}
    assert set(packages()) <= folders
    assert not list((ROOT / "tests").glob("test_*.py")), "tests belong in their package folder"
