"""Clone end to end: team 1 copied onto team 2 of the same emulator, through the real CLI."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from e2e import ENV, api, names, objects, run, write
from test_export_e2e import (
    AGENCY,
    SECRETS,
    odd_flow,
    orphan_agent,
    raw_version,
    read_all,
    seed_team,
)

from gsctl.cli import main
from gsctl.cli.lock import apply_lock

PLACEHOLDER = re.compile(r"\$\{env:[A-Z0-9_]+\}")


def clone(emulator: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    return run(emulator, "clone", "--from-team", "1", "--to-team", "2", *args, env=env)


def writes(emulator: Any, since: int, team: int = 2) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in emulator.requests[since:]
        if r.method != "GET" and r.team_id == team
    ]


def exported(emulator: Any, out: Path, team: int) -> dict[str, str]:
    result = run(emulator, "export", "--out", str(out), team=str(team))
    assert result.exit_code == 0, result.output
    return {
        name: PLACEHOLDER.sub("${env:...}", data.decode()) for name, data in read_all(out).items()
    }


def token_matches(stored: dict[str, Any], value: str) -> bool:
    _, salt, digest = stored["_secrets"]["provider_api_token"].split("$")
    return hashlib.sha256((salt + value).encode()).hexdigest() == digest


def test_clone_onto_an_empty_team_copies_everything(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    result = clone(emulator, "--auto-approve", env=SECRETS)
    assert result.exit_code == 0, result.output
    assert "Plan: 40 to create, 0 to update" in result.stdout
    assert "skipped" not in result.stderr
    assert exported(emulator, tmp_path / "a", 1) == exported(emulator, tmp_path / "b", 2)
    llm = next(o for o in emulator.store.all(2, "llm_connection") if o["name"] == "OpenAI")
    assert token_matches(llm, SECRETS["GSCTL_LLM_CONNECTION_OPENAI_API_KEY"])
    for secret in SECRETS.values():
        assert secret not in result.output
    start = len(emulator.requests)
    again = clone(emulator, "--auto-approve", env=SECRETS)
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    assert writes(emulator, start) == []


def test_only_the_differences_are_applied(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    for body in (
        {"name": "Warm", "color": "#000000"},  # differs
        {"name": "Hot", "color": "#D64545"},  # identical
        {"name": "Team 2 only"},  # extra
    ):
        api(emulator, "POST", "/leads/api/tags", body, team=2)
    inbound = api(
        emulator, "POST", "/flows/api/flow-workspaces", {"name": "Inbound", "order": 7}, team=2
    )
    tags = {o["name"]: o["uuid"] for o in objects(emulator, "tag", 2)}
    start = len(emulator.requests)
    result = clone(emulator, "--auto-approve", env=SECRETS)
    assert result.exit_code == 0, result.output
    summary = (
        "Plan: 37 to create, 2 to update, 0 to replace, 0 to delete; 1 unchanged, 1 unmanaged."
    )
    assert summary in result.stdout
    assert '~ tag "Warm"' in result.stdout and 'tag "Hot"' not in result.stdout
    assert '~ flow_workspace "Inbound"' in result.stdout
    done = writes(emulator, start)
    assert not any(tags["Hot"] in path or tags["Team 2 only"] in path for _, path in done)
    assert [p for m, p in done if m == "PUT" and p.startswith("/leads/api/tags/")] == [
        f"/leads/api/tags/{tags['Warm']}"
    ]
    assert [p for m, p in done if m == "PUT" and "flow-workspaces" in p] == [
        f"/flows/api/flow-workspaces/{inbound['uuid']}"
    ]
    assert [p for m, p in done if m == "POST"].count("/leads/api/tags") == 4  # 6 minus Warm and Hot
    assert not any(m == "DELETE" for m, _ in done)
    assert "Team 2 only" in names(emulator, "tag", 2)
    assert next(o for o in objects(emulator, "tag", 2) if o["name"] == "Warm")["color"] == "#F4A300"
    pruned = clone(emulator, "--auto-approve", "--kind", "tag", "--prune", env=SECRETS)
    assert pruned.exit_code == 0, pruned.output
    assert '- tag "Team 2 only"' in pruned.stdout
    assert "Team 2 only" not in names(emulator, "tag", 2)
    assert exported(emulator, tmp_path / "a", 1) == exported(emulator, tmp_path / "b", 2)


def test_objects_that_cannot_be_exported_are_skipped(emulator) -> None:
    orphan_agent(emulator)
    odd_flow(emulator)
    result = clone(emulator, "--auto-approve")
    assert result.exit_code == 5, result.output
    err = result.stderr
    assert (
        'skipped: ai_agent "Orphan": classification_llm_uuid refers to an object that no '
        "longer exists in team 1" in err
    )
    assert (
        'skipped: flow "Odd": not valid as a manifest (nodes[2]: node 3 is not reachable '
        "from any contact source)" in err
    )
    assert 'skipped: webhook "H": depends on flow "Odd", which cannot be copied' in err
    assert names(emulator, "tag", 2) == ["T"]
    for kind in ("ai_agent", "flow", "webhook"):
        assert names(emulator, kind, 2) == []


def test_missing_secret_skips_its_dependants(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    own = {"name": "Demo follow-up email", "type": "email", "is_public": 0, "body": "Team 2's own"}
    api(emulator, "POST", "/flows/api/ai-templates", own, team=2)
    env = {"GSCTL_LLM_CONNECTION_CLAUDE__EU_API_KEY": "sk-claude"}
    result = clone(emulator, "--auto-approve", "--prune", env=env)
    assert result.exit_code == 5, result.output
    err = result.stderr
    assert (
        'skipped: llm_connection "OpenAI": GSCTL_LLM_CONNECTION_OPENAI_API_KEY is not set\n' in err
    )
    assert 'skipped: ai_agent "Reply classifier": depends on llm_connection "OpenAI"' in err
    assert (
        'skipped: template "Webinar follow-up message": depends on llm_connection "OpenAI"' in err
    )
    assert (
        'skipped: template "Demo follow-up email": depends on llm_connection "OpenAI", which is '
        "skipped; team 2 keeps its own template of that name" in err
    )
    assert (
        'skipped: flow "Webinar follow-up": depends on template "Webinar follow-up message", '
        "which is skipped" in err
    )
    assert 'skipped: flow "Re-engage customers": depends on flow "Webinar follow-up"' in err
    assert 'skipped: webhook "LinkedIn replies to CRM": depends on flow "Webinar follow-up"' in err
    assert "Clone incomplete: 7 object(s) skipped" in err
    assert names(emulator, "llm_connection", 2) == ["Claude (EU)"]
    assert names(emulator, "ai_agent", 2) == ["Raw agent"]
    assert names(emulator, "template", 2) == [
        "Demo follow-up email",
        "Raw template",
        "Webinar connection note",
    ]
    # "Inbound demo request" uses team 2's own "Demo follow-up email", which it has.
    assert names(emulator, "flow", 2) == [
        "Empty flow",
        "Inbound demo request",
        "Nurture",
        "Raw flow",
    ]
    kept = next(o for o in objects(emulator, "template", 2) if o["name"] == "Demo follow-up email")
    assert kept["body"] == "Team 2's own" and kept["llm_uuid"] is None
    llms = {o["uuid"] for o in objects(emulator, "llm_connection", 2)}  # nothing broken
    for agent in objects(emulator, "ai_agent", 2):
        assert agent["classification_llm_uuid"] in llms
    for template in objects(emulator, "template", 2):
        assert template["llm_uuid"] in llms | {None}
    fixed = clone(emulator, "--auto-approve", env={**env, **SECRETS})
    assert fixed.exit_code == 0, fixed.output
    assert "Plan: 6 to create, 1 to update, 0 to replace" in fixed.stdout
    assert '~ template "Demo follow-up email"' in fixed.stdout


def test_kind_scope_skips_what_the_target_lacks(emulator) -> None:
    seed_team(emulator)
    result = clone(emulator, "--auto-approve", "--kind", "flows", env=SECRETS)
    assert result.exit_code == 5, result.output
    assert (
        'skipped: flow "Nurture": needs flow_workspace "Nurture", which team 2 does not have '
        "and is not copied (add --kind flow_workspace)" in result.stderr
    )
    assert names(emulator, "flow", 2) == ["Empty flow"]  # the one flow that needs nothing
    assert names(emulator, "tag", 2) == []


def test_sender_profile_the_target_lacks(emulator) -> None:
    api(emulator, "POST", "/leads/api/tags", {"name": "Warm"})
    api(emulator, "POST", "/leads/api/tags", {"name": "raw tag"})
    flow = api(
        emulator,
        "POST",
        "/flows/api/flows",
        {
            "name": "F",
            "use_sender_schedule": True,
            "schedule": {"timezone": "UTC", "timeblocks": []},
        },
    )
    api(
        emulator,
        "POST",
        f"/flows/api/flows/{flow['uuid']}/flow-versions",
        raw_version(emulator, 1, "Warm"),
    )
    anna = next(o for o in objects(emulator, "sender_profile", 2) if o.get("label") == "Anna - EU")
    emulator.store.remove(2, "sender_profile", anna["uuid"])
    result = clone(emulator, "--auto-approve")
    assert result.exit_code == 5, result.output
    assert (
        'skipped: flow "F": needs sender_profile "Anna - EU", which team 2 does not have '
        "(gsctl cannot create it)" in result.stderr
    )
    assert names(emulator, "tag", 2) == ["Warm", "raw tag"]
    assert names(emulator, "flow", 2) == []


def test_team_names_from_settings(emulator, tmp_path: Path) -> None:
    api(emulator, "POST", "/leads/api/tags", {"name": "Warm"})
    write(tmp_path, "settings.yaml", "version: 1\nsettings:\n  teams: {a: 1, b: 2}\n")
    write(tmp_path, "wip.yaml", "version: 1\ntags:\n  - {colour: red}\n")  # only teams are read
    result = run(
        emulator, "clone", str(tmp_path), "--from-team", "a", "--to-team", "b", "--auto-approve"
    )
    assert result.exit_code == 0, result.output
    assert names(emulator, "tag", 2) == ["Warm"]
    unknown = run(emulator, "clone", str(tmp_path), "--from-team", "a", "--to-team", "c")
    assert unknown.exit_code == 1
    assert "unknown team 'c': use a team id or one of: a, b" in unknown.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    no_settings = run(emulator, "clone", str(empty), "--from-team", "a", "--to-team", "2")
    assert no_settings.exit_code == 1
    assert "team name 'a' needs settings.teams, but there are no manifests in" in no_settings.stderr
    by_id = run(
        emulator, "clone", str(empty), "--from-team", "1", "--to-team", "3", "--auto-approve"
    )
    assert by_id.exit_code == 0, by_id.output
    assert names(emulator, "tag", 3) == ["Warm"]
    same = run(emulator, "clone", "--from-team", "1", "--to-team", "1")
    assert same.exit_code == 1 and "same team" in same.stderr


def test_refuses_without_terminal_and_keeps_out_dir(emulator, tmp_path: Path) -> None:
    seed_team(emulator)
    start = len(emulator.requests)
    result = clone(emulator, "--out", str(tmp_path / "keep"), env=SECRETS)
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert '+ tag "Warm"' in result.stdout  # the plan is shown first
    assert writes(emulator, start) == []
    assert exported(emulator, tmp_path / "a", 1) == {
        n: PLACEHOLDER.sub("${env:...}", t.decode()) for n, t in read_all(tmp_path / "keep").items()
    }
    start = len(emulator.requests)
    busy = clone(emulator, "--out", str(tmp_path / "keep"), "--auto-approve", env=SECRETS)
    assert busy.exit_code == 1 and "not empty" in busy.stderr
    assert emulator.requests[start:] == []


def test_safety_gate_exit_3(emulator) -> None:
    api(emulator, "POST", "/leads/api/tags", {"name": "Warm"})
    for i in range(10):
        api(emulator, "POST", "/leads/api/tags", {"name": f"t{i}"}, team=2)
    refused = clone(emulator, "--auto-approve", "--kind", "tag", "--prune")
    assert refused.exit_code == 3, refused.output
    assert "max_delete_percent" in refused.output
    assert len(names(emulator, "tag", 2)) == 10
    forced = clone(emulator, "--auto-approve", "--kind", "tag", "--prune", "--force")
    assert forced.exit_code == 0, forced.output
    assert names(emulator, "tag", 2) == ["Warm"]


def test_embedded_emulator_with_team_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--emulator``: the agency example's teams (prod: 1, staging: 2) by name."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {**ENV, **SECRETS, "GETSALES_API_KEY": ""}
    applied = runner.invoke(
        main, ["apply", AGENCY, "--emulator", "--team", "prod", "--auto-approve"], env=env
    )
    assert applied.exit_code == 0, applied.output
    cloned = runner.invoke(
        main,
        [
            "clone",
            AGENCY,
            "--from-team",
            "prod",
            "--to-team",
            "staging",
            "--emulator",
            "--auto-approve",
        ],
        env=env,
    )
    assert cloned.exit_code == 0, cloned.output
    assert "Plan: 31 to create" in cloned.stdout
    assert os.path.exists(tmp_path / ".gsctl" / "emulator.db")
    plan = runner.invoke(
        main, ["plan", AGENCY, "--emulator", "--team", "staging", "--detailed-exitcode"], env=env
    )
    assert plan.exit_code == 2  # staging's own vars differ from prod's copied webhook URLs
    assert "target_url" in plan.stdout


def test_clone_is_refused_while_an_apply_holds_the_target_team(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clone writes to its target team as apply does: it takes the same per-team lock."""
    monkeypatch.chdir(tmp_path)
    seed_team(emulator)
    start = len(emulator.requests)
    with apply_lock(2):  # an apply on team 2 is running from this checkout
        refused = clone(emulator, "--auto-approve", env=SECRETS)
        assert refused.exit_code == 1, refused.output
        assert "another gsctl apply on team 2 is running from this checkout" in refused.stderr
        assert writes(emulator, start) == []
    done = clone(emulator, "--auto-approve", env=SECRETS)
    assert done.exit_code == 0, done.output
    assert writes(emulator, start) != []


def test_clone_refuses_an_only_name_that_matches_nothing(emulator) -> None:
    seed_team(emulator)
    start = len(emulator.requests)
    result = clone(emulator, "--only", "tag/Wram", "--auto-approve", env=SECRETS)
    assert result.exit_code == 1, result.output
    assert "--only tag/Wram matches nothing: no live tag is named 'Wram'" in result.stderr
    assert writes(emulator, start) == []
