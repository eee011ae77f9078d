"""``gsctl diff`` output, rendered like a plan: header naming both sides, ``+``/``-``/``~``
blocks, a diff summary, and "No differences." when equal (expected text written by hand)."""

from __future__ import annotations

import json

from gsctl.reconcile.changes import Change, Plan, PlanOptions
from gsctl.reconcile.diff import FieldChange
from gsctl.render import diff as render


def plan(changes: list[Change], unchanged: int = 3, api_url: str = "") -> Plan:
    return Plan(changes, unchanged, [], "", None, api_url, PlanOptions(), ("tag",))


def test_text() -> None:
    changes = [
        Change("delete", "tag", "Cold", "u-1", [FieldChange("name", "Cold", None)]),
        Change("update", "tag", "Warm", "u-2", [FieldChange("color", "#F4A300", "#D64545")]),
    ]
    text = render.diff_text(
        plan(changes, api_url="https://k@api.example.com/x"), "team 1", "team 2"
    )
    assert text == (
        "Comparing team 1 (-) with team 2 (+) on api.example.com\n"
        "\n"
        '~ tag "Warm"\n'
        '      color: "#F4A300" -> "#D64545"\n'
        '- tag "Cold"\n'
        "Diff: 0 only in the new side, 1 only in the old side, 1 different, 3 the same.\n"
    )


def test_equal_sides_in_every_format() -> None:
    same = plan([])
    assert render.diff_text(same, "a", "b") == (
        "Comparing a (-) with b (+)\n\nNo differences.\n"
        "Diff: 0 only in the new side, 0 only in the old side, 0 different, 3 the same.\n"
    )
    md = render.diff_markdown(same, "a", "b")
    assert md.startswith("### gsctl diff\n\nComparing a (-) with b (+)\n\n| create |")
    assert "No differences." in md
    data = json.loads(render.diff_json(same, "a", "b", ['flow "X" in team 1: why']))
    assert data == {
        "format_version": 1,
        "old": "a",
        "new": "b",
        "scope": ["tag"],
        "summary": {
            "create": 0,
            "update": 0,
            "replace": 0,
            "delete": 0,
            "unchanged": 3,
            "unmanaged": 0,
        },
        "changes": [],
        "left_out": ['flow "X" in team 1: why'],
    }
