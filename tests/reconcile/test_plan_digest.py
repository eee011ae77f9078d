"""The desired-state digest that saved plans hold: its text must never change."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gsctl.api import kinds
from gsctl.model import Desired, Resource, Secret, Settings, mask
from gsctl.reconcile.plan import desired_digest


def res(kind: str, controls: dict[str, Any] | None = None, **fields: Any) -> Resource:
    k = kinds.KINDS[kind]
    controls = controls or {}
    return Resource(
        kind=kind,
        name=kinds.display_name(k, fields),
        key=kinds.natural_key(k, fields),
        fields=fields,
        renamed_from=controls.get("renamed_from"),
        protect=controls.get("protect", False),
        ignore_changes=tuple(controls.get("ignore_changes", ())),
    )


def state(*resources: Resource) -> Desired:
    return Desired(list(resources), Settings(), ["m.yaml"], frozenset(r.kind for r in resources))


def masked_copy_digest(desired: Desired) -> str:
    """The digest as first written: a masked deep copy of every resource, then JSON."""
    rows = [
        [r.kind, list(r.key), mask(r.fields), r.renamed_from, r.protect, list(r.ignore_changes)]
        for r in sorted(desired.resources, key=lambda r: (r.kind, r.key))
    ]
    text = json.dumps(rows, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_digest_text_is_pinned() -> None:
    d = state(
        res("tag", {"protect": True}, name="Wärm", color="#F4A300"),
        res("llm_connection", name="Main", provider="openai", api_key=Secret("sk-123456")),
    )
    # Written by hand: rows sorted by kind then key, keys sorted, secret masked, ASCII only.
    text = (
        '[["llm_connection", ["Main"], {"api_key": "(sensitive)", "name": "Main", '
        '"provider": "openai"}, null, false, []], '
        '["tag", ["w\\u00e4rm"], {"color": "#F4A300", "name": "W\\u00e4rm"}, null, true, []]]'
    )
    assert desired_digest(d) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_digest_equals_the_masked_copy_digest_on_varied_resources() -> None:
    d = state(
        res(
            "flow",
            {"renamed_from": "Old flow", "ignore_changes": ["priority", "status"]},
            name="Flöw ✓",
            priority=3,
            schedule={"timezone": "Europe/Berlin", "timeblocks": [{"dow": 1, "min": 0.5}]},
            nodes=[
                {"id": 2, "type": "end"},
                {
                    "id": 1,
                    "type": "tag_add",
                    "payload": {"tag": "Warm", "nested": [[1.0, -0.0, 1e20, 0.1], None]},
                    "after": [{"node_id": 2, "branch_id": True}],
                },
            ],
            contact_sources=[{"id": 1, "sender_profiles": ("b", "a"), "after_id": 1}],
        ),
        res("webhook", name="Hook", target_url=Secret("https://u:p@h.example/x?t=1")),
        res("llm_connection", {"protect": True}, name="Key", api_key=Secret("sk-ÄÖÜ-9999")),
        res("tag", name="b"),
        res("tag", name="A", color=None),
        res("template", name="T", body='日本語 "quoted" \\ back\nline', settings={}),
    )
    assert desired_digest(d) == masked_copy_digest(d)
    assert "ÄÖÜ" not in json.dumps([r.fields for r in d.resources], default=str)


def test_digest_changes_with_each_control_key() -> None:
    base = res("tag", name="Warm")
    variants = [
        res("tag", {"renamed_from": "Hot"}, name="Warm"),
        res("tag", {"protect": True}, name="Warm"),
        res("tag", {"ignore_changes": ["color"]}, name="Warm"),
        res("tag", name="Warm", color="#000000"),
    ]
    digests = {desired_digest(state(r)) for r in [base, *variants]}
    assert len(digests) == 5
