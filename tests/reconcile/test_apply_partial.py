"""Partial failure, dependants skipped, and no duplicates after ambiguous creates."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from e2e import ENV, KEY, api, names, objects, run, write
from test_apply_e2e import BASIC

from gsctl import render
from gsctl.cli.connect import connect
from gsctl.reconcile import workflow


def config(emulator, path: Path) -> workflow.RunConfig:
    return workflow.RunConfig(
        paths=(str(path),),
        api_url=emulator.url,
        api_key=KEY,
        team="1",
        rate_limit=None,
        env=dict(ENV),
    )


def test_failure_skips_dependants_and_independent_work_continues(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    cfg = config(emulator, tmp_path)
    desired, team_id = workflow.load(cfg)
    with connect(cfg, team_id) as client:
        planned = workflow.make_plan(cfg, client, desired, team_id, cfg.api_url)
        # Between plan and apply, someone creates an LLM connection with the same name and
        # another provider (create-only): it cannot be taken over.
        api(
            emulator,
            "POST",
            "/ai/api/llms",
            {"name": "OpenAI", "provider": "anthropic", "provider_api_token": "x"},
        )
        report = workflow.apply_plan(cfg, client, planned)
    status = {(o.change.kind, o.change.name): o.status for o in report.outcomes}
    assert status[("llm_connection", "OpenAI")] == "failed"
    assert status[("ai_agent", "Interest classifier")] == "not_run"
    assert status[("tag", "Warm")] == "done" and status[("webhook", "CRM sync")] == "done"
    assert not report.ok
    failure = next(o for o in report.outcomes if o.status == "failed")
    assert "422" in failure.message and "different provider" in failure.message
    text = render.report_text(report)
    assert 'ai_agent "Interest classifier": not run: depends on llm_connection "OpenAI"' in text
    assert "Apply incomplete: 6 done, 1 failed, 1 not run." in text
    assert names(emulator, "ai_agent") == []


def test_a_name_taken_meanwhile_is_taken_over_never_created_twice(emulator, tmp_path: Path) -> None:
    """Issue 15: a create answered 422 "already taken" re-lists and takes the object over
    (same create-only fields), then sends the declared fields, secret included."""
    write(tmp_path, "ws.yaml", BASIC)
    cfg = config(emulator, tmp_path)
    desired, team_id = workflow.load(cfg)
    with connect(cfg, team_id) as client:
        planned = workflow.make_plan(cfg, client, desired, team_id, cfg.api_url)
        other = api(
            emulator,
            "POST",
            "/ai/api/llms",
            {"name": "OpenAI", "provider": "openai", "provider_api_token": "x"},
        )
        report = workflow.apply_plan(cfg, client, planned)
    assert report.ok, render.report_text(report)
    assert [o["uuid"] for o in objects(emulator, "llm_connection")] == [other["uuid"]]
    writes = [(r.method, r.path, r.status) for r in emulator.requests if r.path.startswith("/ai/")]
    assert ("POST", "/ai/api/llms", 422) in writes
    assert ("PUT", f"/ai/api/llms/{other['uuid']}", 200) in writes  # the declared secret sent
    agent = objects(emulator, "ai_agent")[0]
    assert agent["classification_llm_uuid"] == other["uuid"]


def test_cli_reports_partial_apply_with_exit_5_and_rerun_converges(
    emulator, tmp_path: Path
) -> None:
    for i in range(100):  # the API allows 100 custom fields per object
        api(emulator, "POST", "/leads/api/custom-fields", {"object": "lead", "name": f"f{i}"})
    fields = "".join(f"  - {{object: lead, name: f{i}}}\n" for i in range(100))
    write(
        tmp_path,
        "ws.yaml",
        "version: 1\ntags:\n  - name: A\ncustom_fields:\n"
        + fields
        + "  - {object: lead, name: extra}\n",
    )
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 5, result.output
    assert 'custom_field "lead/extra": failed' in result.stdout
    assert "Apply incomplete: 1 done, 1 failed, 0 not run." in result.stdout
    assert names(emulator, "tag") == ["A"]
    f0 = next(o for o in objects(emulator, "custom_field") if o["name"] == "f0")
    api(emulator, "DELETE", f"/leads/api/custom-fields/{f0['uuid']}")  # make room for "extra"
    without_f0 = fields.replace("  - {object: lead, name: f0}\n", "")
    head = "version: 1\ntags:\n  - name: A\ncustom_fields:\n"
    write(tmp_path, "ws.yaml", head + without_f0 + "  - {object: lead, name: extra}\n")
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_no_duplicates_after_ambiguous_creates(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    # Every other request: the write is committed, then the answer is a 502.
    emulator.set_faults(0.5, 7, kinds=["bad_gateway"])
    first = run(emulator, "apply", str(tmp_path), "--auto-approve")
    emulator.set_faults(0.0, 0)
    if first.exit_code != 0:  # retries ran out somewhere: one re-run must converge
        assert first.exit_code == 5, first.output
        assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    for kind in (
        "llm_connection",
        "tag",
        "custom_field",
        "pipeline_stage",
        "flow_workspace",
        "ai_agent",
        "webhook",
    ):
        counts = Counter(
            o["name"] for o in objects(emulator, kind) if o.get("type", "custom") == "custom"
        )
        assert counts and max(counts.values()) == 1, (kind, counts)
    assert names(emulator, "tag") == ["Cold", "Warm"]
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    statuses = Counter(r.status for r in emulator.requests)
    assert statuses[502] > 0  # the faults really happened


def test_timeouts_after_committed_writes_leave_no_duplicates(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", BASIC)
    emulator.slow_seconds = 0.6  # the write is committed at once, the answer comes late
    emulator.set_faults(0.4, 3, kinds=["slow"])
    first = run(emulator, "apply", str(tmp_path), "--auto-approve", "--timeout", "0.3")
    emulator.set_faults(0.0, 0)
    if first.exit_code != 0:
        assert first.exit_code == 5, first.output
        assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    assert names(emulator, "tag") == ["Cold", "Warm"]
    assert names(emulator, "llm_connection") == ["OpenAI"]
    assert len(objects(emulator, "webhook")) == 1
    assert run(emulator, "plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    assert any(r.fault == "slow" and r.method == "POST" for r in emulator.requests)
