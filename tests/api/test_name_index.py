"""The name index of live objects: the oldest of a shared name wins, folded where the API
compares names case-insensitively; reference names read from API objects."""

from __future__ import annotations

from gsctl.api import kinds
from gsctl.api.refs import NameIndex, ref_name


def test_add_first_all_keeps_the_first_uuid_of_a_name() -> None:
    index = NameIndex()
    index.add_first_all("flow", [("A", "u1"), ("B", "u2"), ("A", "u3")])
    assert index.uuid("flow", "A") == "u1"
    assert index.uuid("flow", "B") == "u2"
    assert [index.name("flow", u) for u in ("u1", "u2", "u3")] == ["A", "B", "A"]
    assert not index.has("flow", "a")  # flow names are case-sensitive


def test_add_first_all_folds_case_insensitive_names_and_keeps_earlier_entries() -> None:
    index = NameIndex()
    index.add("tag", "Hot", "t0")
    index.add_first_all("tag", [("HOT", "t1"), ("Cold", "t2"), ("cold", "t3")])
    assert index.uuid("tag", "hot") == "t0"  # known before: kept
    assert index.uuid("tag", "COLD") == "t2"
    assert index.name("tag", "t1") == "HOT"
    assert index.name("tag", "t3") == "cold"
    assert sorted(index.names("tag")) == ["Cold", "HOT", "Hot", "cold"]


def test_add_first_all_matches_add_first_one_by_one() -> None:
    pairs = [("x", "1"), ("X", "2"), ("y", "3"), ("x", "4")]
    one, many = NameIndex(), NameIndex()
    for name, uuid in pairs:
        one.add_first("custom_field", name, uuid)
    many.add_first_all("custom_field", pairs)
    for name in ("x", "X", "y"):
        assert one.uuid("custom_field", name) == many.uuid("custom_field", name)
    assert [many.name("custom_field", u) for _, u in pairs] == ["x", "X", "y", "x"]


def test_ref_name_reads_the_natural_key_or_the_label() -> None:
    stage = {"uuid": "s", "object": "lead", "name": "Won", "category": "won"}
    assert ref_name(kinds.KINDS["pipeline_stage"], stage) == "lead/Won"
    assert ref_name(kinds.KINDS["pipeline_stage"], {"name": "Won"}) == "None/Won"
    assert ref_name(kinds.KINDS["tag"], {"uuid": "t", "name": "Hot"}) == "Hot"
    assert ref_name(kinds.KINDS["tag"], {"uuid": "t"}) == "None"
    profile = kinds.KINDS["sender_profile"]
    assert ref_name(profile, {"label": "Anna - EU", "first_name": "A"}) == "Anna - EU"
    assert ref_name(profile, {"first_name": "Anna", "last_name": "Lee"}) == "Anna Lee"
    assert ref_name(kinds.KINDS["list"], {"name": "Leads Q1"}) == "Leads Q1"
