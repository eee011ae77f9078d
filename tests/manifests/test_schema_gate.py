"""The fast schema gate agrees with jsonschema: a document passes it exactly when jsonschema
finds no problem (a gate that lets a bad document through would hide its errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gsctl.manifests import schema

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [*(ROOT / "examples").rglob("*.yaml"), *(ROOT / "tests" / "fixtures").rglob("*.yaml")]
)


def jsonschema_valid(data: Any) -> bool:
    return next(iter(schema._validator().iter_errors(data)), None) is None


def documents() -> list[Any]:
    out = []
    for path in FILES:
        try:
            out.append(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError):
            continue
    return out


def test_gate_agrees_on_every_example_and_fixture() -> None:
    docs = documents()
    assert len(docs) > 100
    assert sum(jsonschema_valid(d) for d in docs) > 10  # both outcomes are covered
    assert sum(not jsonschema_valid(d) for d in docs) > 50
    for doc in docs:
        assert schema._passes_gate(doc) == jsonschema_valid(doc), doc


@pytest.mark.parametrize(
    "doc",
    [
        {"version": True},  # True == 1 in Python, not in JSON Schema
        {"version": 1.0},
        {"version": 1, "tags": [{"name": "x", "color": True}]},
        {"version": 1, "tags": [{"name": "x", "protect": 1}]},
        {"version": 1, "webhooks": [{"name": "w", "event": True, "target_url": "https://x"}]},
        {"version": 1, "settings": {"max_delete_percent": True}},
        {"version": 1, "tags": [{"name": ""}]},
        {"version": 1, "tags": [{"name": "x", "ignore_changes": ["color", "color"]}]},
    ],
)
def test_gate_agrees_on_edge_cases(doc: Any) -> None:
    assert schema._passes_gate(doc) == jsonschema_valid(doc)


def test_a_document_passing_the_gate_has_no_problem_and_a_failing_one_is_worded() -> None:
    assert schema.check({"version": 1, "tags": [{"name": "x"}]}) == []
    problems = schema.check({"version": 1, "tags": [{"name": "x", "colour": "red"}]})
    assert [p.message for p in problems] == ["unknown field 'colour' (did you mean 'color'?)"]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-2, 2),
    st.sampled_from(
        ["", "x", "on", "off", "#FF0000", "lead", "company", "POST", "${env:X}", "message"]
    ),
)
fields = st.sampled_from(
    [
        "name",
        "color",
        "object",
        "type",
        "body",
        "status",
        "event",
        "target_url",
        "protect",
        "renamed_from",
        "ignore_changes",
        "category",
        "is_public",
        "colour",
        "nodes",
        "steps",
    ]
)
items = st.dictionaries(fields, st.one_of(scalars, st.lists(scalars, max_size=2)), max_size=4)
sections = st.sampled_from(
    ["tags", "custom_fields", "pipeline_stages", "templates", "webhooks", "flows", "ai_agents"]
)
docs = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), scalars)},
    optional={"x": sections.flatmap(lambda s: st.just(s))},
).flatmap(
    lambda d: st.builds(
        lambda section, its: {**{k: v for k, v in d.items() if k != "x"}, section: its},
        sections,
        st.lists(items, max_size=3),
    )
)


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(docs)
def test_gate_agrees_on_random_documents(doc: Any) -> None:
    assert schema._passes_gate(doc) == jsonschema_valid(doc)
