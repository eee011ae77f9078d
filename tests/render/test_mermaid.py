"""The flow diagram builder (gsctl.render.mermaid) against golden files written by hand.

tests/render/golden/flow_branches.mmd: a flow with every kind of outlet (filter yes/no, A/B
with a 70% share, trigger yes/no, manual router), a wait step and a delay on an edge.
flow_diff.mmd / flow_diff.dot: a small change (tag Cold -> Warm, a profile visit removed,
the contact source changed): amber, red dashed and a green edge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gsctl.model import Resource, Secret
from gsctl.reconcile.changes import Change, Plan, PlanOptions
from gsctl.render import mermaid, plan
from gsctl.render.steps import TYPE_TITLES, duration, node_label

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parents[2] / "gsctl" / "schemas" / "flow.schema.json"


def node(node_id: int, type_: str, *edges: tuple[int, int], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "type": type_, **extra}
    if edges:
        out["after"] = [{"node_id": t, "branch_id": b} for t, b in edges]
    return out


BRANCHES = [
    node(1, "end"),
    node(2, "rule_filter", (3, 1), (4, 0)),
    node(3, "rule_ab_test", (5, 1), (6, 2), payload={"share": 70}),
    node(4, "util_timer", (7, 1), delay_in_seconds=172800),
    node(
        5,
        "email_send_message",
        (1, 1),
        payload={"subject": "Quick idea", "template": "Hello {{first_name}}"},
    ),
    node(
        6,
        "linkedin_send_inmail",
        (1, 1),
        payload={"ai_template": "InMail intro"},
        delay_in_seconds=86400,
    ),
    node(7, "trigger_message_replied", (8, 1), (1, 2)),
    node(8, "rule_manual_router", (1, 0), (9, 3)),
    node(9, "gs_remove_from_all_automations", (1, 1), payload={"flows": ["Nurture", "Webinar"]}),
]
BRANCH_SOURCES = [{"sender_profiles": ["Anna - EU", "Ben - US"], "after_id": 2}]

TINY_DESIRED = [node(1, "end"), node(2, "gs_add_tag", (1, 1), payload={"tag": "Warm"})]
TINY_LIVE = [
    node(1, "end"),
    node(2, "gs_add_tag", (3, 1), payload={"tag": "Cold"}),
    node(3, "linkedin_visit_profile", (1, 1)),
]
TINY_SOURCES = [{"id": 5, "name": "Leads", "sender_profiles": [], "after_id": 2}]
TINY_STEPS = [
    {
        "op": "change",
        "node_id": 2,
        "type": "gs_add_tag",
        "fields": ["payload.tag", "after"],
        "values": {
            "payload.tag": {"before": "Cold", "after": "Warm"},
            "after": {
                "before": [{"node_id": 3, "branch_id": 1, "removed": True}],
                "after": [{"node_id": 1, "branch_id": 1}],
            },
        },
    },
    {
        "op": "remove",
        "node_id": 3,
        "type": "linkedin_visit_profile",
        "fields": [],
        "in": [{"node_id": 2, "branch_id": 1}],
        "out": [{"node_id": 1, "branch_id": 1}],
    },
    {"op": "change", "contact_source": 5, "fields": ["rotation_strategy"]},
]


def tiny() -> mermaid.Diagram:
    return mermaid.flow_diagram("Tiny", TINY_DESIRED, TINY_SOURCES, TINY_STEPS, TINY_LIVE)


def test_branches_waits_and_shapes_golden() -> None:
    diagram = mermaid.flow_diagram("Branches", BRANCHES, BRANCH_SOURCES)
    assert mermaid.to_mermaid(diagram) == (GOLDEN / "flow_branches.mmd").read_text()


def test_change_colours_golden() -> None:
    assert mermaid.to_mermaid(tiny()) == (GOLDEN / "flow_diff.mmd").read_text()


def test_dot_golden() -> None:
    assert mermaid.to_dot(tiny()) == (GOLDEN / "flow_diff.dot").read_text()


def test_added_and_removed_node_with_the_same_id() -> None:
    # A step replaced by one of another type: desired node 3 is new, live node 3 is gone.
    desired = [node(1, "end"), node(2, "gs_remove_tag", (3, 1), payload={"tag": "Warm"})]
    desired.append(node(3, "gs_add_tag", (1, 1), payload={"tag": "Hot"}))
    live = [*desired[:2], node(3, "linkedin_visit_profile", (1, 1))]
    steps = [
        {"op": "add", "node_id": 3, "type": "gs_add_tag", "in": [{"node_id": 2, "branch_id": 1}]},
        {
            "op": "remove",
            "node_id": 3,
            "type": "linkedin_visit_profile",
            "in": [{"node_id": 2, "branch_id": 1}],
            "out": [{"node_id": 1, "branch_id": 1}],
        },
    ]
    d = mermaid.flow_diagram("Same id", desired, [], steps, live)
    boxes = {b.key: (b.label, b.status) for b in d.boxes}
    assert boxes["n3"] == ("Add tag: Hot", "added")
    assert boxes["r3"] == ("Visit profile", "removed")
    assert boxes["n2"] == ("Remove tag: Warm", "")


def test_every_node_type_has_a_title_and_its_shape() -> None:
    schema = json.loads(SCHEMA.read_text())
    types = schema["$defs"]["node"]["properties"]["type"]["enum"]
    assert sorted(types) == sorted(TYPE_TITLES)
    branching = {
        "rule_filter",
        "ai_rule_filter",
        "rule_ab_test",
        "rule_manual_router",
        "trigger_linkedin_connection_request_accepted",
        "trigger_message_replied",
        "trigger_email_opened",
        "trigger_link_clicked",
        "trigger_website_page_visited",
    }
    for i, t in enumerate(types):
        d = mermaid.flow_diagram("All", [node(i + 1, t)], [])
        [box] = d.boxes
        assert box.label == TYPE_TITLES[t] and "_" not in box.label
        expected = "end" if t == "end" else "branch" if t in branching else "step"
        assert box.shape == expected, t


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        ({"tag": "Warm"}, "Add tag: Warm"),
        ({"template": "Thanks for joining our webinar yesterday, {{first_name}}!"}, None),
    ],
)
def test_labels_reference_by_name_and_truncate_text(payload: dict[str, Any], label: Any) -> None:
    if label is not None:
        assert node_label({"type": "gs_add_tag", "payload": payload}) == label
    else:
        text = node_label({"type": "linkedin_send_message", "payload": payload})
        # at most 39 characters of text, cut at a word end, then an ellipsis
        assert text == "Send LinkedIn message: Thanks for joining our webinar\u2026"


def test_durations() -> None:
    assert [duration(s) for s in (60, 3600, 7200, 86400, 90000, 604800, 0)] == [
        "1 min",
        "1 h",
        "2 h",
        "1 day",
        "1 day 1 h",
        "1 week",
        "none",
    ]


def test_no_secret_in_any_label() -> None:
    nodes = [
        node(1, "end"),
        node(2, "linkedin_send_message", (3, 1), payload={"template": Secret("sk-123-secret")}),
        node(3, "gs_call_api", (1, 1), payload={"url": "https://x.example/?token=tok-456"}),
    ]
    sources = [{"name": Secret("sk-789-name"), "after_id": 2}]
    d = mermaid.flow_diagram("S", nodes, sources, [{"op": "add", "node_id": 2}], nodes)
    for text in (mermaid.to_mermaid(d), mermaid.to_dot(d)):
        for secret in ("sk-123-secret", "tok-456", "sk-789-name", "x.example"):
            assert secret not in text
        assert "(sensitive)" in text


def test_labels_cannot_break_out_of_mermaid_or_markdown() -> None:
    evil = 'a"] --> x\n```\n<script>#1`'
    d = mermaid.flow_diagram("E", [node(1, "gs_add_tag", payload={"tag": evil})], [])
    text = mermaid.to_mermaid(d)
    label_line = text.splitlines()[1]
    assert label_line == ("  n1[\"Add tag: a#quot;] --#gt; x\\n'''\\n#lt;script#gt;#35;1'\"]")
    assert "```" not in text and "<" not in text


def flow_change(n: int) -> Change:
    """An update of a linear flow of ``n`` nodes whose last step changed."""
    nodes = [node(1, "end")] + [
        node(i, "linkedin_visit_profile", (i + 1 if i < n else 1, 1)) for i in range(2, n + 1)
    ]
    res = Resource("flow", f"Big {n}", (f"big {n}",), {"nodes": nodes, "contact_sources": []})
    step = {"op": "change", "node_id": n, "type": "linkedin_visit_profile", "fields": ["x"]}
    return Change("update", "flow", f"Big {n}", "f", [], desired=res, live=res, steps=[step])


def md(*changes: Change, limit: int = plan.COMMENT_LIMIT) -> str:
    p = Plan(list(changes), 0, [], "sha256:x", 1, "u", PlanOptions(), ("flow",))
    return plan.plan_markdown(p, limit=limit)


def test_size_cap_gives_a_note() -> None:
    assert "```mermaid" in md(flow_change(60))
    text = md(flow_change(61))
    assert "```mermaid" not in text
    assert '_Flow "Big 61" has 61 nodes, too many to draw here;' in text


def test_diagrams_are_dropped_first_to_fit_the_comment() -> None:
    changes = [flow_change(50) for _ in range(3)]
    full = md(*changes)
    assert full.count("```mermaid") == 3 and len(full) > 6000
    text = md(*changes, limit=6000)
    assert len(text) <= 6000
    assert "```mermaid" not in text
    assert plan.DIAGRAMS_DROPPED in text
    assert text.count("steps: ~ node 50 (Visit profile): x") == 3  # every change kept
    assert "Plan truncated" not in text
