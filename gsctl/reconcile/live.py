"""Fetch the live state of a workspace with list calls only (100 per page).

Kinds are fetched in parallel under the client's shared rate limiter. Read-only reference
kinds (sender profiles, lists) are fetched only when asked for. Flow steps come from each
flow's active version, ``GET /flows/api/flow-versions/{flow_version_uuid}`` (one request per
flow), and only for flows whose steps are needed.

Everything read passes the contract guard (:mod:`gsctl.api.guard`): a field gsctl pairs or
decides by that is missing or of another type stops the plan before any write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from gsctl.api import guard, kinds
from gsctl.api.refs import NameIndex, ref_name, to_manifest
from gsctl.errors import UnexpectedAnswerError
from gsctl.flows import graph
from gsctl.model import Resource


class ListClient(Protocol):
    def list_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]: ...

    def get_flow_version(self, version_uuid: str) -> dict[str, Any]: ...


@dataclass
class LiveState:
    """The live objects of the kinds in scope, in manifest vocabulary, plus the name index."""

    resources: dict[str, list[Resource]] = field(default_factory=dict)  # managed kinds
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # API objects by kind
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)  # flow uuid -> version
    names: NameIndex = field(default_factory=NameIndex)
    fetched: frozenset[str] = frozenset()

    def fingerprint(self, scope: Iterable[str]) -> str:
        """sha256 over the live API objects of ``scope`` (and fetched flow versions)."""
        digest = hashlib.sha256()
        for kind in sorted(scope):
            objs = sorted(self.raw.get(kind, []), key=lambda o: str(o.get("uuid")))
            digest.update(kind.encode())
            digest.update(json.dumps(objs, sort_keys=True, default=str).encode())
        for uuid in sorted(self.versions):
            digest.update(json.dumps(self.versions[uuid], sort_keys=True, default=str).encode())
        return "sha256:" + digest.hexdigest()


def _list_kind(client: ListClient, k: kinds.Kind) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for params in k.list_filters:
        out.extend(client.list_all(k.collection, dict(params) or None))
    return out


def is_native_stage(api_obj: dict[str, Any]) -> bool:
    return api_obj.get(kinds.NATIVE_STAGE_FIELD, kinds.CUSTOM_STAGE_TYPE) != kinds.CUSTOM_STAGE_TYPE


def fetch(
    client: ListClient,
    kind_names: Iterable[str],
    *,
    steps_for: Iterable[str] | None = None,
    parallelism: int = 4,
    renames: Iterable[tuple[str, str, str]] = (),
) -> LiveState:
    """Fetch ``kind_names`` (managed or reference kinds) and the steps of some flows.

    ``steps_for``: flow names whose active version is read; None means every flow.
    ``renames``: (kind, old name, new name) of pending renames; references to the old
    object read as its new name, so a rename alone changes no referencing object.
    """
    wanted = sorted(set(kind_names))
    state = LiveState(fetched=frozenset(wanted))
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        lists = dict(
            zip(wanted, pool.map(lambda n: _list_kind(client, kinds.KINDS[n]), wanted), strict=True)
        )
    for name in wanted:
        k = kinds.KINDS[name]
        state.raw[name] = lists[name]
        check_objects(k, lists[name])
        for obj in lists[name]:
            state.names.add_first(name, ref_name(k, obj), obj["uuid"])
    for kind, old, new in renames:
        if kind in state.fetched and state.names.has(kind, old) and not state.names.has(kind, new):
            state.names.add(kind, new, state.names.uuid(kind, old))
    if "flow" in wanted:
        _fetch_versions(client, state, steps_for, parallelism)
    for name in wanted:
        k = kinds.KINDS[name]
        if k.managed:
            state.resources[name] = [
                _to_resource(k, obj, state)
                for obj in state.raw[name]
                if not (name == "pipeline_stage" and is_native_stage(obj))
            ]
    return state


def check_objects(k: kinds.Kind, objs: list[dict[str, Any]]) -> None:
    """The fields gsctl pairs and decides by are there (natural key; a flow's status)."""
    wanted = tuple(k.api_name(f) for f in k.natural_key if k.label_field != "label")
    if k.name == "flow":
        wanted += ("status",)
    for i, obj in enumerate(objs):
        guard.required_strings("GET", k.collection, obj, wanted, f"data[{i}].")


def _fetch_versions(
    client: ListClient, state: LiveState, steps_for: Iterable[str] | None, parallelism: int
) -> None:
    wanted = None if steps_for is None else set(steps_for)
    flows = []
    for i, flow in enumerate(state.raw["flow"]):
        if wanted is None or flow.get("name") in wanted:
            field = (kinds.ACTIVE_VERSION_FIELD,)
            guard.required_strings("GET", kinds.FLOWS, flow, field, f"data[{i}].")
            flows.append(flow)

    def active(flow: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        version_uuid = flow[kinds.ACTIVE_VERSION_FIELD]
        version = client.get_flow_version(version_uuid)
        if version.get("flow_uuid", flow["uuid"]) != flow["uuid"]:
            path = kinds.FLOW_VERSION.format(uuid=version_uuid)
            raise UnexpectedAnswerError(
                "GET", path, "flow_uuid", "the uuid of the flow naming it", "another uuid"
            )
        return flow["uuid"], version

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        for uuid, version in pool.map(active, flows):
            state.versions[uuid] = version


def _to_resource(k: kinds.Kind, obj: dict[str, Any], state: LiveState) -> Resource:
    fields = to_manifest(k, obj, state.names.name)
    if k.name == "flow":
        fields["status"] = obj.get("status")
        version = state.versions.get(obj["uuid"])
        if version is not None:
            nodes, sources = graph.from_api_version(version, name_of=state.names.name)
            fields["nodes"] = nodes
            fields["contact_sources"] = sources
    return Resource(
        kind=k.name,
        name=kinds.display_name(k, fields),
        key=kinds.natural_key(k, fields),
        fields=fields,
        uuid=obj["uuid"],
    )
