"""Reliability under injected faults: ``apply examples/agency`` to an empty team converges.

Every case applies ``examples/agency`` (OPENAI_API_KEY set) to a fresh emulator team while the
emulator injects faults, and holds the same promise:

- the run ends, in one run or at most one re-run: exit 0, or exit 5 then exit 0 (exit 1, a
  traceback or a third run is a failure);
- afterwards the team holds exactly the declared objects: per kind and natural key (read from
  the manifests with plain YAML, not through gsctl) exactly one object, none missing, nothing
  else but what the team was seeded with; each flow has exactly one saved version besides its
  initial one (no identical version posted twice);
- ``plan --detailed-exitcode`` with the faults off shows no changes (exit 0).

Fault kinds (``gsctl/emulator/faults.py``): ``server_error`` (500 before anything),
``bad_gateway`` (a write is committed, then answered 502: the ambiguous case), ``drop`` (the
connection is closed without an answer) and ``slow`` (answer delayed by ``slow_seconds``).
The tests hold whether or not the client retries a 500: an unretried 500 fails one change
(exit 5) and the re-run converges.

Client timeout: the CLI has no timeout flag (the client's timeout is 30 s), so the matrix keeps
slow faults at 0.2 s, far below it. ``test_slow_answers_past_the_client_timeout`` covers the
timeout path in-process by giving the CLI's client a 0.3 s timeout (wrapping
``gsctl.cli.connect._client``) with 0.6 s slow faults. The emulator sleeps *before* it reads the
request, so a request the client abandoned is never executed late; the race "committed after
the client gave up" is therefore not exercised by these tests.

429 bursts: the client limiter is off (``--rate-limit 60000``) while the emulator limits
requests. The quick case shrinks the emulator's 60 s window to 1 s (module constant
``gsctl.emulator.faults.WINDOW_SECONDS``); the slow case uses the real window with
``set_rate_limit(120)`` after 100 requests used most of it, so the client waits out real
``Retry-After`` values of up to a minute.

Other cases: only ambiguous faults (every create must be found by natural key, never posted
twice); an outage (every request fails) from the first write for 1 s, with the client's
backoff shortened so that retries run out: apply exits 5, some failed creates were in fact
committed, and the re-run converges without duplicates.

CI runs a reduced matrix (one seed per rate, one worker so that a seed always injects the same
faults into the same requests: no flakes). The full matrix (3 rates x 5 seeds, both
parallelism 1 and 4, plus the real-window 429 case; ~3 minutes) is marked ``slow``::

    python -m pytest tests/reconcile/test_reliability_faults.py -m slow -s     # only the slow cases
    python -m pytest tests/reconcile/test_reliability_faults.py -m '' -s       # everything

(``-s`` shows one line per case: rate, seed, exit codes, faults injected, seconds.)
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from convergence import KeyCounts, assert_keys

from gsctl.api import kinds
from gsctl.cli import connect as connection
from gsctl.cli import main
from gsctl.emulator import EmulatorServer
from gsctl.emulator import faults as emulator_faults

ROOT = Path(__file__).resolve().parents[2]
AGENCY = ROOT / "examples" / "agency"
KEY = "gsctl-local-key"
ENV = {"OPENAI_API_KEY": "sk-fault-test-secret", "NO_COLOR": "1"}
TEAM = 1
RATES = (0.1, 0.2, 0.3)
FULL_SEEDS = (1, 2, 3, 4, 5)
QUICK = [(0.1, 1), (0.2, 2), (0.3, 3)]


# ----- helpers -----------------------------------------------------------------------------


def gsctl(server: EmulatorServer, *args: str, parallelism: int = 4) -> tuple[int, str]:
    """Run ``gsctl ARGS`` in-process against ``server``; (exit code, stdout + stderr).

    Fails the test on a traceback or an exception other than SystemExit.
    """
    argv = [
        *args,
        *("--api-url", server.url, "--api-key", KEY, "--team", str(TEAM)),
        *("--rate-limit", "60000", "--parallelism", str(parallelism)),
    ]
    result = CliRunner().invoke(main, argv, env=ENV, catch_exceptions=True)
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"gsctl {args[0]} raised {result.exception!r}\n{output}"
    )
    assert "Traceback" not in output, output
    return result.exit_code, output


def live_keys(server: EmulatorServer, team: int = TEAM) -> KeyCounts:
    """Natural keys per kind of every object the emulator holds (duplicates counted)."""
    return {
        k.name: collections.Counter(
            kinds.natural_key(k, {f: o.get(k.api_name(f)) for f in k.natural_key})
            for o in server.store.objects(team, k.name)
        )
        for k in kinds.MANAGED
    }


def assert_exactly_declared(server: EmulatorServer, baseline: KeyCounts) -> None:
    """No duplicates, nothing missing, nothing extra; one saved version per flow."""
    assert_keys(live_keys(server), baseline)
    flows = [f["uuid"] for f in server.store.objects(TEAM, "flow")]
    versions = collections.Counter(
        v.get("flow_uuid") for v in server.store.objects(TEAM, "flow_version")
    )
    assert {uuid: versions[uuid] for uuid in flows} == dict.fromkeys(flows, 2), (
        "each flow must have its initial version plus exactly one saved version"
    )


def apply_until_converged(server: EmulatorServer, parallelism: int = 4) -> list[int]:
    """Apply, and once more if the first run was partial; the exit codes seen."""
    codes: list[int] = []
    for _ in range(2):
        code, output = gsctl(
            server, "apply", str(AGENCY), "--auto-approve", parallelism=parallelism
        )
        codes.append(code)
        assert code in (0, 5), f"apply exited {code} (runs so far {codes}):\n{output[-3000:]}"
        if code == 0:
            return codes
    raise AssertionError(f"apply did not converge in two runs: exit codes {codes}")


def assert_no_changes(server: EmulatorServer) -> None:
    code, output = gsctl(server, "plan", str(AGENCY), "--detailed-exitcode")
    assert code == 0, f"plan after apply shows changes (exit {code}):\n{output[-3000:]}"


def converge_under_faults(
    server: EmulatorServer,
    rate: float,
    seed: int,
    *,
    fault_kinds: list[str] | None = None,
    parallelism: int = 4,
) -> list[int]:
    """The whole scenario: baseline, faults on, apply (re-run once), faults off, checks."""
    baseline = live_keys(server)  # the team's seeded objects (native pipeline stages)
    server.set_faults(rate, seed, fault_kinds)
    started = time.monotonic()
    codes = apply_until_converged(server, parallelism)
    server.set_faults(0.0, 0)
    injected = collections.Counter(r.fault for r in server.requests if r.fault)
    print(
        f"rate {rate} seed {seed} parallelism {parallelism}: exit codes {codes}, "
        f"faults {dict(injected)}, {time.monotonic() - started:.1f} s"
    )
    assert injected, "no fault was injected: the test proves nothing"
    assert_exactly_declared(server, baseline)
    assert_no_changes(server)
    return codes


@pytest.fixture
def server(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    server = emulator_factory()
    server.slow_seconds = 0.2  # far below the client's 30 s timeout (no CLI flag to lower it)
    return server


@pytest.fixture
def client_tuning(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Give the CLI's client a shorter timeout and/or backoff (the CLI has no flags for them)."""

    def tune(*, timeout: float | None = None, backoff_base: float | None = None) -> None:
        original = connection._client

        def tuned(*args: Any, **kwargs: Any) -> Any:
            client = original(*args, **kwargs)
            if timeout is not None:
                client._http.timeout = httpx.Timeout(timeout)
            if backoff_base is not None:
                client.backoff_base = backoff_base
            return client

        monkeypatch.setattr(connection, "_client", tuned)

    return tune


# ----- the fault matrix --------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "seed"), QUICK, ids=[f"rate{r}-seed{s}" for r, s in QUICK])
def test_apply_converges_under_faults(server: EmulatorServer, rate: float, seed: int) -> None:
    """One worker: the same seed gives the same faults on the same requests (no flakes)."""
    converge_under_faults(server, rate, seed, parallelism=1)


FULL = [(r, s, p) for r in RATES for s in FULL_SEEDS for p in (1, 4)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rate", "seed", "parallelism"), FULL, ids=[f"rate{r}-seed{s}-par{p}" for r, s, p in FULL]
)
def test_apply_converges_under_faults_full_matrix(
    server: EmulatorServer, rate: float, seed: int, parallelism: int
) -> None:
    converge_under_faults(server, rate, seed, parallelism=parallelism)


def test_ambiguous_writes_only(server: EmulatorServer, client_tuning: Callable[..., None]) -> None:
    """Every fault is a committed write answered 502 or a dropped connection: the client must
    find each create by natural key instead of posting it again."""
    client_tuning(backoff_base=0.1)
    converge_under_faults(server, 0.3, 11, fault_kinds=["bad_gateway", "drop"], parallelism=1)


def test_slow_answers_past_the_client_timeout(
    emulator_factory: Callable[..., EmulatorServer], client_tuning: Callable[..., None]
) -> None:
    server = emulator_factory()
    server.slow_seconds = 0.6
    client_tuning(timeout=0.3, backoff_base=0.05)
    converge_under_faults(
        server, 0.2, 5, fault_kinds=["slow", "bad_gateway", "drop"], parallelism=1
    )
    timeouts = [r for r in server.requests if r.fault == "slow"]
    assert timeouts, "no slow answer was injected"


# ----- an outage in the middle of the apply: exit 5, then the re-run converges --------------


@contextmanager
def outage_after_first_write(server: EmulatorServer, seconds: float) -> Iterator[None]:
    """From the first POST the emulator answers, every request fails (500, 502 after the
    write, or a dropped connection) for ``seconds``; then the faults stop."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if any(r.method == "POST" for r in list(server.requests)):
                server.set_faults(1.0, 1, ["server_error", "bad_gateway", "drop"])
                stop.wait(seconds)
                server.set_faults(0.0, 0)
                return
            stop.wait(0.002)

    watcher = threading.Thread(target=watch, name="outage", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=5)
        server.set_faults(0.0, 0)


def test_outage_mid_apply_gives_exit_5_then_rerun_converges(
    server: EmulatorServer, client_tuning: Callable[..., None]
) -> None:
    """Retries run out during the outage (backoff shortened to keep the test fast): the
    changes in flight fail, their dependants are not run, apply exits 5. Some of the failed
    creates were committed (502 after the write) and must not be created twice."""
    client_tuning(backoff_base=0.01)
    baseline = live_keys(server)
    with outage_after_first_write(server, 1.0):
        code, output = gsctl(server, "apply", str(AGENCY), "--auto-approve")
    assert code == 5, output[-3000:]
    assert "failed" in output
    assert any(r.fault == "bad_gateway" and r.method == "POST" for r in server.requests)
    code, output = gsctl(server, "apply", str(AGENCY), "--auto-approve")
    assert code == 0, output[-3000:]
    assert_exactly_declared(server, baseline)
    assert_no_changes(server)


# ----- 429 bursts with the client limiter off -----------------------------------------------


def count_429(server: EmulatorServer) -> int:
    return sum(1 for r in server.requests if r.status == 429)


def test_rate_limit_bursts_converge(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator allows 15 requests per 1 s window (shrunk from 60 s to keep CI fast);
    gsctl sends as fast as it can and must honour Retry-After without failing a change."""
    monkeypatch.setattr(emulator_faults, "WINDOW_SECONDS", 1.0)
    server.set_rate_limit(15)
    baseline = live_keys(server)
    code, output = gsctl(server, "apply", str(AGENCY), "--auto-approve")
    assert code == 0, output[-3000:]
    assert count_429(server) > 0, "the emulator never answered 429: the test proves nothing"
    server.set_rate_limit(None)
    assert_exactly_declared(server, baseline)
    assert_no_changes(server)


@pytest.mark.slow
def test_rate_limit_bursts_converge_real_window(server: EmulatorServer) -> None:
    """set_rate_limit(120) on the real 60 s window, most of it used up beforehand: gsctl
    waits out Retry-After (up to a minute) and still converges in one run."""
    server.set_rate_limit(120)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as api:
        for _ in range(100):
            assert api.get("/leads/api/tags").status_code == 200
    baseline = live_keys(server)
    code, output = gsctl(server, "apply", str(AGENCY), "--auto-approve")
    assert code == 0, output[-3000:]
    assert count_429(server) > 0
    server.set_rate_limit(None)
    assert_exactly_declared(server, baseline)
    assert_no_changes(server)
