"""Showing: plans and apply reports as text, JSON and Markdown. Pure: no I/O, no API calls.

Secrets never reach any output: :class:`~gsctl.reconcile.diff.FieldChange` and
:func:`~gsctl.model.mask` replace them with ``(sensitive)`` before anything is formatted.
"""

from __future__ import annotations

import html
import json
import urllib.parse
from typing import Any

from gsctl.errors import printable
from gsctl.model import SENSITIVE, Resource, mask
from gsctl.reconcile.changes import NOT_READ, Change, Plan, Violation
from gsctl.reconcile.diff import FieldChange
from gsctl.render import mermaid, steps

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31"}
COMMENT_LIMIT = 65_000  # GitHub's PR comment limit is 65,536 characters
KIND_TITLES = {
    "llm_connection": "LLM connections",
    "tag": "Tags",
    "custom_field": "Custom fields",
    "pipeline_stage": "Pipeline stages",
    "flow_workspace": "Flow workspaces",
    "ai_agent": "AI agents",
    "template": "Templates",
    "flow": "Flows",
    "webhook": "Webhooks",
}


def value_text(value: Any) -> str:
    """A field value as one line of JSON (secrets masked)."""
    return json.dumps(mask(value), ensure_ascii=False, sort_keys=True, default=str)


def field_line(f: FieldChange, action: str) -> str:
    if f.note:
        return f"{f.path}: {value_text(f.after)} ({f.note})"
    if f.sensitive:
        return f"{f.path}: {SENSITIVE}"
    if action == "create":
        return f"{f.path}: {value_text(f.after)}"
    if action == "delete":
        return f"{f.path}: {value_text(f.before)}"
    return f"{f.path}: {value_text(f.before)} -> {value_text(f.after)}"


WIDE = 100  # a field line longer than this is split, one element per line


def _elements(value: Any) -> list[str]:
    if isinstance(value, list):
        return [f"- {value_text(v)}" for v in value]
    if isinstance(value, dict):
        return [f"{k}: {value_text(v)}" for k, v in value.items()]
    return [value_text(value)]


def field_lines(f: FieldChange, action: str) -> list[str]:
    """``field_line``, or for a long value one line per list element (or mapping key)."""
    line = field_line(f, action)
    if f.sensitive or len(line) <= WIDE:
        return [line]
    if action in ("create", "delete"):
        value = f.after if action == "create" else f.before
        return [f"{f.path}:", *(f"  {e}" for e in _elements(value))]
    return [f"{f.path}:", f"  - {value_text(f.before)}", f"  + {value_text(f.after)}"]


def step_lines(c: Change) -> list[str]:
    """``~ node 4 (Send LinkedIn message): delay 1 h -> 2 h`` per step change of a flow."""
    desired = {n.get("id"): n for n in _nodes(c.desired)}
    live = {n.get("id"): n for n in _nodes(c.live)}
    return [steps.step_line(s, desired, live) for s in c.steps]


def _nodes(res: Resource | None) -> list[dict[str, Any]]:
    nodes = res.fields.get("nodes") if res is not None else None
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def summary_text(plan: Plan) -> str:
    s = plan.summary
    return (
        f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
        f"{s['delete']} to delete; {s['unchanged']} unchanged, {s['unmanaged']} unmanaged."
    )


def host_of(api_url: str) -> str:
    """The host (and port) of an API URL, without credentials or path."""
    parts = urllib.parse.urlsplit(api_url)
    return parts.netloc.rpartition("@")[2] if parts.netloc else api_url


def target_text(plan: Plan) -> str:
    """Where the plan was made: the API host and the team (id and settings.teams name)."""
    host = host_of(plan.api_url)
    if plan.team_id is None:
        team = "the API key's default team"
    else:
        team = f"team {plan.team_id}" + (
            f" ({printable(plan.team_name)})" if plan.team_name else ""
        )
    return f"{host}, {team}"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def usage_text(c: Change) -> str:
    """What a delete or replace takes with it (``usage unknown`` when not known)."""
    return (c.usage or NOT_READ).text(c.kind)


def change_header(c: Change, *, usage: bool = True) -> str:
    extra = ""
    if c.action == "replace":
        extra = f" (create-only: {', '.join(sorted(c.field_names()))})"
    if usage and c.destructive:
        extra += f"  ({usage_text(c)})"
    return f'{SYMBOLS[c.action]} {c.kind} "{printable(c.name)}"{extra}'


def gate_sections(plan: Plan) -> list[tuple[str, list[str]]]:
    """(title, lines) of the gates: what refuses the plan, what --force overrode, and the
    in-use objects --allow-data-loss accepted. Empty sections are left out."""
    blocking = plan.blocking(plan.options.force)
    overridden = [v for v in plan.violations if v not in blocking]
    accepted = [
        f'{c.kind} "{printable(c.name)}" ({usage_text(c)})'
        for c in plan.changes
        if plan.options.allow_data_loss and c.destructive and c.usage and c.usage.in_use
    ]
    sections = [
        ("Refused by safety gates:", _messages(blocking)),
        ("Overridden by --force:", _messages(overridden)),
        ("Data loss accepted (--allow-data-loss): in use, deleted or replaced:", accepted),
    ]
    return [(title, lines) for title, lines in sections if lines]


def _messages(violations: list[Violation]) -> list[str]:
    return [v.message for v in violations]


NO_CHANGES = "No changes. The workspace matches the manifests."


def plan_text(
    plan: Plan,
    *,
    color: bool = False,
    header: str | None = None,
    empty: str = NO_CHANGES,
    summary: str | None = None,
) -> str:
    """Terraform-like text: the target (or ``header``), one block per change, unmanaged
    objects, gates, summary (or ``summary``; ``empty`` when nothing changes)."""
    lines: list[str] = [header or f"Target: {target_text(plan)}", ""]
    for c in plan.changes:
        lines.append(_paint(change_header(c, usage=plan.shows_usage), COLORS[c.action], color))
        shown = c.fields if c.action != "delete" else []
        lines.extend(f"      {line}" for f in shown for line in field_lines(f, c.action))
        lines.extend(f"      steps: {line}" for line in step_lines(c))
    if plan.unmanaged:
        lines.append("")
        lines.append(
            f"Unmanaged (live, not in the manifests; --prune deletes them): {len(plan.unmanaged)}"
        )
        lines.extend(f'  {r.kind} "{printable(r.name)}"' for r in plan.unmanaged)
    for title, messages in gate_sections(plan):
        lines.append("")
        lines.append(title)
        mark = "-" if title.startswith("Data loss") else "!"
        lines.extend(f"  {mark} {m}" for m in messages)
    if plan.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  {printable(n)}" for n in plan.notes)
    if not plan.changes:
        lines.append(empty)
    lines.append(summary or summary_text(plan))
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    """The plan file (DESIGN section 5): byte-identical for identical inputs."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def _md_change(c: Change) -> list[str]:
    lines = [f'{SYMBOLS[c.action]} {c.kind} "{printable(c.name)}"']
    shown = c.fields if c.action != "delete" else []
    lines.extend(f"    {line}" for f in shown for line in field_lines(f, c.action))
    lines.extend(f"    steps: {line}" for line in step_lines(c))
    return lines


def plan_markdown(
    plan: Plan,
    *,
    limit: int = COMMENT_LIMIT,
    title: str = "gsctl plan",
    header: str | None = None,
    empty: str = NO_CHANGES,
) -> str:
    """PR comment: title, target (or ``header``), summary table, one collapsible section per
    kind, under ``limit`` chars."""
    s = plan.summary
    head = [
        f"### {title}",
        "",
        _md_escape(header or f"Target: {target_text(plan)}"),
        "",
        "| create | update | replace | delete | unchanged | unmanaged |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {s['create']} | {s['update']} | {s['replace']} | {s['delete']} | "
        f"{s['unchanged']} | {s['unmanaged']} |",
        "",
    ]
    for title, messages in gate_sections(plan):
        head.append(f"**{title}**")
        head.extend(f"- {_md_escape(m)}" for m in messages)
        head.append("")
    if plan.notes:
        head.extend(f"> {_md_escape(n)}" for n in plan.notes)
        head.append("")
    if not plan.changes:
        head.append(empty)
    head.extend(_md_usage_table(plan))
    sections = _md_sections(plan, diagrams=True)
    if _length(head, sections) > limit - 200 and sections != _md_sections(plan, diagrams=False):
        # Diagrams go first, so that every change still fits.
        head.append(DIAGRAMS_DROPPED)
        head.append("")
        sections = _md_sections(plan, diagrams=False)
    return _fit(head, sections, limit)


DIAGRAMS_DROPPED = (
    "_Flow diagrams left out to fit a PR comment; `gsctl graph FLOW --diff` draws one._"
)


def _length(head: list[str], sections: list[list[str]]) -> int:
    return sum(len(line) + 1 for line in head) + sum(len(x) + 1 for s in sections for x in s)


def _md_usage_table(plan: Plan) -> list[str]:
    """Every delete and replace with what it takes with it (the usage column)."""
    if not plan.shows_usage:
        return []
    rows = [c for c in plan.changes if c.destructive]
    if not rows:
        return []
    lines = ["| action | kind | name | usage |", "|---|---|---|---|"]
    lines.extend(
        f"| {c.action} | {c.kind} | {_md_escape(printable(c.name))} | {usage_text(c)} |"
        for c in rows
    )
    return [*lines, ""]


def _md_sections(plan: Plan, *, diagrams: bool) -> list[list[str]]:
    by_kind: dict[str, list[Change]] = {}
    for c in plan.changes:
        by_kind.setdefault(c.kind, []).append(c)
    sections = []
    for kind, changes in by_kind.items():
        title = KIND_TITLES.get(kind, kind)
        sections.append(
            [
                f"<details><summary>{title}: {len(changes)} change(s)</summary>",
                "",
                *_md_body(changes, diagrams),
                "</details>",
                "",
            ]
        )
    if plan.unmanaged:
        body = [f'{r.kind} "{printable(r.name)}"' for r in plan.unmanaged]
        sections.append(
            [
                f"<details><summary>Unmanaged: {len(plan.unmanaged)} "
                "(not in the manifests; --prune deletes them)</summary>",
                "",
                "```",
                *body,
                "```",
                "</details>",
                "",
            ]
        )
    return sections


def _md_body(changes: list[Change], diagrams: bool) -> list[str]:
    """The changes in a ``diff`` fence; a flow's diagram (own section) right under its entry."""
    lines = ["```diff"]
    for c in changes:
        lines += _md_change(c)
        extra = _md_diagram(c) if diagrams else []
        if extra:
            lines += ["```", *extra, "```diff"]
    if lines[-1] == "```diff":
        lines.pop()
    else:
        lines.append("```")
    return lines


def _md_diagram(c: Change) -> list[str]:
    """A collapsible Mermaid diagram of a flow whose steps change (a note when too large)."""
    diagram = mermaid.change_diagram(c)
    if diagram is None:
        return []
    name = html.escape(printable(c.name))
    if diagram.size > mermaid.MAX_NODES:
        return [
            f'_Flow "{name}" has {diagram.size} nodes, too many to draw here; '
            f'`gsctl graph "{_md_escape(printable(c.name))}" --diff` draws it._',
            "",
        ]
    return [
        f'<details><summary>Diagram: flow "{name}"</summary>',
        "",
        "```mermaid",
        *mermaid.to_mermaid(diagram, legend_comment=False).splitlines(),
        "```",
        "",
        f"_Legend: {mermaid.LEGEND}._",
        "</details>",
        "",
    ]


def _fit(head: list[str], sections: list[list[str]], limit: int) -> str:
    """Join head and sections, cutting lines at the end so the text stays under ``limit``."""
    note = (
        "\n_Plan truncated to fit a PR comment: {n} more line(s) are in the JSON plan artifact._\n"
    )
    text = "\n".join(head) + "\n"
    budget = limit - len(note) - 40
    lines = [line for section in sections for line in section]
    for i, line in enumerate(lines):
        if len(text) + len(line) + 1 > budget:
            return text + _close_open_blocks(lines[:i]) + note.format(n=len(lines) - i)
        text += line + "\n"
    return text


def _close_open_blocks(lines: list[str]) -> str:
    """Closing fence and ``</details>`` for whatever ``lines`` left open."""
    fence_open = sum(1 for line in lines if line.startswith("```")) % 2 == 1
    details_open = sum(1 for line in lines if line.startswith("<details>")) - sum(
        1 for line in lines if line == "</details>"
    )
    return ("```\n" if fence_open else "") + "</details>\n" * details_open
