"""Unit tests for deciding: pairing, actions, rename, protect, ignore_changes, prune, gates."""

from __future__ import annotations

from typing import Any

import pytest

from gsctl.api import kinds
from gsctl.errors import ManifestError
from gsctl.model import Desired, Origin, Resource, Secret, Settings
from gsctl.reconcile.changes import PlanOptions
from gsctl.reconcile.live import LiveState
from gsctl.reconcile.plan import build_plan


def res(kind: str, uuid: str | None = None, **fields: Any) -> Resource:
    k = kinds.KINDS[kind]
    controls = {
        c: fields.pop(c) for c in ("renamed_from", "protect", "ignore_changes") if c in fields
    }
    return Resource(
        kind=kind,
        name=kinds.display_name(k, fields),
        key=kinds.natural_key(k, fields),
        fields=fields,
        origin=None if uuid else Origin("m.yaml", 1, 3),
        uuid=uuid,
        renamed_from=controls.get("renamed_from"),
        protect=controls.get("protect", False),
        ignore_changes=tuple(controls.get("ignore_changes", ())),
    )


def desired(
    *resources: Resource, settings: Settings | None = None, mentioned: set[str] | None = None
) -> Desired:
    kinds_seen = {r.kind for r in resources} if mentioned is None else mentioned
    return Desired(list(resources), settings or Settings(), ["m.yaml"], frozenset(kinds_seen))


def live(*resources: Resource) -> LiveState:
    state = LiveState(fetched=frozenset(k.name for k in kinds.MANAGED))
    for r in resources:
        state.resources.setdefault(r.kind, []).append(r)
        state.raw.setdefault(r.kind, []).append({"uuid": r.uuid, **r.fields})
        state.names.add(r.kind, r.name, r.uuid or "")
    return state


def make(d: Desired, lv: LiveState, **opts: Any):
    return build_plan(d, lv, PlanOptions(**opts), team_id=1, api_url="emulator")


def actions(plan) -> list[tuple[str, str, str]]:
    return [(c.action, c.kind, c.name) for c in plan.changes]


def test_create_update_unchanged_and_unmanaged() -> None:
    d = desired(
        res("tag", name="Warm", color="#F4A300"),
        res("tag", name="Cold", color="#0000FF"),
        res("tag", name="New"),
    )
    lv = live(
        res("tag", "u1", name="Warm", color="#f4a300"),
        res("tag", "u2", name="Cold", color="#111111"),
        res("tag", "u3", name="Old", color=None),
    )
    plan = make(d, lv)
    assert actions(plan) == [("create", "tag", "New"), ("update", "tag", "Cold")]
    update = plan.changes[1]
    assert [(f.path, f.before, f.after) for f in update.fields] == [("color", "#111111", "#0000FF")]
    assert plan.unchanged == 1  # Warm: colour case differs only
    assert [r.name for r in plan.unmanaged] == ["Old"]
    assert plan.summary == {
        "create": 1,
        "update": 1,
        "replace": 0,
        "delete": 0,
        "unchanged": 1,
        "unmanaged": 1,
    }


def test_tag_names_pair_case_insensitively() -> None:
    plan = make(desired(res("tag", name="warm")), live(res("tag", "u1", name="Warm")))
    assert actions(plan) == [("update", "tag", "warm")]
    assert plan.changes[0].fields[0].path == "name"


def test_prune_turns_unmanaged_into_deletes() -> None:
    d = desired(res("tag", name="Keep"))
    lv = live(res("tag", "u1", name="Keep"), res("tag", "u2", name="Gone"))
    assert actions(make(d, lv)) == []
    plan = make(d, lv, prune=True)
    assert actions(plan) == [("delete", "tag", "Gone")]
    assert plan.changes[0].uuid == "u2"


def test_settings_prune_list_prunes_only_those_kinds() -> None:
    d = desired(
        res("tag", name="Keep"),
        res("flow_workspace", name="Inbound"),
        settings=Settings(prune=("flow_workspace",)),
    )
    lv = live(
        res("tag", "u1", name="Keep"),
        res("tag", "u2", name="Other"),
        res("flow_workspace", "w1", name="Inbound"),
        res("flow_workspace", "w2", name="Old"),
    )
    assert actions(make(d, lv)) == [("delete", "flow_workspace", "Old")]


def test_rename_is_an_update_of_name() -> None:
    d = desired(res("tag", name="Hot", color=None, renamed_from="Warm"))
    plan = make(d, live(res("tag", "u1", name="Warm", color=None)), prune=True)
    assert actions(plan) == [("update", "tag", "Hot")]
    assert [(f.path, f.before, f.after) for f in plan.changes[0].fields] == [
        ("name", "Warm", "Hot")
    ]
    assert plan.changes[0].uuid == "u1"


def test_create_only_change_is_a_refused_replace() -> None:
    d = desired(res("template", name="Intro", type="email", is_public=0))
    lv = live(res("template", "t1", name="Intro", type="message", is_public=0))
    plan = make(d, lv)
    assert actions(plan) == [("replace", "template", "Intro")]
    assert [v.gate for v in plan.violations] == ["replace"]
    assert plan.blocking(force=True)  # --force does not allow a replace
    assert not make(d, lv, allow_replace=True).violations


def test_protect_refuses_replace_even_when_allowed() -> None:
    d = desired(res("template", name="Intro", type="email", is_public=0, protect=True))
    lv = live(res("template", "t1", name="Intro", type="message", is_public=0))
    plan = make(d, lv, allow_replace=True)
    assert [v.gate for v in plan.violations] == ["protect"]
    assert not plan.violations[0].overridable


def test_ignore_changes_hides_drift() -> None:
    d = desired(res("tag", name="Warm", color="#000000", ignore_changes=["color"]))
    plan = make(d, live(res("tag", "u1", name="Warm", color="#FFFFFF")))
    assert actions(plan) == []
    assert plan.unchanged == 1


def test_threshold_counts_deletes_per_kind() -> None:
    lv = live(*[res("tag", f"u{i}", name=f"t{i}") for i in range(10)])
    keep7 = desired(*[res("tag", name=f"t{i}") for i in range(7)])
    assert make(keep7, lv, prune=True).violations == []  # 3 of 10 = 30% is allowed
    keep6 = desired(*[res("tag", name=f"t{i}") for i in range(6)])
    plan = make(keep6, lv, prune=True)  # 4 of 10 = 40%
    assert [v.gate for v in plan.violations] == ["threshold"]
    assert plan.blocking(force=False) and not plan.blocking(force=True)


def test_threshold_ignores_small_kinds() -> None:
    lv = live(*[res("tag", f"u{i}", name=f"t{i}") for i in range(9)])
    plan = make(desired(res("tag", name="t0")), lv, prune=True)
    assert len(plan.changes) == 8
    assert plan.violations == []


def test_emptied_kind_tripwire() -> None:
    lv = live(res("webhook", "h1", name="CRM", event="contact_created", target_url="https://x"))
    d = desired(res("tag", name="Warm"))  # no manifest mentions webhooks
    plan = make(d, lv, prune=True)
    assert [v.gate for v in plan.violations] == ["emptied"]
    confirmed = desired(res("tag", name="Warm"), mentioned={"tag", "webhook"})
    assert make(confirmed, lv, prune=True).violations == []


def test_only_limits_kinds_and_names() -> None:
    d = desired(res("tag", name="A"), res("tag", name="B"), res("flow_workspace", name="W"))
    plan = make(d, live(), only=("tag/b",))
    assert actions(plan) == [("create", "tag", "B")]
    plan = make(d, live(), only=("flow_workspaces",))
    assert actions(plan) == [("create", "flow_workspace", "W")]


def test_unknown_reference_is_located() -> None:
    agent = res("ai_agent", name="Classifier", llm="Missing")
    agent.origins[("llm",)] = Origin("agents.yaml", 4, 10)
    with pytest.raises(ManifestError) as err:
        make(desired(agent), live())
    assert str(err.value).startswith(
        'agents.yaml:4:10: ai_agent "Classifier": references llm_connection'
    )


def test_reference_to_live_object_outside_the_manifests_is_fine() -> None:
    d = desired(res("ai_agent", name="Classifier", llm="OpenAI"))
    lv = live(res("llm_connection", "l1", name="OpenAI", provider="openai"))
    assert actions(make(d, lv, only=("ai_agent",))) == [("create", "ai_agent", "Classifier")]


def test_secrets_are_compared_only_when_rotating() -> None:
    d = desired(res("llm_connection", name="OpenAI", provider="openai", api_key=Secret("sk-123")))
    lv = live(res("llm_connection", "l1", name="OpenAI", provider="openai", owner="customer"))
    assert actions(make(d, lv)) == []
    plan = make(d, lv, rotate_secrets=True)
    assert actions(plan) == [("update", "llm_connection", "OpenAI")]
    assert plan.changes[0].fields[0].sensitive
    assert "sk-123" not in str(plan.to_dict())


def test_changes_sorted_by_level_action_kind_name() -> None:
    d = desired(
        res("webhook", name="W", event="contact_created", target_url="https://x"),
        res("tag", name="b"),
        res("tag", name="a"),
        res("llm_connection", name="L", provider="openai", api_key=Secret("k")),
    )
    plan = make(d, live(res("tag", "u9", name="zz")), prune=True)
    assert actions(plan) == [
        ("create", "llm_connection", "L"),
        ("create", "tag", "a"),
        ("create", "tag", "b"),
        ("delete", "tag", "zz"),
        ("create", "webhook", "W"),
    ]


def test_only_does_not_count_declared_objects_outside_the_scope() -> None:
    flow = res("flow", name="F", workspace="Inbound", use_sender_schedule=True)
    flow.origins[("workspace",)] = Origin("flows.yaml", 3, 16)
    d = desired(res("flow_workspace", name="Inbound"), flow)
    assert actions(make(d, live())) == [
        ("create", "flow_workspace", "Inbound"),
        ("create", "flow", "F"),
    ]
    with pytest.raises(ManifestError) as err:
        make(d, live(), only=("flow",))
    assert str(err.value).startswith('flows.yaml:3:16: flow "F": references flow_workspace')
    assert "check --only" in str(err.value)
    lv = live(res("flow_workspace", "w1", name="Inbound"))
    assert actions(make(d, lv, only=("flow",))) == [("create", "flow", "F")]


def test_replace_adds_updates_that_repoint_referrers() -> None:
    d = desired(
        res("llm_connection", name="L", provider="anthropic", api_key=Secret("k")),
        res("ai_agent", name="A", llm="L"),
        res("ai_agent", name="B", llm=None),
    )
    lv = live(
        res("llm_connection", "l1", name="L", provider="openai", owner="customer"),
        res("ai_agent", "a1", name="A", llm="L"),
        res("ai_agent", "a2", name="B", llm=None),
    )
    plan = make(d, lv, allow_replace=True)
    assert actions(plan) == [("replace", "llm_connection", "L"), ("update", "ai_agent", "A")]
    [field] = plan.changes[1].fields
    assert (field.path, field.before, field.after) == ("llm", "L", "L")
    assert "replaced" in field.note
    assert plan.unchanged == 1  # B


def test_settings_protect_globs_refuse_deletes_and_replaces_declared_or_not() -> None:
    protect = (("tag", "VIP*"), ("custom_field", "lead/*"), ("template", "Intro"))
    d = desired(
        res("template", name="Intro", type="email", is_public=0),
        settings=Settings(prune=True, protect=protect),
        mentioned={"tag", "custom_field", "template"},
    )
    lv = live(
        res("tag", "u1", name="vip gold"),  # tag names compare case-insensitively
        res("tag", "u2", name="Cold"),
        res("custom_field", "u3", name="industry", object="lead"),
        res("custom_field", "u4", name="size", object="company"),
        res("template", "u5", name="Intro", type="message", is_public=0),
    )
    plan = make(d, lv, allow_replace=True, force=True)
    refused = [v.message for v in plan.violations if v.gate == "protect"]
    assert refused == [  # plan order: level 2 (custom_field before tag), then level 3
        'custom_field "lead/industry" is protected by settings.protect "custom_field/lead/*" '
        "and would be deleted; remove the pattern from settings.protect to allow it",
        'tag "vip gold" is protected by settings.protect "tag/VIP*" and would be deleted; '
        "remove the pattern from settings.protect to allow it",
        'template "Intro" is protected by settings.protect "template/Intro" and would be '
        "replaced; remove the pattern from settings.protect to allow it",
    ]
    assert all(not v.overridable for v in plan.violations if v.gate == "protect")
    assert plan.blocking(force=True)


def test_in_use_gate_uses_the_usage_reader() -> None:
    from gsctl.reconcile.changes import Usage

    d = desired(settings=Settings(prune=True), mentioned={"tag"})
    lv = live(res("tag", "u1", name="Cold"), res("tag", "u2", name="Warm"))
    asked: list[list[str]] = []

    def reader(changes):
        asked.append([c.name for c in changes])
        return {
            ("tag", "u1"): Usage({"contacts": 3, "companies": 0}),
            ("tag", "u2"): Usage({"contacts": 0, "companies": 0}),
        }

    plan = build_plan(d, lv, PlanOptions(), team_id=1, api_url="e", usage=reader)
    assert asked == [["Cold", "Warm"]]
    assert [(v.gate, v.overridable) for v in plan.violations] == [("in_use", False)]
    assert 'tag "Cold" is in use (on 3 contacts, 0 companies)' in plan.violations[0].message
    allowed = build_plan(
        d, lv, PlanOptions(allow_data_loss=True), team_id=1, api_url="e", usage=reader
    )
    assert allowed.violations == []
