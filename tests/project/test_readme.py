"""The README runs as written: its quickstart block, pasted line by line into a fresh shell
in a temporary directory (a copy of the repository's examples), works against the embedded
emulator, and the "Running the tests" block is the one command CI relies on.

``pip install`` is not run by default (no reinstalling in CI, and the test stays fast): a
line ``pip install ... && REST`` runs only REST, and a line that only installs is skipped.
Set ``GSCTL_README_INSTALL=1`` to run the install steps too (in a copy of the project).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL = os.environ.get("GSCTL_README_INSTALL") == "1"


def block(section: str) -> list[str]:
    """The lines of the first ```sh block under the ``## section`` heading."""
    after = README.split(f"\n## {section}", 1)[1]
    match = re.search(r"```sh\n(.*?)```", after.split("\n## ", 1)[0], re.S)
    assert match, section
    return match.group(1).splitlines()


def runnable(line: str) -> str:
    """``line`` as this test runs it (see the module docstring)."""
    if INSTALL or not line.startswith("pip install"):
        return line
    _, sep, rest = line.partition("&& ")
    return rest if sep else ""


def fresh_env() -> dict[str, str]:
    """A new shell's environment: none of gsctl's variables set, this venv's gsctl first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GETSALES_", "GSCTL_"))}
    env.pop("OPENAI_API_KEY", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    return env


def test_the_quickstart_runs_verbatim(tmp_path: Path) -> None:
    lines = block("Quickstart (no GetSales account needed)")
    # The main job on the embedded emulator, one self-contained line (CI and the docs rely on it)
    assert lines[0] == (
        "pip install . && export OPENAI_API_KEY=sk-demo && "
        "gsctl apply examples/starter --emulator --auto-approve"
    )
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    if INSTALL:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, tmp_path / name)
        shutil.copytree(ROOT / "gsctl", tmp_path / "gsctl")
    script = "set -e\n" + "\n".join(runnable(line) for line in lines) + "\n"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / ".gsctl" / "emulator.db").is_file()
    assert '+ flow "Webinar follow-up"' in done.stdout  # the apply
    assert done.stdout.rstrip().splitlines()[-2] == (
        "No changes. The workspace matches the manifests."  # the plan after it
    )
    assert "emulator: database .gsctl/emulator.db, team 1" in done.stderr
    assert "sk-demo" not in done.stdout + done.stderr


def test_running_the_tests_is_one_command() -> None:
    assert block("Running the tests") == ["pip install -e '.[test]' && pytest"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^test = \[", pyproject, re.M)


def test_install_lines_are_skipped_unless_asked() -> None:
    if INSTALL:
        return
    assert runnable("pip install . && gsctl plan x") == "gsctl plan x"
    assert runnable("pip install .") == ""
    assert runnable("export A=b") == "export A=b"
