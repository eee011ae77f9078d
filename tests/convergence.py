"""Shared checks of the reliability suites: the workspace holds exactly what is declared."""

from __future__ import annotations

import collections
from pathlib import Path

import yaml

from gsctl.api import kinds

AGENCY = Path(__file__).resolve().parent.parent / "examples" / "agency"
KeyCounts = dict[str, collections.Counter[tuple[str, ...]]]


def declared_keys() -> KeyCounts:
    """Natural keys per kind as written in examples/agency (plain YAML, not gsctl's loader)."""
    out: KeyCounts = {k.name: collections.Counter() for k in kinds.MANAGED}
    for path in sorted(AGENCY.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for k in kinds.MANAGED:
            for item in doc.get(k.section) or []:
                out[k.name][kinds.natural_key(k, item)] += 1
    return out


def assert_keys(live: KeyCounts, baseline: KeyCounts) -> None:
    """No duplicates, nothing missing, nothing extra (``baseline``: the team's seed)."""
    declared = declared_keys()
    for kind, counts in live.items():
        dups = sorted(key for key, n in counts.items() if n > 1)
        assert not dups, f"duplicate {kind} objects: {dups}"
        want = set(declared[kind]) | set(baseline[kind])
        assert set(counts) == want, (
            f"{kind}: missing {sorted(want - set(counts))}, extra {sorted(set(counts) - want)}"
        )
