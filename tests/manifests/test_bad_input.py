"""Bad input: malformed manifests never crash gsctl and never reach the API.

For every entry of the corpus ``tests/fixtures/bad/`` (see its README: 180+ files and
directories: syntax errors, wrong types, alias bombs, duplicate keys, broken references, flow
cycles and dangling edges, non-UTF-8, binary, empty files, top-level lists, unknown sections,
literal secrets, bad settings, ...) and for huge inputs generated at test time:

- ``gsctl validate``, ``gsctl plan`` and ``gsctl apply --auto-approve`` exit exactly 1;
- stderr has a located message: a line starting ``PATH:LINE:COL: `` (PATH is the file, or a
  file inside the directory given);
- no traceback: the CLI runs in-process with ``catch_exceptions=True`` and the result's
  exception is None or SystemExit, and "Traceback" is not in the output;
- zero write requests (POST, PUT, PATCH, DELETE) reach the emulator (``emulator.requests``).

``plan_time/`` entries can only be rejected against the workspace or the environment:
``validate`` exits 0 or 1, ``plan`` and ``apply`` exit 1 as above.

Hypothesis properties run ``plan`` against the emulator on random bytes (always exit 1,
located, no write) and on ``examples/agency`` with one file mutated (no traceback, no write;
exit 0 or a located exit 1, and exit 1 whenever ``validate`` rejects the same input).

Each test uses its own team id of one module-wide emulator, so tests do not see each other's
objects. The slowest inputs (a 4 MB line, 50,000 unknown keys, 20,000 and 120,000 tags) are
marked ``slow``; ``GSCTL_PROPERTY_EXAMPLES=N`` sets the number of examples per property
(defaults: 100 random files, 25 mutated examples)::

    python -m pytest tests/manifests/test_bad_input.py -m slow -s
    GSCTL_PROPERTY_EXAMPLES=1000 \
        python -m pytest tests/manifests/test_bad_input.py -k plan_ --timeout 0
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gsctl.cli import main
from gsctl.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad"
AGENCY = ROOT / "examples" / "agency"
KEY = "gsctl-local-key"
ENV: dict[str, str | None] = {
    "OPENAI_API_KEY": "sk-bad-input-test-secret",
    "NO_COLOR": "1",
    "GSCTL_TEST_UNSET_VARIABLE": None,
    "GETSALES_API_KEY": None,
    "GETSALES_TEAM_ID": None,
    "GETSALES_API_URL": None,
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

BUGS: dict[str, str] = {}  # corpus file -> "BUG: ..." while a known bug is open (strict xfail)


def corpus(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name not in ("README.md", "plan_time"))


def params(paths: list[Path]) -> list[object]:
    return [
        pytest.param(
            p,
            id=p.name,
            marks=[pytest.mark.xfail(strict=True, reason=BUGS[p.name])] if p.name in BUGS else [],
        )
        for p in paths
    ]


# ----- running the CLI ---------------------------------------------------------------------


@dataclass
class Run:
    command: str
    exit_code: int
    stdout: str
    stderr: str
    writes: list[str]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return f"gsctl {self.command}: exit {self.exit_code}\n{self.output[-2000:]}"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    server = EmulatorServer()
    server.start()
    yield server
    server.stop()


_team_ids = itertools.count(1000)


@pytest.fixture
def team() -> int:
    return next(_team_ids)


def gsctl(server: EmulatorServer, team: int, command: str, path: Path) -> Run:
    """Run one command on ``path`` in-process; any exception but SystemExit fails the test."""
    argv = [command, str(path)]
    if command != "validate":
        argv += ["--api-url", server.url, "--api-key", KEY, "--team", str(team)]
        argv += ["--rate-limit", "60000"]
    if command == "apply":
        argv.append("--auto-approve")
    before = len(server.requests)
    result = CliRunner().invoke(main, argv, env=ENV, catch_exceptions=True)
    writes = [f"{r.method} {r.path}" for r in server.requests[before:] if r.method in WRITES]
    run = Run(command, result.exit_code, result.stdout, result.stderr, writes)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{run.describe()}\nraised {result.exception!r}"
    )
    assert "Traceback" not in run.output, run.describe()
    return run


def located(path: Path) -> re.Pattern[str]:
    """A stderr line ``PATH:LINE:COL: `` for the file, or for a file inside the directory."""
    inside = r"(?:/[^\n]+?)?" if path.is_dir() else ""
    return re.compile(rf"^{re.escape(str(path))}{inside}:\d+:\d+: ", re.M)


def assert_refused(run: Run, path: Path) -> None:
    assert run.exit_code == 1, run.describe()
    assert located(path).search(run.stderr), f"no located message\n{run.describe()}"
    assert run.writes == [], f"writes reached the API: {run.writes}\n{run.describe()}"


def assert_all_commands_refuse(server: EmulatorServer, team: int, path: Path) -> None:
    for command in ("validate", "plan", "apply"):
        assert_refused(gsctl(server, team, command, path), path)


# ----- the corpus --------------------------------------------------------------------------


def test_the_corpus_is_big_enough() -> None:
    assert len(corpus(BAD)) >= 100
    assert set(BUGS) <= {p.name for p in [*corpus(BAD), *corpus(BAD / "plan_time")]}


@pytest.mark.parametrize("path", params(corpus(BAD)))
def test_malformed_manifest_is_refused(server: EmulatorServer, team: int, path: Path) -> None:
    assert_all_commands_refuse(server, team, path)


@pytest.mark.parametrize("path", params(corpus(BAD / "plan_time")))
def test_plan_time_error_is_refused(server: EmulatorServer, team: int, path: Path) -> None:
    check = gsctl(server, team, "validate", path)
    assert check.exit_code in (0, 1), check.describe()
    for command in ("plan", "apply"):
        assert_refused(gsctl(server, team, command, path), path)


# ----- huge inputs, generated at test time -------------------------------------------------


def many_tags(count: int) -> str:
    """``count`` tags, then one whose name repeats an earlier one (case-insensitively)."""
    lines = [f'  - {{name: tag{i:06d}, color: "#F4A300"}}' for i in range(count)]
    return "version: 1\ntags:\n" + "\n".join(lines) + "\n  - {name: TAG000007}\n"


def billion_laughs() -> str:
    lines = ["version: 1", "l0: &l0 [lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join([*lines, "tags: *l9", ""])


def many_keys(count: int) -> str:
    """``count`` unknown top-level keys: as many diagnostics."""
    return "version: 1\n" + "".join(f"key{i}: {i}\n" for i in range(count))


HUGE: dict[str, Callable[[], str | bytes]] = {
    "over_size_limit": lambda: "version: 1\n" + "# padding padding padding padding\n" * 200_000,
    "over_size_limit_binary": lambda: b"\xff" * (6 * 1024 * 1024),
    "one_megabyte_line": lambda: "version: 1\ntags:\n  - {name: " + "x" * 1_000_000 + ", a: 1}\n",
    "deep_flow_nesting": lambda: "version: 1\ntags: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_block_nesting": lambda: (
        "version: 1\ntags:\n" + "".join("  " * i + "-\n" for i in range(1, 1500))
    ),
    "billion_laughs": billion_laughs,
    "two_thousand_unknown_keys": lambda: many_keys(2000),
    "two_thousand_tags_duplicate_at_end": lambda: many_tags(2000),
}
HUGE_SLOW: dict[str, Callable[[], str | bytes]] = {
    "four_megabyte_line": lambda: "version: 1\ntags:\n  - {name: " + "x" * 4_000_000 + ", a: 1}\n",
    "fifty_thousand_unknown_keys": lambda: many_keys(50_000),
    "twenty_thousand_tags_duplicate_at_end": lambda: many_tags(20_000),
}


def write_huge(directory: Path, name: str, make: Callable[[], str | bytes]) -> Path:
    path = directory / f"{name}.yaml"
    content = make()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(HUGE))
def test_huge_input_is_refused(
    server: EmulatorServer, team: int, name: str, tmp_path: Path
) -> None:
    path = write_huge(tmp_path, name, HUGE[name])
    started = time.monotonic()
    assert_all_commands_refuse(server, team, path)
    assert time.monotonic() - started < 30


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HUGE_SLOW))
def test_huge_input_is_refused_slow(
    server: EmulatorServer, team: int, name: str, tmp_path: Path
) -> None:
    path = write_huge(tmp_path, name, HUGE_SLOW[name])
    started = time.monotonic()
    assert_all_commands_refuse(server, team, path)
    print(f"{name} ({path.stat().st_size} bytes): {time.monotonic() - started:.1f} s, 3 commands")


@pytest.mark.slow
def test_manifest_just_under_the_size_limit_is_refused(
    server: EmulatorServer, team: int, tmp_path: Path
) -> None:
    """120,000 tags (4.8 MB, under the 5 MiB limit) with a duplicate in the last line."""
    path = tmp_path / "huge.yaml"
    path.write_text(many_tags(120_000), encoding="utf-8")
    for command in ("validate", "plan"):
        started = time.monotonic()
        assert_refused(gsctl(server, team, command, path), path)
        print(f"{command} of {path.stat().st_size} bytes: {time.monotonic() - started:.1f} s")


# ----- properties --------------------------------------------------------------------------

EXAMPLES = os.environ.get("GSCTL_PROPERTY_EXAMPLES")  # e.g. 1000 for a deeper local run


def property_settings(default_examples: int) -> settings:
    return settings(
        max_examples=int(EXAMPLES or default_examples),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


AGENCY_FILES = sorted(p.relative_to(AGENCY) for p in AGENCY.rglob("*.yaml"))


@given(content=st.binary(max_size=2000))
@property_settings(100)
def test_plan_refuses_random_bytes(server: EmulatorServer, content: bytes) -> None:
    team = next(_team_ids)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.yaml"
        path.write_bytes(content)
        assert_refused(gsctl(server, team, "plan", path), path)


@st.composite
def mutated_agency(draw: st.DrawFn) -> tuple[Path, bytes]:
    """One file of examples/agency with bytes deleted, inserted, replaced or lines swapped."""
    rel = draw(st.sampled_from(AGENCY_FILES))
    data = (AGENCY / rel).read_bytes()
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "swap_lines", "truncate"]))
        if op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 40)) :]
        elif op == "insert":
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
        elif op == "replace":
            chunk = draw(st.sampled_from([b":", b"-", b" ", b"\t", b"[", b"{", b"*", b"&a ", b"'"]))
            data = data[:pos] + chunk + data[pos + 1 :]
        elif op == "truncate":
            data = data[:pos]
        else:
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return rel, data


@given(case=mutated_agency())
@property_settings(25)
def test_plan_on_mutated_examples_never_crashes_or_writes(
    server: EmulatorServer, case: tuple[Path, bytes]
) -> None:
    rel, data = case
    team = next(_team_ids)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "agency"
        shutil.copytree(AGENCY, root)
        (root / rel).write_bytes(data)
        pattern = located(root)
        checked = gsctl(server, team, "validate", root)
        planned = gsctl(server, team, "plan", root)
    assert planned.writes == [], planned.describe()
    assert planned.exit_code in (0, 1), planned.describe()
    if checked.exit_code == 1:
        assert planned.exit_code == 1, f"validate refused, plan did not\n{planned.describe()}"
    if planned.exit_code == 1:
        assert pattern.search(planned.stderr), f"no located message\n{planned.describe()}"
