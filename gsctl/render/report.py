"""Showing an apply: one progress line per finished operation, and the end-of-apply report."""

from __future__ import annotations

import json
from typing import Any

from gsctl.errors import printable
from gsctl.render.plan import SYMBOLS


def progress_line(outcome: Any) -> str:
    """One line per finished operation (apply progress on stderr)."""
    c = outcome.change
    phase = "" if outcome.phase == "main" else f" [{outcome.phase}]"
    status = outcome.status.replace("_", " ")
    text = f'{SYMBOLS[c.action]} {c.kind} "{printable(c.name)}"{phase}: {status}'
    return text + (f": {outcome.message}" if outcome.message and outcome.status != "done" else "")


def report_text(report: Any) -> str:
    """End-of-apply report: counts, then every failure with its reason and what was not run."""
    done = report.by_status("done")
    failed = report.by_status("failed")
    not_run = report.by_status("not_run")
    lines = []
    if failed:
        lines.append("Failed:")
        lines.extend(f"  {progress_line(o)}" for o in failed)
    if not_run:
        lines.append("Not run:")
        lines.extend(f"  {progress_line(o)}" for o in not_run)
    status = "interrupted" if report.interrupted else ("complete" if report.ok else "incomplete")
    lines.append(f"Apply {status}: {len(done)} done, {len(failed)} failed, {len(not_run)} not run.")
    if not report.ok:
        lines.append("Re-run gsctl apply to converge: completed changes will not be repeated.")
    return "\n".join(lines) + "\n"


def report_json(report: Any) -> str:
    data = {
        "interrupted": report.interrupted,
        "outcomes": [o.to_dict() for o in report.outcomes],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
