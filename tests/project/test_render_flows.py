"""bench/render_flows.sh in a real browser (slow; needs chromium and npm, so not in CI):
every example and golden diagram renders, and a Mermaid syntax error fails the check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "render_flows.sh"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("chromium") or os.environ.get("CHROMIUM")) or not shutil.which("npm"),
        reason="needs chromium and npm",
    ),
]


def render(out: Path, js: Path, extra: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env["MERMAID_JS"] = str(js)
    if extra is not None:
        env["RENDER_EXTRA"] = str(extra)
    return subprocess.run(
        [str(SCRIPT), str(out)], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.timeout(900)
def test_examples_render_and_syntax_errors_fail(tmp_path: Path) -> None:
    npm = tmp_path / "npm"  # mermaid from npm, once for both runs, never into the repo
    npm.mkdir()
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "mermaid@11"],
        cwd=npm,
        check=True,
        capture_output=True,
        timeout=600,
    )
    js = npm / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    done = render(tmp_path / "ok", js)
    assert done.returncode == 0, done.stderr
    pngs = sorted(p.name for p in (tmp_path / "ok").glob("*.png"))
    assert "agency-webinar-follow-up.png" in pngs and "golden-plan-md-1.png" in pngs
    assert all((tmp_path / "ok" / p).stat().st_size > 1000 for p in pngs)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.mmd").write_text('flowchart TD\n  a["x"] --> b[[[\n')
    failed = render(tmp_path / "out", js, extra=bad)
    assert failed.returncode == 1
    assert "FAIL broken: Parse error" in failed.stderr
