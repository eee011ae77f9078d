"""The emulator's ASGI application: every path of the contract, served from the store.

Request pipeline: :class:`Frontdoor` (records every request, injects faults) -> Starlette
routes built from the contract's operations -> per request: authenticate (400/401/403),
rate limit (429), first-use team seeding, query validation (422), JSON body (400 when not
JSON), then the operation's rule. Every error answer uses the contract's envelope.
Successful answers take the shape of the server's :class:`~gsctl.emulator.dialect.Dialect`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import uuid as uuidlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gsctl.emulator import listing, metrics
from gsctl.emulator.auth import Caller, KeyRing
from gsctl.emulator.contract import Contract, Operation
from gsctl.emulator.dialect import DIALECTS, Dialect, shape_object, shape_page
from gsctl.emulator.faults import FaultInjector, RateLimiter
from gsctl.emulator.problem import Problem, envelope, invalid
from gsctl.emulator.rules import Rules
from gsctl.emulator.store import Store, public

log = logging.getLogger("gsctl.emulator")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EPOCH = "2024-01-01T00:00:00.000000Z"
_STATE = "gsctl.emulator"


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator served (status 0: the connection was dropped)."""

    method: str
    path: str
    status: int
    team_id: int | None
    fault: str | None = None
    query: str = ""
    received: float = 0.0  # time.monotonic() when the request arrived
    answered: float = 0.0  # ... when its answer started (or the connection was dropped)


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, headers=problem.headers)


class Emulator:
    """Everything one emulator instance serves from; :attr:`asgi` is the application."""

    def __init__(
        self,
        contract: Contract,
        store: Store,
        rules: Rules,
        keys: KeyRing,
        limiter: RateLimiter,
        faults: FaultInjector,
        dialect: Dialect | None = None,
    ) -> None:
        self.contract = contract
        self.dialect = dialect or DIALECTS["contract"]
        self._shuffle = random.Random(0)
        self.store = store
        self.rules = rules
        self.keys = keys
        self.limiter = limiter
        self.faults = faults
        self.requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._sorts = listing.SortCache()
        self.asgi = Frontdoor(self, self._starlette())

    def record(self, entry: RequestRecord) -> None:
        with self._requests_lock:
            self.requests.append(entry)

    def _starlette(self) -> Starlette:
        by_path: dict[str, dict[str, Operation]] = {}
        for op in self.contract.operations:
            by_path.setdefault(op.path, {})[op.method] = op
        routes = [
            Route(path, self._endpoint(ops), methods=list(ops)) for path, ops in by_path.items()
        ]
        routes.append(metrics.admin_route(self.rules, self._team_of))
        app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
        app.router.redirect_slashes = False  # "/tags/" is not "/tags": 404, like any unknown path
        return app

    def _endpoint(self, ops: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            op = ops.get(request.method) or ops["GET"]
            try:
                return await self._serve(request, op)
            except Problem as problem:
                return problem_response(problem)
            except Exception:
                log.exception("emulator failure on %s %s", op.method, op.path)
                return problem_response(Problem(500, "Internal server error."))

        return endpoint

    async def _serve(self, request: Request, op: Operation) -> Response:
        caller = self.keys.authenticate(request.headers)
        request.scope.setdefault(_STATE, {})["team_id"] = caller.team_id
        wait = self.limiter.check(caller.key.key_id)
        if wait is not None:
            raise Problem(429, "Too many requests.", headers={"Retry-After": str(wait)})
        self.store.ensure_team(caller.team_id)
        query = listing.expand_json_filter(request.query_params)
        values, errors = self.contract.parse_query(op, query)
        if errors:
            raise invalid(errors)
        body = await _json_body(request) if op.body_schema else None
        uuid = request.path_params.get("uuid", "")
        return self._dispatch(op, caller, uuid, values, query, body)

    def _team_of(self, request: Request) -> int:
        """The authenticated caller's team (admin routes), seeded on first use."""
        team: int = self.keys.authenticate(request.headers).team_id
        self.store.ensure_team(team)
        return team

    def _dispatch(
        self,
        op: Operation,
        caller: Caller,
        uuid: str,
        values: dict[str, Any],
        query: dict[str, str],
        body: Any,
    ) -> Response:
        team, kind, rules = caller.team_id, op.kind or "", self.rules
        if op.role == "current_user":
            return JSONResponse(_user(caller.key.user_id))
        if op.role == "teams":
            teams = [self._team(t, caller.key.user_id) for t in self.keys.teams_of(caller)]
            q = listing.list_query(values, query, self.contract.sortable("Team"))
            items = listing.sort_objects(teams, q.order_field, q.descending)
            return JSONResponse(shape_page(listing.page(items, q, dict), self.dialect.list_shape))
        if op.role == "usage":
            return JSONResponse(metrics.answer(rules, kind, op.body_schema, team, body))
        if kind == "flow_version":
            return self._versions(op, team, uuid, body)
        if op.role == "list":
            return JSONResponse(self._list(team, kind, values, query))
        if op.role == "create":
            obj = rules.create(team, caller.key.user_id, kind, body)
            return self._written(kind, obj, 201)
        if op.role == "get":
            return JSONResponse(self._out(kind, rules.get(team, kind, uuid)))
        if op.role == "update":
            return self._written(kind, rules.update(team, kind, uuid, body), 200)
        if op.role == "delete":
            obj = rules.get(team, kind, uuid)
            rules.delete(team, kind, uuid)
            if self.dialect.workspace_delete_body and kind == "flow_workspace":
                return JSONResponse({"success": True, "uuid": obj["uuid"]})
            return Response(status_code=204)
        if op.role == "action":
            action = op.path.rstrip("/").rsplit("/", 1)[-1]
            obj = rules.transition(team, uuid, dict(op.transitions or {}), action)
            return self._written(kind, obj, 200)
        raise Problem(500, f"Operation {op.operation_id} is not implemented.")

    def _versions(self, op: Operation, team: int, uuid: str, body: Any) -> Response:
        rules = self.rules
        if op.role == "get":
            return JSONResponse(self._out("flow_version", rules.get(team, "flow_version", uuid)))
        if op.role == "list":
            items = [self._out("flow_version", v) for v in rules.versions(team, uuid)]
            if self.dialect.versions_bare_unordered:
                self._shuffle.shuffle(items)
                return JSONResponse(items)
            return JSONResponse({"data": items})
        return self._written("flow_version", rules.create_version(team, uuid, body), 201)

    def _out(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A stored object as the dialect answers it."""
        spec = self.contract.kinds.get(kind)
        required = spec.required if spec is not None else frozenset()
        return shape_object(public(obj), self.dialect, required)

    def _written(self, kind: str, obj: dict[str, Any], status: int) -> Response:
        """The answer to a write or an action: the object, an empty 200 or a 204."""
        if self.dialect.write_answer == "no_content":
            return Response(status_code=204)
        if self.dialect.write_answer == "empty":
            return Response(status_code=200)
        return JSONResponse(self._out(kind, obj), status_code=status)

    def _list(self, team: int, kind: str, values: dict[str, Any], query: dict[str, str]) -> Any:
        spec = self.rules.spec(kind)
        q = listing.list_query(values, query, self.contract.sortable(spec.schema))
        if q.order_field == "created_at":
            # Creation order is created_at order: timestamps are strictly increasing.
            items = self.store.all(team, kind)
            if q.descending:
                items.reverse()
        else:
            version = self.store.version(team, kind)
            items = self._sorts.sorted(
                (team, kind),
                version,
                lambda: self.store.all(team, kind),
                q.order_field,
                q.descending,
            )
        page = listing.page(items, q, lambda o: self._out(kind, o))
        return shape_page(page, self.dialect.list_shape)

    def _team(self, team_id: int, user_id: int) -> dict[str, Any]:
        return {
            "id": team_id,
            "name": self.store.team_name(team_id),
            "color": None,
            "status": "active",
            "cluster_id": None,
            "subscription_id": None,
            "license_uuid": None,
            "features": {},
            "credits": {},
            "config": {},
            "user_id": user_id,
            "created_at": EPOCH,
            "updated_at": EPOCH,
        }


def _user(user_id: int) -> dict[str, Any]:
    return {
        "uuid": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"gsctl-emulator/user/{user_id}")),
        "id": user_id,
        "first_name": "Local",
        "last_name": f"User {user_id}",
        "email": f"user{user_id}@example.com",
        "email_status": None,
        "image_url": None,
        "timezone": "UTC",
        "config": {},
        "created_at": EPOCH,
        "updated_at": EPOCH,
    }


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "The request body is not valid JSON.") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "No such path.", 405: "Method not allowed on this path."}.get(status, "Error.")
    return problem_response(Problem(status, message))


class Frontdoor:
    """Outermost ASGI layer: fault injection and the request log."""

    def __init__(self, emulator: Emulator, app: Starlette) -> None:
        self.emulator = emulator
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = time.monotonic()
        state: dict[str, Any] = {"team_id": None, "recorded": False}
        scope[_STATE] = state
        fault = self.emulator.faults.draw()

        def record(status: int) -> None:
            if not state["recorded"]:
                state["recorded"] = True
                query = scope.get("query_string", b"").decode("latin-1")
                entry = RequestRecord(
                    scope["method"],
                    scope["path"],
                    status,
                    state["team_id"],
                    fault,
                    query,
                    received,
                    time.monotonic(),
                )
                self.emulator.record(entry)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])  # before the client can see the answer
            await send(message)

        if fault == "drop":
            record(0)  # before the client can notice the drop
        try:
            await self._handle(fault, scope, receive, send, recording_send)
        finally:
            record(0)  # no answer was sent: the connection was dropped

    async def _handle(
        self, fault: str | None, scope: Scope, receive: Receive, send: Send, out: Send
    ) -> None:
        if fault == "server_error":
            await _send_error(out, 500, "Injected fault: internal server error.")
        elif fault == "drop":
            await _drop(send)
        elif fault == "bad_gateway":
            if scope["method"] in WRITES:
                await self.app(scope, receive, _discard)
            await _send_error(out, 502, "Injected fault: bad gateway.")
        elif fault == "slow":
            # The work (a write included) happens now and the answer comes late: a client
            # that times out meanwhile cannot know whether its write happened.
            await self._late(scope, receive, out, self.emulator.faults.slow_seconds)
        elif (latency := self.emulator.faults.draw_latency()) > 0:
            await self._late(scope, receive, out, latency)
        else:
            await self.app(scope, receive, out)

    async def _late(self, scope: Scope, receive: Receive, out: Send, delay: float) -> None:
        """Handle the request now, send its answer ``delay`` seconds later."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await out(message)


async def _discard(message: Message) -> None:
    return None


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps(envelope(status, "server_error", message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class DroppedConnection(Exception):
    """Raised to make the server abandon a response it has started."""


async def _drop(send: Send) -> None:
    """Close the client connection without answering."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        for _ in range(20):
            if getattr(cycle, "disconnected", True):
                return
            await asyncio.sleep(0)
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    raise DroppedConnection("injected fault: connection dropped")
