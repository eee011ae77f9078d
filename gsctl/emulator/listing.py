"""List answers: filters, sorting and pages.

- ``filter[field]=value`` keeps objects whose ``field`` equals ``value`` (exact; booleans as
  ``true``/``false`` or ``1``/``0``, null as ``null`` or empty). ``filter[q]`` is a
  case-insensitive substring of ``name``, ``label`` or "first_name last_name". The JSON form
  ``filter={"object":"lead"}`` is accepted too and means the same as ``filter[object]=lead``.
- ``order_field`` must be a scalar property of the listed object (else 422); ``order_type``
  ``asc``/``desc``; ties are broken by uuid ascending; nulls sort first in ``asc``.
- The answer is ``{data, limit, offset, total, has_more}`` with
  ``has_more = offset + len(data) < total``.

Sorted lists are cached per (team, kind, field, direction) until the next write to the kind.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gsctl.emulator.problem import invalid

_FILTER = re.compile(r"^filter\[([^\]]+)\]$")
Obj = dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    limit: int
    offset: int
    order_field: str
    descending: bool
    filters: Mapping[str, str]


def expand_json_filter(query: Mapping[str, str]) -> dict[str, str]:
    """Query params with a JSON ``filter`` object spelled out as ``filter[field]`` params."""
    out = dict(query)
    raw = out.get("filter")
    if raw is not None:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            del out["filter"]
            for key, value in parsed.items():
                text = value if isinstance(value, str) else json.dumps(value)
                out.setdefault(f"filter[{key}]", text)
    return out


def list_query(
    values: Mapping[str, Any], query: Mapping[str, str], sortable: Iterable[str]
) -> ListQuery:
    """The list query from parsed declared params and the raw query (422 on a bad sort key)."""
    field = str(values.get("order_field") or "created_at")
    if field not in set(sortable):
        raise invalid({"order_field": ["must be a scalar field of the listed objects"]})
    filters = {m.group(1): v for k, v in query.items() if (m := _FILTER.match(k))}
    return ListQuery(
        limit=int(values.get("limit", 20)),
        offset=int(values.get("offset", 0)),
        order_field=field,
        descending=values.get("order_type", "desc") == "desc",
        filters=filters,
    )


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))


def _tie_key(obj: Obj) -> tuple[str, Any]:
    return (str(obj.get("uuid") or ""), obj.get("id") or 0)


def sort_objects(items: Iterable[Obj], field: str, descending: bool) -> list[Obj]:
    """Sorted by ``field`` (either direction), ties by uuid ascending."""
    by_uuid = sorted(items, key=_tie_key)
    return sorted(by_uuid, key=lambda o: _sort_key(o.get(field)), reverse=descending)


def _equal(value: Any, wanted: str) -> bool:
    if value is None:
        return wanted in ("null", "")
    if isinstance(value, bool):
        return wanted.lower() in (("true", "1") if value else ("false", "0"))
    if isinstance(value, int | float):
        return wanted == str(value)
    if isinstance(value, str):
        return value == wanted
    return json.dumps(value, separators=(",", ":")) == wanted


def _names(obj: Obj) -> list[str]:
    names = [obj.get("name"), obj.get("label")]
    if "first_name" in obj:
        names.append(f"{obj.get('first_name') or ''} {obj.get('last_name') or ''}")
    return [n for n in names if isinstance(n, str)]


def matches(obj: Obj, filters: Mapping[str, str]) -> bool:
    for field, wanted in filters.items():
        if field == "q":
            needle = wanted.casefold()
            if not any(needle in name.casefold() for name in _names(obj)):
                return False
        elif not _equal(obj.get(field), wanted):
            return False
    return True


def page(items: list[Obj], q: ListQuery, shape: Callable[[Obj], Obj]) -> Obj:
    """Filter an already sorted list and cut one page of it."""
    chosen = [o for o in items if matches(o, q.filters)] if q.filters else items
    data = chosen[q.offset : q.offset + q.limit]
    return {
        "data": [shape(o) for o in data],
        "limit": q.limit,
        "offset": q.offset,
        "total": len(chosen),
        "has_more": q.offset + len(data) < len(chosen),
    }


class SortCache:
    """Sorted object lists, valid while the store's version of the kind is unchanged."""

    def __init__(self, size: int = 64) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._entries: dict[tuple[Any, ...], tuple[int, list[Obj]]] = {}

    def sorted(
        self,
        key: tuple[Any, ...],
        version: int,
        load: Callable[[], list[Obj]],
        field: str,
        descending: bool,
    ) -> list[Obj]:
        full_key = (*key, field, descending)
        with self._lock:
            hit = self._entries.get(full_key)
            if hit is not None and hit[0] == version:
                return hit[1]
        result = sort_objects(load(), field, descending)
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[full_key] = (version, result)
        return result
