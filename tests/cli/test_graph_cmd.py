"""``gsctl graph``: a flow from the manifests, from the live workspace, and a plan's change
coloured, over HTTP against the emulator. Expected diagrams written by hand."""

from __future__ import annotations

from pathlib import Path

from e2e import KEY, run, write

FLOW = """
version: 1
tags:
  - name: Warm
flows:
  - name: Follow-up
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - {id: 2, type: linkedin_send_message, payload: {template: "Thanks!"},
         after: [{node_id: 3, branch_id: 1}]}
      - {id: 3, type: gs_add_tag, payload: {tag: Warm}, after: [{node_id: 1, branch_id: 1}]}
"""

DRAWN = """flowchart TD
  s0[/"Contacts: Anna - EU"/]
  n1(["End"])
  n2["Send LinkedIn message: Thanks!"]
  n3["Add tag: Warm"]
  s0 --> n2
  n2 --> n3
  n3 --> n1
"""

# After a 2-hour wait is put before the tag step: the wait on the edge, the step amber.
DIFF = """flowchart TD
  %% green = added, red dashed = removed, amber = changed
  s0[/"Contacts: Anna - EU"/]
  n1(["End"])
  n2["Send LinkedIn message: Thanks!"]
  n3["Add tag: Warm"]
  s0 --> n2
  n2 -->|"2 h"| n3
  n3 --> n1
  classDef changed fill:#fff8c5,stroke:#9a6700,color:#4d2d00
  class n3 changed
"""


def api_args(emulator) -> list[str]:
    return ["--api-url", emulator.url, "--api-key", KEY, "--team", "1", "--rate-limit", "60000"]


def test_graph_from_the_manifests_without_the_api(tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    result = run(None, "graph", "Follow-up", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == DRAWN
    dot = run(None, "graph", "follow-up", str(tmp_path), "--format", "dot")  # any case
    assert dot.stdout.startswith('digraph "Follow-up" {\n')
    assert '  n3 [label="Add tag: Warm", shape=box];\n' in dot.stdout


def test_graph_unknown_flow_is_one_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    result = run(None, "graph", "Nope", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == "error: no flow named 'Nope' in the manifests (flows: Follow-up)\n"
    assert result.stdout == ""


def test_graph_live_and_diff(emulator, tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    assert run(emulator, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    live = run(emulator, "graph", "Follow-up", str(tmp_path), "--live", *api_args(emulator))
    assert live.exit_code == 0, live.output
    for label in ('"Contacts: Anna - EU"', '"Send LinkedIn message: Thanks!"', '"Add tag: Warm"'):
        assert label in live.stdout  # references by name, read back from the live version
    changed = FLOW.replace("payload: {tag: Warm},", "payload: {tag: Warm}, delay_in_seconds: 7200,")
    write(tmp_path, "ws.yaml", changed)
    diff = run(emulator, "graph", "Follow-up", str(tmp_path), "--diff", *api_args(emulator))
    assert diff.exit_code == 0, diff.output
    assert diff.stdout == DIFF
    # The Markdown plan of the same change: step line with values, the same diagram inside.
    md = run(emulator, "plan", str(tmp_path), "--format", "markdown")
    assert md.exit_code == 0, md.output
    assert "    steps: ~ node 3 (Add tag: Warm): delay none -> 2 h\n```\n" in md.stdout
    body = DIFF.replace("  %% green = added, red dashed = removed, amber = changed\n", "")
    assert f"```mermaid\n{body}```\n" in md.stdout


def test_graph_live_needs_a_key(tmp_path: Path) -> None:
    write(tmp_path, "ws.yaml", FLOW)
    result = run(None, "graph", "Follow-up", str(tmp_path), "--live", env={"GETSALES_API_KEY": ""})
    assert result.exit_code == 1
    assert "no API key" in result.stderr
