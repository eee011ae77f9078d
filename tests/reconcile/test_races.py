"""Races against the real emulator: a delete between two list pages, duplicates made by
someone else, two applies at once (local lock, and two emulator processes sharing one
SQLite file), and the per-team concurrency group of the shipped apply workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from e2e import KEY, api, objects, run, write

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.cli.lock import apply_lock
from gsctl.emulator import EmulatorServer
from gsctl.reconcile import workflow

TAGS = kinds.KINDS["tag"].collection
ROOT = Path(__file__).resolve().parents[2]


def make_tags(server: EmulatorServer, names: list[str]) -> list[str]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as h:
        return [h.post(TAGS, json={"name": n}).json()["uuid"] for n in names]


def test_a_delete_between_pages_is_read_again_with_nothing_missed(
    emulator: EmulatorServer,
) -> None:
    names = [f"tag-{i:03d}" for i in range(150)]
    uuids = make_tags(emulator, names)
    deleted = {"done": False}

    def log(line: str) -> None:  # after page 1 someone deletes tag-005: tag-100 moves to page 1
        if f"GET {TAGS}?" in line and "offset=0" in line and not deleted["done"]:
            deleted["done"] = True
            api(emulator, "DELETE", f"{TAGS}/{uuids[5]}")

    with Client(emulator.url, KEY, 1, rate_limit=None, verbose_log=log) as client:
        got = client.list_all(TAGS)
    assert deleted["done"]
    got_names = [t["name"] for t in got]
    assert len(got_names) == len(set(got_names)) == 149
    assert set(got_names) == set(names) - {"tag-005"}  # tag-100 was not skipped


def test_the_race_does_not_create_a_second_tag(emulator: EmulatorServer, tmp_path: Path) -> None:
    """Before the fix: tag-100 slid onto page 1 unseen, was planned as a create and made
    twice. Now the changed list is read again and only the deleted tag is created."""
    names = [f"tag-{i:03d}" for i in range(150)]
    uuids = make_tags(emulator, names)
    write(tmp_path, "tags.yaml", "version: 1\ntags:\n" + "".join(f"  - name: {n}\n" for n in names))
    deleted = {"done": False}

    def log(line: str) -> None:
        if f"GET {TAGS}?" in line and "offset=0" in line and not deleted["done"]:
            deleted["done"] = True
            api(emulator, "DELETE", f"{TAGS}/{uuids[5]}")

    cfg = workflow.RunConfig(paths=(str(tmp_path),), rate_limit=None, env={})
    desired, team_id = workflow.load(cfg)
    with Client(emulator.url, KEY, 1, rate_limit=None, verbose_log=log) as client:
        planned = workflow.make_plan(cfg, client, desired, team_id, emulator.url)
        assert [(c.action, c.name) for c in planned.plan.changes] == [("create", "tag-005")]
        report = workflow.apply_plan(cfg, client, planned)
    assert report.ok
    live = [t["name"] for t in objects(emulator, "tag")]
    assert sorted(live) == names


def tag_object(emulator: EmulatorServer, name: str) -> dict[str, Any]:
    return next(t for t in objects(emulator, "tag") if t["name"] == name)


def make_duplicate(emulator: EmulatorServer, name: str, uuid: str) -> None:
    """What a race used to leave behind: a second live tag with the same name."""
    twin = {**tag_object(emulator, name), "uuid": uuid, "created_at": "2099-01-01T00:00:00Z"}
    emulator.store.put(1, "tag", twin)


def test_plan_reports_duplicates_with_their_uuids_and_exits_1(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    first = make_tags(emulator, ["Warm"])[0]
    make_duplicate(emulator, "Warm", "00000000-0000-4000-8000-00000000dup1")
    write(tmp_path, "tags.yaml", "version: 1\ntags:\n  - name: Warm\n")
    result = run(emulator, "plan", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert f'tag "Warm": 2 objects ({first}, 00000000-0000-4000-8000-00000000dup1)' in result.stderr
    assert "--allow-duplicates" in result.stderr
    assert result.stdout == ""  # no plan pretending to be complete


def test_allow_duplicates_pairs_the_oldest(emulator: EmulatorServer, tmp_path: Path) -> None:
    first = make_tags(emulator, ["Warm"])[0]
    twin = "00000000-0000-4000-8000-00000000dup2"
    make_duplicate(emulator, "Warm", twin)
    write(tmp_path, "tags.yaml", "version: 1\ntags:\n  - name: Warm\n")
    out = tmp_path / "plan.json"
    result = run(emulator, "plan", str(tmp_path), "--allow-duplicates", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"using the oldest, {first}" in result.stderr
    plan = json.loads(out.read_text())
    assert plan["changes"] == []
    assert plan["unmanaged"] == [{"kind": "tag", "name": "Warm", "uuid": twin}]
    assert plan["duplicates"] == [{"kind": "tag", "name": "Warm", "uuids": [first, twin]}]


def test_a_second_apply_on_the_same_team_is_refused(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "tags.yaml", "version: 1\ntags:\n  - name: Warm\n")
    with apply_lock(1):  # a first apply is running from this checkout
        result = run(emulator, "apply", ".", "--auto-approve")
        assert result.exit_code == 1
        assert "another gsctl apply on team 1 is running from this checkout" in result.stderr
        assert f"pid {os.getpid()}" in result.stderr
        other_team = run(emulator, "apply", ".", "--auto-approve", team="2")
        assert other_team.exit_code == 0, other_team.output  # other teams are not blocked
    assert "Warm" not in [t["name"] for t in objects(emulator, "tag")]
    again = run(emulator, "apply", ".", "--auto-approve")  # released: runs
    assert again.exit_code == 0, again.output


def test_two_emulator_processes_sharing_a_database_never_duplicate(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    db = str(tmp_path / "shared.db")
    servers = [emulator_factory(db=db), emulator_factory(db=db)]
    names = [f"race-{i}" for i in range(20)]
    statuses: list[int] = []
    lock = threading.Lock()

    def create_all(server: EmulatorServer) -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as h:
            for n in names:
                code = h.post(TAGS, json={"name": n}).status_code
                with lock:
                    statuses.append(code)

    threads = [threading.Thread(target=create_all, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 20 + [422] * 20
    for server in servers:  # both see the same 20, once each
        got = [t["name"] for t in server.store.objects(1, "tag") if t["name"].startswith("race-")]
        assert sorted(got) == sorted(names)


def test_two_concurrent_applies_on_one_team_leave_no_duplicates(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    """Two checkouts (no shared local lock) apply at once through two emulator processes on
    one database: uniqueness serializes the creates; the loser re-lists, never re-creates."""
    db = str(tmp_path / "shared.db")
    servers = [emulator_factory(db=db), emulator_factory(db=db)]
    items = "".join(f"  - name: conc-{i}\n" for i in range(25))
    procs = []
    for i, server in enumerate(servers):
        checkout = tmp_path / f"checkout{i}"
        write(checkout, "tags.yaml", "version: 1\ntags:\n" + items)
        argv = [sys.executable, "-m", "gsctl", "apply", ".", "--auto-approve"]
        argv += ["--api-url", server.url, "--api-key", KEY, "--team", "1"]
        argv += ["--rate-limit", "60000"]
        env = {**os.environ, "NO_COLOR": "1"}
        procs.append(
            subprocess.Popen(
                argv,
                cwd=checkout,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    fresh = emulator_factory(db=db)  # reads the database as the two left it
    live = [t["name"] for t in fresh.store.objects(1, "tag")]
    assert len(live) == len(set(live))
    assert {f"conc-{i}" for i in range(25)} <= set(live)
    again = run(servers[1], "plan", str(tmp_path / "checkout0"), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_the_shipped_apply_workflow_runs_one_apply_per_team() -> None:
    wf = yaml.safe_load((ROOT / "examples/github/workflows/gsctl-apply.yml").read_text())
    group = wf["concurrency"]["group"]
    assert "team" in group and "vars.GETSALES_TEAM_ID" in group
    assert wf["concurrency"]["cancel-in-progress"] is False
