"""Doing: run a :class:`~gsctl.reconcile.changes.Plan` against the API and report what happened.

Creates and updates run level by level (DESIGN section 3), then flow steps and status
(level 6), then deletes in reverse level order. Within a level, operations run in parallel
(``parallelism`` workers; the client's rate limiter is shared), except creates the API puts
in order: a custom field, pipeline stage or flow workspace created without a declared
``order`` is appended by the API, so those of one kind and object type run one after another
in the order the manifests declare them (a chain), beside the other work; after a failed
create, the rest of its chain is not run. An operation whose inputs failed is not run;
independent work continues. Ctrl-C lets in-flight requests finish (a chain stops before its
next create), then reports: nothing is left half-sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from gsctl.api import kinds
from gsctl.api.refs import (
    NameIndex,
    ref_name,
    reference_name,
    references_of,
    to_api,
    to_manifest,
)
from gsctl.errors import GsctlError, UnexpectedAnswerError
from gsctl.reconcile.changes import Change, Plan
from gsctl.reconcile.flowops import FlowClient, run_flow_steps, steps_needed, stop_if_running


class ApiClient(FlowClient, Protocol):
    """What the executor needs of :class:`gsctl.api.client.Client` (``create`` and the flow
    calls come from :class:`~gsctl.reconcile.flowops.FlowClient`)."""

    def list_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]: ...

    def update(self, path: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def delete(self, path: str) -> None: ...


LEVEL6_PHASES = ("steps", "status")  # run_flow_steps: a new version and/or status actions


@dataclass
class Op:
    change: Change
    phase: str  # "main" | "steps" | "status" (steps op moving the status only) | "delete"
    level: int
    provides: set[tuple[str, str]] = field(default_factory=set)
    requires: set[tuple[str, str]] = field(default_factory=set)
    after: Op | None = None  # must have succeeded first


@dataclass
class Outcome:
    change: Change
    phase: str
    status: str  # done | failed | not_run
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.change
        return {
            "action": c.action,
            "kind": c.kind,
            "name": c.name,
            "phase": self.phase,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(o.status == "done" for o in self.outcomes)


def build_ops(plan: Plan) -> list[Op]:
    """Expand changes into ordered operations with their dependencies."""
    ops: list[Op] = []
    for c in plan.changes:
        if c.action == "delete":
            ops.append(Op(c, "delete", c.level))
            continue
        assert c.desired is not None
        requires = references_of(c.kind, c.desired.fields)
        main = None
        if c.kind != "flow" or c.action != "update" or (c.field_names() - {"status"}):
            main = Op(c, "main", c.level, {(c.kind, _ref_key(c))}, _top_level_requires(c))
            ops.append(main)
        if c.kind == "flow" and steps_needed(c):
            phase = "status" if c.action == "update" and not c.steps else "steps"
            ops.append(Op(c, phase, kinds.STEPS_LEVEL, set(), requires, after=main))
    return ops


def _ref_key(c: Change) -> str:
    return reference_name(c.kind, c.desired.name if c.desired is not None else c.name)


def _top_level_requires(c: Change) -> set[tuple[str, str]]:
    assert c.desired is not None
    fields = {k: v for k, v in c.desired.fields.items() if k not in ("nodes", "contact_sources")}
    return references_of(c.kind, fields)


class Executor:
    """Runs operations against one client, tracking names -> uuids as objects appear."""

    def __init__(
        self,
        client: ApiClient,
        names: NameIndex,
        *,
        parallelism: int = 4,
        rotate_secrets: bool = False,
        progress: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.client = client
        self.names = names
        self.parallelism = max(1, parallelism)
        self.rotate_secrets = rotate_secrets
        self.progress = progress or (lambda o: None)
        self._failed_names: set[tuple[str, str]] = set()
        self._blocked_refs: set[tuple[str, str]] = set()
        self._results: dict[int, str] = {}
        self._created_status: dict[int, str | None] = {}  # id(change) -> status answered
        self._lock = threading.Lock()

    def resolve(self, kind: str, name: str) -> str:
        return self.names.uuid(kind, reference_name(kind, name))

    def run(self, plan: Plan) -> ApplyReport:
        ops = build_ops(plan)
        report = ApplyReport()
        groups = _groups(ops)
        for group in groups:
            if report.interrupted:
                report.outcomes.extend(
                    Outcome(o.change, o.phase, "not_run", "interrupted") for o in group
                )
                continue
            report.interrupted = self._run_group(group, report)
        return report

    def _run_group(self, group: list[Op], report: ApplyReport) -> bool:
        runnable: list[Op] = []
        for op in group:
            reason = self._blocked(op)
            if reason:
                self._record(op, report, Outcome(op.change, op.phase, "not_run", reason))
            else:
                runnable.append(op)
        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.parallelism)
        units = chains(runnable)
        futures = {pool.submit(self._execute_chain, chain, stop): chain for chain in units}
        interrupted = False
        try:
            wait(futures)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            for fut in futures:
                fut.cancel()
            wait([f for f in futures if not f.cancelled()])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        outcomes: dict[int, Outcome] = {}
        for fut, chain in futures.items():
            ran = [] if fut.cancelled() else fut.result()
            for op, outcome in zip(chain, ran, strict=False):
                outcomes[id(op)] = outcome
        for op in runnable:  # in plan order
            interrupted_op = Outcome(op.change, op.phase, "not_run", "interrupted")
            self._record(op, report, outcomes.get(id(op), interrupted_op))
        return interrupted

    def _execute_chain(self, chain: list[Op], stop: threading.Event) -> list[Outcome]:
        """Run ``chain`` in order. After Ctrl-C (``stop``) the rest is not started; after a
        failure the rest is not run, so that a second apply appends them in order."""
        ran: list[Outcome] = []
        failed: Change | None = None
        for op in chain:
            if stop.is_set():
                break
            if failed is not None:
                why = f'{failed.kind} "{failed.name}", declared before it, was not created'
                ran.append(Outcome(op.change, op.phase, "not_run", why))
                continue
            ran.append(self._execute(op))
            if ran[-1].status != "done":
                failed = op.change
        return ran

    def _record(self, op: Op, report: ApplyReport, outcome: Outcome) -> None:
        with self._lock:
            self._results[id(op)] = outcome.status
            if outcome.status != "done":
                self._failed_names |= op.provides
                c = op.change
                for res in (c.desired, c.live):
                    if res is not None:
                        self._blocked_refs |= references_of(res.kind, res.fields)
        report.outcomes.append(outcome)
        self.progress(outcome)

    def _blocked(self, op: Op) -> str:
        if op.after is not None and self._results.get(id(op.after)) != "done":
            return f'{op.after.phase} step of {op.change.kind} "{op.change.name}" did not succeed'
        missing = sorted(op.requires & self._failed_names)
        if missing:
            kind, name = missing[0]
            return f'depends on {kind} "{name}", which was not created'
        target = (op.change.kind, reference_name(op.change.kind, op.change.name))
        if op.phase == "delete" and target in self._blocked_refs:
            return "still referenced by a change that did not succeed"
        return ""

    def _execute(self, op: Op) -> Outcome:
        try:
            if op.phase == "delete":
                self._delete(op.change)
            elif op.phase in LEVEL6_PHASES:
                status = self._created_status.get(id(op.change))
                run_flow_steps(self.client, op.change, self.resolve, status)
            else:
                self._main(op.change)
        except GsctlError as exc:
            return Outcome(op.change, op.phase, "failed", str(exc))
        except KeyError as exc:
            return Outcome(op.change, op.phase, "failed", f"unknown reference {exc}")
        return Outcome(op.change, op.phase, "done")

    def _main(self, c: Change) -> None:
        k = kinds.KINDS[c.kind]
        assert c.desired is not None
        if c.action == "update":
            include = c.field_names() - {"status"}
            body = to_api(
                k, c.desired.fields, self.resolve, include=include, secrets=self.rotate_secrets
            )
            assert c.uuid is not None
            if body:
                obj = self.client.update(k.item_path(c.uuid), body)
                # Any 2xx will do: an answer without the object keeps the known uuid.
                known = obj.get("uuid") == c.uuid
                name = ref_name(k, obj) if known else reference_name(c.kind, c.desired.name)
                self.names.add(c.kind, name, c.uuid)
            return
        if c.action == "replace":
            assert c.uuid is not None
            self.client.delete(k.item_path(c.uuid))
        body = to_api(k, {**k.always_sent, **c.desired.fields}, self.resolve)
        found: list[dict[str, Any]] = []

        def find_existing() -> dict[str, Any] | None:
            obj = self._find(k, body)
            if obj is not None:
                found.append(obj)
            return obj

        obj = self.client.create(k.collection, body, find_existing=find_existing)
        if found and obj is found[-1]:
            obj = self._adopt(k, c, obj)
        if not isinstance(obj.get("uuid"), str) or not obj["uuid"]:
            # 204, or 200 without the object: find what was created by its natural key.
            obj = self._find(k, body) or {}
            if not obj:
                raise UnexpectedAnswerError(
                    "POST",
                    k.collection,
                    "uuid",
                    "the created object, or an object of that name in the list",
                    "neither",
                )
        c.uuid = obj["uuid"]
        with self._lock:
            self._created_status[id(c)] = obj.get("status")
        self.names.add(c.kind, ref_name(k, obj), c.uuid)

    def _adopt(self, k: kinds.Kind, c: Change, obj: dict[str, Any]) -> dict[str, Any]:
        """The create found its name taken (a concurrent run, or our own ambiguous attempt):
        take the object over if its create-only fields match, and send the desired fields
        (secrets included) so that it ends exactly as declared. Never a second create."""
        assert c.desired is not None
        live = to_manifest(k, obj, self.names.name)
        differ = [
            f for f in k.create_only if f in c.desired.fields and live.get(f) != c.desired.fields[f]
        ]
        if differ:
            raise GsctlError(
                f'{c.kind} "{c.name}": the name was taken meanwhile (422) by an object with a '
                f"different {', '.join(differ)}, which cannot change; run plan again"
            )
        include = set(c.desired.fields) - set(k.create_only) - {"status"}
        body = to_api(k, c.desired.fields, self.resolve, include=include)
        return self.client.update(k.item_path(obj["uuid"]), body) if body else obj

    def _find(self, k: kinds.Kind, body: dict[str, Any]) -> dict[str, Any] | None:
        """Re-list by natural key after an ambiguous create: did it happen?"""
        want = kinds.natural_key(k, {f: body.get(k.api_name(f)) for f in k.natural_key})
        params = next(
            (p for p in k.list_filters if p.get("filter[object]") == body.get("object")), None
        )
        for obj in self.client.list_all(k.collection, dict(params) if params else None):
            if kinds.natural_key(k, obj) == want:
                return obj
        return None

    def _delete(self, c: Change) -> None:
        k = kinds.KINDS[c.kind]
        assert c.uuid is not None
        if c.kind == "flow" and c.live is not None:
            stop_if_running(self.client, c.uuid, c.live.fields.get("status"))
        self.client.delete(k.item_path(c.uuid))


def chains(ops: list[Op]) -> list[list[Op]]:
    """``ops`` as units of work, each run in order by one worker: the creates without a
    declared ``order`` of a kind the API orders (it appends them) form one chain per kind and
    object type, in the order they are declared in the manifests (a plan lists them by name),
    so the API numbers them in that order; any other op runs alone."""
    units: list[list[Op]] = []
    by_scope: dict[tuple[str, Any], list[Op]] = {}
    for op in ops:
        scope = _appended(op)
        if scope is None:
            units.append([op])
        elif scope in by_scope:
            by_scope[scope].append(op)
        else:
            by_scope[scope] = [op]
            units.append(by_scope[scope])
    for chain in by_scope.values():
        chain.sort(key=_declared_at)
    return units


def _declared_at(op: Op) -> tuple[str, int]:
    """Where the object is declared (file, line); ``("", 0)`` when not known."""
    origin = op.change.desired.origin if op.change.desired is not None else None
    return ("", 0) if origin is None else (origin.path, origin.line)


def _appended(op: Op) -> tuple[str, Any] | None:
    """(kind, object type) when ``op`` creates an object the API appends to an ordered list
    (its kind has ``order`` and none is declared); else None."""
    c = op.change
    if op.phase != "main" or c.action != "create" or c.desired is None:
        return None
    if "order" not in kinds.KINDS[c.kind].fields or c.desired.fields.get("order") is not None:
        return None
    return (c.kind, c.desired.fields.get("object"))


def _groups(ops: list[Op]) -> list[list[Op]]:
    """Operations grouped for execution: main by level, steps, then deletes in reverse."""
    order: dict[tuple[int, int], list[Op]] = {}
    for op in ops:
        if op.phase == "delete":
            key = (2, -op.level)
        elif op.phase in LEVEL6_PHASES:
            key = (1, op.level)
        else:
            key = (0, op.level)
        order.setdefault(key, []).append(op)
    return [order[k] for k in sorted(order)]
