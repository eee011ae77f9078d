"""Benchmark 2: plan with 10 % of the objects changed; diff and render time on their own.

For each size the exported manifests are copied and 10 % of the objects edited: half of the
edits change a tag's colour, half a template's body (so the plan is that many updates).
``gsctl plan`` of the edited copy runs in a child process (wall, CPU, peak RSS, as in
``plan_bench.py``). Then, in this process, the desired state and the live state are built
once (``workflow.make_plan``) and the pure phases are timed on their own, median of
``--repeat`` runs: ``gsctl.reconcile.plan.build_plan`` (pairing, normalising, diffing, safety gates,
live fingerprint) and the three renderers ``gsctl.render.plan_text``, ``plan_json`` and
``plan_markdown``.

Usage: ``python bench/changes_bench.py [--quick] [--sizes 1k,5k,20k] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common as c
import yaml

from gsctl import render
from gsctl.cli.connect import connect
from gsctl.reconcile import workflow
from gsctl.reconcile.changes import PlanOptions
from gsctl.reconcile.plan import build_plan

QUICK_SIZES = "200"
FULL_SIZES = "1k,5k,20k"
SHARE = 0.10


@dataclass
class Result:
    size: int
    changed: int
    updates: int
    wall: float
    cpu: float
    rss_mb: float
    phases: dict[str, float]  # seconds, median


def _edit(path: Path, section: str, count: int, edit: Callable[[dict[str, Any], int], None]) -> int:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = doc[section]
    if count > len(items):
        raise SystemExit(f"{path.name}: only {len(items)} items, {count} edits asked")
    step = len(items) / count
    for n in range(count):
        edit(items[int(n * step)], n)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return count


def change_manifests(src: Path, dst: Path, total: int) -> int:
    """Copy ``src`` to ``dst`` and edit 10 % of ``total`` objects; returns the edit count."""
    shutil.copytree(src, dst)
    changes = round(total * SHARE)
    tags = changes // 2

    def colour(item: dict[str, Any], n: int) -> None:
        item["color"] = f"#{(n * 2654435761) % 0xFFFFFF:06X}"

    def body(item: dict[str, Any], n: int) -> None:
        item["body"] = f"{item.get('body') or ''} (edited {n})"

    done = _edit(dst / "tags.yaml", "tags", tags, colour)
    done += _edit(dst / "templates.yaml", "templates", changes - tags, body)
    return done


def _timed(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return c.median(times)


def pure_phases(ws: c.Workspace, path: Path, repeat: int) -> tuple[dict[str, float], int]:
    """Build desired + live once, then time build_plan and the renderers."""
    cfg = workflow.RunConfig(
        paths=(str(path),),
        api_url=ws.url,
        api_key=c.DEFAULT_API_KEY,
        team=str(c.TEAM),
        rate_limit=None,
        env={**c.gsctl_env(), **ws.env()},
    )
    desired, team_id = workflow.load(cfg)
    with connect(cfg, team_id) as client:
        planned = workflow.make_plan(cfg, client, desired, team_id, ws.url)
    live, manifests = planned.live, planned.plan.manifests

    def diff() -> Any:
        return build_plan(
            desired, live, PlanOptions(), team_id=team_id, api_url=ws.url, manifests=manifests
        )

    plan = diff()
    phases = {
        "build_plan": _timed(diff, repeat),
        "plan_text": _timed(lambda: render.plan_text(plan), repeat),
        "plan_json": _timed(lambda: render.plan_json(plan), repeat),
        "plan_markdown": _timed(lambda: render.plan_markdown(plan), repeat),
    }
    return phases, plan.summary["update"]


def measure(size: int, repeat: int) -> Result:
    with c.workspace(size) as ws:
        edited = ws.root / "edited"
        changed = change_manifests(ws.manifests, edited, size)
        run = ws.plan(edited, "--detailed-exitcode")
        if run.returncode != 2:
            raise SystemExit(
                f"plan at {size} objects: exit {run.returncode} (expected 2, changes)\n"
                f"{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
            )
        phases, updates = pure_phases(ws, edited, repeat)
    return Result(size, changed, updates, run.wall, run.cpu, run.max_rss_mb, phases)


def results_table(results: list[Result]) -> str:
    headers = [
        "objects",
        "changed",
        "updates",
        "plan wall s",
        "plan CPU s",
        "peak RSS MB",
        "build_plan ms",
        "text ms",
        "json ms",
        "markdown ms",
    ]
    rows = [
        [
            c.size_label(r.size),
            r.changed,
            r.updates,
            f"{r.wall:.2f}",
            f"{r.cpu:.2f}",
            f"{r.rss_mb:.0f}",
            *(f"{r.phases[p] * 1000:.1f}" for p in ("build_plan", "plan_text")),
            *(f"{r.phases[p] * 1000:.1f}" for p in ("plan_json", "plan_markdown")),
        ]
        for r in results
    ]
    return c.table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"size {QUICK_SIZES}, 1 run")
    parser.add_argument("--sizes", help=f"comma-separated sizes (default {FULL_SIZES})")
    parser.add_argument("--repeat", type=int, help="runs of each pure phase (default 5)")
    args = parser.parse_args(argv)
    sizes = c.parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    repeat = args.repeat or (1 if args.quick else 5)
    c.print_machine("plan with 10% of objects changed (benchmark 2)")
    results = c.measure_sizes(measure, sizes, repeat)
    print(
        "## plan with 10% changed (plan: one child-process run; "
        f"build_plan and renderers: in-process, median of {repeat})"
    )
    print(results_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
