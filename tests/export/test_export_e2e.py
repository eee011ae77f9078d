"""Export end to end: the real CLI against the emulator over HTTP.

A team is seeded with every kind, partly by ``gsctl apply examples/agency`` and partly by raw
API calls (objects gsctl did not make: a flow whose version was edited, a flow using a native
pipeline stage, text that looks like interpolation, a webhook filtering on a raw flow).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from e2e import api, objects, run

AGENCY = str(Path(__file__).resolve().parents[2] / "examples" / "agency")
TS = "2024-05-01T10:00:00.000000Z"
SECRETS = {
    "GSCTL_LLM_CONNECTION_OPENAI_API_KEY": "sk-exported-openai-111",
    "GSCTL_LLM_CONNECTION_CLAUDE__EU_API_KEY": "sk-exported-claude-222",
}
RAW_SECRET = "sk-raw-secret-999"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
KIND_FILES = {
    "ai_agents.yaml",
    "custom_fields.yaml",
    "flow_workspaces.yaml",
    "flows.yaml",
    "llm_connections.yaml",
    "pipeline_stages.yaml",
    "tags.yaml",
    "templates.yaml",
    "webhooks.yaml",
}


def uuid_of(emulator: Any, kind: str, team: int, **match: Any) -> str:
    for obj in objects(emulator, kind, team):
        if all(obj.get(k) == v for k, v in match.items()):
            return str(obj["uuid"])
    raise AssertionError(f"no {kind} {match} in team {team}")


def node(
    nid: int, kind: str, after: list[tuple[int, int]], before: list[tuple[int, int]], **payload: Any
) -> dict[str, Any]:
    return {
        "id": nid,
        "type": kind,
        "payload": payload or [],
        "after": [{"node_id": n, "branch_id": b} for n, b in after],
        "before": [{"node_id": n, "branch_id": b} for n, b in before],
        "created_at": TS,
        "updated_at": TS,
    }


def raw_version(emulator: Any, team: int, tag: str) -> dict[str, Any]:
    """Sender -> 2 (move to the native stage "Replied") -> 3 (add ``tag``) -> 1 (end)."""
    replied = uuid_of(emulator, "pipeline_stage", team, name="Replied")
    anna = uuid_of(emulator, "sender_profile", team, label="Anna - EU")
    return {
        "nodes": [
            node(1, "end", [], [(3, 1)]),
            node(2, "gs_change_pipeline_stage", [(3, 1)], [], pipeline_stage_uuid=replied),
            node(
                3,
                "gs_add_tag",
                [(1, 1)],
                [(2, 1)],
                tag_uuid=uuid_of(emulator, "tag", team, name=tag),
            ),
        ],
        "contact_sources": [
            {"rotation_strategy": "fair", "sender_profiles": [anna], "after_id": 2}
        ],
        "first_common_node_id": None,
        "flow_origin": "automation",
    }


def seed_raw(emulator: Any, team: int) -> None:
    """Objects made by other API users, not by gsctl."""

    def call(method: str, path: str, body: Any = None) -> Any:
        return api(emulator, method, path, body, team=team)

    llm = call(
        "POST",
        "/ai/api/llms",
        {"name": "Claude (EU)", "provider": "anthropic", "provider_api_token": RAW_SECRET},
    )
    call(
        "POST",
        "/flows/api/ai-agents",
        {
            "name": "Raw agent",
            "classification_llm_uuid": llm["uuid"],
            "classification_prompt": "Line one  \nLine two\n",
        },
    )
    call(
        "POST",
        "/flows/api/ai-templates",
        {
            "name": "Raw template",
            "type": "message",
            "is_public": 0,
            "body": "Costs ${price}, $${x} or ${env:HOME}",
            "llm_uuid": llm["uuid"],
        },
    )
    call("POST", "/leads/api/tags", {"name": "raw tag", "color": "#abcdef"})
    call("POST", "/leads/api/custom-fields", {"name": "raw_field", "object": "company"})
    workspace = call("POST", "/flows/api/flow-workspaces", {"name": "Raw workspace"})
    flow = call(
        "POST",
        "/flows/api/flows",
        {
            "name": "Raw flow",
            "flow_workspace_uuid": workspace["uuid"],
            "use_sender_schedule": True,
            "schedule": {"timezone": "UTC", "timeblocks": [{"dow": 1, "min": 60, "max": 120}]},
            "priority": 1,
        },
    )
    versions = f"/flows/api/flows/{flow['uuid']}/flow-versions"
    call("POST", versions, raw_version(emulator, team, "Warm"))
    call("POST", versions, raw_version(emulator, team, "raw tag"))  # edited: a second version
    call(
        "POST",
        "/integrations/api/webhooks",
        {
            "name": "Raw hook",
            "event": "contact_created",
            "target_url": "https://hooks.example.com/raw",
            "filters": {"jsonLogic": {"data": {"flows": [{"flow_uuid": flow["uuid"]}]}}},
        },
    )
    call(
        "POST",
        "/flows/api/flows",
        {
            "name": "Empty flow",
            "use_sender_schedule": False,
            "schedule": {"timezone": "UTC", "timeblocks": []},
        },
    )


def seed_team(emulator: Any, team: int = 1) -> None:
    """Every kind: examples/agency through gsctl, plus :func:`seed_raw`."""
    result = run(emulator, "apply", AGENCY, "--auto-approve", team=str(team))
    assert result.exit_code == 0, result.output
    seed_raw(emulator, team)


def export(emulator: Any, out: Path, *args: str, team: int = 1) -> str:
    result = run(emulator, "export", "--out", str(out), *args, team=str(team))
    assert result.exit_code == 0, result.output
    return result.stderr


def read_all(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# --- tests ------------------------------------------------------------------------------------


def test_round_trip_plan_reports_no_changes(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    stderr = export(emulator, tmp_path / "out")
    assert "Exported 40 objects into 9 files" in stderr
    plan = run(emulator, "plan", str(tmp_path / "out"), "--detailed-exitcode", env=SECRETS)
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout
    assert "40 unchanged, 0 unmanaged" in plan.stdout
    flows = (tmp_path / "out" / "flows.yaml").read_text()
    assert "pipeline_stage: lead/Replied" in flows  # a native stage, by name
    raw_flow = flows[flows.index("- name: Raw flow") :]
    assert "tag: raw tag" in raw_flow.split("- name:", 2)[1]  # the edited (active) version
    assert "- flow: Raw flow" in (tmp_path / "out" / "webhooks.yaml").read_text()
    templates = (tmp_path / "out" / "templates.yaml").read_text()
    assert "body: Costs $${price}, $$${x} or $${env:HOME}" in templates


def test_exported_manifests_validate(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    export(emulator, tmp_path)
    result = run(emulator, "validate", str(tmp_path), env=SECRETS)
    assert result.exit_code == 0, result.output
    assert "9 files, 40 resources: ok" in result.stdout


def test_export_is_byte_identical_clean_and_secret_free(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    first = export(emulator, tmp_path / "a")
    export(emulator, tmp_path / "b")
    files = read_all(tmp_path / "a")
    assert set(files) == KIND_FILES
    assert files == read_all(tmp_path / "b")
    for name, data in files.items():
        text = data.decode()
        assert text.startswith("# yaml-language-server: $schema="), name
        assert not UUID.search(text), (name, UUID.search(text))
        for secret in ("sk-test-secret-value-123", RAW_SECRET):
            assert secret not in text
    llms = files["llm_connections.yaml"].decode()
    assert "api_key: ${env:GSCTL_LLM_CONNECTION_OPENAI_API_KEY}" in llms
    assert "api_key: ${env:GSCTL_LLM_CONNECTION_CLAUDE__EU_API_KEY}" in llms
    assert "sk-" not in first
    for placeholder in SECRETS:
        assert f"  {placeholder}\n" in first


def test_kind_and_only_select_what_is_exported(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    export(emulator, tmp_path / "k", "--kind", "tag")
    assert set(read_all(tmp_path / "k")) == {"tags.yaml"}
    export(emulator, tmp_path / "plural", "--kind", "tags")
    assert read_all(tmp_path / "plural") == read_all(tmp_path / "k")
    export(emulator, tmp_path / "one", "--only", "tags/warm", "--only", "flow_workspace")
    assert set(read_all(tmp_path / "one")) == {"tags.yaml", "flow_workspaces.yaml"}
    tags = (tmp_path / "one" / "tags.yaml").read_text()
    assert "- name: Warm" in tags and "Hot" not in tags
    for bad in (["--kind", "tagz"], ["--only", "sender_profile"]):
        result = run(emulator, "export", "--out", str(tmp_path / "bad"), *bad)
        assert result.exit_code == 1, result.output
        assert "unknown kind" in result.stderr or "read-only" in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "bad").exists()


def test_an_only_name_that_matches_nothing_is_refused(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    result = run(emulator, "export", "--out", str(tmp_path / "typo"), "--only", "tag/Wram")
    assert result.exit_code == 1, result.output
    expected = "--only tag/Wram matches nothing: no live tag is named 'Wram'"
    assert f"{expected}; did you mean --only tag/Warm?" in result.stderr
    assert not (tmp_path / "typo").exists()  # nothing written


def test_non_empty_directory_needs_force(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    (tmp_path / "notes.txt").write_text("mine\n")
    before = len(emulator.requests)
    refused = run(emulator, "export", "--out", str(tmp_path))
    assert refused.exit_code == 1, refused.output
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert emulator.requests[before:] == []  # refused before any API call
    forced = run(emulator, "export", "--out", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert set(read_all(tmp_path)) == KIND_FILES | {"notes.txt"}


def test_placeholders_are_valid_and_unique(emulator, tmp_path: Path) -> None:
    for name in ("Open AI", "Open-AI", "Société"):
        body = {"name": name, "provider": "openai", "provider_api_token": RAW_SECRET}
        api(emulator, "POST", "/ai/api/llms", body)
    stderr = export(emulator, tmp_path, "--kind", "llm_connection")
    names = ["GSCTL_LLM_CONNECTION_OPEN_AI_API_KEY", "GSCTL_LLM_CONNECTION_OPEN_AI_API_KEY_2"]
    names.append("GSCTL_LLM_CONNECTION_SOCI_T_API_KEY")
    for name in names:
        assert f"  {name}\n" in stderr
    env = dict.fromkeys(names, "sk-x")
    plan = run(emulator, "plan", str(tmp_path), "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.output


def odd_flow(emulator: Any, team: int = 1) -> str:
    """A flow the API accepts but gsctl's graph rules refuse (node 3 is unreachable), and a
    webhook filtering on it. Returns the flow's uuid."""
    tag = api(emulator, "POST", "/leads/api/tags", {"name": "T"}, team=team)["uuid"]
    body = {
        "name": "Odd",
        "use_sender_schedule": True,
        "schedule": {"timezone": "UTC", "timeblocks": []},
    }
    flow = api(emulator, "POST", "/flows/api/flows", body, team=team)
    anna = uuid_of(emulator, "sender_profile", team, label="Anna - EU")
    version = {
        "nodes": [
            node(1, "end", [], [(2, 1), (3, 1)]),
            node(2, "gs_add_tag", [(1, 1)], [], tag_uuid=tag),
            node(3, "gs_add_tag", [(1, 1)], [], tag_uuid=tag),
        ],
        "contact_sources": [
            {"rotation_strategy": "fair", "sender_profiles": [anna], "after_id": 2}
        ],
    }
    api(emulator, "POST", f"/flows/api/flows/{flow['uuid']}/flow-versions", version, team=team)
    hook = {
        "name": "H",
        "event": "contact_created",
        "target_url": "https://hooks.example.com/h",
        "filters": {"jsonLogic": {"data": {"flows": [{"flow_uuid": flow["uuid"]}]}}},
    }
    api(emulator, "POST", "/integrations/api/webhooks", hook, team=team)
    return str(flow["uuid"])


def orphan_agent(emulator: Any, team: int = 1) -> None:
    """An AI agent whose LLM connection was deleted (a dangling reference)."""
    body = {"name": "Gone", "provider": "openai", "provider_api_token": RAW_SECRET}
    llm = api(emulator, "POST", "/ai/api/llms", body, team=team)
    agent = {"name": "Orphan", "classification_llm_uuid": llm["uuid"]}
    api(emulator, "POST", "/flows/api/ai-agents", agent, team=team)
    api(emulator, "DELETE", f"/ai/api/llms/{llm['uuid']}", team=team)


def test_objects_that_cannot_round_trip_are_reported(emulator, tmp_path: Path) -> None:
    orphan_agent(emulator)
    odd_flow(emulator)
    stderr = export(emulator, tmp_path)
    assert (
        'warning: ai_agent "Orphan": classification_llm_uuid refers to an object that no '
        "longer exists" in stderr
    )
    assert (
        'warning: flow "Odd": nodes[2]: node 3 is not reachable from any contact source' in stderr
    )
    result = run(emulator, "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "write llm: <name> instead" in result.stderr
    assert "not reachable" in result.stderr
