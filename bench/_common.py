"""Shared helpers of the gsctl benchmarks (not a benchmark itself).

- :func:`machine` / :func:`print_machine`: CPU model, cores and Python version.
- :func:`workspace_seed`: a seed file (``gsctl/emulator/seed.py`` format) of N managed objects
  of mixed kinds, with :func:`minimum_requests` the fewest requests a no-change plan needs.
- :class:`Workspace`: an in-process emulator (rate limit off unless asked) loaded from a seed,
  plus manifests exported from it with ``gsctl export`` (so plan reports no changes).
- :func:`run_gsctl`: run the gsctl CLI in a child process and read its wall time, CPU time
  (user + sys) and peak RSS from ``os.wait4``: gsctl's own cost, separate from the emulator,
  which runs in the benchmark's process.
- :func:`table`: a plain-text table.

Benchmarks import this as ``import _common`` (``python bench/<name>.py`` puts ``bench/`` on
``sys.path``).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gsctl.api import kinds  # noqa: E402
from gsctl.emulator.server import DEFAULT_API_KEY, EmulatorServer  # noqa: E402

TEAM = 1
NO_LIMIT = "1000000"  # gsctl --rate-limit for "no client-side limit" (requests per minute)
NATIVE_STAGES_PER_OBJECT = 4  # every team starts with 4 native stages per object type
MAX_CUSTOM_FIELDS = 100  # per object type (lead, company)

# Share of the total per kind; tags take what is left. Custom fields are capped at 200.
MIX = {
    "llm_connection": 0.01,
    "custom_field": 0.04,
    "pipeline_stage": 0.06,
    "flow_workspace": 0.03,
    "ai_agent": 0.05,
    "template": 0.20,
    "flow": 0.05,
    "webhook": 0.05,
}
EVENTS = ("contact_replied_linkedin_message", "contact_replied_email", "contact_tag_added")
TS = "2024-01-01T00:00:00.000000Z"
_NS = uuid.UUID("6f1d5c1e-3c2a-4b8e-9a51-0d7f2b9a6e10")


# ----------------------------------------------------------------- machine and tables


def machine() -> dict[str, str]:
    """CPU model, logical cores and Python version of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": str(os.cpu_count() or "?"),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews wall times."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def print_machine(title: str) -> None:
    m = machine()
    print(f"# {title}")
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['os']}")
    print(f"load average at start (1/5/15 min): {load_average()}")
    print()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown-compatible plain-text table."""
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), sep, *[line(r) for r in cells[1:]]])


def parse_sizes(text: str) -> list[int]:
    """``"1000,5k,20k"`` -> [1000, 5000, 20000]."""
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        out.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return out


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


T = TypeVar("T")


def measure_sizes(measure: Callable[[int, int], T], sizes: list[int], repeat: int) -> list[T]:
    """``measure(size, repeat)`` for each size, smallest first, with progress on stderr."""
    results = []
    for size in sorted(sizes):
        results.append(measure(size, repeat))
        print(f"  measured {size_label(size)} objects", file=sys.stderr, flush=True)
    return results


# ----------------------------------------------------------------- seed generation


def counts_for(total: int) -> dict[str, int]:
    """Objects per managed kind for a workspace of ``total`` objects (at least one of each)."""
    counts = {k: max(1, int(total * share)) for k, share in MIX.items()}
    counts["custom_field"] = min(counts["custom_field"], 2 * MAX_CUSTOM_FIELDS)
    counts["tag"] = total - sum(counts.values())
    if counts["tag"] < 1:
        raise ValueError(f"a workspace needs at least {sum(counts.values()) + 1} objects")
    return counts


def _uuid(kind: str, i: int) -> str:
    return str(uuid.uuid5(_NS, f"{kind}/{i}"))


def _split(n: int) -> tuple[int, int]:
    """(lead, company) counts for per-object kinds."""
    return n - n // 2, n // 2


def _version(i: int) -> dict[str, Any]:
    """A small flow version: source -> message -> end."""

    def node(nid: int, typ: str, after: list[int], before: list[int], **extra: Any) -> Any:
        edges = {
            "after": [{"node_id": n, "branch_id": 1} for n in after],
            "before": [{"node_id": n, "branch_id": 1} for n in before],
        }
        return {"id": nid, "type": typ, **edges, "created_at": TS, "updated_at": TS, **extra}

    return {
        "nodes": [
            node(1, "end", [], [2]),
            node(2, "linkedin_send_message", [1], [], payload={"template": f"Hi #{i}"}),
        ],
        "contact_sources": [{"rotation_strategy": "fair", "sender_profiles": [], "after_id": 2}],
    }


def flow_seed(i: int, space: str) -> dict[str, Any]:
    """Flow number ``i`` of a seed file, in flow workspace ``space``, with a small version."""
    return {
        "name": f"Flow {i:05d}",
        "use_sender_schedule": True,
        "schedule": {"timezone": "UTC", "timeblocks": []},
        "flow_workspace_uuid": space,
        **_version(i),
    }


def workspace_seed(total: int) -> dict[str, list[dict[str, Any]]]:
    """Team 1's content for the seed file: ``total`` managed objects of mixed kinds."""
    c = counts_for(total)
    llms = [_uuid("llm", i) for i in range(c["llm_connection"])]
    spaces = [_uuid("fw", i) for i in range(c["flow_workspace"])]
    lead_cf, company_cf = _split(c["custom_field"])
    lead_st, company_st = _split(c["pipeline_stage"])
    return {
        "llm_connections": [
            {"uuid": u, "name": f"LLM {i:05d}", "provider": "openai", "provider_api_token": "sk-x"}
            for i, u in enumerate(llms)
        ],
        "tags": [{"name": f"Tag {i:05d}", "color": "#3B82F6"} for i in range(c["tag"])],
        "custom_fields": [{"name": f"lead_field_{i:03d}", "object": "lead"} for i in range(lead_cf)]
        + [{"name": f"company_field_{i:03d}", "object": "company"} for i in range(company_cf)],
        "pipeline_stages": [
            {"name": f"Stage {i:05d}", "object": obj, "category": "positive"}
            for obj, n in (("lead", lead_st), ("company", company_st))
            for i in range(n)
        ],
        "flow_workspaces": [{"uuid": u, "name": f"Space {i:05d}"} for i, u in enumerate(spaces)],
        "ai_agents": [
            {
                "name": f"Agent {i:05d}",
                "classification_llm_uuid": llms[i % len(llms)] if i % 2 == 0 else None,
                "classification_prompt": f"Classify reply {i}.",
            }
            for i in range(c["ai_agent"])
        ],
        "templates": [
            {
                "name": f"Template {i:05d}",
                "type": "message",
                "is_public": 1,
                "body": f"Hello {{{{first_name}}}}, message {i}.",
                "llm_uuid": llms[i % len(llms)] if i % 4 == 0 else None,
            }
            for i in range(c["template"])
        ],
        "flows": [flow_seed(i, spaces[i % len(spaces)]) for i in range(c["flow"])],
        "webhooks": [
            {
                "name": f"Webhook {i:05d}",
                "event": EVENTS[i % len(EVENTS)],
                "target_url": f"https://hooks.example.com/{i}",
            }
            for i in range(c["webhook"])
        ],
    }


def _pages(n: int) -> int:
    """List requests for ``n`` objects: at least one, 100 per page."""
    return max(1, math.ceil(n / kinds.MAX_PAGE))


def minimum_requests(total: int) -> dict[str, int]:
    """The fewest requests a plan of the whole workspace can make, per kind.

    One listing per kind (pipeline stages: one per object type, native stages included),
    ``ceil(n / 100)`` pages each, plus one version read per flow (every flow has steps in the
    exported manifests and the flow list carries no steps).
    """
    c = counts_for(total)
    out = {k: _pages(n) for k, n in c.items() if k != "pipeline_stage"}
    out["pipeline_stage"] = sum(
        _pages(n + NATIVE_STAGES_PER_OBJECT) for n in _split(c["pipeline_stage"])
    )
    out["flow_version"] = c["flow"]
    return out


# ----------------------------------------------------------------- emulator + manifests


@dataclass
class Run:
    """One finished gsctl child process."""

    args: list[str]
    returncode: int
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    max_rss_mb: float
    stdout: str
    stderr: str


def gsctl_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GETSALES_")}
    env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO)})
    env.update(extra or {})
    return env


def run_gsctl(
    args: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None
) -> Run:
    """Run ``python -m gsctl ARGS`` and measure the child with ``os.wait4``."""
    cmd = [sys.executable, "-m", "gsctl", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=gsctl_env(env), cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            list(args),
            proc.returncode,
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,  # Linux: KiB
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


@dataclass
class Workspace:
    """A seeded in-process emulator and a directory of manifests matching it."""

    total: int
    root: Path
    server: EmulatorServer
    url: str
    manifests: Path
    secrets_env: dict[str, str] = field(default_factory=dict)
    seed_seconds: float = 0.0
    cache_generation: int = 0

    def api_args(self, rate_limit: str = NO_LIMIT) -> list[str]:
        return [
            "--api-url",
            self.url,
            "--api-key",
            DEFAULT_API_KEY,
            "--team",
            str(TEAM),
            "--rate-limit",
            rate_limit,
        ]

    @property
    def cache_dir(self) -> Path:
        """gsctl's cache directory for this workspace (``XDG_CACHE_HOME``), never the user's."""
        return self.root / f"cache-{self.cache_generation}"

    def env(self) -> dict[str, str]:
        """Environment of a gsctl child: the secrets the manifests need, the private cache."""
        return {**self.secrets_env, "XDG_CACHE_HOME": str(self.cache_dir)}

    def clear_cache(self) -> None:
        """Start from an empty flow-version cache: the next plan reads every version (cold).

        A new directory, not a deleted one: see :func:`remove_at_exit`."""
        self.cache_generation += 1

    def plan(self, path: Path | None = None, *extra: str, env: dict[str, str] | None = None) -> Run:
        """``gsctl plan`` of ``path`` (default: the exported manifests) in a child process;
        ``env`` adds to :meth:`env` (``{"GSCTL_NO_CACHE": "1"}``: no flow-version cache)."""
        args = ["plan", str(path or self.manifests), *self.api_args(), *extra]
        return run_gsctl(args, env={**self.env(), **(env or {})})

    def count_requests(self) -> int:
        return len(self.server.requests)


def export_manifests(ws_url: str, out: Path) -> dict[str, str]:
    """``gsctl export`` into ``out``; returns the env vars its secret placeholders need."""
    args = [
        "export",
        "--out",
        str(out),
        "--force",
        "--api-url",
        ws_url,
        "--api-key",
        DEFAULT_API_KEY,
        "--team",
        str(TEAM),
        "--rate-limit",
        NO_LIMIT,
    ]
    run = run_gsctl(args)
    if run.returncode != 0:
        raise RuntimeError(f"gsctl export failed ({run.returncode}): {run.stderr[-2000:]}")
    names: set[str] = set()
    for path in out.rglob("*.yaml"):
        names.update(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text()))
    return {name: "sk-bench" for name in sorted(names)}


_REMOVE_AT_EXIT: list[Path] = []


def remove_at_exit(path: Path) -> None:
    """Delete ``path`` when the benchmark ends, not now: on this VM's filesystem (ext4 without
    a journal) the inode allocator skips inodes freed in the last ~30 s, and creating the
    cache files of a cold plan right after a deletion cost up to 1 s more kernel time (see
    bench/README.md, "Nothing is deleted mid-run")."""
    if not _REMOVE_AT_EXIT:
        atexit.register(_remove_all)
    _REMOVE_AT_EXIT.append(path)


def _remove_all() -> None:
    for path in _REMOVE_AT_EXIT:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def workspace(total: int, *, rate_limit: int | None = None) -> Iterator[Workspace]:
    """An emulator seeded with ``total`` objects, and exported manifests that match it (its
    directory is deleted when the benchmark ends: :func:`remove_at_exit`)."""
    root = Path(tempfile.mkdtemp(prefix=f"gsctl-bench-{total}-"))
    remove_at_exit(root)
    seed = root / "seed.json"
    seed.write_text(json.dumps({"teams": {str(TEAM): workspace_seed(total)}}))
    started = time.perf_counter()
    server = EmulatorServer(seed_file=str(seed), rate_limit=rate_limit)
    seed_seconds = time.perf_counter() - started
    url = server.start()
    try:
        manifests = root / "manifests"
        env = export_manifests(url, manifests)
        server.requests.clear()
        yield Workspace(total, root, server, url, manifests, env, seed_seconds)
    finally:
        server.stop()


@contextmanager
def emulator_process(seed: Path) -> Iterator[str]:
    """``gsctl emulator`` in a child process, loaded from ``seed``; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "gsctl", "emulator", "--port", str(port)]
    cmd += ["--seed-file", str(seed)]
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=gsctl_env()
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if "serving" not in line:
            raise SystemExit(f"the emulator did not start: {line}{proc.stderr.read()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def empty_emulator(*, rate_limit: int | None = None) -> Iterator[tuple[EmulatorServer, str]]:
    server = EmulatorServer(rate_limit=rate_limit)
    url = server.start()
    try:
        yield server, url
    finally:
        server.stop()


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
