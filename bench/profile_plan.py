"""Profile an in-process ``gsctl plan`` of a large workspace (default 20k objects, no changes).

The emulator runs in a separate process (``python -m gsctl emulator --seed-file``), so its
work neither shows in the profile nor competes for this process's GIL; manifests come from
``gsctl export``. Then, in this process:

1. each phase of ``gsctl plan`` is timed on its own, with gsctl's normal thread pool:
   loading the manifests (``validate.load_desired``), fetching the live state
   (``live.fetch``), ``plan.build_plan`` and ``render.plan_text``;
2. the whole plan runs again under ``cProfile``. cProfile sees only the thread it runs in,
   so the fetch's thread pool is replaced by a serial stand-in for this run (fetching is
   then sequential: wall time differs, the CPU hot spots do not). The tables show the
   functions with the most own time, the gsctl functions with the most cumulative time, and
   own time per gsctl module, each as a share of the profiled total.

Usage: ``python bench/profile_plan.py [--quick] [--size 20000] [--top 25] [--out FILE.prof]``
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import _common as c

from gsctl import render
from gsctl.cli.connect import connect
from gsctl.manifests.validate import load_desired
from gsctl.reconcile import live as live_mod
from gsctl.reconcile import workflow
from gsctl.reconcile.live import fetch
from gsctl.reconcile.plan import build_plan, fetch_kinds, parse_only, scope_kinds


class SerialPool:
    """A stand-in for ThreadPoolExecutor that runs ``map`` and ``submit`` in the calling thread."""

    def __init__(self, max_workers: int | None = None) -> None:
        pass

    def __enter__(self) -> SerialPool:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(self, func: Callable[..., Any], items: Iterable[Any]) -> Iterator[Any]:
        return iter([func(item) for item in items])

    def submit(self, func: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(func(*args))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


def plan_once(cfg: workflow.RunConfig, timings: dict[str, float] | None = None) -> str:
    """One plan, phase by phase, as ``gsctl plan`` does it; returns the text rendering."""
    marks = [time.perf_counter()]
    desired = load_desired(list(cfg.paths), team=cfg.team, env=cfg.environ(), strict_env=True)
    marks.append(time.perf_counter())
    with connect(cfg, c.TEAM) as client:
        wanted = fetch_kinds(desired, scope_kinds(parse_only(())))
        steps_for = [r.name for r in desired.by_kind("flow") if "nodes" in r.fields]
        live = fetch(client, wanted, steps_for=steps_for, parallelism=cfg.parallelism)
    workflow.check_flow_transitions(desired, live)
    marks.append(time.perf_counter())
    plan = build_plan(desired, live, cfg.plan, team_id=c.TEAM, api_url=cfg.api_url)
    marks.append(time.perf_counter())
    text = render.plan_text(plan)
    marks.append(time.perf_counter())
    if timings is not None:
        names = ("load manifests", "fetch live", "build_plan", "render text")
        for name, a, b in zip(names, marks, marks[1:], strict=False):
            timings[name] = b - a
    return text


def short(filename: str) -> str:
    for marker in ("/gsctl/", "/site-packages/", "/lib/python"):
        if marker in filename:
            return (
                filename.split(marker, 1)[1]
                if marker != "/gsctl/"
                else "gsctl/" + (filename.split(marker, 1)[1])
            )
    return filename


def module_of(filename: str) -> str:
    """A gsctl file, a third-party package, a stdlib module, or "(builtins)"."""
    if filename == "~" or filename.startswith("<"):
        return "(builtins)"
    if "/gsctl/" in filename:
        return short(filename)
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/")[0] + " (package)"
    return Path(filename).stem + " (stdlib)"


def profile_tables(stats: pstats.Stats, top: int) -> str:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _cc, _nc, tt, _ct, _callers in raw.values())
    rows = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    own = [
        [f"{short(f)}:{ln}:{fn}", nc, f"{tt:.2f}", f"{tt / total:.1%}", f"{ct:.2f}"]
        for (f, ln, fn), (_cc, nc, tt, ct, _callers) in rows
    ]
    gs = [(k, v) for k, v in raw.items() if "/gsctl/" in k[0] and "/emulator/" not in k[0]]
    cum = sorted(gs, key=lambda kv: -kv[1][3])[:top]
    cumulative = [
        [f"{short(f)}:{fn}", nc, f"{ct:.2f}", f"{ct / total:.1%}"]
        for (f, _ln, fn), (_cc, nc, _tt, ct, _callers) in cum
    ]
    modules: dict[str, float] = {}
    for (f, _ln, _fn), (_cc, _nc, tt, _ct, _callers) in raw.items():
        modules[module_of(f)] = modules.get(module_of(f), 0.0) + tt
    per_module = [
        [m, f"{t:.2f}", f"{t / total:.1%}"] for m, t in sorted(modules.items(), key=lambda x: -x[1])
    ]
    return "\n\n".join(
        [
            f"## top {top} functions by own time (profiled total {total:.2f} s)",
            c.table(["function", "calls", "own s", "share", "cumulative s"], own),
            f"## top {top} gsctl functions by cumulative time",
            c.table(["function", "calls", "cumulative s", "share"], cumulative),
            "## own time per module (gsctl file, package or stdlib module)",
            c.table(["module", "own s", "share"], per_module[: top + 1]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 objects, top 10")
    parser.add_argument("--size", type=int, help="objects (default 20000)")
    parser.add_argument("--top", type=int, help="rows per table (default 25)")
    parser.add_argument("--out", help="also write the cProfile data to this file")
    args = parser.parse_args(argv)
    size = args.size or (200 if args.quick else 20000)
    top = args.top or (10 if args.quick else 25)
    c.print_machine(f"profile of an in-process plan at {size} objects, no changes")
    with tempfile.TemporaryDirectory(prefix="gsctl-bench-profile-") as tmp:
        seed = Path(tmp) / "seed.json"
        seed.write_text(json.dumps({"teams": {str(c.TEAM): c.workspace_seed(size)}}))
        with c.emulator_process(seed) as url:
            manifests = Path(tmp) / "manifests"
            env = c.export_manifests(url, manifests)
            cfg = workflow.RunConfig(
                paths=(str(manifests),),
                api_url=url,
                api_key=c.DEFAULT_API_KEY,
                team=str(c.TEAM),
                rate_limit=None,
                env={**c.gsctl_env(), **env},
            )
            timings: dict[str, float] = {}
            plan_once(cfg, timings)
            profiler = cProfile.Profile()
            original = live_mod.ThreadPoolExecutor
            live_mod.ThreadPoolExecutor = SerialPool
            try:
                profiler.enable()
                plan_once(cfg)
                profiler.disable()
            finally:
                live_mod.ThreadPoolExecutor = original
    total = sum(timings.values())
    print("## phases of one in-process plan (gsctl's own thread pool, no profiler)")
    rows = [[n, f"{t:.2f}", f"{t / total:.1%}"] for n, t in timings.items()]
    print(c.table(["phase", "wall s", "share"], [*rows, ["total", f"{total:.2f}", "100%"]]))
    print()
    stats = pstats.Stats(profiler)
    if args.out:
        stats.dump_stats(args.out)
    print(profile_tables(stats, top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
