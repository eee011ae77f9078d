"""Flow steps in words: node titles, short summaries, waits, branch labels and the plan's
step lines (``~ node 4 (Send LinkedIn message): delay 1 h -> 2 h``). Pure, no I/O.

Nodes are in manifest vocabulary (references by name). Only a whitelist of payload fields is
ever shown (message text, subject and references), always through :func:`gsctl.model.mask`,
so no secret and no token-carrying field (``gs_call_api`` settings, URLs) reaches a label.
"""

from __future__ import annotations

import json
from typing import Any

from gsctl.errors import printable
from gsctl.model import SENSITIVE, mask

TYPE_TITLES: dict[str, str] = {
    "end": "End",
    "util_timer": "Wait",
    "util_hodor": "Hold",
    "rule_filter": "Filter",
    "ai_rule_filter": "AI filter",
    "rule_ab_test": "A/B test",
    "rule_manual_router": "Manual router",
    "linkedin_send_connection_request": "Send connection request",
    "linkedin_send_message": "Send LinkedIn message",
    "linkedin_send_inmail": "Send InMail",
    "linkedin_visit_profile": "Visit profile",
    "linkedin_like_latest_post": "Like latest post",
    "linkedin_comment_latest_post": "Comment latest post",
    "linkedin_endorse_skills": "Endorse skills",
    "linkedin_withdraw_connection_request": "Withdraw connection request",
    "linkedin_find_contact": "Find contact",
    "trigger_linkedin_connection_request_accepted": "Connection accepted?",
    "trigger_message_replied": "Replied?",
    "trigger_email_opened": "Email opened?",
    "trigger_link_clicked": "Link clicked?",
    "trigger_website_page_visited": "Website visited?",
    "email_send_message": "Send email",
    "email_search_waterflow": "Find email",
    "gs_add_tag": "Add tag",
    "gs_remove_tag": "Remove tag",
    "gs_change_list": "Move to list",
    "gs_change_pipeline_stage": "Change stage",
    "gs_change_sender_profile": "Change sender",
    "gs_rotate_sender_profile": "Rotate sender",
    "gs_continue_automation": "Continue automation",
    "gs_remove_from_all_automations": "Remove from flows",
    "gs_send_to_flow": "Send to flow",
    "gs_call_api": "Call API",
    "gs_trigger_custom_webhook": "Trigger webhook",
    "integration_export_to_crm": "Export to CRM",
    "phone_call_phone": "Phone call",
    "gs_enqueue_for_enrichment": "Enrich",
    "custom": "Custom step",
}
# Reference fields shown by name, in this order (manifest vocabulary).
REF_FIELDS = (
    "tag",
    "list",
    "pipeline_stage",
    "sender_profile",
    "flow",
    "flows",
    "webhook",
    "ai_template",
)
TEXT_FIELDS = ("template", "subject")  # message text, shown truncated in diagrams
TEXT_WIDTH = 40  # characters of message text in a diagram label
FIELD_TITLES = {"delay_in_seconds": "delay", "after": "next", "payload.template": "text"}
_UNITS = (("week", 604800), ("day", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: Any) -> str:
    """``7200`` -> ``2 h``, ``90000`` -> ``1 day 1 h``, ``0`` -> ``none``; other values as JSON."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        return json.dumps(mask(seconds), default=str)
    if seconds == 0:
        return "none"
    parts: list[str] = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count and len(parts) < 2:
            plural = "s" if count > 1 and unit in ("week", "day") else ""
            parts.append(f"{count} {unit}{plural}")
    return " ".join(parts)


def type_title(node_type: Any) -> str:
    return TYPE_TITLES.get(str(node_type), printable(str(node_type)))


def truncate(text: str, width: int = TEXT_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters (at a word end when one is near)."""
    text = " ".join(printable(text).split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "\u2026"


def _payload(node: dict[str, Any]) -> dict[str, Any]:
    payload = mask(node.get("payload"))
    return payload if isinstance(payload, dict) else {}


def reference_summary(node: dict[str, Any]) -> str:
    """The names a node references (``Warm``; ``Nurture, Webinar``), or ``""``."""
    payload = _payload(node)
    names: list[str] = []
    for key in REF_FIELDS:
        value = payload.get(key)
        if isinstance(value, list):
            names.extend(str(v) for v in value if v is not None)
        elif value is not None:
            names.append(str(value))
    return truncate(", ".join(names))


def node_summary(node: dict[str, Any]) -> str:
    """What a node does in a few words: the names it references, else its message text."""
    refs = reference_summary(node)
    if refs:
        return refs
    if node.get("type") == "util_timer":
        wait = node.get("delay_in_seconds") or _payload(node).get("wait_time")
        return duration(wait) if wait else ""
    payload = _payload(node)
    for key in TEXT_FIELDS:
        if isinstance(payload.get(key), str) and payload[key]:
            return truncate(payload[key])
    return ""


def node_label(node: dict[str, Any], *, text: bool = True) -> str:
    """``Add tag: Warm``; with ``text``, message text too (``Send email: Thanks for…``)."""
    summary = node_summary(node) if text else reference_summary(node)
    title = type_title(node.get("type"))
    return f"{title}: {summary}" if summary else title


def share_of(payload: Any) -> float | None:
    """Variant A's share in percent for an A/B test, when the payload states one.

    The API evidence names no field for it; a number under ``share``, ``percent``,
    ``percentage`` or ``split`` (a fraction <= 1 or a percentage) is taken as A's share.
    """
    if not isinstance(payload, dict):
        return None
    for key in ("share", "percent", "percentage", "split"):
        value = payload.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
            return float(value * 100 if 0 < value <= 1 and isinstance(value, float) else value)
    return None


def branch_label(node: dict[str, Any], branch: Any) -> str:
    """``yes``/``no`` for filters and triggers, ``A 70%``/``B 30%`` for A/B tests, ``""`` for
    a linear step's only outlet."""
    node_type = str(node.get("type"))
    if node_type.startswith("trigger_"):
        return {1: "yes", 2: "no"}.get(branch, f"branch {branch}")
    if node_type in ("rule_filter", "ai_rule_filter"):
        return {1: "yes", 0: "no"}.get(branch, f"branch {branch}")
    if node_type == "rule_ab_test":
        letter = {1: "A", 2: "B"}.get(branch, f"branch {branch}")
        share = share_of(node.get("payload"))
        if share is None or branch not in (1, 2):
            return letter
        part = share if branch == 1 else 100 - share
        return f"{letter} {part:g}%"
    if node_type == "rule_manual_router":
        return f"branch {branch}"
    return "" if branch == 1 else f"branch {branch}"


# ---------------------------------------------------------------- plan step lines


def _value(field: str, value: Any) -> str:
    if field == "delay_in_seconds":
        return duration(value or 0)
    return json.dumps(mask(value), ensure_ascii=False, sort_keys=True, default=str)


def edges_text(edges: Any, node: dict[str, Any] | None) -> str:
    """``node 5`` or ``yes: node 5, no: removed node 9`` (``none`` for no edges)."""
    if not isinstance(edges, list) or not edges:
        return "none"
    parts = []
    for e in edges:
        if not isinstance(e, dict):
            parts.append(_value("", e))
            continue
        target = f"{'removed ' if e.get('removed') else ''}node {e.get('node_id')}"
        label = branch_label(node or {}, e.get("branch_id"))
        parts.append(f"{label}: {target}" if label else target)
    return ", ".join(parts)


def value_change(field: str, values: dict[str, Any], node: dict[str, Any] | None) -> str:
    """``delay 1 h -> 2 h``; ``next node 5 -> node 10``; ``tag "Warm" -> "Hot"``."""
    title = FIELD_TITLES.get(field, field.removeprefix("payload."))
    before, after = values.get("before"), values.get("after")
    if field == "after":
        return f"{title} {edges_text(before, node)} -> {edges_text(after, node)}"
    if SENSITIVE in (_value(field, before) + _value(field, after)):
        return f"{title} {SENSITIVE}"
    return f"{title} {_value(field, before)} -> {_value(field, after)}"


def step_line(
    step: dict[str, Any],
    desired: dict[Any, dict[str, Any]] | None = None,
    live: dict[Any, dict[str, Any]] | None = None,
) -> str:
    """One plan line for a step change; ``desired``/``live``: nodes by id (for titles)."""
    sign = {"add": "+", "remove": "-", "change": "~"}.get(str(step.get("op")), "~")
    if "contact_source" in step:
        return f"{sign} contact source {step['contact_source']}" + _details(step, None)
    side = live if step.get("op") == "remove" else desired
    node = (side or {}).get(step.get("node_id"))
    label = node_label(node, text=False) if node else type_title(step.get("type"))
    line = f"{sign} node {step.get('node_id')} ({label})"
    if step.get("op") in ("add", "remove"):
        return line + _preceded_by(step.get("in"))
    return line + _details(step, node)


def _details(step: dict[str, Any], node: dict[str, Any] | None) -> str:
    fields = [str(f) for f in step.get("fields") or []]
    values = step.get("values") or {}
    parts = [
        value_change(f, values[f], node) if isinstance(values.get(f), dict) else f for f in fields
    ]
    return f": {', '.join(parts)}" if parts else ""


def _preceded_by(edges: Any) -> str:
    if not isinstance(edges, list) or not edges:
        return ""
    names = [
        f"{'removed ' if e.get('removed') else ''}node {e.get('node_id')}"
        for e in edges
        if isinstance(e, dict)
    ]
    return f" after {', '.join(dict.fromkeys(names))}" if names else ""
