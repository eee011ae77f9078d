"""Reading what deletes and replaces take with them: usage counts from the metrics endpoints.

Only objects the plan deletes or replaces are counted, through the shared client (and so its
rate limiter): one metrics request per kind per ``kinds.USAGE_BATCH`` objects (tags, flows),
one contact search per pipeline stage (an array filter would answer one summed total).
Answer shapes are PROPOSED in the contract, so ``{data: [...]}``, a bare array and an object
keyed by uuid are all read. An endpoint that fails, is missing or answers something else
gives "usage unknown" for its objects: it never aborts the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from gsctl.api import kinds
from gsctl.errors import ApiError, GsctlError
from gsctl.reconcile.changes import Change, Usage

UsageKey = tuple[str, str]  # (kind, uuid)
UsageReader = Callable[[list[Change]], dict[UsageKey, Usage]]
RETRIES = 1  # usage is information: a failing endpoint must not hold the plan up for long


class QueryClient(Protocol):
    def query(self, path: str, body: dict[str, Any], *, max_retries: int | None = None) -> Any: ...


class _Unreadable(Exception):
    """An answer gsctl cannot read counts from."""


def reader(client: QueryClient) -> UsageReader:
    """A :data:`UsageReader` over ``client`` (given to ``build_plan``)."""
    return lambda changes: read_usage(client, changes)


def read_usage(client: QueryClient, changes: Iterable[Change]) -> dict[UsageKey, Usage]:
    """Usage of every object ``changes`` delete or replace, by (kind, uuid)."""
    out: dict[UsageKey, Usage] = {}
    wanted: dict[str, list[str]] = {}
    for c in changes:
        if not c.destructive or c.uuid is None:
            continue
        spec = kinds.USAGE.get(c.kind)
        if spec is None:
            out[(c.kind, c.uuid)] = Usage(None, f"the API has no usage count for {c.kind}")
            continue
        fields = c.live.fields if c.live is not None else {}
        if any(fields.get(k) != v for k, v in spec.only.items()):
            out[(c.kind, c.uuid)] = Usage(None, "the API counts contacts' pipeline stages only")
            continue
        wanted.setdefault(c.kind, []).append(c.uuid)
    for kind, uuids in sorted(wanted.items()):
        spec = kinds.USAGE[kind]
        if spec.filter_field is not None:
            for uuid in uuids:
                out[(kind, uuid)] = _search(client, spec, uuid)
        else:
            for start in range(0, len(uuids), kinds.USAGE_BATCH):
                batch = uuids[start : start + kinds.USAGE_BATCH]
                out.update(((kind, u), n) for u, n in _metrics(client, spec, batch).items())
    return out


def _metrics(client: QueryClient, spec: kinds.UsageRead, uuids: list[str]) -> dict[str, Usage]:
    try:
        entries = _entries(_ask_metrics(client, spec, uuids))
    except (GsctlError, _Unreadable) as exc:
        return dict.fromkeys(uuids, _unknown(spec, exc))
    out = {}
    for uuid in uuids:
        entry = entries.get(uuid)
        if entry is None:
            out[uuid] = Usage(None, f"POST {spec.path}: no entry for {uuid}")
            continue
        try:
            out[uuid] = Usage(_counts(spec, entry))
        except _Unreadable as exc:
            out[uuid] = _unknown(spec, exc)
    return out


def _ask_metrics(client: QueryClient, spec: kinds.UsageRead, uuids: list[str]) -> Any:
    """The metrics answer, naming the uuids by the first body field the server accepts."""
    for i, ids_field in enumerate(spec.ids_fields):
        try:
            return client.query(spec.path, {ids_field: uuids, **spec.body}, max_retries=RETRIES)
        except ApiError as exc:
            if exc.status not in (400, 422) or i == len(spec.ids_fields) - 1:
                raise
    raise _Unreadable("no body field to name the objects by")


def _search(client: QueryClient, spec: kinds.UsageRead, uuid: str) -> Usage:
    assert spec.filter_field is not None
    body = {"filter": {spec.filter_field: uuid}, **spec.body}
    try:
        answer = client.query(spec.path, body, max_retries=RETRIES)
        if not isinstance(answer, dict):
            raise _Unreadable("expected an object with total")
        return Usage(_counts(spec, answer))
    except (GsctlError, _Unreadable) as exc:
        return _unknown(spec, exc)


def _entries(answer: Any) -> dict[str, dict[str, Any]]:
    """Entries by uuid from ``{data: [...]}``, a bare array, or an object keyed by uuid."""
    if isinstance(answer, dict) and isinstance(answer.get("data"), list | dict):
        answer = answer["data"]
    if isinstance(answer, list):
        out = {}
        for entry in answer:
            uid = _entry_id(entry)
            if uid is not None:
                out[uid] = entry
        return out
    if isinstance(answer, dict):
        return {str(k): v for k, v in answer.items() if isinstance(v, dict)}
    raise _Unreadable("expected {data: [...]}, a list, or an object keyed by uuid")


def _entry_id(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    for name in kinds.USAGE_ID_FIELDS:
        if isinstance(entry.get(name), str):
            return str(entry[name])
    return None


def _counts(spec: kinds.UsageRead, entry: dict[str, Any]) -> dict[str, int]:
    out = {}
    for api_field, label in spec.counts:
        value = entry.get(api_field)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _Unreadable(f"field {api_field}: expected a count, got {value!r}"[:200])
        out[label] = value
    return out


def _unknown(spec: kinds.UsageRead, exc: Exception) -> Usage:
    text = str(exc)
    if isinstance(exc, _Unreadable):
        text = f"POST {spec.path}: {text}"
    return Usage(None, text)
