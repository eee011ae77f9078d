"""The CPU one flow-version read costs gsctl, against what its HTTP library costs alone.

A cold plan reads one flow version per flow (``GET /flows/api/flow-versions/{uuid}``); the
bench workspaces have one flow per 20 objects, so 500 reads per 10,000 objects. This bench
serves ``--flows`` flows from ``gsctl emulator`` in a child process (its work is not counted)
and reads every version, ``--rounds`` times, in this process, four ways:

- ``gsctl Client``: ``Client.get_flow_version`` (rate limit off), as a plan reads, serially;
- ``gsctl Client, 4 threads``: the same from a pool of 4, as a plan reads (``--parallelism``);
- ``httpx alone``: ``httpx.Client.get(url).json()`` with the same headers, serially;
- ``http.client``: the standard library's ``HTTPConnection`` plus ``json.loads``, serially.

The table shows the median CPU time (user + sys of this process) per read, and what the
reads add to a cold plan per 10,000 objects. gsctl's own work (limiter, retries, bounded
read, contract guard) is the difference between the first and the third row.

Usage: ``python bench/http_bench.py [--quick] [--flows 1000] [--rounds 3]`` (``--quick``: 100
flows, 1 round)
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import _common as c
import httpx

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.emulator.server import DEFAULT_API_KEY

READS_PER_10K = 500  # one flow per 20 objects in the bench workspaces (_common.MIX)


def seed(flows: int) -> dict[str, Any]:
    space = c._uuid("fw", 0)
    return {
        "teams": {
            str(c.TEAM): {
                "flow_workspaces": [{"uuid": space, "name": "Space"}],
                "flows": [c.flow_seed(i, space) for i in range(flows)],
            }
        }
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def per_read_ms(read_all: Callable[[], int], rounds: int) -> float:
    """Median CPU milliseconds per read over ``rounds`` runs of ``read_all``."""
    samples = []
    for _ in range(rounds):
        started = cpu_seconds()
        count = read_all()
        samples.append(1000 * (cpu_seconds() - started) / count)
    return c.median(samples)


def readers(url: str, versions: list[str]) -> dict[str, Callable[[], int]]:
    paths = [kinds.FLOW_VERSION.format(uuid=v) for v in versions]
    client = Client(url, DEFAULT_API_KEY, c.TEAM, rate_limit=None)
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "Team-ID": str(c.TEAM)}
    plain = httpx.Client(base_url=url, headers=headers)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    pool = ThreadPoolExecutor(max_workers=4)

    def gsctl_serial() -> int:
        return len([client.get_flow_version(v) for v in versions])

    def gsctl_threads() -> int:
        return len(list(pool.map(client.get_flow_version, versions)))

    def httpx_alone() -> int:
        return len([plain.get(p).json() for p in paths])

    def stdlib() -> int:
        conn.close()  # the server may have closed an idle connection: connect again
        for p in paths:
            conn.request("GET", p, headers=headers)
            json.loads(conn.getresponse().read())
        return len(paths)

    return {
        "gsctl Client": gsctl_serial,
        "gsctl Client, 4 threads": gsctl_threads,
        "httpx alone": httpx_alone,
        "http.client": stdlib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 flows, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.flows, args.rounds = 100, 1
    c.print_machine("HTTP cost of one flow-version read (CPU of the reading process)")
    with tempfile.TemporaryDirectory(prefix="gsctl-bench-http-") as tmp:
        seed_file = Path(tmp) / "seed.json"
        seed_file.write_text(json.dumps(seed(args.flows)))
        with c.emulator_process(seed_file) as url:
            with Client(url, DEFAULT_API_KEY, c.TEAM, rate_limit=None) as lister:
                flows = lister.list_all(kinds.FLOWS)
            versions = [f[kinds.ACTIVE_VERSION_FIELD] for f in flows]
            ways = readers(url, versions)
            for read_all in ways.values():
                read_all()  # warm up: connections, imports
            rows = []
            for name, read_all in ways.items():
                ms = per_read_ms(read_all, args.rounds)
                rows.append([name, f"{ms:.3f}", f"{ms * READS_PER_10K / 1000:.2f}"])
    print(f"{len(versions)} versions read {args.rounds} times each way; medians")
    print(c.table(["way", "CPU ms per read", "s per 10k objects (cold plan)"], rows))


if __name__ == "__main__":
    main()
