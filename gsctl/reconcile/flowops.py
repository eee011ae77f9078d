"""Flow steps and status at apply time (level 6).

Steps live in immutable versions: a changed graph is saved as exactly one new version.
Status moves only through the action endpoints, in a safe order: unarchive before anything
else, stop before the steps change, steps before start. A draft flow reaches ``off`` by
archive + unarchive, so it never sends on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from gsctl.api import kinds
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

    def list_flow_versions(self, flow_uuid: str) -> list[dict[str, Any]]: ...


def status_actions(current: str | None, target: str | None) -> tuple[list[str], list[str]]:
    """Actions (before the steps, after the steps) that move ``current`` to ``target``."""
    current = current or "draft"
    if target is None or target == current:
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


def run_flow_steps(client: FlowClient, c: Change, resolve: Resolver) -> None:
    """Save a new version when the steps changed, and move the status where asked."""
    assert c.desired is not None
    uuid = c.uuid or resolve("flow", c.desired.name)
    current = (
        "draft"
        if c.action in ("create", "replace") or c.live is None
        else c.live.fields.get("status")
    )
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


def _post_version(client: FlowClient, uuid: str, body: dict[str, Any]) -> None:
    """POST a version; after an ambiguous failure, the newest version with the same graph
    counts as done (no second identical version)."""
    want = graph.canonical(_strip_times(body["nodes"]), body["contact_sources"])

    def find_existing() -> dict[str, Any] | None:
        versions = client.list_flow_versions(uuid)
        if versions:
            v = versions[0]
            if (
                graph.canonical(_strip_times(v.get("nodes") or []), v.get("contact_sources") or [])
                == want
            ):
                return v
        return None

    client.create(kinds.FLOW_VERSIONS.format(uuid=uuid), body, find_existing=find_existing)


def _strip_times(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    drop = ("before", "created_at", "updated_at", "automation")
    return [{k: v for k, v in n.items() if k not in drop} for n in nodes]
