"""Smoke test of the benchmark scripts: each runs with ``--quick`` and prints its tables.

Not a timing test: the numbers are not checked, only that every script finishes with exit 0
and prints the machine line and at least one table. The apply benchmark waits on a 600/min
rate limit (about 12 s for 100 creates), so it runs in the background while the others run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
SCRIPTS = [
    "plan_bench.py",
    "changes_bench.py",
    "profile_plan.py",
    "read_bench.py",
    "http_bench.py",
]
BACKGROUND = "apply_rate_bench.py"


def _start(script: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(BENCH / script), "--quick"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check(script: str, proc: subprocess.Popen[str], timeout: float) -> None:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{script} --quick did not finish in {timeout} s")
    assert proc.returncode == 0, f"{script} exit {proc.returncode}\n{out[-2000:]}\n{err[-3000:]}"
    assert "machine: " in out and " cores, Python " in out, out[-2000:]
    table_rule = [ln for ln in out.splitlines() if ln.startswith("| ---")]
    assert table_rule, f"{script} printed no table:\n{out[-2000:]}"


def test_every_bench_script_runs_quick() -> None:
    scripts = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
    assert scripts == sorted([*SCRIPTS, BACKGROUND])  # a new script must be added here
    background = _start(BACKGROUND)
    try:
        for script in SCRIPTS:
            _check(script, _start(script), timeout=60)
    finally:
        _check(BACKGROUND, background, timeout=60)
