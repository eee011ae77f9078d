"""Reliability: ``kill -9`` of a running ``gsctl apply``, then a re-run converges.

One real ``gsctl emulator --db FILE --port P`` subprocess serves the whole module; every case
uses its own team, so the cases are independent. Per case:

1. ``python -m gsctl apply examples/agency --api-url http://127.0.0.1:P --api-key
   gsctl-local-key --team T --auto-approve --rate-limit 600`` runs as a subprocess;
2. it gets SIGKILL either after a delay, or once the emulator's database holds N more rows
   for the team than before (each create is one row; a flow create two, with its initial
   version; each saved flow version one), so that kills land in the middle of the writes
   whatever the speed of the machine;
3. ``gsctl apply`` runs again (in-process, limiter off) and must exit 0;
4. the team holds exactly the declared objects (listed over HTTP: one per kind and natural
   key, none missing, nothing else but the team's seed), each flow has one saved version
   besides its initial one, and ``plan --detailed-exitcode`` exits 0.

The quick cases run in CI; more kill points (fixed and seeded random delays, more row counts)
are marked ``slow``::

    python -m pytest tests/reconcile/test_reliability_kill.py -m slow -s
"""

from __future__ import annotations

import collections
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from convergence import KeyCounts, assert_keys

from gsctl.api import kinds
from gsctl.cli import main

ROOT = Path(__file__).resolve().parents[2]
AGENCY = ROOT / "examples" / "agency"
KEY = "gsctl-local-key"
SECRET_ENV = {"OPENAI_API_KEY": "sk-kill-test-secret", "NO_COLOR": "1"}
START_TIMEOUT = 20.0
KILL_TIMEOUT = 30.0  # the latest a kill trigger may fire; the whole apply takes ~6 s


# ----- the emulator subprocess -------------------------------------------------------------


@dataclass
class EmulatorProcess:
    proc: subprocess.Popen[bytes]
    url: str
    db: Path

    def rows(self, team: int) -> int:
        """Rows the emulator's database holds for ``team`` (read through SQLite, WAL-safe)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            (count,) = conn.execute(
                "SELECT count(*) FROM objects WHERE team_id = ?", (team,)
            ).fetchone()
        finally:
            conn.close()
        return int(count)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a subprocess we started: SIGTERM, then SIGKILL after a bounded wait."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_emulator(directory: Path) -> EmulatorProcess:
    """``gsctl emulator`` on a free port; retried once if the port was taken meanwhile."""
    db = directory / "emulator.db"
    for _attempt in range(3):
        port = free_port()
        log = (directory / f"emulator-{port}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gsctl", "emulator", "--db", str(db), "--port", str(port)],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/leads/api/tags", headers=auth(0), timeout=1).status_code:
                    return EmulatorProcess(proc, url, db)
            except httpx.TransportError:
                time.sleep(0.05)
        stop(proc)
    raise RuntimeError("the emulator subprocess did not start")


@pytest.fixture(scope="module")
def emulator_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    server = start_emulator(tmp_path_factory.mktemp("kill"))
    try:
        yield server
    finally:
        stop(server.proc)


_teams = iter(range(100, 10_000))


@pytest.fixture
def team(emulator_proc: EmulatorProcess) -> int:
    """A fresh team of the shared emulator, seeded (first use) before the case starts."""
    team_id = next(_teams)
    response = httpx.get(f"{emulator_proc.url}/leads/api/tags", headers=auth(team_id))
    assert response.status_code == 200
    return team_id


# ----- checks ------------------------------------------------------------------------------


def auth(team: int) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {KEY}"}
    if team:
        headers["Team-ID"] = str(team)
    return headers


def list_live(url: str, team: int, kind: kinds.Kind) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for params in kind.list_filters:
        response = httpx.get(
            url + kind.collection,
            params={**params, "limit": "100", "offset": "0"},
            headers=auth(team),
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("has_more"), "more than one page: extend this helper"
        out.extend(body["data"])
    return out


def live_keys(url: str, team: int) -> KeyCounts:
    return {
        k.name: collections.Counter(
            kinds.natural_key(k, {f: o.get(k.api_name(f)) for f in k.natural_key})
            for o in list_live(url, team, k)
        )
        for k in kinds.MANAGED
    }


def assert_exactly_declared(url: str, team: int, baseline: KeyCounts) -> None:
    assert_keys(live_keys(url, team), baseline)
    for flow in list_live(url, team, kinds.KINDS["flow"]):
        path = kinds.FLOW_VERSIONS.format(uuid=flow["uuid"])
        versions = httpx.get(url + path, headers=auth(team), timeout=10).json()["data"]
        assert len(versions) == 2, (
            f'flow "{flow["name"]}" has {len(versions)} versions; want the initial one plus '
            "exactly one saved version"
        )


def gsctl_inprocess(url: str, team: int, *args: str) -> tuple[int, str]:
    argv = [*args, "--api-url", url, "--api-key", KEY, "--team", str(team)]
    argv += ["--rate-limit", "60000"]
    result = CliRunner().invoke(main, argv, env=SECRET_ENV, catch_exceptions=True)
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output, output
    return result.exit_code, output


# ----- the scenario ------------------------------------------------------------------------


Trigger = Callable[[EmulatorProcess, int, int, float], bool]


def after_seconds(seconds: float) -> Trigger:
    return lambda server, team, rows0, started: time.monotonic() - started >= seconds


def after_rows(count: int) -> Trigger:
    return lambda server, team, rows0, started: server.rows(team) - rows0 >= count


def kill_apply_then_converge(
    server: EmulatorProcess, team: int, trigger: Trigger, tmp_path: Path
) -> str:
    """Start apply, SIGKILL it when ``trigger`` fires, re-run, check; what the kill hit."""
    baseline = live_keys(server.url, team)
    rows0 = server.rows(team)
    argv = [sys.executable, "-m", "gsctl", "apply", str(AGENCY), "--api-url", server.url]
    argv += ["--api-key", KEY, "--team", str(team), "--auto-approve", "--rate-limit", "600"]
    out = (tmp_path / "apply.out").open("wb")
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**os.environ, **SECRET_ENV},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()
    started = time.monotonic()
    try:
        while proc.poll() is None and not trigger(server, team, rows0, started):
            assert time.monotonic() - started < KILL_TIMEOUT, "the kill trigger never fired"
            time.sleep(0.01)
        finished_first = proc.poll() is not None
        if not finished_first:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop(proc)
    written = server.rows(team) - rows0
    where = "after it finished" if finished_first else f"after {written} rows were written"
    log = (tmp_path / "apply.out").read_text(errors="replace")
    assert "Traceback" not in log, log
    code, output = gsctl_inprocess(server.url, team, "apply", str(AGENCY), "--auto-approve")
    assert code == 0, f"re-run after kill {where} exited {code}:\n{output[-3000:]}"
    assert_exactly_declared(server.url, team, baseline)
    code, output = gsctl_inprocess(server.url, team, "plan", str(AGENCY), "--detailed-exitcode")
    assert code == 0, f"plan after the re-run shows changes:\n{output[-3000:]}"
    print(f"team {team}: killed {where} ({time.monotonic() - started:.1f} s)")
    return where


QUICK = {"1.0s": after_seconds(1.0), "rows5": after_rows(5), "rows30": after_rows(30)}


@pytest.mark.parametrize("point", list(QUICK))
def test_kill_9_then_rerun_converges(
    emulator_proc: EmulatorProcess, team: int, point: str, tmp_path: Path
) -> None:
    where = kill_apply_then_converge(emulator_proc, team, QUICK[point], tmp_path)
    if point.startswith("rows"):
        assert where.startswith("after") and "finished" not in where


_rng = random.Random(20240607)
SLOW = {
    **{f"{s}s": after_seconds(s) for s in (0.3, 0.8, 1.5, 2.5, 3.5, 4.5)},
    **{f"random{d:.2f}s": after_seconds(d) for d in sorted(_rng.uniform(1.5, 6) for _ in range(4))},
    **{f"rows{n}": after_rows(n) for n in (1, 2, 12, 20, 24, 34, 36, 38)},
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(SLOW))
def test_kill_9_then_rerun_converges_more_points(
    emulator_proc: EmulatorProcess, team: int, point: str, tmp_path: Path
) -> None:
    kill_apply_then_converge(emulator_proc, team, SLOW[point], tmp_path)
