"""Issue 16: a plan's wall time at the API's rate limit, with a fast and with a slow API.

An in-process emulator is seeded with ``--size`` objects (default 2,000; ``--quick``: 200) and
``gsctl export`` writes matching manifests. The emulator then limits the key to ``--limit``
requests per minute (default 300, the real API's limit) and ``gsctl plan --rate-limit LIMIT``
runs twice in a child process: answers at once, then every answer ``--latency`` seconds late
(default 0.2-0.5, uniformly; the emulator's slow-answer option), each with an empty
flow-version cache (cold: a private ``XDG_CACHE_HOME``). Then two repeat plans with the cache
warm: one as is, and one after ``--moved`` flows (default 5) got a new active version made
directly through the API (the same steps, so still no change). The table shows:

- requests served: list pages, and flow-version reads. Cold, every flow's version is read;
  warm, only the versions not cached: none, then one per flow whose version moved (the
  issue 16 target: list pages plus one per moved flow);
- wall time of the child process, and the request phase (first to last request, time-stamped
  by the watcher of ``apply_rate_bench.py``) against the floor the rate limit sets,
  ``(requests - 1) * 60 / limit`` seconds: the fraction is floor / phase, so 1.0 means the
  plan read at the rate limit, not at the latency (reads go in parallel, ``--parallelism`` 4);
- 429 answers (target 0: gsctl's own pacing never exceeds the limit).

Usage: ``python bench/read_bench.py [--quick] [--size 2000] [--limit 300] [--latency 0.2-0.5]
[--moved 5]``
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import _common as c
import httpx
from apply_rate_bench import Watcher

from gsctl.api import kinds

VERSION_PREFIX = kinds.FLOW_VERSION.split("{", 1)[0]  # GET one flow version


@dataclass
class Result:
    cache: str
    latency: str
    pages: int
    versions: int
    too_many: int
    wall: float
    phase: float
    limit: int
    exit_code: int

    @property
    def requests(self) -> int:
        return self.pages + self.versions

    @property
    def floor(self) -> float:
        return max(0, self.requests - 1) * 60 / self.limit


def plan_once(ws: c.Workspace, limit: int, latency: tuple[float, float], cache: str) -> Result:
    if cache == "cold":
        ws.clear_cache()
    ws.server.set_rate_limit(limit)  # the window starts empty
    ws.server.set_latency(*latency)
    ws.server.requests.clear()
    args = ["plan", str(ws.manifests), *ws.api_args(str(limit)), "--detailed-exitcode"]
    with Watcher(ws.server.requests) as watcher:
        run = c.run_gsctl(args, env=ws.env())
    log = list(ws.server.requests)
    phase = watcher.time_of(len(log) - 1) - watcher.time_of(0) if log else 0.0
    ws.server.set_rate_limit(None)
    ws.server.set_latency(0)
    versions = sum(1 for r in log if r.path.startswith(VERSION_PREFIX) and r.status == 200)
    shown = "none" if latency[1] == 0 else f"{latency[0]:g}-{latency[1]:g} s"
    return Result(
        cache=cache,
        latency=shown,
        pages=sum(1 for r in log if r.status == 200) - versions,
        versions=versions,
        too_many=sum(1 for r in log if r.status == 429),
        wall=run.wall,
        phase=phase,
        limit=limit,
        exit_code=run.returncode,
    )


def move_versions(ws: c.Workspace, count: int) -> int:
    """Give ``count`` flows a new active version (the same steps) through the API, as another
    user would; returns how many moved."""
    headers = {"Authorization": f"Bearer {c.DEFAULT_API_KEY}", "Team-ID": str(c.TEAM)}
    flows = sorted(ws.server.store.objects(c.TEAM, "flow"), key=lambda f: f["name"])[:count]
    with httpx.Client(base_url=ws.url, headers=headers, timeout=30) as http:
        for flow in flows:
            current = http.get(f"{VERSION_PREFIX}{flow['flow_version_uuid']}")
            current.raise_for_status()
            body = {k: current.json()[k] for k in ("nodes", "contact_sources")}
            http.post(kinds.FLOW_VERSIONS.format(uuid=flow["uuid"]), json=body).raise_for_status()
    ws.server.requests.clear()
    return len(flows)


def results_table(size: int, results: list[Result]) -> str:
    headers = [
        "objects",
        "version cache",
        "answer latency",
        "requests",
        "list pages",
        "version reads",
        "429s",
        "wall s",
        "request phase s",
        "floor s",
        "fraction",
        "exit",
    ]
    rows = [
        [
            c.size_label(size),
            r.cache,
            r.latency,
            r.requests,
            r.pages,
            r.versions,
            r.too_many,
            f"{r.wall:.1f}",
            f"{r.phase:.1f}",
            f"{r.floor:.1f}",
            f"{r.floor / r.phase:.2f}" if r.phase else "-",
            r.exit_code,
        ]
        for r in results
    ]
    return c.table(headers, rows)


def parse_latency(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 objects at 600/min")
    parser.add_argument("--size", type=int, help="objects (default 2000)")
    parser.add_argument("--limit", type=int, help="requests per minute (default 300)")
    parser.add_argument("--latency", help="slow answers, seconds or LOW-HIGH (default 0.2-0.5)")
    parser.add_argument("--moved", type=int, help="flows given a new version (default 5)")
    args = parser.parse_args(argv)
    size = args.size or (200 if args.quick else 2000)
    limit = args.limit or (600 if args.quick else 300)
    slow = parse_latency(args.latency or ("0.1-0.2" if args.quick else "0.2-0.5"))
    c.print_machine("plan at the rate limit, fast and slow API (issue 16)")
    wanted = 5 if args.moved is None else args.moved
    fast = (0.0, 0.0)
    with c.workspace(size) as ws:
        results = [plan_once(ws, limit, fast, "cold"), plan_once(ws, limit, slow, "cold")]
        results.append(plan_once(ws, limit, fast, "warm"))
        moved = move_versions(ws, wanted)
        results.append(plan_once(ws, limit, fast, f"warm, {moved} moved"))
    print(f"## plan of {c.size_label(size)} objects at {limit} requests/min (gsctl and emulator)")
    print(results_table(size, results))
    pages = results[2].pages
    print(
        f"\nrepeat plan: {results[2].requests} requests (target {pages}: the list pages); after"
        f" {moved} versions moved: {results[3].requests} (target {pages} + {moved})"
    )
    failed = [r for r in results if r.exit_code != 0]
    if failed:
        print(f"plan failed: exit {failed[0].exit_code} (expected 0, no changes)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
