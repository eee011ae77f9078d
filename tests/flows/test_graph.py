"""flowgraph: API conversion, round trip, canonical form and step diffs (pure, no I/O)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from gsctl.flows.graph import (
    canonical,
    check_graph,
    diff_graph,
    first_common_node_id,
    from_api_version,
    normalize,
    to_api_version,
)

NOW = "2025-01-02T03:04:05.000000Z"


def node(node_id: int, type_: str, *edges: tuple[int, int], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "type": type_, **extra}
    if edges:
        out["after"] = [{"node_id": t, "branch_id": b} for t, b in edges]
    return out


def resolve(kind: str, name: str) -> str:
    return f"uuid:{kind}:{name}"


def name_of(kind: str, uuid: str) -> str | None:
    prefix = f"uuid:{kind}:"
    return uuid[len(prefix) :] if uuid.startswith(prefix) else None


SRC = [{"id": 1, "sender_profiles": ["Anna - EU"], "after_id": 2}]

# DESIGN.md's example: message(2) -> add tag(3) -> end(1)
LINEAR = [
    node(1, "end"),
    node(2, "linkedin_send_message", (3, 1), payload={"template": "Thanks, {{first_name}}!"}),
    node(3, "gs_add_tag", (1, 1), payload={"tag": "Warm"}),
]

# visit(2) -> filter(3) --match(1)--> message(4) -> end(1)
#                       --else(0)---> tag(5) -> end(6)
FILTER_FLOW = [
    node(1, "end"),
    node(2, "linkedin_visit_profile", (3, 1)),
    node(3, "rule_filter", (4, 1), (5, 0), payload={"branches": [{"filters": {"json_logic": {}}}]}),
    node(4, "linkedin_send_message", (1, 1), payload={"template": "Hi", "ai_template": "Intro"}),
    node(5, "gs_add_tag", (6, 1), payload={"tag": "Cold"}, delay_in_seconds=3600),
    node(6, "end"),
]

# filter(2) --match--> message(3) --\
#           --else---> like(4) ------> tag(5) -> end(1)
DIAMOND = [
    node(1, "end"),
    node(2, "rule_filter", (3, 1), (4, 0)),
    node(3, "linkedin_send_message", (5, 1), payload={"template": "Hi"}),
    node(4, "linkedin_like_latest_post", (5, 1)),
    node(5, "gs_add_tag", (1, 1), payload={"tag": "Warm"}),
]


def renumber(
    nodes: list[dict[str, Any]], sources: list[dict[str, Any]], mapping: dict[int, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Same graph with new ids, nodes in reverse order and every edge list reversed."""
    out = []
    for n in reversed(copy.deepcopy(nodes)):
        n["id"] = mapping[n["id"]]
        if "after" in n:
            n["after"] = [
                {"node_id": mapping[e["node_id"]], "branch_id": e["branch_id"]} for e in n["after"]
            ]
            n["after"].reverse()
        out.append(n)
    srcs = [dict(s, after_id=mapping[s["after_id"]], id=10 + i) for i, s in enumerate(sources)]
    return out, srcs


def test_fixtures_are_valid() -> None:
    for nodes in (LINEAR, FILTER_FLOW, DIAMOND):
        assert check_graph(nodes, SRC) == []


# ---------------------------------------------------------------- to_api_version


def test_to_api_version_shape() -> None:
    body = to_api_version(LINEAR, SRC, resolve=resolve, now=NOW)
    assert body["contact_sources"] == [
        {
            "id": 1,
            "rotation_strategy": "fair",
            "sender_profiles": ["uuid:sender_profile:Anna - EU"],
            "after_id": 2,
        }
    ]
    by_id = {n["id"]: n for n in body["nodes"]}
    assert [n["id"] for n in body["nodes"]] == [1, 2, 3]  # manifest order kept
    for n in body["nodes"]:
        assert n["automation"] == "auto"
        assert n["created_at"] == NOW and n["updated_at"] == NOW
        assert n["delay_in_seconds"] == 0
    assert by_id[1]["payload"] == {}
    assert by_id[1]["after"] == []
    assert by_id[1]["before"] == [{"node_id": 3, "branch_id": 1}]
    assert by_id[2]["before"] == []
    # message text stays as it is; no template reference was written
    assert by_id[2]["payload"] == {"template": "Thanks, {{first_name}}!"}
    assert by_id[3]["payload"] == {"tag_uuid": "uuid:tag:Warm"}
    assert by_id[3]["before"] == [{"node_id": 2, "branch_id": 1}]
    assert body["first_common_node_id"] is None  # linear flow


def test_to_api_version_resolves_every_reference_kind() -> None:
    payload = {
        "template": "Hello",
        "ai_template": "Intro",
        "list": "Leads",
        "pipeline_stage": "Interested",
        "sender_profile": "Bob",
        "flow": "Other",
        "flows": ["A", "B"],
        "webhook": "CRM",
        "tag": None,
    }
    nodes = [node(1, "end"), node(2, "custom", (1, 1), payload=payload)]
    body = to_api_version(nodes, SRC, resolve=resolve, now=NOW)
    assert body["nodes"][1]["payload"] == {
        "template": "Hello",
        "template_uuid": "uuid:template:Intro",
        "list_uuid": "uuid:list:Leads",
        "pipeline_stage_uuid": "uuid:pipeline_stage:Interested",
        "sender_profile_uuid": "uuid:sender_profile:Bob",
        "flow_uuid": "uuid:flow:Other",
        "flow_uuids": ["uuid:flow:A", "uuid:flow:B"],
        "webhook_uuid": "uuid:webhook:CRM",
        "tag_uuid": None,
    }
    assert payload["ai_template"] == "Intro"  # input not mutated


def test_to_api_version_unknown_name_raises_keyerror() -> None:
    def strict(kind: str, name: str) -> str:
        if name == "Missing":
            raise KeyError(name)
        return resolve(kind, name)

    nodes = [node(1, "end"), node(2, "gs_add_tag", (1, 1), payload={"tag": "Missing"})]
    with pytest.raises(KeyError):
        to_api_version(nodes, SRC, resolve=strict, now=NOW)


def test_before_edges_are_symmetric() -> None:
    for nodes in (LINEAR, FILTER_FLOW, DIAMOND):
        body = to_api_version(nodes, SRC, resolve=resolve, now=NOW)
        after = {(n["id"], e["node_id"], e["branch_id"]) for n in body["nodes"] for e in n["after"]}
        before = {
            (e["node_id"], n["id"], e["branch_id"]) for n in body["nodes"] for e in n["before"]
        }
        assert after == before
        assert sum(len(n["before"]) for n in body["nodes"]) == len(after)
    body = to_api_version(DIAMOND, SRC, resolve=resolve, now=NOW)
    tag = next(n for n in body["nodes"] if n["id"] == 5)
    assert tag["before"] == [{"node_id": 3, "branch_id": 1}, {"node_id": 4, "branch_id": 1}]


def test_source_without_id_and_defaults() -> None:
    body = to_api_version(
        LINEAR, [{"sender_profiles": [], "after_id": 2}], resolve=resolve, now=NOW
    )
    assert body["contact_sources"] == [
        {"rotation_strategy": "fair", "sender_profiles": [], "after_id": 2}
    ]


# ---------------------------------------------------------------- first_common_node_id


def test_first_common_node_on_a_diamond() -> None:
    # both branches of the filter meet again at the tag step (5)
    assert first_common_node_id(DIAMOND, 2) == 5
    assert to_api_version(DIAMOND, SRC, resolve=resolve, now=NOW)["first_common_node_id"] == 5


def test_first_common_node_after_a_linear_prefix() -> None:
    nodes = [*DIAMOND, node(7, "linkedin_visit_profile", (2, 1))]
    assert first_common_node_id(nodes, 7) == 5


def test_first_common_node_none_when_linear_or_never_joining() -> None:
    assert first_common_node_id(LINEAR, 2) is None
    # FILTER_FLOW's branches end in two different end nodes
    assert first_common_node_id(FILTER_FLOW, 2) is None
    assert first_common_node_id(LINEAR, 99) is None


def test_first_common_node_branches_joining_at_the_end() -> None:
    nodes = [
        node(1, "end"),
        node(2, "rule_ab_test", (3, 1), (4, 2)),
        node(3, "gs_add_tag", (1, 1)),
        node(4, "gs_remove_tag", (1, 1)),
    ]
    assert first_common_node_id(nodes, 2) == 1


# ---------------------------------------------------------------- from_api_version / round trip


def test_round_trip_gives_back_the_manifest() -> None:
    for nodes in (LINEAR, FILTER_FLOW, DIAMOND):
        body = to_api_version(nodes, SRC, resolve=resolve, now=NOW)
        version = {"uuid": "v1", "flow_uuid": "f1", "created_at": NOW, **body}
        assert from_api_version(version, name_of=name_of) == (nodes, SRC)


def test_round_trip_of_every_reference_kind() -> None:
    payload = {
        "ai_template": "Intro",
        "list": "Leads",
        "flows": ["A", "B"],
        "webhook": "CRM",
        "text": "x",
    }
    nodes = [node(1, "end"), node(2, "custom", (1, 1), payload=payload)]
    body = to_api_version(nodes, SRC, resolve=resolve, now=NOW)
    assert from_api_version(body, name_of=name_of) == (nodes, SRC)


def test_round_trip_drops_explicit_defaults_like_normalize() -> None:
    nodes = [
        node(1, "end", payload={}, delay_in_seconds=0, after=[]),
        node(2, "linkedin_send_message", (1, 1), payload={"template": "x", "ai_template": None}),
    ]
    sources = [
        {
            "id": 1,
            "name": None,
            "rotation_strategy": "fair",
            "sender_profiles": ["Anna - EU"],
            "after_id": 2,
        }
    ]
    body = to_api_version(nodes, sources, resolve=resolve, now=NOW)
    expected = (
        [
            {"id": 1, "type": "end"},
            node(2, "linkedin_send_message", (1, 1), payload={"template": "x"}),
        ],
        [{"id": 1, "sender_profiles": ["Anna - EU"], "after_id": 2}],
    )
    assert from_api_version(body, name_of=name_of) == expected
    assert normalize(nodes, sources) == expected


def test_from_api_drops_server_fields_and_reads_empty_list_payload() -> None:
    version = {
        "uuid": "v",
        "flow_uuid": "f",
        "created_at": NOW,
        "first_common_node_id": None,
        "nodes": [
            {
                "id": 1,
                "type": "end",
                "before": [{"node_id": 2, "branch_id": 1}],
                "after": [],
                "automation": "auto",
                "payload": [],
                "delay_in_seconds": 0,
                "created_at": NOW,
                "updated_at": NOW,
            },
            {
                "id": 2,
                "type": "linkedin_visit_profile",
                "before": [],
                "after": [{"node_id": 1, "branch_id": 1}],
                "automation": "auto",
                "payload": [],
                "delay_in_seconds": 60,
                "created_at": NOW,
                "updated_at": NOW,
            },
        ],
        "contact_sources": [
            {
                "id": 1,
                "name": None,
                "rotation_strategy": "random",
                "sender_profiles": [],
                "after_id": 2,
                "active_limit": None,
                "coworkers_limit": 5,
                "mass_actions_filter": None,
                "filter_tree_format": None,
            }
        ],
    }
    nodes, sources = from_api_version(version, name_of=name_of)
    assert nodes == [
        {"id": 1, "type": "end"},
        {
            "id": 2,
            "type": "linkedin_visit_profile",
            "delay_in_seconds": 60,
            "after": [{"node_id": 1, "branch_id": 1}],
        },
    ]
    assert sources == [
        {
            "id": 1,
            "rotation_strategy": "random",
            "sender_profiles": [],
            "after_id": 2,
            "coworkers_limit": 5,
        }
    ]


def test_from_api_copies_nested_values_and_keeps_scalars() -> None:
    """The live side's nodes share no mutable value with the version they came from (the
    version is hashed into the live fingerprint after conversion)."""
    rule = {"jsonLogic": {"and": [{"var": "x"}]}}
    filt = {"or": [1, 2]}
    version = {
        "nodes": [
            {"id": 1, "type": "end"},
            {
                "id": 2,
                "type": "linkedin_send_message",
                "after": [{"node_id": 1, "branch_id": 1}],
                "payload": {"template": "Hi", "rule": rule, "delay": 3, "on": True, "r": 0.5},
            },
        ],
        "contact_sources": [{"id": 1, "after_id": 2, "mass_actions_filter": filt}],
    }
    before = copy.deepcopy(version)
    nodes, sources = from_api_version(version, name_of=name_of)
    payload = nodes[1]["payload"]
    assert payload == {"template": "Hi", "rule": rule, "delay": 3, "on": True, "r": 0.5}
    assert payload["rule"] is not rule
    assert payload["rule"]["jsonLogic"]["and"][0] is not rule["jsonLogic"]["and"][0]
    assert sources[0]["mass_actions_filter"] == filt
    assert sources[0]["mass_actions_filter"] is not filt
    payload["rule"]["jsonLogic"]["and"].append("changed")
    sources[0]["mass_actions_filter"]["or"].append(3)
    assert version == before


def test_unknown_uuids_are_kept_raw() -> None:
    version = {
        "nodes": [
            {"id": 1, "type": "end", "payload": []},
            {
                "id": 2,
                "type": "gs_add_tag",
                "payload": {"tag_uuid": "dead-beef"},
                "after": [{"node_id": 3, "branch_id": 1}],
            },
            {
                "id": 3,
                "type": "gs_remove_from_all_automations",
                "payload": {"flow_uuids": ["uuid:flow:A", "gone"]},
                "after": [{"node_id": 4, "branch_id": 1}],
            },
            {
                "id": 4,
                "type": "gs_send_to_flow",
                "payload": {"flow_uuid": "uuid:flow:B", "template_uuid": None},
                "after": [{"node_id": 1, "branch_id": 1}],
            },
        ],
        "contact_sources": [
            {"id": 1, "sender_profiles": ["uuid:sender_profile:Anna", "lost"], "after_id": 2}
        ],
    }
    nodes, sources = from_api_version(version, name_of=name_of)
    assert nodes[1]["payload"] == {"tag_uuid": "dead-beef"}
    assert nodes[2]["payload"] == {"flow_uuids": ["uuid:flow:A", "gone"]}  # whole list kept
    assert nodes[3]["payload"] == {"flow": "B"}  # null reference dropped
    assert sources[0]["sender_profiles"] == ["Anna", "lost"]
    # ... and the diff against a manifest naming the tag shows it
    desired = copy.deepcopy(nodes)
    desired[1]["payload"] = {"tag": "Warm"}
    assert diff_graph((desired, sources), (nodes, sources)) == [
        {
            "op": "change",
            "node_id": 2,
            "type": "gs_add_tag",
            "fields": ["payload.tag", "payload.tag_uuid"],
            "values": {
                "payload.tag": {"before": None, "after": "Warm"},
                "payload.tag_uuid": {"before": "dead-beef", "after": None},
            },
        }
    ]


# ---------------------------------------------------------------- canonical


@pytest.mark.parametrize("nodes", [LINEAR, FILTER_FLOW, DIAMOND])
def test_canonical_ignores_numbering_and_edge_order(nodes: list[dict[str, Any]]) -> None:
    ids = [n["id"] for n in nodes]
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    mapping = {old: new * 10 + 3 for old, new in zip(ids, shuffled, strict=True)}
    assert canonical(*renumber(nodes, SRC, mapping)) == canonical(nodes, SRC)


def test_canonical_of_filter_flow_by_hand() -> None:
    # preorder from the entry (2), branch 0 before branch 1:
    # 0 visit, 1 filter, 2 tag (else), 3 end(6), 4 message (match), 5 end(1)
    assert canonical(FILTER_FLOW, SRC) == {
        "nodes": [
            {"type": "linkedin_visit_profile", "after": [[1, 1]]},
            {
                "type": "rule_filter",
                "payload": {"branches": [{"filters": {"json_logic": {}}}]},
                "after": [[0, 2], [1, 4]],
            },
            {
                "type": "gs_add_tag",
                "payload": {"tag": "cold"},
                "delay_in_seconds": 3600,
                "after": [[1, 3]],
            },
            {"type": "end"},
            {
                "type": "linkedin_send_message",
                "payload": {"template": "Hi", "ai_template": "Intro"},
                "after": [[1, 5]],
            },
            {"type": "end"},
        ],
        "contact_sources": [{"sender_profiles": ["Anna - EU"], "after": 0}],
    }


def test_canonical_defaults_and_equivalent_spellings() -> None:
    spelled_out = [
        node(1, "end", payload=[], delay_in_seconds=0, after=[]),
        node(
            2,
            "linkedin_send_message",
            (3, 1),
            payload={"template": "Thanks, {{first_name}}!", "ai_template": None},
        ),
        node(3, "gs_add_tag", (1, 1), payload={"tag": "WARM"}),
    ]
    sources = [
        {"rotation_strategy": "fair", "name": None, "sender_profiles": ["Anna - EU"], "after_id": 2}
    ]
    assert canonical(spelled_out, sources) == canonical(LINEAR, SRC)
    stage = [
        node(1, "end"),
        node(2, "gs_change_pipeline_stage", (1, 1), payload={"pipeline_stage": "Interested"}),
    ]
    stage_long = [
        node(1, "end"),
        node(2, "gs_change_pipeline_stage", (1, 1), payload={"pipeline_stage": "lead/Interested"}),
    ]
    assert canonical(stage, SRC) == canonical(stage_long, SRC)


def test_canonical_sender_profile_order_does_not_count() -> None:
    a = [{"sender_profiles": ["A", "B"], "after_id": 2}]
    b = [{"sender_profiles": ["B", "A"], "after_id": 2}]
    assert canonical(LINEAR, a) == canonical(LINEAR, b)


def _changed(change: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes, sources = copy.deepcopy(FILTER_FLOW), copy.deepcopy(SRC)
    if change == "type":
        nodes[1]["type"] = "linkedin_like_latest_post"
    elif change == "payload":
        nodes[3]["payload"]["template"] = "Hello"
    elif change == "payload_ref":
        nodes[3]["payload"]["ai_template"] = "Other"
    elif change == "delay":
        nodes[4]["delay_in_seconds"] = 7200
    elif change == "target":
        nodes[3]["after"] = [
            {"node_id": 6, "branch_id": 1}
        ]  # message now ends at end 6, end 1 orphaned
    elif change == "branch":
        nodes[2]["after"] = [{"node_id": 4, "branch_id": 0}, {"node_id": 5, "branch_id": 1}]
    elif change == "rotation":
        sources[0]["rotation_strategy"] = "random"
    elif change == "profiles":
        sources[0]["sender_profiles"].append("Bob - US")
    elif change == "limit":
        sources[0]["active_limit"] = 50
    elif change == "entry":
        sources[0]["after_id"] = 3
    elif change == "extra_source":
        sources.append({"sender_profiles": [], "after_id": 2})
    elif change == "extra_unreachable_node":
        nodes.append(node(7, "end"))
    return nodes, sources


CHANGES = [
    "type",
    "payload",
    "payload_ref",
    "delay",
    "target",
    "branch",
    "rotation",
    "profiles",
    "limit",
    "entry",
    "extra_source",
    "extra_unreachable_node",
]


@pytest.mark.parametrize("change", CHANGES)
def test_canonical_differs_under_each_real_change(change: str) -> None:
    assert canonical(*_changed(change)) != canonical(FILTER_FLOW, SRC)


def test_unreachable_nodes_count_and_are_stable() -> None:
    a = [*FILTER_FLOW, node(7, "linkedin_visit_profile", (8, 1)), node(8, "end")]
    b = [*FILTER_FLOW, node(8, "linkedin_visit_profile", (7, 1)), node(7, "end")]
    c = [*FILTER_FLOW, node(7, "linkedin_like_latest_post", (8, 1)), node(8, "end")]
    assert canonical(a, SRC) == canonical(list(reversed(b)), SRC)
    assert canonical(a, SRC) != canonical(c, SRC)


def test_canonical_sources_with_equal_settings_are_told_apart_by_structure() -> None:
    # Two identical sources enter identical-looking messages; only one message is also
    # reached from a third source. Listing the twin sources either way gives one form.
    nodes = [
        node(1, "end"),
        node(2, "linkedin_send_message", (1, 1), payload={"template": "a"}),
        node(3, "linkedin_send_message", (1, 1), payload={"template": "a"}),
        node(4, "linkedin_visit_profile", (2, 1)),
    ]
    s2 = {"sender_profiles": ["A"], "after_id": 2}
    s3 = {"sender_profiles": ["A"], "after_id": 3}
    s4 = {"rotation_strategy": "random", "sender_profiles": ["B"], "after_id": 4}
    assert canonical(nodes, [s2, s3, s4]) == canonical(nodes, [s3, s2, s4])
    assert canonical(nodes, [s2, s3, s4]) == canonical(nodes, [s4, s3, s2])


def test_canonical_accepts_api_shape() -> None:
    """flowops compares a body it sent with the version read back: same form."""
    body = to_api_version(
        LINEAR, [{"sender_profiles": ["Anna - EU"], "after_id": 2}], resolve=resolve, now=NOW
    )
    read_back = copy.deepcopy(body)
    read_back["contact_sources"][0]["id"] = 1
    read_back["nodes"][0]["payload"] = []
    read_back["nodes"][0]["updated_at"] = "later"
    assert canonical(body["nodes"], body["contact_sources"]) == canonical(
        read_back["nodes"], read_back["contact_sources"]
    )


# ---------------------------------------------------------------- diff_graph


def test_diff_nothing_for_renumbering() -> None:
    for nodes in (LINEAR, FILTER_FLOW, DIAMOND):
        mapping = {n["id"]: 100 - n["id"] for n in nodes}
        assert diff_graph((nodes, SRC), renumber(nodes, SRC, mapping)) == []


def test_diff_change_of_a_message() -> None:
    desired = copy.deepcopy(FILTER_FLOW)
    desired[3]["payload"]["template"] = "Hello again"
    live = renumber(FILTER_FLOW, SRC, {1: 11, 2: 12, 3: 13, 4: 14, 5: 15, 6: 16})
    assert diff_graph((desired, SRC), live) == [
        {
            "op": "change",
            "node_id": 4,
            "type": "linkedin_send_message",
            "fields": ["payload.template"],
            "values": {"payload.template": {"before": "Hi", "after": "Hello again"}},
        }
    ]


def test_diff_delay_and_reference_change() -> None:
    desired = copy.deepcopy(FILTER_FLOW)
    desired[4]["delay_in_seconds"] = 60
    desired[3]["payload"]["ai_template"] = "Other"
    assert diff_graph((desired, SRC), (FILTER_FLOW, SRC)) == [
        {
            "op": "change",
            "node_id": 5,
            "type": "gs_add_tag",
            "fields": ["delay_in_seconds"],
            "values": {"delay_in_seconds": {"before": 3600, "after": 60}},
        },
        {
            "op": "change",
            "node_id": 4,
            "type": "linkedin_send_message",
            "fields": ["payload.ai_template"],
            "values": {"payload.ai_template": {"before": "Intro", "after": "Other"}},
        },
    ]


def test_diff_added_step() -> None:
    # desired: message(2) -> visit(4) -> tag(3) -> end(1); live: message -> tag -> end
    desired = [
        node(1, "end"),
        node(2, "linkedin_send_message", (4, 1), payload={"template": "Thanks, {{first_name}}!"}),
        node(3, "gs_add_tag", (1, 1), payload={"tag": "Warm"}),
        node(4, "linkedin_visit_profile", (3, 1)),
    ]
    assert diff_graph((desired, SRC), (LINEAR, SRC)) == [
        {
            "op": "change",
            "node_id": 2,
            "type": "linkedin_send_message",
            "fields": ["after"],
            "values": {
                "after": {
                    "before": [{"node_id": 3, "branch_id": 1}],
                    "after": [{"node_id": 4, "branch_id": 1}],
                }
            },
        },
        {
            "op": "add",
            "node_id": 4,
            "type": "linkedin_visit_profile",
            "fields": [],
            "in": [{"node_id": 2, "branch_id": 1}],
        },
    ]


def test_diff_removed_step_reports_the_live_id() -> None:
    live_nodes = [
        node(13, "end"),
        node(10, "linkedin_send_message", (11, 1), payload={"template": "Thanks, {{first_name}}!"}),
        node(11, "linkedin_visit_profile", (12, 1)),
        node(12, "gs_add_tag", (13, 1), payload={"tag": "Warm"}),
    ]
    live_sources = [{"id": 1, "sender_profiles": ["Anna - EU"], "after_id": 10}]
    # edges in desired ids: live 10 is node 2, live 12 is node 3; 11 has no partner
    assert diff_graph((LINEAR, SRC), (live_nodes, live_sources)) == [
        {
            "op": "change",
            "node_id": 2,
            "type": "linkedin_send_message",
            "fields": ["after"],
            "values": {
                "after": {
                    "before": [{"node_id": 11, "branch_id": 1, "removed": True}],
                    "after": [{"node_id": 3, "branch_id": 1}],
                }
            },
        },
        {
            "op": "remove",
            "node_id": 11,
            "type": "linkedin_visit_profile",
            "fields": [],
            "in": [{"node_id": 2, "branch_id": 1}],
            "out": [{"node_id": 3, "branch_id": 1}],
        },
    ]


def test_diff_replaced_step_of_another_type() -> None:
    desired = copy.deepcopy(LINEAR)
    desired[2] = node(3, "gs_remove_tag", (1, 1), payload={"tag": "Warm"})
    assert diff_graph((desired, SRC), (LINEAR, SRC)) == [
        {
            "op": "change",
            "node_id": 2,
            "type": "linkedin_send_message",
            "fields": ["after"],
            "values": {
                "after": {
                    "before": [{"node_id": 3, "branch_id": 1, "removed": True}],
                    "after": [{"node_id": 3, "branch_id": 1}],
                }
            },
        },
        {
            "op": "add",
            "node_id": 3,
            "type": "gs_remove_tag",
            "fields": [],
            "in": [{"node_id": 2, "branch_id": 1}],
        },
        {
            "op": "remove",
            "node_id": 3,
            "type": "gs_add_tag",
            "fields": [],
            "in": [{"node_id": 2, "branch_id": 1}],
            "out": [{"node_id": 1, "branch_id": 1}],
        },
    ]


def test_diff_branch_swap() -> None:
    desired = copy.deepcopy(DIAMOND)
    desired[1]["after"] = [{"node_id": 3, "branch_id": 0}, {"node_id": 4, "branch_id": 1}]
    assert diff_graph((desired, SRC), (DIAMOND, SRC)) == [
        {
            "op": "change",
            "node_id": 2,
            "type": "rule_filter",
            "fields": ["after"],
            "values": {
                "after": {
                    "before": [{"node_id": 4, "branch_id": 0}, {"node_id": 3, "branch_id": 1}],
                    "after": [{"node_id": 3, "branch_id": 0}, {"node_id": 4, "branch_id": 1}],
                }
            },
        }
    ]


def test_diff_contact_sources() -> None:
    changed = [dict(SRC[0], rotation_strategy="random", sender_profiles=["Bob", "Anna - EU"])]
    assert diff_graph((LINEAR, changed), (LINEAR, SRC)) == [
        {
            "op": "change",
            "contact_source": 1,
            "fields": ["rotation_strategy", "sender_profiles"],
            "values": {
                "rotation_strategy": {"before": "fair", "after": "random"},
                "sender_profiles": {"before": ["Anna - EU"], "after": ["Anna - EU", "Bob"]},
            },
        }
    ]
    more = [*SRC, {"id": 2, "sender_profiles": [], "after_id": 3}]
    assert diff_graph((LINEAR, more), (LINEAR, SRC)) == [
        {"op": "add", "contact_source": 2, "fields": []}
    ]
    assert diff_graph((LINEAR, SRC), (LINEAR, more)) == [
        {"op": "remove", "contact_source": 2, "fields": []}
    ]
    moved = [dict(SRC[0], after_id=3)]
    # the message (now unreachable) pairs with its live twin; only the entry moved
    assert diff_graph((LINEAR, moved), (LINEAR, SRC)) == [
        {"op": "change", "contact_source": 1, "fields": ["after_id"]}
    ]


@pytest.mark.parametrize("change", CHANGES)
def test_diff_empty_iff_canonical_equal(change: str) -> None:
    changed = _changed(change)
    steps = diff_graph(changed, (FILTER_FLOW, SRC))
    assert steps != []
    for step in steps:
        assert step["op"] in ("add", "remove", "change")
    assert diff_graph(changed, renumber(*changed, {i: i + 40 for i in range(1, 9)})) == []


# ---------------------------------------------------------------- randomised properties


def _random_flow(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A random DAG in flow shape (not necessarily valid: canonical must not care)."""
    size = rng.randint(3, 12)
    nodes: list[dict[str, Any]] = []
    for i in range(size):
        later = list(range(i + 1, size))
        if not later:
            nodes.append(node(i + 1, "end"))
            continue
        kind = rng.choice(
            ["linkedin_send_message", "linkedin_visit_profile", "rule_filter", "rule_ab_test"]
        )
        branches = {"rule_filter": [1, 0], "rule_ab_test": [1, 2]}.get(kind, [1])
        edges = [(rng.choice(later) + 1, b) for b in branches]
        payload = {"template": rng.choice(["a", "b"])} if kind == "linkedin_send_message" else None
        nodes.append(node(i + 1, kind, *edges, **({"payload": payload} if payload else {})))
    sources = [
        {
            "rotation_strategy": rng.choice(["fair", "random"]),
            "sender_profiles": ["A"],
            "after_id": rng.randint(1, size),
        }
        for _ in range(rng.randint(1, 2))
    ]
    return nodes, sources


def _scramble(
    rng: random.Random, nodes: list[dict[str, Any]], sources: list[dict[str, Any]]
) -> Any:
    ids = [n["id"] for n in nodes]
    new_ids = rng.sample(range(1, 1000), len(ids))
    mapping = dict(zip(ids, new_ids, strict=True))
    out = []
    for n in copy.deepcopy(nodes):
        n["id"] = mapping[n["id"]]
        for e in n.get("after", []):
            e["node_id"] = mapping[e["node_id"]]
        rng.shuffle(n.get("after", []))
        out.append(n)
    rng.shuffle(out)
    srcs = [dict(s, after_id=mapping[s["after_id"]]) for s in sources]
    rng.shuffle(srcs)
    return out, srcs


def test_random_graphs_renumbered_and_shuffled_compare_equal() -> None:
    rng = random.Random(2024)
    for _ in range(150):
        flow = _random_flow(rng)
        other = _scramble(rng, *flow)
        assert canonical(*other) == canonical(*flow)
        assert diff_graph(flow, other) == []


def test_random_graphs_one_edit_is_seen_and_located() -> None:
    rng = random.Random(99)
    for _ in range(150):
        nodes, sources = _random_flow(rng)
        edited = copy.deepcopy(nodes)
        victim = rng.choice(edited)
        victim["payload"] = {"template": "edited"}
        steps = diff_graph((edited, sources), _scramble(rng, nodes, sources))
        assert canonical(edited, sources) != canonical(nodes, sources)
        assert victim["id"] in [s.get("node_id") for s in steps]
