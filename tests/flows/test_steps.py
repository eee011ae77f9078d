"""gsctl.steps: the friendly step list compiled to nodes; its errors located in manifests
(exact ``path:LINE:COL:``); a flow written with steps applied to the emulator over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e import api, objects, plan_json, run, write

from gsctl.flows import steps
from gsctl.flows.graph import check_graph
from gsctl.flows.steps import STEPS, compile_flow, source_path
from gsctl.manifests import schema
from gsctl.manifests.validate import validate_paths
from gsctl.model import Origin

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
VALID = FIXTURES / "steps_valid.yaml"
END = {"id": 1, "type": "end"}
TO_END = [{"node_id": 1, "branch_id": 1}]


def _nodes(*step_list: Any, **flow: Any) -> list[dict[str, Any]]:
    out = compile_flow(list(step_list), flow)
    assert out.problems == []
    return out.fields["nodes"]


# --- the compiler -----------------------------------------------------------------------------

FORMS: list[tuple[Any, str, dict[str, Any] | None]] = [
    ("visit_profile", "linkedin_visit_profile", None),
    ("connect", "linkedin_send_connection_request", None),
    ({"connect": None}, "linkedin_send_connection_request", None),
    ({"connect": {"note": "Hi"}}, "linkedin_send_connection_request", {"template": "Hi"}),
    ({"connect": {"ai_template": "Intro"}}, "linkedin_send_connection_request",
     {"ai_template": "Intro"}),
    ({"message": {"text": "Hi"}}, "linkedin_send_message", {"template": "Hi"}),
    ({"message": {"ai_template": "Intro"}}, "linkedin_send_message", {"ai_template": "Intro"}),
    ({"inmail": {"subject": "S", "text": "T"}}, "linkedin_send_inmail",
     {"subject": "S", "template": "T"}),
    ({"inmail": {"ai_template": "Intro"}}, "linkedin_send_inmail", {"ai_template": "Intro"}),
    ({"email": {"subject": "S", "text": "T"}}, "email_send_message",
     {"subject": "S", "template": "T"}),
    ({"email": {"ai_template": "Intro"}}, "email_send_message", {"ai_template": "Intro"}),
    ("like_post", "linkedin_like_latest_post", None),
    ("endorse_skills", "linkedin_endorse_skills", None),
    ({"add_tag": {"tag": "Warm"}}, "gs_add_tag", {"tag": "Warm"}),
    ({"remove_tag": {"tag": "Warm"}}, "gs_remove_tag", {"tag": "Warm"}),
    ({"change_stage": {"pipeline_stage": "lead/Won"}}, "gs_change_pipeline_stage",
     {"pipeline_stage": "lead/Won"}),
    ({"add_to_list": {"list": "Leads"}}, "gs_change_list", {"list": "Leads"}),
    ({"send_to_flow": {"flow": "Nurture"}}, "gs_send_to_flow", {"flow": "Nurture"}),
    ({"webhook": {"webhook": "CRM"}}, "gs_trigger_custom_webhook", {"webhook": "CRM"}),
]  # fmt: skip


@pytest.mark.parametrize(("step", "node_type", "payload"), FORMS, ids=str)
def test_every_step_form_compiles_to_its_node(
    step: Any, node_type: str, payload: dict[str, Any] | None
) -> None:
    node: dict[str, Any] = {"id": 2, "type": node_type}
    if payload is not None:
        node["payload"] = payload
    assert _nodes(step) == [END, {**node, "after": TO_END}]


def test_the_forms_cover_the_whole_table() -> None:
    names = {s if isinstance(s, str) else next(iter(s)) for s, _, _ in FORMS}
    assert names == set(STEPS)
    assert (*STEPS, "wait") == steps.NAMES


def test_steps_are_chained_in_order_to_the_end_node() -> None:
    nodes = _nodes("visit_profile", {"message": {"text": "Hi"}}, "like_post")
    assert nodes == [
        END,
        {"id": 2, "type": "linkedin_visit_profile", "after": [{"node_id": 3, "branch_id": 1}]},
        {"id": 3, "type": "linkedin_send_message", "payload": {"template": "Hi"},
         "after": [{"node_id": 4, "branch_id": 1}]},
        {"id": 4, "type": "linkedin_like_latest_post", "after": TO_END},
    ]  # fmt: skip
    sources = [{"sender_profiles": ["Anna - EU"], "after_id": 2}]
    assert check_graph(nodes, sources) == []  # valid by the same rules as written nodes


def test_waits_add_up_and_delay_the_next_step() -> None:
    out = compile_flow(
        [
            {"wait": {"minutes": 5}},
            "visit_profile",
            {"wait": {"days": 1, "hours": 2}},
            {"wait": {"minutes": 30}},
            {"message": {"text": "Hi"}},
            {"wait": {"days": 0}},
            "like_post",
            "endorse_skills",
        ],
        {},
    )
    assert out.problems == []
    delays = [n.get("delay_in_seconds") for n in out.fields["nodes"]]
    assert delays == [None, 300, 86400 + 7200 + 1800, None, None]
    assert [n["id"] for n in out.fields["nodes"]] == [1, 2, 3, 4, 5]  # waits make no node
    assert out.origins[("nodes", 1, "delay_in_seconds")] == ("steps", 0, "wait")
    assert out.origins[("nodes", 2, "delay_in_seconds")] == ("steps", 2, "wait")


def test_a_trailing_wait_is_an_error() -> None:
    out = compile_flow(["visit_profile", {"wait": {"days": 1}}, {"wait": {"hours": 1}}], {})
    msg = "a wait must be followed by a step: a trailing wait has nothing to delay"
    assert out.problems == [(("steps", 1), msg)]
    assert out.fields == {} and out.origins == {}


def test_unknown_step_names_suggest_the_closest() -> None:
    out = compile_flow(["visit_profil", {"mesage": {"text": "Hi"}}, "fly", "like_post"], {})
    names = ", ".join(steps.NAMES)
    assert out.problems == [
        (("steps", 0), "unknown step 'visit_profil' (did you mean 'visit_profile'?)"),
        (("steps", 1), "unknown step 'mesage' (did you mean 'message'?)"),
        (("steps", 2), f"unknown step 'fly'; expected one of: {names}"),
    ]
    assert out.fields == {}


def test_steps_and_nodes_together_is_an_error() -> None:
    nodes = [END]
    out = compile_flow(["visit_profile"], {"nodes": nodes})
    assert out.problems == [(("steps",), "write either steps or nodes, not both")]
    assert out.fields == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [([], "a flow needs at least one step"), ("visit_profile", "steps must be a list of steps"),
     (None, "steps must be a list of steps")],
)  # fmt: skip
def test_empty_or_non_list_steps(value: Any, message: str) -> None:
    assert compile_flow(value, {}).problems == [(("steps",), message)]


@pytest.mark.parametrize(
    ("step", "path", "message"),
    [
        ({"message": None, "text": "Hi"}, (), "a step mapping has exactly one key, the step name,"
         " with its settings indented under it (got keys: message, text)"),
        ({}, (), "a step mapping has exactly one key, the step name, with its settings indented"
         " under it (got keys: none)"),
        (42, (), "a step is a name (visit_profile) or a mapping name: {settings}"
         " (message: {text: ...})"),
        ("message", (), "message needs text or ai_template: message: {text: ...}"),
        ({"message": {}}, ("message",), "message needs text or ai_template: message: {text: ...}"),
        ({"email": {"subject": "S"}}, ("email",),
         "email needs text or ai_template: email: {text: ...}"),
        ({"add_tag": None}, ("add_tag",), "add_tag needs tag: add_tag: {tag: ...}"),
        ({"message": {"text": "a", "ai_template": "b"}}, ("message",),
         "write either text or ai_template, not both"),
        ({"connect": {"note": "a", "ai_template": "b"}}, ("connect",),
         "write either note or ai_template, not both"),
        ({"connect": {"nte": "a"}}, ("connect", "nte"),
         "unknown connect setting 'nte' (did you mean 'note'?)"),
        ({"add_tag": {"tag": "W", "color": "red"}}, ("add_tag", "color"),
         "unknown add_tag setting 'color'; expected one of: tag"),
        ({"visit_profile": {"fast": True}}, ("visit_profile",),
         "visit_profile has no settings: write it as a bare name"),
        ({"add_tag": "Warm"}, ("add_tag",),
         "the settings of add_tag must be a mapping: add_tag: {tag: ...}"),
        ("wait", (), "wait needs at least one of days, hours, minutes: wait: {days: 2}"),
        ({"wait": {}}, ("wait",),
         "wait needs at least one of days, hours, minutes: wait: {days: 2}"),
        ({"wait": {"days": -1}}, ("wait", "days"), "days must be an integer >= 0"),
        ({"wait": {"hours": True}}, ("wait", "hours"), "hours must be an integer >= 0"),
        ({"wait": {"minutes": "5"}}, ("wait", "minutes"), "minutes must be an integer >= 0"),
        ({"wait": {"weeks": 1}}, ("wait", "weeks"),
         "unknown wait unit 'weeks'; expected one of: days, hours, minutes"),
    ],
)  # fmt: skip
def test_malformed_steps_are_problems_not_exceptions(step: Any, path: Any, message: str) -> None:
    out = compile_flow([step, "visit_profile"], {})
    assert out.problems == [(("steps", 0, *path), message)]
    assert out.fields == {} and out.origins == {}


def test_after_id_defaults_to_the_first_step_and_sources_stay_as_written() -> None:
    sources = [
        {"id": 1, "sender_profiles": ["Anna - EU"]},
        {"id": 2, "sender_profiles": ["Ben - US"], "after_id": None},
        {"id": 3, "sender_profiles": ["Cleo - UK"], "after_id": 3, "rotation_strategy": "random"},
    ]
    out = compile_flow(["visit_profile", "like_post"], {"contact_sources": sources})
    assert out.fields["contact_sources"] == [
        {"id": 1, "sender_profiles": ["Anna - EU"], "after_id": 2},
        {"id": 2, "sender_profiles": ["Ben - US"], "after_id": 2},
        sources[2],
    ]
    assert "after_id" not in sources[0]  # the input is not changed
    assert set(compile_flow(["like_post"], {}).fields) == {"nodes"}


def test_origins_map_compiled_values_back_to_their_step() -> None:
    out = compile_flow(["visit_profile", {"wait": {"days": 1}}, {"message": {"text": "Hi"}}], {})
    assert source_path(("nodes", 2, "payload", "template"), out.origins) == (
        "steps", 2, "message", "text"
    )  # fmt: skip
    assert source_path(("nodes", 2, "after", 0), out.origins) == ("steps", 2, "after", 0)
    assert source_path(("nodes", 1), out.origins) == ("steps", 0)  # a bare name
    assert source_path(("nodes", 2, "delay_in_seconds"), out.origins) == ("steps", 1, "wait")
    assert source_path(("nodes", 0), out.origins) == ("steps",)  # the end node
    assert source_path(("contact_sources", 0), out.origins) == ("contact_sources", 0)
    assert source_path(("name",), {}) == ("name",)


def test_schema_offers_every_step_and_its_settings() -> None:
    doc = schema.load_schema("flow")
    step = doc["$defs"]["step"]
    assert list(step["properties"]) == list(steps.NAMES)
    assert step["examples"] == [name for name, s in STEPS.items() if s.bare]
    for name, entry in STEPS.items():
        assert set(step["properties"][name]["properties"]) == set(entry.settings), name
        assert step["properties"][name]["description"]
    assert list(step["properties"]["wait"]["properties"]) == list(steps.WAIT_UNITS)
    node_types = doc["$defs"]["node"]["properties"]["type"]["enum"]
    assert {s.node_type for s in STEPS.values()} <= set(node_types)
    assert doc["properties"]["steps"]["items"] == {"$ref": "#/$defs/step"}
    assert doc["$defs"]["contact_source"]["required"] == ["sender_profiles"]  # after_id optional


# --- in manifests: located errors and the valid fixture ---------------------------------------


def _expected(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{path}:{line.removeprefix('# expect: ')}" for line in lines if "# expect: " in line]


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "invalid").glob("steps_*.yaml")), ids=lambda p: p.name
)
def test_step_errors_are_located_at_the_step(path: Path) -> None:
    desired, diagnostics = validate_paths([str(path)], env={})
    assert desired is None
    expected = _expected(path)
    assert expected, "a fixture must declare what it expects"
    assert [str(d) for d in diagnostics] == expected


def test_the_step_fixtures_exist() -> None:
    names = {p.name for p in (FIXTURES / "invalid").glob("steps_*.yaml")}
    assert names >= {"steps_unknown.yaml", "steps_and_nodes.yaml", "steps_waits.yaml"}


def test_valid_fixture_compiles_every_step_form() -> None:
    desired, diagnostics = validate_paths([str(VALID)], env={})
    assert diagnostics == [] and desired is not None
    flow = next(r for r in desired.by_kind("flow") if r.name == "Every step")
    assert "steps" not in flow.fields
    nodes = flow.fields["nodes"]
    assert [n["type"] for n in nodes] == [
        "end",
        "linkedin_visit_profile",
        *["linkedin_send_connection_request"] * 3,
        *["linkedin_send_message"] * 2,
        *["linkedin_send_inmail"] * 2,
        *["email_send_message"] * 2,
        "linkedin_like_latest_post",
        "linkedin_endorse_skills",
        "gs_add_tag",
        "gs_remove_tag",
        "gs_change_pipeline_stage",
        "gs_change_list",
        "gs_send_to_flow",
        "gs_trigger_custom_webhook",
    ]
    assert [n.get("delay_in_seconds") for n in nodes[1:7]] == [300, None, None, None, 95400, None]
    assert nodes[3]["payload"] == {"template": "Hi {{first_name}}, about Acme"}  # interpolated
    assert nodes[9]["payload"] == {"subject": "Acme demo", "template": "Hello {{first_name}}"}
    assert [s["after_id"] for s in flow.fields["contact_sources"]] == [2, 2]
    path = str(VALID)
    assert flow.origins[("nodes", 3, "payload", "template")] == Origin(path, 34, 25)
    assert flow.origins[("nodes", 5, "delay_in_seconds")] == Origin(path, 36, 15)
    assert flow.origin_of(("nodes", 2)) == Origin(path, 33, 9)


# --- end to end against the emulator ----------------------------------------------------------

FLOW = """
version: 1
tags:
  - name: Warm
flows:
  - name: Straight
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU]}
    steps:
      - visit_profile
      - wait: {days: 1}
      - connect: {note: "Hi {{first_name}}"}
      - wait: {hours: 2}
      - wait: {minutes: 30}
      - message: {text: "Thanks for connecting!"}
      - add_tag: {tag: Warm}
"""


def _active_chain(emulator: Any, name: str) -> tuple[list[dict[str, Any]], int]:
    """The active version's nodes from the entry to the end node, and the version count."""
    flow = next(f for f in objects(emulator, "flow") if f["name"] == name)
    versions = api(emulator, "GET", f"/flows/api/flows/{flow['uuid']}/flow-versions")["data"]
    active = next(v for v in versions if v["uuid"] == flow["flow_version_uuid"])
    by_id = {n["id"]: n for n in active["nodes"]}
    chain, node_id = [], active["contact_sources"][0]["after_id"]
    while True:
        chain.append(by_id[node_id])
        if by_id[node_id]["type"] == "end":
            return chain, len(versions)
        (edge,) = by_id[node_id]["after"]
        node_id = edge["node_id"]


def test_a_flow_written_with_steps_applies_and_converges(emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    chain, count = _active_chain(emulator, "Straight")
    assert [(n["type"], n["delay_in_seconds"]) for n in chain] == [
        ("linkedin_visit_profile", 0),
        ("linkedin_send_connection_request", 86400),
        ("linkedin_send_message", 9000),
        ("gs_add_tag", 0),
        ("end", 0),
    ]
    warm = next(t for t in objects(emulator, "tag") if t["name"] == "Warm")
    assert chain[3]["payload"] == {"tag_uuid": warm["uuid"]}
    assert chain[2]["payload"] == {"template": "Thanks for connecting!"}
    again = run(emulator, "plan", str(tmp_path), "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    write(tmp_path, "ws.yaml", FLOW.replace("Thanks for connecting!", "Glad we connected!"))
    plan = plan_json(emulator, tmp_path)
    [change] = plan["changes"]
    assert (change["action"], change["name"]) == ("update", "Straight")
    assert [(s["op"], s["type"]) for s in change["steps"]] == [("change", "linkedin_send_message")]
    start = len(emulator.requests)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    writes = [(r.method, r.path) for r in emulator.requests[start:] if r.method != "GET"]
    assert len(writes) == 1 and writes[0][0] == "POST" and writes[0][1].endswith("/flow-versions")
    chain, after = _active_chain(emulator, "Straight")
    assert after == count + 1
    assert chain[2]["payload"] == {"template": "Glad we connected!"}
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
