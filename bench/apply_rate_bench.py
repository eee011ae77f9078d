"""Benchmark 3: apply of many creates under a server rate limit.

An empty in-process emulator limits the key to ``--limit`` requests per minute (default 300,
the real API's limit; a sliding 60 s window, 429 with ``Retry-After`` past it). ``gsctl apply
--auto-approve --rate-limit LIMIT -v`` creates ``--creates`` tags (default 500; ``--quick``:
100 at 600/min) in a child process. A watcher thread time-stamps every request the emulator
logs (5 ms resolution). The table shows:

- the achieved write rate: successful creates per minute between the first and the last
  create, as a fraction of the limit (target >= 0.95, issue 16);
- the 429 answers the emulator sent (every one reaches the client's retry path: gsctl
  retries 429 for every method) and, as a cross-check, the ``-> 429 ...; retry`` lines
  gsctl logged at ``-v`` (target 0: gsctl's own pacing never causes a 429);
- whether the team ends with exactly the declared tags.

This takes ``creates / limit`` minutes by nature (500 at 300/min: over 1.5 minutes).

Usage: ``python bench/apply_rate_bench.py [--quick] [--creates 500] [--limit 300]``
"""

from __future__ import annotations

import argparse
import bisect
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import _common as c

TARGET = 0.95
POLL_SECONDS = 0.005


@dataclass
class Result:
    creates: int
    limit: int
    wall: float
    cpu: float
    write_seconds: float
    writes: int
    per_minute: float
    too_many: int
    logged_retries: int
    gave_up: int
    tags_after: int
    exit_code: int

    @property
    def fraction(self) -> float:
        return self.per_minute / self.limit


class Watcher:
    """Samples the emulator's request log so every request gets an approximate time."""

    def __init__(self, log: list[object]) -> None:
        self._log = log
        self.times: list[float] = []
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = -1
        while not self._stop.is_set():
            n = len(self._log)
            if n != last:
                self.times.append(time.monotonic())
                self.counts.append(n)
                last = n
            time.sleep(POLL_SECONDS)

    def time_of(self, index: int) -> float:
        """When request ``index`` (0-based) was first seen in the log."""
        return self.times[bisect.bisect_right(self.counts, index)]


def write_manifest(root: Path, creates: int) -> Path:
    lines = ["version: 1", "tags:"]
    lines += [f'  - {{name: "Bulk {i:05d}", color: "#10B981"}}' for i in range(creates)]
    path = root / "tags.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def measure(creates: int, limit: int) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="gsctl-bench-apply-") as tmp,
        c.empty_emulator(rate_limit=limit) as (server, url),
    ):
        manifests = write_manifest(Path(tmp), creates)
        args = [
            "apply",
            str(manifests),
            "--auto-approve",
            "-v",
            "--api-url",
            url,
            "--api-key",
            c.DEFAULT_API_KEY,
            "--team",
            str(c.TEAM),
            "--rate-limit",
            str(limit),
        ]
        with Watcher(server.requests) as watcher:
            run = c.run_gsctl(args)
            time.sleep(3 * POLL_SECONDS)
        log = list(server.requests)
        write_idx = [i for i, r in enumerate(log) if r.method == "POST" and 200 <= r.status < 300]
        first, last = (write_idx[0], write_idx[-1]) if write_idx else (0, 0)
        span = watcher.time_of(last) - watcher.time_of(first) if write_idx else 0.0
        per_minute = (len(write_idx) - 1) / span * 60 if span > 0 else 0.0
        lines = run.stderr.splitlines()
        tags_after = len(server.store.objects(c.TEAM, "tag"))
        return Result(
            creates=creates,
            limit=limit,
            wall=run.wall,
            cpu=run.cpu,
            write_seconds=span,
            writes=len(write_idx),
            per_minute=per_minute,
            too_many=sum(1 for r in log if r.status == 429),
            logged_retries=sum(1 for ln in lines if "-> 429" in ln and "; retry" in ln),
            gave_up=sum(1 for ln in lines if "-> 429" in ln and "; retry" not in ln),
            tags_after=tags_after,
            exit_code=run.returncode,
        )


def results_table(r: Result) -> str:
    headers = [
        "creates",
        "limit/min",
        "apply wall s",
        "gsctl CPU s",
        "write phase s",
        "writes/min",
        "fraction",
        "target",
        "429s (emulator)",
        "429 retries (gsctl -v)",
        "tags after",
        "exit",
    ]
    row = [
        r.creates,
        r.limit,
        f"{r.wall:.1f}",
        f"{r.cpu:.2f}",
        f"{r.write_seconds:.1f}",
        f"{r.per_minute:.0f}",
        f"{r.fraction:.3f}",
        f">= {TARGET} {'pass' if r.fraction >= TARGET else 'FAIL'}",
        f"{r.too_many} ({'pass' if r.too_many == 0 else 'FAIL'}: target 0)",
        r.logged_retries + r.gave_up,
        r.tags_after,
        r.exit_code,
    ]
    return c.table(headers, [row])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 creates")
    parser.add_argument("--creates", type=int, help="tags to create (default 500)")
    parser.add_argument("--limit", type=int, help="requests per minute (default 300)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    creates = args.creates or (100 if args.quick else 500)
    args.limit = args.limit or (600 if args.quick else 300)
    c.print_machine("apply under a server rate limit (benchmark 3)")
    r = measure(creates, args.limit)
    print(
        f"## apply of {creates} tag creates; emulator limit {args.limit}/min, "
        f"gsctl --rate-limit {args.limit}"
    )
    print(results_table(r))
    if r.exit_code != 0 or r.tags_after != creates:
        print(f"apply failed: exit {r.exit_code}, {r.tags_after} tags", file=sys.stderr)
        return 1
    return 1 if args.check and (r.fraction < TARGET or r.too_many) else 0


if __name__ == "__main__":
    sys.exit(main())
