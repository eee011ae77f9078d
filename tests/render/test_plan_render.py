"""Golden-file tests for the three plan renderers on a hand-checked plan.

The expected files under tests/render/golden/ were written by hand from the plan below (not
copied from the renderer's output): see the comments in each test for what they check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gsctl.model import Resource, Secret
from gsctl.reconcile.changes import Change, Plan, PlanOptions, Violation
from gsctl.reconcile.diff import FieldChange
from gsctl.render import plan as render

GOLDEN = Path(__file__).parent / "golden"


def edge(node_id: int, branch_id: int = 1) -> dict[str, int]:
    return {"node_id": node_id, "branch_id": branch_id}


# CTO sequence: connect -> accepted? -yes-> message -> tag Hot (new) -> end
#                                    -no--> stage Not now -> end
# Live, the message waited 1 h and went to a profile visit (removed) instead of the tag.
CONNECT = {
    "id": 2,
    "type": "linkedin_send_connection_request",
    "payload": {"template": "Hi {{first_name}}, let's connect"},
    "after": [edge(3)],
}
ACCEPTED = {
    "id": 3,
    "type": "trigger_linkedin_connection_request_accepted",
    "after": [edge(4, 1), edge(6, 2)],
}
MESSAGE_TEXT = "Thanks for connecting, {{first_name}}! Quick question about your stack"
STAGE = {"id": 6, "type": "gs_change_pipeline_stage", "payload": {"pipeline_stage": "Not now"}}
DESIRED_NODES = [
    {"id": 1, "type": "end"},
    CONNECT,
    ACCEPTED,
    {
        "id": 4,
        "type": "linkedin_send_message",
        "delay_in_seconds": 7200,
        "payload": {"template": MESSAGE_TEXT},
        "after": [edge(5)],
    },
    {"id": 5, "type": "gs_add_tag", "payload": {"tag": "Hot"}, "after": [edge(1)]},
    {**STAGE, "after": [edge(1)]},
]
LIVE_NODES = [
    {"id": 1, "type": "end"},
    CONNECT,
    ACCEPTED,
    {
        "id": 4,
        "type": "linkedin_send_message",
        "delay_in_seconds": 3600,
        "payload": {"template": MESSAGE_TEXT},
        "after": [edge(7)],
    },
    {"id": 7, "type": "linkedin_visit_profile", "after": [edge(1)]},
    {**STAGE, "after": [edge(1)]},
]
# What diff_graph says for these two sides (tests/flows checks diff_graph itself).
FLOW_STEPS = [
    {
        "op": "change",
        "node_id": 4,
        "type": "linkedin_send_message",
        "fields": ["delay_in_seconds", "after"],
        "values": {
            "delay_in_seconds": {"before": 3600, "after": 7200},
            "after": {"before": [{**edge(7), "removed": True}], "after": [edge(5)]},
        },
    },
    {"op": "add", "node_id": 5, "type": "gs_add_tag", "fields": [], "in": [edge(4)]},
    {
        "op": "remove",
        "node_id": 7,
        "type": "linkedin_visit_profile",
        "fields": [],
        "in": [edge(4)],
        "out": [edge(1)],
    },
]


def flow_resource(nodes: list[dict[str, Any]]) -> Resource:
    sources = [{"id": 1, "name": "CTOs", "sender_profiles": ["Anna - EU"], "after_id": 2}]
    fields = {"name": "CTO sequence", "nodes": nodes, "contact_sources": sources}
    return Resource("flow", "CTO sequence", ("cto sequence",), fields)


def sample_plan() -> Plan:
    key = Secret("sk-live-very-secret")
    changes = [
        Change(
            "delete",
            "webhook",
            "Old hook",
            "h-1",
            [FieldChange("name", "Old hook", None), FieldChange("event", "contact_created", None)],
        ),
        Change(
            "update",
            "flow",
            "CTO sequence",
            "f-1",
            [FieldChange("priority", 2, 3)],
            desired=flow_resource(DESIRED_NODES),
            live=flow_resource(LIVE_NODES),
            steps=FLOW_STEPS,
        ),
        Change(
            "create",
            "tag",
            "Warm",
            None,
            [FieldChange("color", None, "#F4A300"), FieldChange("name", None, "Warm")],
        ),
        Change(
            "create",
            "llm_connection",
            "OpenAI",
            None,
            [
                FieldChange("api_key", None, key, sensitive=True),
                FieldChange("name", None, "OpenAI"),
            ],
        ),
        Change("replace", "template", "Intro", "t-1", [FieldChange("type", "message", "email")]),
    ]
    unmanaged = [Resource("tag", "old", ("old",), {"name": "old"}, uuid="u-9")]
    return Plan(
        changes,
        40,
        unmanaged,
        "sha256:abc",
        7430,
        "https://amazing.getsales.io",
        PlanOptions(),
        ("tag",),
        {"paths": ["."], "digest": "sha256:def"},
        [Violation("replace", 'template "Intro" must be replaced', overridable=False)],
        team_name="prod",
    )


def test_text_golden() -> None:
    # First the target (host of api_url, team id and its settings.teams name), a blank line.
    # Order: level 1 llm, level 2 tag, level 3 template, level 4 flow, level 5 webhook.
    expected = (GOLDEN / "plan.txt").read_text()
    assert render.plan_text(sample_plan()) == expected


def test_text_colour_only_on_request() -> None:
    plain = render.plan_text(sample_plan())
    coloured = render.plan_text(sample_plan(), color=True)
    assert "\033[" not in plain
    assert '\033[32m+ tag "Warm"\033[0m' in coloured


def test_json_golden_and_deterministic() -> None:
    out = render.plan_json(sample_plan())
    assert out == render.plan_json(sample_plan())
    assert json.loads(out) == json.loads((GOLDEN / "plan.json").read_text())


def test_markdown_golden() -> None:
    assert render.plan_markdown(sample_plan()) == (GOLDEN / "plan.md").read_text()


def test_secret_never_rendered() -> None:
    plan = sample_plan()
    for text in (render.plan_text(plan), render.plan_json(plan), render.plan_markdown(plan)):
        assert "sk-live-very-secret" not in text
        assert "(sensitive)" in text


def test_markdown_truncates_under_the_comment_limit() -> None:
    changes = [
        Change("create", "tag", f"tag-{i:05}", None, [FieldChange("name", None, f"tag-{i:05}")])
        for i in range(5000)
    ]
    plan = Plan(changes, 0, [], "sha256:x", 1, "u", PlanOptions(), ("tag",))
    text = render.plan_markdown(plan)
    assert len(text) <= render.COMMENT_LIMIT
    assert "Plan truncated to fit a PR comment" in text
    assert text.count("```") % 2 == 0  # fences stay balanced
    assert text.count("<details>") == text.count("</details>")
    assert "| 5000 | 0 | 0 | 0 | 0 | 0 |" in text


def test_names_with_control_characters_are_escaped() -> None:
    change = Change(
        "create", "tag", 'Warm\n+ tag "forged"\x1b[2J', None, [FieldChange("name", None, "x")]
    )
    plan = Plan([change], 0, [], "sha256:x", 1, "u", PlanOptions(), ("tag",))
    for text in (render.plan_text(plan), render.plan_markdown(plan)):
        assert "\x1b" not in text
        assert '+ tag "Warm\\n+ tag "forged"\\x1b[2J"' in text


def test_target_names_host_and_team_without_credentials_or_path() -> None:
    plan = sample_plan()
    plan.api_url = "https://user:pw@api.example.com:8443/v1"
    plan.team_name = None
    assert render.plan_text(plan).splitlines()[0] == "Target: api.example.com:8443, team 7430"
    plan.team_id = None
    first = render.plan_markdown(plan).splitlines()[2]
    assert first == "Target: api.example.com:8443, the API key's default team"
    assert "pw" not in render.plan_text(plan)
