"""Safe deletes end to end (issue 14): durable protection, usage, the in-use gate and
``--only`` typos, with the real CLI against the emulator over HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e import api, names, run, write

from gsctl.emulator import metrics
from gsctl.emulator.problem import Problem

AGENCY = Path(__file__).resolve().parents[2] / "examples" / "agency"
TAGS = """
version: 1
tags:
  - name: Cold
  - name: Warm
  - name: Do not contact
"""
SCHEDULE = "use_sender_schedule: true\n    schedule: {timezone: UTC, timeblocks: []}"
MIXED = f"""
version: 1
tags:
  - name: Cold
pipeline_stages:
  - {{object: lead, name: Opportunity, category: engaging}}
  - {{object: company, name: Partner, category: engaging}}
webhooks:
  - name: CRM sync
    event: contact_created
    target_url: https://hooks.example.com/gs
flows:
  - name: Nurture
    {SCHEDULE}
"""
EMPTY_KINDS = "version: 1\ntags: []\npipeline_stages: []\nwebhooks: []\nflows: []\n"


def test_durable_protection_refuses_after_the_entry_is_removed(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "settings:\n  protect: [tag/do NOT*]\n" + TAGS.lstrip())
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    # The entry is gone; pruning would delete the tag; the pattern (case-insensitive for
    # tags, like their names) still protects it, even under --force.
    write(tmp_path, "ws.yaml", "version: 1\nsettings:\n  protect: [tag/do NOT*]\ntags: []\n")
    for extra in ((), ("--force",)):
        result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", *extra)
        assert result.exit_code == 3, result.output
        assert 'tag "Do not contact" is protected by settings.protect "tag/do NOT*"' in (
            result.output
        )
    assert names(emulator, "tag") == ["Cold", "Do not contact", "Warm"]


def test_durable_protection_refuses_after_the_file_is_removed(emulator, tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "version: 1\nsettings:\n  protect: ['tag/Do not contact']\n")
    tags = write(tmp_path, "tags.yaml", TAGS)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    tags.unlink()
    result = run(emulator, "plan", str(tmp_path), "--prune", "--force")
    assert result.exit_code == 3, result.output
    assert 'settings.protect "tag/Do not contact"' in result.output
    # Only the protected tag is refused: the others would go (--force passes the emptied gate).
    assert result.stdout.count("is protected") == 1


def test_item_protect_does_not_survive_its_entry(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - {name: Keep, protect: true}\n  - name: X\n")
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: X\n")
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune")
    assert result.exit_code == 0, result.output
    assert names(emulator, "tag") == ["X"]


def test_an_unknown_kind_in_settings_protect_is_located(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "version: 1\nsettings:\n  protect: [tagz/VIP*]\ntags: []\n")
    result = run(emulator, "plan", str(tmp_path))
    assert result.exit_code == 1
    assert "ws.yaml:3:" in result.stderr and "unknown kind 'tagz'" in result.stderr


def seed_mixed(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", MIXED)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    emulator.set_usage(1, "tag", {"name": "Cold"}, leads_count=1243, companies_count=12)
    emulator.set_usage(1, "flow", {"name": "Nurture"}, leads_count=40, in_progress_count=3)
    stage = {"object": "lead", "name": "Opportunity"}
    emulator.set_usage(1, "pipeline_stage", stage, leads_count=1)
    write(tmp_path, "ws.yaml", EMPTY_KINDS)


def test_usage_in_all_three_formats(emulator, tmp_path: Path) -> None:
    seed_mixed(emulator, tmp_path)
    text = run(emulator, "plan", str(tmp_path), "--prune", "--allow-data-loss")
    assert text.exit_code == 0, text.output
    assert '- tag "Cold"  (on 1,243 contacts, 12 companies)\n' in text.stdout
    assert '- flow "Nurture"  (40 contacts in the flow, 3 in progress)\n' in text.stdout
    assert '- pipeline_stage "lead/Opportunity"  (1 contact in the stage)\n' in text.stdout
    # company stages and webhooks have no count in the API: said, not guessed
    assert '- pipeline_stage "company/Partner"  (usage unknown)\n' in text.stdout
    assert '- webhook "CRM sync"  (usage unknown)\n' in text.stdout
    assert "Data loss accepted (--allow-data-loss)" in text.stdout

    out = run(emulator, "plan", str(tmp_path), "--prune", "--allow-data-loss", "--format", "json")
    usage = {c["name"]: c["usage"] for c in json.loads(out.stdout)["changes"]}
    assert usage["Cold"] == {"contacts": 1243, "companies": 12}
    assert usage["Nurture"] == {"contacts": 40, "in_progress": 3}
    assert usage["lead/Opportunity"] == {"contacts": 1}
    assert usage["CRM sync"]["unknown"] is True
    assert usage["company/Partner"]["unknown"] is True

    md = run(
        emulator, "plan", str(tmp_path), "--prune", "--allow-data-loss", "--format", "markdown"
    )
    assert "| action | kind | name | usage |" in md.stdout
    assert "| delete | tag | Cold | on 1,243 contacts, 12 companies |" in md.stdout
    assert "| delete | webhook | CRM sync | usage unknown |" in md.stdout


def test_usage_reads_only_what_the_plan_deletes(emulator, tmp_path: Path) -> None:
    seed_mixed(emulator, tmp_path)
    write(tmp_path, "ws.yaml", MIXED)  # nothing to delete
    emulator.requests.clear()
    assert run(emulator, "plan", str(tmp_path), "--prune").exit_code == 0
    assert [r for r in emulator.requests if r.method == "POST"] == []
    write(tmp_path, "ws.yaml", EMPTY_KINDS)
    emulator.requests.clear()
    run(emulator, "plan", str(tmp_path), "--prune")
    posts = sorted(r.path for r in emulator.requests if r.method == "POST")
    # one tag batch, one flow batch, one search for the one lead stage; nothing else
    assert posts == [
        "/flows/api/flows/metrics",
        "/leads/api/leads/search",
        "/leads/api/tags/metrics",
    ]


def test_in_use_gate_refuses_then_applies_with_allow_data_loss(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", TAGS)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    emulator.set_usage(1, "tag", {"name": "Cold"}, leads_count=5)
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n  - name: Do not contact\n")
    refused = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune", "--force")
    assert refused.exit_code == 3, refused.output
    assert 'tag "Cold" is in use (on 5 contacts, 0 companies)' in refused.output
    assert "--allow-data-loss" in refused.output
    assert "Cold" in names(emulator, "tag")
    # A saved plan records the flag, and applies with it.
    saved = tmp_path / "plan.json"
    made = run(emulator, "plan", str(tmp_path), "--prune", "--allow-data-loss", "--out", str(saved))
    assert made.exit_code == 0, made.output
    assert json.loads(saved.read_text())["options"]["allow_data_loss"] is True
    applied = run(emulator, "apply", "--plan", str(saved), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert names(emulator, "tag") == ["Do not contact", "Warm"]


def test_saved_plan_without_the_flag_is_refused_if_usage_appears(emulator, tmp_path) -> None:
    write(tmp_path, "ws.yaml", TAGS)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n  - name: Do not contact\n")
    saved = tmp_path / "plan.json"
    assert run(emulator, "plan", str(tmp_path), "--prune", "--out", str(saved)).exit_code == 0
    emulator.set_usage(1, "tag", {"name": "Cold"}, companies_count=2)
    result = run(emulator, "apply", "--plan", str(saved), "--auto-approve")
    assert result.exit_code == 3, result.output
    assert "Cold" in names(emulator, "tag")


def test_an_unused_object_is_not_gated(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", TAGS)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    emulator.set_usage(1, "tag", {"name": "Cold"}, leads_count=0, companies_count=0)
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n  - name: Do not contact\n")
    result = run(emulator, "apply", str(tmp_path), "--auto-approve", "--prune")
    assert result.exit_code == 0, result.output
    assert '- tag "Cold"  (on 0 contacts, 0 companies)' in result.stdout
    assert names(emulator, "tag") == ["Do not contact", "Warm"]


@pytest.mark.parametrize("status", [500, 404])
def test_a_failing_metrics_endpoint_gives_usage_unknown(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    write(tmp_path, "ws.yaml", TAGS)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    emulator.set_usage(1, "tag", {"name": "Cold"}, leads_count=5)

    def broken(*args: object) -> dict:
        raise Problem(status, "metrics are down")

    monkeypatch.setattr(metrics, "answer", broken)  # the server side: real HTTP errors
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n  - name: Do not contact\n")
    text = run(emulator, "plan", str(tmp_path), "--prune")
    assert text.exit_code == 0, text.output  # unknown is not "in use": no gate, no abort
    assert '- tag "Cold"  (usage unknown)' in text.stdout
    out = run(emulator, "plan", str(tmp_path), "--prune", "--format", "json")
    [delete] = [c for c in json.loads(out.stdout)["changes"] if c["action"] == "delete"]
    assert delete["usage"]["unknown"] is True
    assert str(status) in delete["usage"]["reason"]


def test_only_that_matches_nothing_is_refused(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n")
    api(emulator, "POST", "/leads/api/tags", {"name": "Cold"})
    result = run(emulator, "plan", str(tmp_path), "--only", "tag/Clod")
    assert result.exit_code == 1
    assert "--only tag/Clod matches nothing" in result.stderr
    assert "did you mean --only tag/Cold?" in result.stderr
    # declared-only and live-only names both count as matches
    assert run(emulator, "plan", str(tmp_path), "--only", "tag/warm").exit_code == 0
    assert run(emulator, "plan", str(tmp_path), "--only", "tags/Cold").exit_code == 0
    far = run(emulator, "plan", str(tmp_path), "--only", "tag/Zzzzzz")
    assert far.exit_code == 1 and "did you mean" not in far.stderr


def test_the_agency_example_protects_do_not_contact_durably(emulator, tmp_path: Path) -> None:
    ws = tmp_path / "agency"
    shutil.copytree(AGENCY, ws)
    assert run(emulator, "apply", str(ws), "--auto-approve").exit_code == 0
    crm = ws / "crm.yaml"
    text = crm.read_text()
    start = text.index("  - name: Do not contact")
    end = text.index("\n\n", start)
    crm.write_text(text[:start] + text[end + 1 :])  # the entry is gone; tags are pruned
    result = run(emulator, "plan", str(ws))
    assert result.exit_code == 3, result.output
    assert 'tag "Do not contact" is protected by settings.protect "tag/Do not contact"' in (
        result.stdout
    )
