"""The contract guard's pure checks: what they accept, and the message for what they refuse."""

from __future__ import annotations

import pytest

from gsctl.api import guard
from gsctl.errors import UnexpectedAnswerError


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "a boolean"),
        (3, "a number"),
        ("", "an empty string"),
        ("sk-secret", "a string"),
        ([], "an array"),
        ({}, "an object"),
    ],
)
def test_values_are_shown_by_type_never_by_value(value: object, shown: str) -> None:
    assert guard.shown(value) == shown


def test_list_items_accepts_objects_with_uuids_and_unknown_fields() -> None:
    guard.list_items("GET", "/x", [{"uuid": "a", "extra": {"new": 1}}, {"uuid": "b"}])
    guard.list_items("GET", "/id/api/teams", [{"id": 7}], key="id")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [{"uuid": "a"}, 5],
            "GET /x: unexpected answer: data[1]: expected an object, got a number",
        ),
        (
            [{"uuid": ""}],
            "GET /x: unexpected answer: data[0].uuid: expected a string, got an empty string",
        ),
        (
            [{"uuid": 12}],
            "GET /x: unexpected answer: data[0].uuid: expected a string, got a number",
        ),
        (
            [{"name": "n"}],
            "GET /x: unexpected answer: data[0].uuid: expected a string, got nothing",
        ),
    ],
)
def test_list_items_refuses(items: list[object], message: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as exc:
        guard.list_items("GET", "/x", items)
    assert str(exc.value) == message


def test_team_ids_are_integers() -> None:
    with pytest.raises(
        UnexpectedAnswerError, match=r"data\[0\].id: expected an integer, got a string"
    ):
        guard.list_items("GET", "/t", [{"id": "7"}], key="id")


def test_a_boolean_is_not_a_team_id() -> None:
    with pytest.raises(UnexpectedAnswerError) as exc:
        guard.list_items("GET", "/t", [{"id": 7}, {"id": True}], key="id")
    assert str(exc.value) == (
        "GET /t: unexpected answer: data[1].id: expected an integer, got a boolean"
    )


def test_strings_in_items_accepts_strings_and_unknown_fields() -> None:
    items = [{"name": "a", "status": "draft", "n": 1}, {"name": "", "status": "x"}]
    guard.strings_in_items("GET", "/x", items, ("name", "status"))
    guard.strings_in_items("GET", "/x", [{}], ())


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [{"name": "a", "status": "s"}, {"name": "b", "status": None}],
            "GET /x: unexpected answer: data[1].status: expected a string, got null",
        ),
        (  # the first field in order is the one named
            [{"name": 3}],
            "GET /x: unexpected answer: data[0].name: expected a string, got a number",
        ),
        (
            [{"name": "a", "status": "s"}, {"status": "s"}, {"name": 1}],
            "GET /x: unexpected answer: data[1].name: expected a string, got nothing",
        ),
    ],
)
def test_strings_in_items_names_the_first_misfit(
    items: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(UnexpectedAnswerError) as exc:
        guard.strings_in_items("GET", "/x", items, ("name", "status"))
    assert str(exc.value) == message


def test_flow_version_accepts_several_end_nodes_and_no_sources() -> None:
    version = {"uuid": "v", "nodes": [{"id": 1, "type": "end"}, {"id": 5, "type": "end"}]}
    assert guard.flow_version("/v", version) is version


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ([], "GET /v: unexpected answer: expected a flow version object, got an array"),
        (
            {"nodes": "oops"},
            "GET /v: unexpected answer: nodes: expected an array of nodes, got a string",
        ),
        (
            {"uuid": "v"},
            "GET /v: unexpected answer: nodes: expected an array of nodes, got nothing",
        ),
        ({"nodes": [None]}, "GET /v: unexpected answer: nodes[0]: expected an object, got null"),
        (
            {"nodes": [{"id": True, "type": "end"}]},
            "GET /v: unexpected answer: nodes[0].id: expected an integer, got a boolean",
        ),
        (
            {"nodes": [{"id": 1}]},
            "GET /v: unexpected answer: nodes[0].type: expected a string, got nothing",
        ),
        (
            {"nodes": [], "contact_sources": {}},
            "GET /v: unexpected answer: contact_sources: "
            "expected an array of objects, got an object",
        ),
    ],
)
def test_flow_version_refuses(version: object, message: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as exc:
        guard.flow_version("/v", version)
    assert str(exc.value) == message
