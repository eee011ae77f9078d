"""gsctl.interpolate: ${env:...}, ${var:...}, the $${ escape and per-team variables."""

from __future__ import annotations

from typing import Any

import pytest

from gsctl import errors
from gsctl.manifests.interpolate import Context, Scope, context_for, interpolate, is_env_reference
from gsctl.model import Secret, Settings

SETTINGS = Settings(
    teams={"prod": 7430, "staging": 7431, "production": 7430},
    vars={
        "default": {"hook": "https://d", "n": 3, "flag": False},
        "staging": {"hook": "https://s"},
    },
)


def ctx(values: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Context:
    values = {"a": "A", "n": 3, "t": True} if values is None else values
    return Context(env or {"K": "sek"}, values, [Scope(None, values)], strict_env=True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("plain", "plain"),
        ("${var:a}", "A"),
        ("x-${var:a}-${var:n}-${var:t}", "x-A-3-true"),
        ("$${var:a}", "${var:a}"),
        ("$${env:K} and ${var:a}", "${env:K} and A"),
        ("price $$ and $ and {} and $${", "price $$ and $ and {} and ${"),
        ("{{first_name}} {% if x %}", "{{first_name}} {% if x %}"),
    ],
)
def test_plain_results(text: str, value: str) -> None:
    result = interpolate({"f": text}, ctx())
    assert result.value == {"f": value} and result.problems == []
    assert type(result.value["f"]) is str


def test_env_makes_the_whole_string_a_secret() -> None:
    result = interpolate({"url": "https://x/${env:K}?a=${var:a}"}, ctx())
    value = result.value["url"]
    assert isinstance(value, Secret) and value.reveal() == "https://x/sek?a=A"
    assert "sek" not in repr(result.value) and result.resolved == {("url",)}


def test_walks_lists_and_dicts_but_not_keys() -> None:
    result = interpolate({"${var:a}": [{"x": "${var:a}"}, 5, None]}, ctx())
    assert result.value == {"${var:a}": [{"x": "A"}, 5, None]}
    assert result.resolved == {("${var:a}", 0, "x")}


HELP = "use ${env:NAME} or ${var:NAME}, or $${ for a literal ${"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${nope}", "invalid reference '${nope}': " + HELP),
        ("${env:}", "invalid reference '${env:}': " + HELP),
        ("${var:1x}", "invalid reference '${var:1x}': " + HELP),
        ("a ${env:K", "unclosed '${': " + HELP),
        ("${var:zz}", "unknown variable ${var:zz}: define it in settings.vars.default"),
        ("${env:UNSET}", "environment variable UNSET is not set"),
    ],
)
def test_problems_leave_the_text_as_written(text: str, message: str) -> None:
    result = interpolate({"f": text}, ctx())
    assert result.problems == [(("f",), "error", message)]
    assert result.resolved == set()
    value = result.value["f"]
    assert (value.reveal() if isinstance(value, Secret) else value) == text


def test_unset_env_is_a_warning_when_not_strict() -> None:
    loose = Context({}, {}, [Scope(None, {})], strict_env=False)
    result = interpolate({"k": "${env:UNSET}"}, loose)
    assert result.problems == [
        (("k",), "warning", "environment variable UNSET is not set (plan and apply will fail)")
    ]


def test_is_env_reference() -> None:
    assert is_env_reference("${env:OPENAI_API_KEY}")
    for text in ("sk-123", "${var:x}", "x${env:A}", "${env:A}${env:B}", "$${env:A}", "${env:1}"):
        assert not is_env_reference(text)


@pytest.mark.parametrize(
    ("team", "hook"),
    [
        (None, "https://d"),
        ("prod", "https://d"),
        ("staging", "https://s"),
        (7431, "https://s"),
        ("7431", "https://s"),
        (9999, "https://d"),  # an id no name maps to: default only
    ],
)
def test_context_for_team(team: str | int | None, hook: str) -> None:
    c = context_for(SETTINGS, team, {}, strict_env=True)
    assert c.values["hook"] == hook and c.values["n"] == 3


def test_context_for_unknown_team_name() -> None:
    with pytest.raises(
        errors.UsageError, match=r"unknown team 'qa' \(settings.teams: prod, staging"
    ):
        context_for(SETTINGS, "qa", {}, strict_env=True)


def test_all_teams_reports_each_team_missing_a_variable() -> None:
    settings = Settings(teams={"prod": 1, "staging": 2}, vars={"prod": {"only_prod": "x"}})
    c = context_for(settings, None, {}, strict_env=False, all_teams=True)
    result = interpolate({"f": "${var:only_prod}"}, c)
    assert result.problems == [
        (
            ("f",),
            "error",
            'unknown variable ${var:only_prod} for team "staging":'
            " define it in settings.vars.default or settings.vars.staging",
        )
    ]
    assert result.value == {"f": "${var:only_prod}"}  # validate resolves from default only
