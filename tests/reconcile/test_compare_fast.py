"""Comparing one desired object with its live twin: strict equality, identical graphs,
the normalised field dicts (fast paths must not change what counts as a change)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from gsctl.api import kinds
from gsctl.model import Resource, Secret
from gsctl.reconcile.diff import field_changes, identical
from gsctl.reconcile.normalize import comparable, steps_differ


def res(kind: str, ignore: tuple[str, ...] = (), **fields: Any) -> Resource:
    k = kinds.KINDS[kind]
    return Resource(
        kind=kind,
        name=kinds.display_name(k, fields),
        key=kinds.natural_key(k, fields),
        fields=fields,
        ignore_changes=ignore,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"a": 1, "b": [1.5, None, "x"]}, {"a": 1, "b": [1.5, None, "x"]}),
        (Secret("sk-1"), "sk-1"),
        ({"k": [Secret("v")]}, {"k": ["v"]}),
        ((1, "a"), (1, "a")),
        (True, True),
    ],
)
def test_identical_values(a: Any, b: Any) -> None:
    assert identical(a, b)
    assert identical(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # equal, but the key order differs
        (0.0, -0.0),
        (1, True),
        (1, 1.0),
        ([1], (1,)),
        ([1, 2], [1, 2, 3]),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1}, {"b": 1}),
        ({"a": [{"b": "x"}]}, {"a": [{"b": "y"}]}),
        (Secret("one"), Secret("two")),
    ],
)
def test_not_identical_values(a: Any, b: Any) -> None:
    assert not identical(a, b)
    assert not identical(b, a)


def test_nan_and_unknown_types_are_never_identical() -> None:
    nan, thing = math.nan, object()
    assert not identical(nan, nan)
    assert not identical([nan], [nan])
    assert not identical(thing, thing)


def paths(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [c.path for c in field_changes(before, after)]


def test_field_changes_are_strict_about_types_at_every_depth() -> None:
    assert paths({"a": 1}, {"a": True}) == ["a"]
    assert paths({"a": {"b": 1}}, {"a": {"b": 1.0}}) == ["a.b"]
    assert paths({"a": [1, 2]}, {"a": [1, 3]}) == ["a"]
    assert paths({"a": [1, 2]}, {"a": [1, 2]}) == []
    assert paths({"a": {"b": None}}, {"a": {"b": "x"}}) == ["a.b"]
    assert paths({"a": [[1]], "b": "x"}, {"a": [[1]], "b": "x"}) == []
    assert paths({"a": {"b": "x", "c": 1}}, {"a": {"c": 1, "b": "x"}}) == []  # order: no
    assert paths({"s": Secret("abc")}, {"s": "abc"}) == []
    assert paths({"s": [Secret("abc")]}, {"s": ["abd"]}) == ["s"]
    # inside a list too: 1 -> True and 2 -> 2.0 are changes, reported at the list
    assert paths({"a": [1, 2]}, {"a": [True, 2]}) == ["a"]
    assert paths({"a": [2]}, {"a": [2.0]}) == ["a"]
    assert paths({"a": {"b": [[0]]}}, {"a": {"b": [[False]]}}) == ["a.b"]
    assert paths({"a": [1, 2, 3], "b": 1}, {"a": [2, 3], "b": 1}) == ["a"]


def flow(nodes: list[dict[str, Any]], entry: int = 2, ignore: tuple[str, ...] = ()) -> Resource:
    sources = [{"id": 1, "sender_profiles": [], "after_id": entry}]
    return res("flow", ignore, name="F", nodes=nodes, contact_sources=sources)


END_1 = {"id": 1, "type": "end"}


def send(node_id: int, end: int, text: str = "Hi") -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "linkedin_send_message",
        "payload": {"template": text},
        "after": [{"node_id": end, "branch_id": 1}],
    }


def test_steps_differ_for_identical_renumbered_and_changed_graphs() -> None:
    mine = flow([END_1, send(2, 1)])
    assert not steps_differ(mine, flow([END_1, send(2, 1)]))
    assert not steps_differ(mine, flow([{"id": 7, "type": "end"}, send(9, 7)], entry=9))
    assert not steps_differ(mine, flow([send(2, 1), END_1]))  # listed in another order
    assert steps_differ(mine, flow([END_1, send(2, 1, "Hello")]))
    assert steps_differ(mine, flow([END_1, {**send(2, 1), "delay_in_seconds": 60}]))
    assert steps_differ(mine, flow([END_1, send(2, 1)], entry=1))


def test_steps_differ_only_for_flows_with_managed_steps() -> None:
    changed = flow([END_1, send(2, 1, "Hello")])
    assert not steps_differ(flow([END_1, send(2, 1)], ignore=("nodes",)), changed)
    assert not steps_differ(flow([END_1, send(2, 1)], ignore=("steps",)), changed)
    assert not steps_differ(res("flow", name="F"), changed)  # steps not declared
    assert not steps_differ(res("tag", name="T"), res("tag", name="T"))


def test_comparable_fills_defaults_applies_rules_and_sorts_names() -> None:
    mine = res("tag", name="Warm", color="#f4a300")
    left, right = comparable(mine, res("tag", name="Warm"))
    assert list(left.items()) == [("color", "#F4A300"), ("name", "Warm")]
    assert list(right.items()) == [("color", None), ("name", "Warm")]
    left, right = comparable(
        res("template", name="T", type="message", is_public=True),
        res("template", name="T", type="message", is_public=1, body="x", extra="server"),
    )
    # declared fields and the kind's documented defaults; "extra" is not managed
    expected = ["body", "fallback_body", "is_public", "llm", "llm_config", "name", "prompt"]
    assert list(left) == list(right) == [*expected, "subject", "type"]
    assert (left["is_public"], right["is_public"], left["body"], right["body"]) == (1, 1, None, "x")


def test_comparable_names_follow_each_objects_ignores_and_rotation() -> None:
    key = Secret("sk-abcdef")
    mine = res("llm_connection", name="L", provider="openai", api_key=key)
    twin = res("llm_connection", ("owner",), name="L", provider="openai", api_key=key)
    live = res("llm_connection", name="L", provider="openai", owner="team")
    assert comparable(mine, live)[0] == {"name": "L", "owner": "customer", "provider": "openai"}
    assert comparable(twin, live)[0] == {"name": "L", "provider": "openai"}
    rotated = comparable(mine, live, rotate_secrets=True)
    assert rotated[0]["api_key"] is key
    assert rotated[1]["api_key"] is None
    assert comparable(mine, live)[1] == {"name": "L", "owner": "team", "provider": "openai"}


def test_identical_graphs_skip_the_canonical_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    from gsctl.reconcile import normalize

    computed: list[str] = []
    real = normalize.steps_form
    monkeypatch.setattr(normalize, "steps_form", lambda r: computed.append(r.name) or real(r))
    mine = flow([END_1, send(2, 1)])
    assert not steps_differ(mine, flow([END_1, send(2, 1)]))
    assert computed == []
    assert not steps_differ(mine, flow([send(2, 1), END_1]))  # same graph, other order
    assert computed == ["F", "F"]
