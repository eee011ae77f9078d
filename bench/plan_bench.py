"""Benchmarks 1 and 4: ``gsctl plan`` with no changes, and how its time scales.

For each size (default 1k, 5k, 20k managed objects of mixed kinds) an in-process emulator
(rate limit off) is seeded and ``gsctl export`` writes matching manifests. ``gsctl plan
--detailed-exitcode`` then runs in a child process ``--repeat`` times with a private, new and
empty flow-version cache each time (``XDG_CACHE_HOME`` in the workspace: cold), then
``--repeat`` times with the cache the last cold plan filled (warm), then ``--repeat`` times
with ``GSCTL_NO_CACHE=1`` (every version read, no cache file written). The table shows
medians: wall time, gsctl's CPU time (user + sys), peak RSS (from ``os.wait4``, the largest of
all runs), and the HTTP requests the emulator served against the minimum the API allows
(list pages of 100 per kind, pipeline stages listed once per object type, plus, cold only,
one version read per flow).

The scaling table divides the plan time at the largest size by the time at the smallest. The
target is linear growth with 25 % slack: ``1.25 * size ratio`` (25 for 20k over 1k).

The cost table (issue 16) shows gsctl's marginal CPU per 10,000 unchanged objects between the
smallest and the largest size and the peak RSS at the largest size. The targets (<= 1.0 s per
10k, <= 120 MB at 20k) apply to a plan of unchanged objects, whose flow versions the cache
holds (warm). The cold and no-cache rows have no target: they show what reading every
version costs once (the HTTP library's share is measured by ``http_bench.py``) and, between
them, what writing one cache file per version costs on this machine.

Usage: ``python bench/plan_bench.py [--quick] [--sizes 1k,5k,20k] [--repeat 3] [--check]``
(``--check``: exit 1 when the requests are not minimal or the scaling target is missed).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import _common as c

QUICK_SIZES = "100,400"
FULL_SIZES = "1k,5k,20k"
SLACK = 1.25
CPU_PER_10K_TARGET = 1.0  # seconds (issue 16)
RSS_TARGET_MB = 120  # at 20k objects (issue 16)


@dataclass
class Result:
    size: int
    wall: float  # median of the warm runs
    cpu: float
    rss_mb: float  # largest of all runs
    requests: int  # warm runs (the most of them)
    minimum: int
    seed_s: float
    cold_wall: float = 0.0  # median of the first plans, flow-version cache empty
    cold_cpu: float = 0.0
    cold_requests: int = 0
    uncached_cpu: float = 0.0  # GSCTL_NO_CACHE=1: every version read, no cache file written

    @property
    def warm_minimum(self) -> int:
        """A repeat plan reads the list pages only: every flow version is cached."""
        return self.minimum - c.counts_for(self.size)["flow"]


def measure(size: int, repeat: int) -> Result:
    """``repeat`` cold plans (each with a new, empty flow-version cache), then ``repeat`` warm
    ones (the last cold plan filled the cache), then ``repeat`` with the cache off."""
    minimum = sum(c.minimum_requests(size).values())
    colds, walls, cpus, rss, counts, cold_counts = [], [], [], [], [], []
    with c.workspace(size) as ws:
        for _ in range(repeat):
            ws.clear_cache()
            colds.append(_plan(ws, size))
            cold_counts.append(ws.count_requests())
        for _ in range(repeat):
            run = _plan(ws, size)
            walls.append(run.wall)
            cpus.append(run.cpu)
            counts.append(ws.count_requests())
            rss.append(run.max_rss_mb)
        seed_s = ws.seed_seconds
        uncached = [_plan(ws, size, {"GSCTL_NO_CACHE": "1"}).cpu for _ in range(repeat)]
    return Result(
        size,
        c.median(walls),
        c.median(cpus),
        max(rss + [run.max_rss_mb for run in colds]),
        max(counts),
        minimum,
        seed_s,
        c.median([run.wall for run in colds]),
        c.median([run.cpu for run in colds]),
        max(cold_counts),
        c.median(uncached),
    )


def _plan(ws: c.Workspace, size: int, env: dict[str, str] | None = None) -> c.Run:
    ws.server.requests.clear()
    run = ws.plan(None, "--detailed-exitcode", env=env)
    if run.returncode != 0:
        raise SystemExit(
            f"plan at {size} objects: exit {run.returncode} (expected 0, no changes)\n"
            f"{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        )
    return run


def plan_table(results: list[Result]) -> str:
    rows = [
        [
            c.size_label(r.size),
            f"{r.cold_wall:.2f}",
            f"{r.cold_cpu:.2f}",
            r.cold_requests,
            f"{r.wall:.2f}",
            f"{r.cpu:.2f}",
            r.requests,
            f"{r.rss_mb:.0f}",
            f"{r.minimum} / {r.warm_minimum}",
            "yes" if _minimal(r) else "NO",
        ]
        for r in results
    ]
    headers = [
        "objects",
        "cold wall s",
        "cold CPU s",
        "cold requests",
        "warm wall s",
        "warm CPU s",
        "warm requests",
        "peak RSS MB",
        "minimum (cold / warm)",
        "minimal",
    ]
    return c.table(headers, rows)


def _minimal(r: Result) -> bool:
    return r.cold_requests == r.minimum and r.requests == r.warm_minimum


def scaling_table(results: list[Result]) -> tuple[str, bool]:
    small, big = results[0], results[-1]
    size_ratio = big.size / small.size
    target = SLACK * size_ratio
    ratio = big.wall / small.wall
    cpu_ratio = big.cpu / small.cpu
    ok = ratio <= target
    row = [
        f"{c.size_label(big.size)} / {c.size_label(small.size)}",
        f"{size_ratio:.0f}",
        f"{big.wall:.2f} / {small.wall:.2f}",
        f"{ratio:.1f}",
        f"{cpu_ratio:.1f}",
        f"<= {target:.0f}",
        "pass" if ok else "FAIL",
    ]
    headers = ["sizes", "size ratio", "wall s", "time ratio", "CPU ratio", "target", "result"]
    return c.table(headers, [row]), ok


def cost_table(results: list[Result]) -> tuple[str, bool]:
    """Marginal CPU per 10k objects (smallest -> largest size) and peak RSS at the largest."""
    small, big = results[0], results[-1]
    span = f"{c.size_label(small.size)} -> {c.size_label(big.size)}"
    per_10k = (big.cpu - small.cpu) / (big.size - small.size) * 10_000
    cold_10k = (big.cold_cpu - small.cold_cpu) / (big.size - small.size) * 10_000
    uncached_10k = (big.uncached_cpu - small.uncached_cpu) / (big.size - small.size) * 10_000
    cpu_ok, rss_ok = per_10k <= CPU_PER_10K_TARGET, big.rss_mb <= RSS_TARGET_MB
    rows = [
        [
            f"CPU per 10k objects, warm cache ({span})",
            f"{per_10k:.2f} s",
            f"<= {CPU_PER_10K_TARGET} s",
            "pass" if cpu_ok else "FAIL",
        ],
        [
            f"CPU per 10k objects, cold cache: the first plan, every version read ({span})",
            f"{cold_10k:.2f} s",
            "none: paid once (the reads are httpx's cost: http_bench.py)",
            "-",
        ],
        [
            f"CPU per 10k objects, no cache: every version read, none written ({span})",
            f"{uncached_10k:.2f} s",
            "none (cold minus this: writing the cache files)",
            "-",
        ],
        [
            f"peak RSS at {c.size_label(big.size)}",
            f"{big.rss_mb:.0f} MB",
            f"<= {RSS_TARGET_MB} MB at 20k",
            "pass" if rss_ok else "FAIL",
        ],
    ]
    return c.table(["figure", "measured", "target", "result"], rows), cpu_ok and rss_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, 1 run")
    parser.add_argument("--sizes", help=f"comma-separated sizes (default {FULL_SIZES})")
    parser.add_argument("--repeat", type=int, help="plan runs per size (default 3; quick 1)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = c.parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    repeat = args.repeat or (1 if args.quick else 3)
    c.print_machine("plan, no changes (benchmark 1) and scaling (benchmark 4)")
    results = c.measure_sizes(measure, sizes, repeat)
    print(
        f"## plan, no changes: medians of {repeat} cold and {repeat} warm runs "
        "(gsctl in a child process)"
    )
    print(plan_table(results))
    print()
    scaled = True
    if len(results) > 1:
        text, scaled = scaling_table(results)
        print("## scaling: plan time at the largest size over the smallest")
        print(text)
        print()
        costs, _ = cost_table(results)
        print("## cost per object (issue 16)")
        print(costs)
    minimal = all(_minimal(r) for r in results)
    return 1 if args.check and not (minimal and scaled) else 0


if __name__ == "__main__":
    sys.exit(main())
