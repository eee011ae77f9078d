"""Usage counts: the metrics endpoints (``x-gsctl-reads-only`` POSTs) and how counts are seeded.

Counts live on the stored object under the private key ``_usage`` ({count name: int}); API
answers never show it (``store.public``). A count never set is 0. Counts are seeded by:

- a seed file item's ``usage:`` mapping, e.g. ``{name: Cold, usage: {leads_count: 1243,
  companies_count: 12}}``;
- the admin route ``PUT /_emulator/usage`` with ``{kind, uuid | name (+ object), counts}``,
  authenticated like the API and acting on the caller's team; it answers the stored counts;
- :func:`set_usage` (tests, through ``EmulatorServer.set_usage``).

Answers, in the contract's PROPOSED shapes:

- ``POST /leads/api/tags/metrics {uuids, metrics?}`` -> ``{data: [{uuid, leads_count,
  companies_count}]}``, one entry per requested uuid the team holds, in request order;
- ``POST /flows/api/flows/metrics {uuids} | {flow_uuids}`` -> ``{data: [{uuid, leads_count,
  in_progress_count}]}``;
- ``POST /leads/api/leads/search {filter: {pipeline_stage_uuid}, limit, offset}`` ->
  ``{data, limit, offset, total}``: ``total`` sums the stages' ``leads_count`` (an array
  filter gives one summed total) and ``data`` holds synthesized contacts.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gsctl.emulator.problem import Problem, invalid
from gsctl.emulator.rules import Rules

USAGE_KEY = "_usage"
ADMIN_PATH = "/_emulator/usage"
COUNTS: dict[str, tuple[str, ...]] = {
    "tag": ("leads_count", "companies_count"),
    "flow": ("leads_count", "in_progress_count"),
    "pipeline_stage": ("leads_count",),
}
_CONTACTS = uuidlib.UUID("6f1d9a4e-7c1b-4e58-9a53-1d2f0c0e5b11")  # namespace of fake contacts
Obj = dict[str, Any]


def counts_of(obj: Obj, kind: str) -> dict[str, int]:
    stored = obj.get(USAGE_KEY) or {}
    return {name: int(stored.get(name, 0)) for name in COUNTS[kind]}


def _check_counts(kind: str, counts: Any) -> dict[str, int]:
    if kind not in COUNTS:
        raise invalid({"kind": [f"must be one of: {', '.join(COUNTS)}"]})
    if not isinstance(counts, dict):
        raise invalid({"counts": ["must be an object"]})
    errors = {}
    for name, value in counts.items():
        if name not in COUNTS[kind]:
            errors[f"counts.{name}"] = [f"must be one of: {', '.join(COUNTS[kind])}"]
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[f"counts.{name}"] = ["must be an integer >= 0"]
    if errors:
        raise invalid(errors)
    return dict(counts)


def find(rules: Rules, team: int, kind: str, ident: Obj) -> Obj:
    """The object ``ident`` names: by ``uuid``, else by natural key (``name``, ``object``)."""
    if ident.get("uuid"):
        found = rules.store.get(team, kind, str(ident["uuid"]))
    else:
        key = rules.key_of(kind, ident)
        found = rules.store.find(team, kind, key) if key is not None else None
    if found is None:
        raise Problem(404, f"No such {kind.replace('_', ' ')}.")
    return found


def set_usage(rules: Rules, team: int, kind: str, ident: Obj, counts: Any) -> dict[str, int]:
    """Store usage counts on one object (merged with those already set); returns them all."""
    checked = _check_counts(kind, counts)
    with rules.store.transaction():
        obj = find(rules, team, kind, ident)
        merged = {**(obj.get(USAGE_KEY) or {}), **checked}
        rules.store.put(team, kind, {**obj, USAGE_KEY: merged})
    return counts_of({USAGE_KEY: merged}, kind)


def split_usage(item: Any) -> tuple[Any, Any]:
    """A seed item without its ``usage`` key, and that key's value (None when absent)."""
    if not isinstance(item, dict) or "usage" not in item:
        return item, None
    rest = {k: v for k, v in item.items() if k != "usage"}
    return rest, item["usage"]


def answer(rules: Rules, kind: str, schema: str | None, team: int, body: Any) -> Obj:
    """The answer of a metrics or search POST (``kind`` from the contract's x-gsctl-usage)."""
    if schema is not None:
        errors = rules.contract.validate(schema, body)
        if errors:
            raise invalid(errors)
    if kind == "pipeline_stage":
        return _search(rules, team, body)
    if kind not in COUNTS:
        raise Problem(500, f"No usage counts for {kind!r}.")
    ids = body.get("uuids") or body.get("flow_uuids") or []
    data = []
    for uuid in ids:
        obj = rules.store.get(team, kind, uuid)
        if obj is not None:
            data.append({"uuid": uuid, **counts_of(obj, kind)})
    return {"data": data}


def _search(rules: Rules, team: int, body: Obj) -> Obj:
    wanted = (body.get("filter") or {}).get("pipeline_stage_uuid")
    stages = rules.store.all(team, "pipeline_stage")
    if wanted is not None:
        ids = {wanted} if isinstance(wanted, str) else set(wanted)
        stages = [s for s in stages if s["uuid"] in ids]
    per_stage = [(s["uuid"], counts_of(s, "pipeline_stage")["leads_count"]) for s in stages]
    total = sum(n for _, n in per_stage)
    limit, offset = int(body.get("limit", 20)), int(body.get("offset", 0))
    data: list[Obj] = []
    for stage, n in per_stage:
        for i in range(n):
            if len(data) == limit:
                break
            if offset > 0:
                offset -= 1
                continue
            contact = uuidlib.uuid5(_CONTACTS, f"{team}:{stage}:{i}")
            data.append({"uuid": str(contact), "pipeline_stage_uuid": stage})
    return {"data": data, "limit": limit, "offset": int(body.get("offset", 0)), "total": total}


def admin_route(rules: Rules, team_of: Callable[[Request], int]) -> Route:
    """``PUT /_emulator/usage``: set an object's counts; ``team_of`` authenticates."""

    async def endpoint(request: Request) -> Response:
        try:
            team = team_of(request)
            try:
                body = await request.json()
            except ValueError:
                raise Problem(400, "The body is not JSON.") from None
            if not isinstance(body, dict):
                raise invalid({"": ["must be an object"]})
            kind = str(body.get("kind", ""))
            counts = set_usage(rules, team, kind, body, body.get("counts"))
        except Problem as problem:
            return JSONResponse(problem.body(), problem.status, headers=problem.headers)
        return JSONResponse({"kind": kind, "counts": counts})

    handler: Callable[[Request], Awaitable[Response]] = endpoint
    return Route(ADMIN_PATH, handler, methods=["PUT"])
