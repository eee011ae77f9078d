"""``gsctl doctor`` reports as text, JSON and Markdown, and ``doctor --spec`` mismatches.

Pure. A report holds paths, statuses and field names only: no key, no secret, and object
names only when the probe was asked to include them.
"""

from __future__ import annotations

import json

from gsctl.errors import printable
from gsctl.reconcile.doctor import Report
from gsctl.reconcile.specdiff import Mismatch


def doctor_text(report: Report) -> str:
    lines = [printable(c.line()) for c in report.checks]
    failed = sum(1 for c in report.checks if c.required and c.result != "ok")
    if report.ok:
        lines.append(f"All {len(report.checks)} checks answer in a shape gsctl can use.")
    else:
        lines.append(f"{failed} required check(s) failed: gsctl cannot work with this account.")
    return "\n".join(lines) + "\n"


def doctor_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def doctor_markdown(report: Report) -> str:
    lines = [
        "### gsctl doctor",
        "",
        f"gsctl {report.to_dict()['gsctl_version']}, API `{report.api_url}`, "
        f"team `{report.team_id}`: **{'ok' if report.ok else 'failed'}**",
        "",
        "| method | path | result | detail |",
        "|---|---|---|---|",
    ]
    for c in report.checks:
        result = c.result if c.required else f"{c.result} (optional)"
        detail = c.detail + (f"; sample: {c.sample}" if c.sample else "")
        cells = [c.method, f"`{c.path}`", result, detail.replace("|", "\\|")]
        lines.append("| " + " | ".join(printable(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"


def spec_text(mismatches: list[Mismatch], spec_path: str) -> str:
    lines = [printable(str(m)) for m in mismatches]
    required = [m for m in mismatches if not m.optional]
    if required:
        lines.append(f"{len(required)} mismatch(es) between gsctl and {printable(spec_path)}.")
    else:
        lines.append(f"No mismatch: every call gsctl makes fits {printable(spec_path)}.")
    return "\n".join(lines) + "\n"


def spec_json(mismatches: list[Mismatch], spec_path: str) -> str:
    rows = [
        {
            "method": m.method,
            "path": m.path,
            "field": m.field,
            "problem": m.problem,
            "optional": m.optional,
        }
        for m in mismatches
    ]
    ok = not any(not m.optional for m in mismatches)
    return json.dumps({"spec": spec_path, "ok": ok, "mismatches": rows}, indent=2) + "\n"
