"""Which live pipeline stages are native (never managed, never pruned)."""

from __future__ import annotations

from typing import Any

import pytest

from gsctl.reconcile.live import is_native_stage


@pytest.mark.parametrize(
    ("stage", "native"),
    [
        ({"name": "Qualified", "type": "custom"}, False),
        ({"name": "New", "type": "custom"}, False),  # the API says custom: it is
        ({"name": "New", "type": "default"}, True),
        ({"name": "Anything", "type": "system"}, True),
        # no type in the answer: a native name stays native, so --prune never deletes it
        ({"name": "New"}, True),
        ({"name": "Replied \u2013 Positive"}, True),
        ({"name": "Replied - Positive"}, False),  # a hyphen, not GetSales' en dash
        ({"name": "Qualified"}, False),
        ({"name": "New", "type": None}, True),
    ],
)
def test_native_stages(stage: dict[str, Any], native: bool) -> None:
    assert is_native_stage(stage) is native
