"""check_graph: each validation error with its exact path and message (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from gsctl.flows.graph import branch_rule, check_graph


def node(node_id: Any, type_: str, *edges: tuple[Any, Any], **extra: Any) -> dict[str, Any]:
    """A manifest node; ``edges`` are (node_id, branch_id) pairs."""
    out: dict[str, Any] = {"id": node_id, "type": type_, **extra}
    if edges:
        out["after"] = [{"node_id": t, "branch_id": b} for t, b in edges]
    return out


SRC = [{"id": 1, "rotation_strategy": "fair", "sender_profiles": ["Anna - EU"], "after_id": 2}]

# visit(2) -> filter(3) --match--> message(4) -> end(1)
#                       --else---> tag(5) -> end(6)
FILTER_FLOW = [
    node(1, "end"),
    node(2, "linkedin_visit_profile", (3, 1)),
    node(3, "rule_filter", (4, 1), (5, 0), payload={"branches": [{"filters": {}}]}),
    node(4, "linkedin_send_message", (1, 1), payload={"template": "Hi {{first_name}}"}),
    node(5, "gs_add_tag", (6, 1), payload={"tag": "Cold"}),
    node(6, "end"),
]


def test_valid_filter_flow_has_no_problems() -> None:
    assert check_graph(FILTER_FLOW, SRC) == []


def test_valid_diamond_and_all_branch_kinds() -> None:
    nodes = [
        node(1, "end"),
        node(2, "rule_ab_test", (3, 1), (4, 2)),
        node(3, "trigger_linkedin_connection_request_accepted", (5, 1), (1, 2)),
        node(4, "rule_manual_router", (5, 0), (1, 7)),
        node(5, "ai_rule_filter", (1, 1), (6, 0)),
        node(6, "end"),
    ]
    assert check_graph(nodes, SRC) == []


def test_duplicate_node_id() -> None:
    nodes = [
        node(1, "end"),
        node(2, "linkedin_send_message", (1, 1)),
        node(2, "gs_add_tag", (1, 1)),
    ]
    assert check_graph(nodes, SRC) == [
        (("nodes", 2, "id"), "node id 2 is used more than once (first at nodes[1])")
    ]


def test_edge_to_missing_node() -> None:
    nodes = [node(1, "end"), node(2, "linkedin_send_message", (9, 1))]
    assert check_graph(nodes, SRC) == [
        (("nodes", 1, "after", 0, "node_id"), "edge points at node 9, which does not exist"),
        # with its only edge broken, nothing leads to the end node any more
        (("nodes", 0), "node 1 is not reachable from any contact source"),
    ]


@pytest.mark.parametrize(
    ("type_", "bad", "hint"),
    [
        ("linkedin_send_message", 2, "linear steps use 1"),
        ("linkedin_send_message", 0, "linear steps use 1"),
        ("rule_filter", 2, "1 = match, 0 = else"),
        ("ai_rule_filter", 2, "1 = match, 0 = else"),
        ("rule_ab_test", 0, "1 or 2"),
        ("trigger_message_replied", 3, "1 = yes, 2 = timeout"),
        ("rule_manual_router", -1, "any branch id >= 0"),
    ],
)
def test_invalid_branch_for_type(type_: str, bad: int, hint: str) -> None:
    nodes = [node(1, "end"), node(2, type_, (1, bad))]
    assert check_graph(nodes, SRC) == [
        (("nodes", 1, "after", 0, "branch_id"), f"branch {bad} is not valid for {type_} ({hint})")
    ]


def test_branch_rules_table() -> None:
    assert branch_rule("gs_add_tag") == (frozenset({1}), "linear steps use 1")
    assert branch_rule("rule_filter")[0] == frozenset({0, 1})
    assert branch_rule("trigger_email_opened")[0] == frozenset({1, 2})
    assert branch_rule("rule_manual_router")[0] is None
    assert branch_rule("end")[0] == frozenset()


def test_end_node_with_outgoing_edge() -> None:
    nodes = [node(1, "end", (3, 1)), node(2, "linkedin_send_message", (1, 1)), node(3, "end")]
    assert check_graph(nodes, SRC) == [
        (("nodes", 0, "after"), "an end node cannot have outgoing edges")
    ]


def test_two_edges_on_one_branch() -> None:
    nodes = [node(1, "end"), node(2, "rule_filter", (1, 1), (3, 1)), node(3, "end")]
    assert check_graph(nodes, SRC) == [
        (("nodes", 1, "after", 1, "branch_id"), "node 2 already has an edge on branch 1")
    ]


def test_unreachable_node() -> None:
    nodes = [*FILTER_FLOW, node(7, "linkedin_send_message", (1, 1))]
    assert check_graph(nodes, SRC) == [
        (("nodes", 6), "node 7 is not reachable from any contact source")
    ]


def test_reachable_from_any_source_counts() -> None:
    nodes = [*FILTER_FLOW, node(7, "linkedin_send_message", (1, 1))]
    sources = [*SRC, {"sender_profiles": [], "after_id": 7}]
    assert check_graph(nodes, sources) == []


def test_contact_source_after_id_missing_node() -> None:
    sources = [{"id": 1, "sender_profiles": [], "after_id": 9}]
    assert check_graph(FILTER_FLOW, sources) == [
        (("contact_sources", 0, "after_id"), "after_id points at node 9, which does not exist")
    ]


def test_contact_source_after_id_absent_and_wrong_type() -> None:
    sources = [{"sender_profiles": []}, {"sender_profiles": [], "after_id": "2"}, *SRC]
    assert check_graph(FILTER_FLOW, sources) == [
        (("contact_sources", 0, "after_id"), "after_id is required: the id of the first step"),
        (("contact_sources", 1, "after_id"), "after_id must be a node id (an integer)"),
    ]


def test_duplicate_contact_source_id() -> None:
    assert check_graph(FILTER_FLOW, [*SRC, *SRC]) == [
        (("contact_sources", 1, "id"), "contact source id 1 is used more than once")
    ]


def test_branch_not_ending_at_end_node() -> None:
    # filter: else -> end; match -> a message that leads nowhere
    nodes = [
        node(1, "end"),
        node(2, "rule_filter", (3, 1), (1, 0)),
        node(3, "linkedin_send_message"),
    ]
    msg = (
        "node 3 (linkedin_send_message) has no outgoing edge: every branch must end at an end node"
    )
    assert check_graph(nodes, SRC) == [(("nodes", 2), msg)]


def test_cycle_is_reported_on_the_closing_edge() -> None:
    # 2 -> 3 -(match)-> 4 -> 2 ; 3 -(else)-> 1 (end)
    nodes = [
        node(1, "end"),
        node(2, "linkedin_visit_profile", (3, 1)),
        node(3, "rule_filter", (4, 1), (1, 0)),
        node(4, "linkedin_send_message", (2, 1)),
    ]
    assert check_graph(nodes, SRC) == [
        (("nodes", 3, "after", 0), "edge to node 2 closes a cycle: 2 -> 3 -> 4 -> 2")
    ]


def test_self_loop_is_a_cycle() -> None:
    nodes = [node(1, "end"), node(2, "rule_filter", (2, 1), (1, 0))]
    assert check_graph(nodes, SRC) == [
        (("nodes", 1, "after", 0), "edge to node 2 closes a cycle: 2 -> 2")
    ]


def test_no_contact_source() -> None:
    for sources in ([], None):
        assert check_graph(FILTER_FLOW, sources) == [
            (("contact_sources",), "a flow needs at least one contact source")
        ]


def test_payload_references_must_be_names() -> None:
    nodes = [
        node(1, "end"),
        node(
            2,
            "gs_remove_from_all_automations",
            (3, 1),
            payload={"flows": "Other flow", "template": "text is not a reference"},
        ),
        node(3, "gs_add_tag", (4, 1), payload={"tag": ["Warm"]}),
        node(4, "gs_add_tag", (1, 1), payload={"tag_uuid": "0b9e6c1e-uuid"}),
    ]
    assert check_graph(nodes, SRC) == [
        (("nodes", 1, "payload", "flows"), "flows must be a list of flow names"),
        (("nodes", 2, "payload", "tag"), "tag must be a tag name"),
        (
            ("nodes", 3, "payload", "tag_uuid"),
            "write the reference by name (tag: <name>), not as tag_uuid",
        ),
    ]


def test_null_reference_and_empty_list_payload_are_fine() -> None:
    nodes = [
        node(1, "end", payload=[]),
        node(2, "linkedin_send_message", (1, 1), payload={"template": "x", "ai_template": None}),
    ]
    assert check_graph(nodes, SRC) == []


def test_malformed_input_is_reported_not_raised() -> None:
    assert check_graph("oops", {"after_id": 1}) == [
        (("nodes",), "a flow needs a list of at least one node"),
        (("contact_sources",), "a flow needs at least one contact source"),
    ]
    nodes: list[Any] = [
        "not a node",
        {"id": True, "type": "end"},
        {"id": 2, "type": 5, "payload": "x", "delay_in_seconds": -1, "after": {"node_id": 1}},
        {
            "id": 3,
            "type": "linkedin_send_message",
            "after": ["x", {"node_id": "1", "branch_id": None}],
        },
    ]
    problems = check_graph(nodes, [{"after_id": 3}, "nope"])
    expected = {
        (("nodes", 0), "a node must be a mapping"),
        (("nodes", 1, "id"), "node id must be an integer >= 1"),
        (("nodes", 2, "type"), "node type is required"),
        (("nodes", 2, "payload"), "payload must be a mapping"),
        (
            ("nodes", 2, "delay_in_seconds"),
            "delay_in_seconds must be an integer from 0 to 31536000 (365 days)",
        ),
        (("nodes", 2, "after"), "after must be a list of edges"),
        (("nodes", 3, "after", 0), "an edge must be a mapping {node_id, branch_id}"),
        (("nodes", 3, "after", 1, "node_id"), "node_id must be an integer"),
        (("nodes", 3, "after", 1, "branch_id"), "branch_id must be an integer"),
        (("contact_sources", 1), "a contact source must be a mapping"),
        (("nodes", 2), "node 2 (5) has no outgoing edge: every branch must end at an end node"),
        (("nodes", 2), "node 2 is not reachable from any contact source"),
    }
    assert set(problems) == expected
    assert len(problems) == len(expected)
