"""Plans that say what they do (issue 14, item 5), end to end over HTTP: no refusal text under
``--force`` when nothing is refused, Ctrl-C before any write, ``[status]`` for a status-only
flow change, and re-pointed flow steps named by node id and new reference."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from e2e import KEY, api, names, run, write

FLOW = """
version: 1
tags:
  - name: Warm
flows:
  - name: F
    status: "on"
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""

REPLACE = """
version: 1
llm_connections:
  - {name: OpenAI, provider: openai, api_key: "${env:OPENAI_API_KEY}"}
templates:
  - {name: Intro, type: message, is_public: 0, body: "Hi", llm: OpenAI}
flows:
  - name: F
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: linkedin_send_message, payload: {ai_template: Intro},
         after: [{node_id: 1, branch_id: 1}]}
"""


def test_force_prints_no_refusal_when_nothing_is_refused(emulator, tmp_path: Path) -> None:
    for i in range(10):
        api(emulator, "POST", "/leads/api/tags", {"name": f"t{i}"})
    write(
        tmp_path, "ws.yaml", "version: 1\ntags:\n" + "".join(f"  - name: t{i}\n" for i in range(5))
    )
    refused = run(emulator, "plan", str(tmp_path), "--prune")
    assert refused.exit_code == 3
    assert "Refused by safety gates:" in refused.stdout and "--force" in refused.stdout
    forced = run(emulator, "plan", str(tmp_path), "--prune", "--force")
    assert forced.exit_code == 0, forced.output
    assert "Refused by safety gates" not in forced.output
    assert "Overridden by --force:" in forced.stdout  # what --force let through is still shown
    md = run(emulator, "plan", str(tmp_path), "--prune", "--force", "--format", "markdown")
    assert "Refused by safety gates" not in md.stdout


def test_status_only_flow_change_is_reported_as_status(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", FLOW.replace('status: "on"', 'status: "off"'))
    result = run(emulator, "apply", str(tmp_path), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert '~ flow "F" [status]: done' in result.stderr
    assert "[steps]" not in result.stderr


def test_repointed_step_shows_node_id_and_new_reference(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", REPLACE)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    write(tmp_path, "ws.yaml", REPLACE.replace("type: message", "type: email"))
    result = run(emulator, "plan", str(tmp_path), "--allow-replace")
    assert result.exit_code == 0, result.output
    # node 2 is a linkedin_send_message whose ai_template is the replaced "Intro"
    assert (
        'steps: ~ node 2 (Send LinkedIn message: Intro): ai_template -> new template "Intro"'
        in result.stdout
    )
    assert "node None" not in result.stdout
    # a replace shows its usage too (templates have no count in the API)
    assert '-/+ template "Intro" (create-only: type)  (usage unknown)' in result.stdout


def test_ctrl_c_before_any_write_exits_1(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", "version: 1\ntags:\n  - name: Warm\n")
    emulator.slow_seconds = 1.5
    emulator.set_faults(1.0, 1, ["slow"])  # every answer late: the plan is still reading
    argv = [sys.executable, "-m", "gsctl", "apply", str(tmp_path), "--auto-approve"]
    argv += ["--api-url", emulator.url, "--api-key", KEY, "--team", "1", "--timeout", "10"]
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        # a shell's background job ignores SIGINT, and so would gsctl (Python only installs
        # its Ctrl-C handler when SIGINT is not ignored): give the child the default back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 20
    while not emulator.requests and time.monotonic() < deadline:
        time.sleep(0.05)  # the first (slow) read has been answered: the plan is under way
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    emulator.set_faults(0.0, 1)
    assert proc.returncode == 1, stderr
    assert "interrupted; nothing was changed" in stderr
    assert "Traceback" not in stderr
    assert names(emulator, "tag") == []
