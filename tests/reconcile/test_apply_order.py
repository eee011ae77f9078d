"""Creates the API appends to an ordered list (pipeline stages, custom fields, flow
workspaces without a declared ``order``) run one after another in the manifests' order, so the
API numbers them in that order; everything else still runs in parallel.

The emulator answers every request 0.1 s late and logs when each request arrived and when
its answer started: a create of a chain must arrive after the previous one was answered. Run
in parallel (4 workers), the creates would overlap and their order would depend on timing."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import send_json
from e2e import objects, run, write

from gsctl.emulator.server import DEFAULT_API_KEY, EmulatorServer
from gsctl.model import Origin, Resource
from gsctl.reconcile.apply import Op, chains
from gsctl.reconcile.changes import Change

STAGES = "/leads/api/pipeline-stages"
FIELDS = "/leads/api/custom-fields"

CONFIG = """version: 1
pipeline_stages:
  - {name: Qualified, object: lead, category: positive}
  - {name: Demo booked, object: lead, category: positive}
  - {name: Proposal, object: lead, category: positive}
  - {name: Negotiation, object: lead, category: positive}
  - {name: Won, object: lead, category: positive}
  - {name: Target, object: company, category: positive}
  - {name: Customer, object: company, category: positive}
tags:
  - {name: A}
  - {name: B}
  - {name: C}
  - {name: D}
"""


@pytest.fixture
def slow_emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory(latency=(0.1, 0.1))


def posts(emulator: EmulatorServer, path: str) -> list[Any]:
    return [r for r in emulator.requests if r.method == "POST" and r.path == path]


def test_stages_are_created_in_manifest_order_one_after_another(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    write(tmp_path, "ws.yaml", CONFIG)
    result = run(slow_emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    stages = [s for s in objects(slow_emulator, "pipeline_stage") if s["type"] == "custom"]
    by_order = {
        obj: [s["name"] for s in sorted(stages, key=lambda s: s["order"]) if s["object"] == obj]
        for obj in ("lead", "company")
    }
    assert by_order["lead"] == ["Qualified", "Demo booked", "Proposal", "Negotiation", "Won"]
    assert by_order["company"] == ["Target", "Customer"]
    created = posts(slow_emulator, STAGES)
    assert len(created) == 7 and all(r.status == 201 for r in created)
    # two chains (lead, company): each create arrived after the one before it in its chain
    # was answered, so at most two stage creates were ever in flight at once
    for i, r in enumerate(created):
        in_flight = [o for o in created[:i] if o.answered > r.received]
        assert len(in_flight) <= 1, (i, len(in_flight))
    # the tags are not chained: they overlap
    tags = posts(slow_emulator, "/leads/api/tags")
    assert len(tags) == 4
    assert any(b.received < a.answered for a, b in itertools.pairwise(tags))


def test_a_failed_create_stops_the_rest_of_its_chain(
    stub_server: Callable[..., Any], tmp_path: Path
) -> None:
    """The API refuses the third stage: the two after it are not run (a second apply, once
    the cause is fixed, appends them in order), and nothing is sent for them."""
    sent: list[str] = []

    def stages(handler: Any) -> None:
        if handler.command == "GET":
            send_json(handler, 200, {"data": [], "total": 0})
            return
        name = json.loads(server.requests[-1][2])["name"]  # the chain sends one at a time
        sent.append(name)
        if name == "Proposal":
            send_json(handler, 422, {"message": "Validation failed", "errors": {"name": ["bad"]}})
            return
        obj = {"uuid": str(uuid.uuid4()), "name": name, "object": "lead", "type": "custom"}
        send_json(handler, 201, {**obj, "category": "positive", "order": len(sent)})

    server = stub_server(
        {STAGES: stages, "*": lambda h: send_json(h, 200, {"data": [], "total": 0})}
    )
    lead_only = "\n".join(CONFIG.splitlines()[:7])  # version, pipeline_stages: and 5 lead stages
    write(tmp_path, "ws.yaml", lead_only + "\n")
    result = run(server, "apply", str(tmp_path), "--auto-approve", "--only", "pipeline_stage")
    assert sent == ["Qualified", "Demo booked", "Proposal"]
    assert result.exit_code == 5, result.output
    assert 'pipeline_stage "lead/Proposal", declared before it, was not created' in result.output


def op(action: str, kind: str, name: str, line: int, **fields: Any) -> Op:
    desired = None
    if action != "delete":
        desired = Resource(kind, name, (name,), {"name": name, **fields}, Origin("a.yaml", line, 3))
    change = Change(action, kind, name, desired=desired)
    return Op(change, "delete" if action == "delete" else "main", change.level)


def names(units: list[list[Op]]) -> list[list[str]]:
    return [[o.change.name for o in unit] for unit in units]


def test_chains_group_appended_creates_by_kind_and_object_in_declared_order() -> None:
    ops = [
        op("create", "pipeline_stage", "B", 9, object="lead"),
        op("create", "pipeline_stage", "A", 12, object="lead"),
        op("create", "pipeline_stage", "C", 4, object="lead"),
        op("create", "pipeline_stage", "X", 20, object="company"),
        op("create", "pipeline_stage", "Y", 2, object="company"),
        op("create", "pipeline_stage", "Fixed", 1, object="lead", order=7),  # declared order
        op("update", "pipeline_stage", "U", 3, object="lead"),
        op("create", "custom_field", "f1", 30, object="lead"),
        op("create", "flow_workspace", "W2", 41),
        op("create", "flow_workspace", "W1", 40),
        op("create", "tag", "T1", 50),
        op("create", "tag", "T2", 51),
        op("delete", "pipeline_stage", "Old", 0),
    ]
    assert names(chains(ops)) == [
        ["C", "B", "A"],  # lead stages, by line
        ["Y", "X"],  # company stages
        ["Fixed"],
        ["U"],
        ["f1"],
        ["W1", "W2"],
        ["T1"],
        ["T2"],
        ["Old"],
    ]


def test_chains_keep_plan_order_when_no_origin_is_known() -> None:
    ops = [op("create", "custom_field", n, 0, object="lead") for n in ("b", "a")]
    for o in ops:
        assert o.change.desired is not None
        o.change.desired.origin = None
    assert names(chains(ops)) == [["b", "a"]]


def test_ctrl_c_stops_a_chain_before_its_next_create(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    stages = [f"  - {{name: Stage {i}, object: lead, category: positive}}" for i in range(8)]
    write(tmp_path, "ws.yaml", "version: 1\npipeline_stages:\n" + "\n".join(stages) + "\n")
    argv = [sys.executable, "-m", "gsctl", "apply", str(tmp_path), "--auto-approve"]
    argv += ["--api-url", slow_emulator.url, "--api-key", DEFAULT_API_KEY, "--team", "1"]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
        text=True,
        # a background shell job ignores SIGINT and its children inherit that: reset it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 30
    while len(posts(slow_emulator, STAGES)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # two stages created, the third maybe in flight
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 5, stdout + stderr  # partial: some creates were made
    assert "Apply interrupted:" in stdout
    assert "Traceback" not in stderr
    created = [s["name"] for s in objects(slow_emulator, "pipeline_stage")]
    custom = [n for n in created if n.startswith("Stage")]
    assert custom in (["Stage 0", "Stage 1"], ["Stage 0", "Stage 1", "Stage 2"])
    assert len(posts(slow_emulator, STAGES)) == len(custom)
