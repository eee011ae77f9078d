"""Flow steps and status at apply time (level 6).

Steps live in immutable versions: a changed graph is saved as exactly one new version.
Status moves only through the action endpoints, in a safe order: unarchive before anything
else, stop before the steps change, steps before start. A draft flow reaches ``off`` by
archive + unarchive, so it never sends on the way.

The status a flow has is read, never assumed: a new flow is ``draft`` by the contract, but
``off`` where the real API creates it so. A declared ``draft`` means "not sending", which an
``off`` flow satisfies: no action is run to reach ``draft``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from gsctl.api import guard, kinds
from gsctl.errors import GsctlError
from gsctl.flows import graph
from gsctl.model import reveal
from gsctl.reconcile.changes import Change

Resolver = Callable[[str, str], str]


class FlowClient(Protocol):
    def action(self, path: str) -> dict[str, Any]: ...

    def create(
        self,
        path: str,
        body: dict[str, Any],
        *,
        find_existing: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]: ...

    def get(self, path: str) -> dict[str, Any]: ...


def status_actions(current: str | None, target: str | None) -> tuple[list[str], list[str]]:
    """Actions (before the steps, after the steps) that move ``current`` to ``target``."""
    current = current or "draft"
    if target is None or target == current or satisfies(current, target):
        return [], []
    if target == "draft":
        raise GsctlError(f"a flow cannot go back to draft from {current}")
    if target == "archived":
        return [], ["archive"]
    pre = ["unarchive"] if current == "archived" else []
    if target == "on":
        return pre, ["start"]
    # target "off"
    if current == "on":
        return ["stop"], []
    if current == "draft":
        return [], ["archive", "unarchive"]
    return pre, []


def satisfies(live: str | None, declared: str | None) -> bool:
    """A live status that meets the declared one: equal, or ``off`` for a declared ``draft``
    (both mean "not sending"; the real API creates new flows ``off``)."""
    return live == declared or (declared == "draft" and live == "off")


def check_transition(current: str | None, target: str | None) -> str:
    """An error message when ``current -> target`` is impossible, else ''."""
    try:
        status_actions(current, target)
    except GsctlError as exc:
        return str(exc)
    return ""


def steps_needed(c: Change) -> bool:
    """Does this flow change need a level-6 operation (new version or status action)?"""
    if c.desired is None:
        return False
    target = c.desired.fields.get("status")
    if c.action in ("create", "replace"):
        return "nodes" in c.desired.fields or target not in (None, "draft")
    return bool(c.steps) or "status" in c.field_names()


def run_flow_steps(
    client: FlowClient, c: Change, resolve: Resolver, created_status: str | None = None
) -> None:
    """Save a new version when the steps changed, and move the status where asked.

    ``created_status``: the status the create answered (for a created or replaced flow)."""
    assert c.desired is not None
    uuid = c.uuid or resolve("flow", c.desired.name)
    current: str | None
    if c.action in ("create", "replace") or c.live is None:
        current = created_status or _read_status(client, uuid)
    else:
        current = c.live.fields.get("status")
    pre, post = status_actions(current, c.desired.fields.get("status"))
    for action in pre:
        client.action(kinds.FLOW_ACTIONS[action].format(uuid=uuid))
    new_graph = c.action in ("create", "replace") and "nodes" in c.desired.fields
    if new_graph or c.steps:
        body = graph.to_api_version(
            reveal(c.desired.fields.get("nodes") or []),
            reveal(c.desired.fields.get("contact_sources") or []),
            resolve=resolve,
            now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        )
        _post_version(client, uuid, body)
    for action in post:
        client.action(kinds.FLOW_ACTIONS[action].format(uuid=uuid))


def stop_if_running(client: FlowClient, uuid: str, status: str | None) -> None:
    """Stop a running flow before it is deleted."""
    if status == "on":
        client.action(kinds.FLOW_ACTIONS["stop"].format(uuid=uuid))


def _read_status(client: FlowClient, uuid: str) -> str:
    """The flow's status as the API has it (when the create answer did not say)."""
    flow = client.get(kinds.KINDS["flow"].item_path(uuid))
    status = flow.get("status")
    if not isinstance(status, str):
        path = kinds.KINDS["flow"].item_path(uuid)
        raise guard.mismatch("GET", path, "status", guard.STRING, flow.get("status", ...))
    return status


def _active_version(client: FlowClient, uuid: str) -> str | None:
    return client.get(kinds.KINDS["flow"].item_path(uuid)).get(kinds.ACTIVE_VERSION_FIELD)


def _post_version(client: FlowClient, uuid: str, body: dict[str, Any]) -> None:
    """POST a version. After an ambiguous failure the flow's ``flow_version_uuid`` settles
    it: moved means the version was saved (no second one), unmoved means it was not."""
    before = _active_version(client, uuid)

    def find_existing() -> dict[str, Any] | None:
        now = _active_version(client, uuid)
        return {"uuid": now} if now is not None and now != before else None

    client.create(kinds.FLOW_VERSIONS.format(uuid=uuid), body, find_existing=find_existing)
