"""Showing a comparison (``gsctl diff``) like a plan: text, JSON and Markdown. Pure.

``+`` is only in the new side, ``-`` only in the old side, ``~`` differs (old -> new) and
``-/+`` differs in a create-only field. Secrets are never compared nor shown.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from gsctl.reconcile.changes import Plan
from gsctl.render.plan import host_of, plan_markdown, plan_text

SAME = "No differences."


def header(plan: Plan, old: str, new: str) -> str:
    where = f" on {host_of(plan.api_url)}" if plan.api_url else ""
    return f"Comparing {old} (-) with {new} (+){where}"


def summary(plan: Plan) -> str:
    s = plan.summary
    return (
        f"Diff: {s['create']} only in the new side, {s['delete']} only in the old side, "
        f"{s['update'] + s['replace']} different, {s['unchanged']} the same."
    )


def diff_text(plan: Plan, old: str, new: str, *, color: bool = False) -> str:
    plan = replace(plan, shows_usage=False)  # usage belongs to deletes that will run
    return plan_text(
        plan, color=color, header=header(plan, old, new), empty=SAME, summary=summary(plan)
    )


def diff_markdown(plan: Plan, old: str, new: str) -> str:
    plan = replace(plan, shows_usage=False)
    return plan_markdown(plan, title="gsctl diff", header=header(plan, old, new), empty=SAME)


def diff_json(plan: Plan, old: str, new: str, left_out: list[str]) -> str:
    """Deterministic JSON: both sides, the summary, the changes (secrets masked)."""
    data: dict[str, Any] = {
        "format_version": 1,
        "old": old,
        "new": new,
        "scope": list(plan.scope),
        "summary": plan.summary,
        "changes": [{k: v for k, v in c.to_dict().items() if k != "usage"} for c in plan.changes],
        "left_out": left_out,
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
