"""Fetch the live state of a workspace with list calls only (100 per page).

List pages of every kind are read in parallel under the client's shared rate limiter: the
first page of each listing, then (once a first page tells the list's ``total``) every other
page at once, so a slow API is read at the rate limit, not at its latency. When the pages do
not add up to exactly the whole list (an object twice, a total that moved, more than told),
the listing is read again in turn by ``client.list_all`` with its bounds and re-reads.
Read-only reference kinds (sender profiles, lists) are fetched only when asked for. Flow
steps come from each flow's active version,
``GET /flows/api/flow-versions/{flow_version_uuid}`` (one request per flow, unless the
version cache already holds it), and only for flows whose steps are needed.

Everything read passes the contract guard (:mod:`gsctl.api.guard`): a field gsctl pairs or
decides by that is missing or of another type stops the plan before any write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Protocol

from gsctl.api import guard, kinds
from gsctl.api.calls import Page
from gsctl.api.refs import NameIndex, ref_name, to_manifest
from gsctl.api.versioncache import VersionCache
from gsctl.errors import UnexpectedAnswerError
from gsctl.flows import graph
from gsctl.model import Origin, Resource


class ListClient(Protocol):
    def list_page(self, path: str, params: dict[str, str] | None, offset: int) -> Page: ...

    def list_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]: ...

    def get_flow_version(self, version_uuid: str) -> dict[str, Any]: ...


@dataclass
class LiveState:
    """The live objects of the kinds in scope, in manifest vocabulary, plus the name index."""

    resources: dict[str, list[Resource]] = field(default_factory=dict)  # managed kinds
    # API objects by kind, while fetching; then only their JSON text as the fingerprint hashes
    # it (``raw_json``): a large workspace's dicts are the biggest thing a plan would hold.
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    raw_json: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)  # flow uuid -> version
    names: NameIndex = field(default_factory=NameIndex)
    fetched: frozenset[str] = frozenset()

    def fingerprint(self, scope: Iterable[str]) -> str:
        """sha256 over the live API objects of ``scope`` (and fetched flow versions)."""
        digest = hashlib.sha256()
        for kind in sorted(scope):
            digest.update(kind.encode())
            text = self.raw_json.get(kind)
            digest.update(text if text is not None else _json_list(self.raw.get(kind, [])))
        for uuid in sorted(self.versions):
            digest.update(json.dumps(self.versions[uuid], sort_keys=True, default=str).encode())
        return "sha256:" + digest.hexdigest()


def _json_list(
    objs: list[dict[str, Any]], uuid: Callable[[dict[str, Any]], str] = lambda o: str(o.get("uuid"))
) -> bytes:
    """``json.dumps`` of ``objs`` sorted by uuid, keys sorted: what the fingerprint hashes.
    ``uuid``: how to read an object's uuid (``itemgetter`` once the guard checked them)."""
    ordered = sorted(objs, key=uuid)
    return json.dumps(ordered, sort_keys=True, default=str).encode()


# Live objects have no source location: one shared empty mapping (read-only by its type),
# not a dict per resource.
NO_ORIGINS: Mapping[tuple[Any, ...], Origin] = {}
MAX_PAGES_AHEAD = 1000  # pages requested at once per listing; the rest are read in turn
Listing = tuple[str, tuple[tuple[str, str], ...]]  # (collection path, filter params)


def _offsets(first: Page) -> range:
    """Offsets of the pages after ``first``, from the total it tells (none if it does not)."""
    step = len(first.items)
    if not first.more or first.total is None or step == 0:
        return range(0)
    return range(step, min(first.total, step * (MAX_PAGES_AHEAD + 1)), step)


def _read_listings(
    client: ListClient, listings: list[Listing], pool: ThreadPoolExecutor
) -> dict[Listing, list[dict[str, Any]]]:
    """Every object of each listing: all pages in parallel where the total is known.

    A listing whose parallel pages do not add up exactly (a page repeating objects, a total
    that moved, more to read than the first page told) is read again through
    ``client.list_all``, which pages in turn with every bound and consistency check.
    """

    def page(listing: Listing, offset: int) -> Page:
        return client.list_page(listing[0], dict(listing[1]) or None, offset)

    firsts: dict[Future[Page], Listing] = {pool.submit(page, li, 0): li for li in listings}
    pages: dict[Listing, list[Future[Page]]] = {}
    for done in as_completed(firsts):
        listing = firsts[done]
        pages[listing] = [done] + [pool.submit(page, listing, o) for o in _offsets(done.result())]
    out: dict[Listing, list[dict[str, Any]]] = {}
    for listing in listings:
        read = [fut.result() for fut in pages[listing]]
        items = _joined(read)
        if items is None:
            items = client.list_all(listing[0], dict(listing[1]) or None)
        out[listing] = items
    return out


def _joined(pages: list[Page]) -> list[dict[str, Any]] | None:
    """The objects of ``pages`` in order, or None unless they are exactly the whole list:
    no object twice, the same total on every page, and nothing more to read."""
    items = [o for p in pages for o in p.items]
    if len(set(map(itemgetter("uuid"), items))) != len(items):
        return None
    totals = {p.total for p in pages}
    if pages[-1].more or len(totals) > 1:
        return None
    total = pages[-1].total
    return items if total is None or total == len(items) else None


def _list_kinds(
    client: ListClient, wanted: list[str], parallelism: int
) -> dict[str, list[dict[str, Any]]]:
    listings = {
        name: [
            (kinds.KINDS[name].collection, tuple(sorted(dict(params).items())))
            for params in kinds.KINDS[name].list_filters
        ]
        for name in wanted
    }
    pool = ThreadPoolExecutor(max_workers=max(1, parallelism))
    try:
        read = _read_listings(client, [li for ls in listings.values() for li in ls], pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after an error: queued pages not sent
    return {name: [obj for li in ls for obj in read[li]] for name, ls in listings.items()}


def is_native_stage(api_obj: dict[str, Any]) -> bool:
    """A stage whose ``type`` is not ``custom``; without a ``type``, one with a native name (a
    stage gsctl cannot tell is never managed, so never pruned)."""
    stage_type = api_obj.get(kinds.NATIVE_STAGE_FIELD)
    if stage_type is None:
        return api_obj.get("name") in kinds.NATIVE_STAGE_NAMES
    return stage_type != kinds.CUSTOM_STAGE_TYPE


def fetch(
    client: ListClient,
    kind_names: Iterable[str],
    *,
    steps_for: Iterable[str] | None = None,
    parallelism: int = 4,
    renames: Iterable[tuple[str, str, str]] = (),
    versions: VersionCache | None = None,
) -> LiveState:
    """Fetch ``kind_names`` (managed or reference kinds) and the steps of some flows.

    ``steps_for``: flow names whose active version is read; None means every flow.
    ``renames``: (kind, old name, new name) of pending renames; references to the old
    object read as its new name, so a rename alone changes no referencing object.
    ``versions``: flow versions already read (immutable); only the others are requested.
    """
    wanted = sorted(set(kind_names))
    state = LiveState(fetched=frozenset(wanted))
    state.raw = _list_kinds(client, wanted, parallelism)
    for name, objs in state.raw.items():
        k = kinds.KINDS[name]
        check_objects(k, objs)
        state.names.add_first_all(name, [(ref_name(k, obj), obj["uuid"]) for obj in objs])
    for kind, old, new in renames:
        if kind in state.fetched and state.names.has(kind, old) and not state.names.has(kind, new):
            state.names.add(kind, new, state.names.uuid(kind, old))
    if "flow" in wanted:
        _fetch_versions(client, state, steps_for, parallelism, versions or VersionCache(None))
    for name in wanted:  # kind by kind: each list is dropped once converted
        k = kinds.KINDS[name]
        objs = state.raw.pop(name)
        if k.managed:
            state.resources[name] = [
                _to_resource(k, obj, state)
                for obj in objs
                if not (name == "pipeline_stage" and is_native_stage(obj))
            ]
        state.raw_json[name] = _json_list(objs, itemgetter("uuid"))  # strings: guard.list_items
    return state


def check_objects(k: kinds.Kind, objs: list[dict[str, Any]]) -> None:
    """The fields gsctl pairs and decides by are there (natural key; a flow's status)."""
    wanted = tuple(k.api_name(f) for f in k.natural_key if k.label_field != "label")
    if k.name == "flow":
        wanted += ("status",)
    guard.strings_in_items("GET", k.collection, objs, wanted)


def _fetch_versions(
    client: ListClient,
    state: LiveState,
    steps_for: Iterable[str] | None,
    parallelism: int,
    cache: VersionCache,
) -> None:
    """The active version of each flow whose steps are wanted: from the cache in this
    thread (a pool only costs CPU there), the others from the API in parallel."""
    wanted = None if steps_for is None else set(steps_for)
    flows = []
    for i, flow in enumerate(state.raw["flow"]):
        if wanted is None or flow.get("name") in wanted:
            field = (kinds.ACTIVE_VERSION_FIELD,)
            guard.required_strings("GET", kinds.FLOWS, flow, field, f"data[{i}].")
            flows.append(flow)
    found = [_cached(cache, flow[kinds.ACTIVE_VERSION_FIELD]) for flow in flows]
    missing = [flow for flow, version in zip(flows, found, strict=True) if version is None]

    def read(flow: dict[str, Any]) -> dict[str, Any]:
        version_uuid = flow[kinds.ACTIVE_VERSION_FIELD]
        version = client.get_flow_version(version_uuid)
        cache.put(version_uuid, version)
        return version

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        fresh = pool.map(read, missing)  # in order; a failed read raises at its flow
        for flow, version in zip(flows, found, strict=True):
            state.versions[flow["uuid"]] = _owned(flow, next(fresh) if version is None else version)


def _owned(flow: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """``version`` unless it says it belongs to another flow than the one naming it."""
    if version.get("flow_uuid", flow["uuid"]) != flow["uuid"]:
        path = kinds.FLOW_VERSION.format(uuid=flow[kinds.ACTIVE_VERSION_FIELD])
        raise UnexpectedAnswerError(
            "GET", path, "flow_uuid", "the uuid of the flow naming it", "another uuid"
        )
    return version


def _cached(cache: VersionCache, version_uuid: str) -> dict[str, Any] | None:
    """A cached version that still passes the contract guard; anything else is a miss."""
    version = cache.get(version_uuid)
    if version is None:
        return None
    try:
        return guard.flow_version(kinds.FLOW_VERSION.format(uuid=version_uuid), version)
    except UnexpectedAnswerError:
        return None


def _to_resource(k: kinds.Kind, obj: dict[str, Any], state: LiveState) -> Resource:
    fields = to_manifest(k, obj, state.names.name)
    if k.name == "flow":
        fields["status"] = obj.get("status")
        version = state.versions.get(obj["uuid"])
        if version is not None:
            nodes, sources = graph.from_api_version(version, name_of=state.names.name)
            fields["nodes"] = nodes
            fields["contact_sources"] = sources
    name, key = kinds.display_name(k, fields), kinds.natural_key(k, fields)
    return Resource(k.name, name, key, fields, origins=NO_ORIGINS, uuid=obj["uuid"])
