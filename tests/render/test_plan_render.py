"""Golden-file tests for the three plan renderers on a hand-checked plan.

The expected files under tests/render/golden/ were written by hand from the plan below (not
copied from the renderer's output): see the comments in each test for what they check.
"""

from __future__ import annotations

import json
from pathlib import Path

from gsctl.model import Resource, Secret
from gsctl.reconcile.changes import Change, Plan, PlanOptions, Violation
from gsctl.reconcile.diff import FieldChange
from gsctl.render import plan as render

GOLDEN = Path(__file__).parent / "golden"


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
            steps=[
                {
                    "op": "change",
                    "node_id": 2,
                    "type": "linkedin_send_message",
                    "fields": ["payload"],
                }
            ],
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
