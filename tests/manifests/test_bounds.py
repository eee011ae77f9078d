"""Validation bounds, offline: NaN and infinity, contract ranges (priority, percentages,
delays, waits), ``${var:}`` cycles, files that are not regular, look-alike names. One test
per bound; messages are checked with their exact location."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gsctl.manifests.bounds import skeleton
from gsctl.manifests.validate import validate_paths


def check(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "m.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    _, diagnostics = validate_paths([str(tmp_path)], env={})
    return [str(d).replace(str(tmp_path) + os.sep, "") for d in diagnostics]


def flow(fields: str = "", steps: str = "      - message: {text: hi}\n") -> str:
    return (
        "version: 1\nflows:\n  - name: F\n    use_sender_schedule: true\n"
        "    schedule: {timezone: UTC, timeblocks: []}\n"
        "    contact_sources:\n      - {sender_profiles: [Anna - EU]}\n"
        + fields
        + "    steps:\n"
        + steps
    )


def test_nan_is_refused_where_it_was_written(tmp_path: Path) -> None:
    got = check(tmp_path, "version: 1\nsettings:\n  max_delete_percent: .nan\n")
    assert got == ["m.yaml:3:23: settings.max_delete_percent: must be a finite number, not .nan "
                   "(not a number)"]  # fmt: skip


def test_infinity_is_refused(tmp_path: Path) -> None:
    got = check(tmp_path, "version: 1\nsettings:\n  max_delete_percent: -.inf\n")
    assert "m.yaml:3:23: settings.max_delete_percent: must be a finite number, not infinity" in got


def test_percentages_are_0_to_100(tmp_path: Path) -> None:
    got = check(tmp_path, "version: 1\nsettings:\n  max_delete_percent: 101\n")
    assert len(got) == 1 and got[0].startswith("m.yaml:3:23: settings.max_delete_percent: must be")
    assert check(tmp_path, "version: 1\nsettings:\n  max_delete_percent: 100\n") == []


@pytest.mark.parametrize("priority", ["0", "11", "100000000000000000000000", "1e23"])
def test_flow_priority_is_1_to_10(tmp_path: Path, priority: str) -> None:
    got = check(tmp_path, flow(f"    priority: {priority}\n"))
    assert len(got) == 1 and got[0].startswith('m.yaml:8:15: flow "F": priority: '), got


def test_flow_priority_10_is_accepted(tmp_path: Path) -> None:
    assert check(tmp_path, flow("    priority: 10\n")) == []


def test_a_huge_wait_is_refused(tmp_path: Path) -> None:
    steps = "      - wait: {days: 1000000000000000000000000000000000000000}\n      - message: {}\n"
    got = check(tmp_path, flow(steps=steps))
    assert 'm.yaml:9:22: flow "F": steps[0].wait.days: days must be at most 365 (365 days)' in got


def test_waits_add_up_to_at_most_365_days(tmp_path: Path) -> None:
    ok = "      - wait: {days: 365}\n      - message: {text: hi}\n"
    assert check(tmp_path, flow(steps=ok)) == []
    over = "      - wait: {days: 365, hours: 1}\n      - message: {text: hi}\n"
    got = check(tmp_path, flow(steps=over))
    assert 'm.yaml:9:15: flow "F": steps[0].wait: a wait must be at most 365 days in total' in got


def test_a_raw_node_delay_is_bounded(tmp_path: Path) -> None:
    text = """
    version: 1
    flows:
      - name: F
        use_sender_schedule: true
        schedule: {timezone: UTC, timeblocks: []}
        contact_sources:
          - {sender_profiles: [Anna - EU], after_id: 2}
        nodes:
          - {id: 1, type: end}
          - {id: 2, type: linkedin_send_message, delay_in_seconds: 31536001,
             after: [{node_id: 1, branch_id: 1}]}
    """
    got = check(tmp_path, text)
    assert any(
        "delay_in_seconds must be an integer from 0 to 31536000 (365 days)" in d for d in got
    ), got


def test_var_cycles_are_detected(tmp_path: Path) -> None:
    text = """
    version: 1
    settings:
      vars:
        default: {a: "x${var:b}", b: "y${var:a}"}
    tags:
      - name: "T ${var:a}"
    """
    assert check(tmp_path, text) == [
        'm.yaml:6:11: tag "T ${var:a}": name: variables refer to each other in a loop: '
        "${var:a} -> ${var:b} -> ${var:a}"
    ]


def test_a_var_referring_to_itself_is_a_cycle(tmp_path: Path) -> None:
    text = 'version: 1\nsettings:\n  vars:\n    default: {a: "${var:a}!"}\n'
    text += 'tags:\n  - name: "${var:a}"\n'
    got = check(tmp_path, text)
    assert len(got) == 1 and got[0].endswith("loop: ${var:a} -> ${var:a}")


def test_vars_using_vars_are_expanded(tmp_path: Path) -> None:
    text = 'version: 1\nsettings:\n  vars:\n    default: {a: "x-${var:b}", b: "y"}\n'
    text += 'tags:\n  - name: "${var:a}"\n'
    (tmp_path / "m.yaml").write_text(text)
    desired, diagnostics = validate_paths([str(tmp_path)], env={})
    assert diagnostics == [] and desired is not None
    assert [r.name for r in desired.resources] == ["x-y"]


def test_a_named_pipe_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "tags.yaml").write_text("version: 1\ntags:\n  - name: Warm\n")
    os.mkfifo(tmp_path / "p.yaml")
    cmd = [sys.executable, "-m", "gsctl", "validate", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)  # used to block
    assert done.returncode == 0, done.stderr
    pipe = tmp_path / "p.yaml"
    assert f"{pipe}:1:1: warning: not a regular file" in done.stdout + done.stderr


def test_lookalike_names_are_warned_about(tmp_path: Path) -> None:
    got = check(tmp_path, "version: 1\ntags:\n  - name: Warm\n  - name: W\u0430rm\n")
    assert got == [
        'm.yaml:4:11: warning: tag "W\u0430rm": looks like tag "Warm" at m.yaml:3:11 '
        "(U+0430 CYRILLIC SMALL LETTER A where the other has U+0061 LATIN SMALL LETTER A); "
        "they are different objects"
    ]


def test_nfkc_lookalikes_and_distinct_names() -> None:
    assert skeleton("\uff37arm") == skeleton("Warm")  # fullwidth W
    assert skeleton("caf\u00e9") == skeleton("cafe\u0301") == skeleton("cafe")
    assert skeleton("\u0391\u03b2\u03bf") == skeleton("abo")  # Greek Alpha beta omicron
    assert skeleton("Warm") != skeleton("Worm")
