"""``make check`` is CI: ``.ci/run`` and the GitHub workflow run ``make check`` and nothing
else of the checks, and ``make check`` includes the schema check of every example and the
exported fixture with check-jsonschema (a third-party validator), which must pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from e2e import run

ROOT = Path(__file__).resolve().parents[2]
EXPORTED = ROOT / "tests" / "fixtures" / "exported"
AGENCY = ROOT / "examples" / "agency"


def make_target(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}:(.*)$", text, re.M)
    assert match, name
    return match.group(1).split()


def test_make_check_is_the_one_list_ci_runs() -> None:
    assert make_target("check") == ["lint", "imports", "typecheck", "test", "schemas"]
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci[-1] == "make check PY=python"
    checks = ("ruff", "mypy", "pytest", "layout_rules", "check-jsonschema", "make ")
    assert [line for line in ci if any(c in line for c in checks)] == [ci[-1]]
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "run: make check PY=python" in workflow
    for tool in ("ruff check", "mypy gsctl", "run: pytest", "check-jsonschema --schemafile"):
        assert tool not in workflow, tool


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    schema = ROOT / "schemas" / "manifest.schema.json"
    argv = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema)]
    return subprocess.run([*argv, *map(str, files)], capture_output=True, text=True, timeout=60)


def test_examples_and_exported_fixture_pass_check_jsonschema() -> None:
    files = sorted(ROOT.glob("examples/*/*.yaml")) + sorted(ROOT.glob("examples/*/*/*.yaml"))
    files += sorted(EXPORTED.glob("*.yaml"))
    assert len(list(EXPORTED.glob("*.yaml"))) == 9
    done = check_jsonschema(*files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_jsonschema_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntags:\n  - {name: Warm, colour: red}\n")
    assert check_jsonschema(bad).returncode == 1


def test_a_fresh_export_passes_check_jsonschema(emulator: Any, tmp_path: Path) -> None:
    applied = run(emulator, "apply", str(AGENCY), "--auto-approve", env={"OPENAI_API_KEY": "x"})
    assert applied.exit_code == 0, applied.output
    out = tmp_path / "out"
    exported = run(emulator, "export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    files = sorted(out.glob("*.yaml"))
    assert len(files) == 9
    done = check_jsonschema(*files)
    assert done.returncode == 0, done.stdout + done.stderr
