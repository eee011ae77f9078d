"""Semantic checks over the loaded manifest items (after the JSON Schema).

Duplicate natural keys across all files, ``renamed_from`` clashes, references by name to
objects the manifests declare, and flow graphs. Each check appends located diagnostics to
the run (:class:`gsctl.manifests.run.Run`); none raises.
"""

from __future__ import annotations

import difflib
import functools
import re
import urllib.parse
import zoneinfo
from collections.abc import Iterator
from typing import Any

from gsctl.api import kinds
from gsctl.api.refs import stage_ref
from gsctl.errors import printable
from gsctl.flows.graph import check_graph
from gsctl.manifests import bounds
from gsctl.manifests.document import Path
from gsctl.manifests.run import Item, Run
from gsctl.model import Origin, Resource, Secret, reveal

NO_ENV = "names and references cannot use ${env:...}"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc, exactly


def check_all(run: Run) -> None:
    _check_values(run)
    _check_duplicates(run)
    _check_lookalikes(run)
    _check_renames(run)
    _check_references(run)
    _check_graphs(run)


def _named(run: Run) -> list[Item]:
    """Items whose natural key is fully written (the others already have a schema error)."""
    return run.named


def _key_origin(item: Item) -> Origin:
    return item.doc.origin((item.section, item.index, "name"))


def _check_duplicates(run: Run) -> None:
    first: dict[tuple[str, tuple[str, ...]], Item] = {}
    for item in _named(run):
        r = item.resource
        seen = first.setdefault(r.ident, item)
        if seen is not item:
            msg = f'duplicate {r.kind} "{r.name}": also defined at {_key_origin(seen)}'
            run.item_error(item, ("name",), msg, prefix=False)


def _check_lookalikes(run: Run) -> None:
    """Warn when two names of one kind differ only by look-alike characters."""
    first: dict[tuple[str, str], Item] = {}
    for item in _named(run):
        r = item.resource
        name = r.fields.get("name")
        if not isinstance(name, str):
            continue
        seen = first.setdefault((r.kind, bounds.skeleton(r.name)), item)
        other = seen.resource.fields.get("name")
        if seen is not item and isinstance(other, str) and r.ident != seen.resource.ident:
            msg = (
                f'looks like {r.kind} "{printable(other)}" at {_key_origin(seen)} '
                f"({bounds.lookalike_note(name, other)}); they are different objects"
            )
            run.item_error(item, ("name",), msg, "warning", prefix=False)


def _check_renames(run: Run) -> None:
    declared = {i.resource.ident: i for i in _named(run)}
    claimed: dict[tuple[str, tuple[str, ...]], Item] = {}
    for item in _named(run):
        r = item.resource
        if r.renamed_from is None:
            continue
        kind = kinds.KINDS[r.kind]
        old = (r.kind, kinds.natural_key(kind, {**r.fields, "name": r.renamed_from}))
        other = declared.get(old)
        if other is item:
            msg = f'"{r.renamed_from}" is this object\'s own name; remove it'
        elif other is not None:
            where = _key_origin(other)
            msg = f'{r.kind} "{other.resource.name}" is still declared at {where}'
            msg += " (the old name of a rename must not be declared)"
        elif old in claimed:
            prev = claimed[old]
            where = prev.doc.origin((prev.section, prev.index, "renamed_from"))
            msg = (
                f'"{r.renamed_from}" is also claimed by {r.kind} "{prev.resource.name}" at {where}'
            )
        else:
            claimed[old] = item
            continue
        run.item_error(item, ("renamed_from",), msg)


def _check_references(run: Run) -> None:
    names: dict[str, set[tuple[str, ...]]] = {}
    display: dict[str, list[str]] = {}
    for item in _named(run):
        names.setdefault(item.resource.kind, set()).add(item.resource.key)
        display.setdefault(item.resource.kind, []).append(item.resource.name)
    unsure = _unsure_kinds(run)
    for item in run.items:
        for sub, target, value in _references(item.resource):
            if isinstance(value, Secret):
                run.item_error(item, sub, NO_ENV)
            elif isinstance(value, str):
                complete = not run.unparsed and target not in unsure
                msg = _unknown_reference(target, value, names, display, complete)
                if msg:
                    run.item_error(item, sub, msg)


def _unsure_kinds(run: Run) -> set[str]:
    """Kinds whose declarations are not all known, because a section is not a list of
    mappings or an item has no usable name (already an error): a reference to one of them
    is not reported as unknown, which would be a false second error."""
    named = {id(i) for i in _named(run)}
    out = {i.resource.kind for i in run.items if id(i) not in named}
    for doc in run.docs:
        for section, value in doc.data.items():
            kind = kinds.BY_SECTION.get(section)
            if kind is None:
                continue
            if value is None:  # an empty section
                continue
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                out.add(kind.name)
    return out


def _references(r: Resource) -> Iterator[tuple[Path, str, Any]]:
    """``(field path, target kind, value)`` of every by-name reference in a resource."""
    kind = kinds.KINDS[r.kind]
    for ref in kind.refs:
        yield (ref.manifest_field,), ref.target, r.fields.get(ref.manifest_field)
    if r.kind == "webhook":
        path: Path = ("filters", *kinds.WEBHOOK_FLOW_LIST)
        flows = _get(r.fields, path)
        for i, entry in enumerate(flows if isinstance(flows, list) else []):
            if isinstance(entry, dict):
                yield (*path, i, "flow"), "flow", entry.get("flow")
    if r.kind == "flow":
        yield from _node_references(r.fields.get("nodes"))


def _node_references(nodes: Any) -> Iterator[tuple[Path, str, Any]]:
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        payload = node.get("payload") if isinstance(node, dict) else None
        if not isinstance(payload, dict):
            continue
        for field_name, target in kinds.PAYLOAD_REFS.values():
            if target in ("list", "sender_profile"):  # not managed: resolved at plan time
                continue
            value = payload.get(field_name)
            sub = ("nodes", i, "payload", field_name)
            if isinstance(value, list):
                yield from (((*sub, j), target, v) for j, v in enumerate(value))
            else:
                yield sub, target, value


def _get(value: Any, path: Path) -> Any:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _unknown_reference(
    target: str,
    value: str,
    names: dict[str, set[tuple[str, ...]]],
    display: dict[str, list[str]],
    complete: bool = True,
) -> str | None:
    """The message for a reference to an undeclared object, or None when it is fine. When
    not ``complete`` (a file could not be read as YAML, so what it declares is unknown), only
    a malformed reference is reported, never an "unknown" one."""
    kind = kinds.KINDS[target]
    what = target.replace("_", " ")
    if target == "pipeline_stage":
        obj, _, stage = stage_ref(value).partition("/")
        if obj not in ("lead", "company"):
            msg = f'pipeline stage "{value}" reads as object "{obj}", which is not lead or company'
            return msg + f' (for a lead stage whose name has a "/", write "lead/{value}")'
        if stage in kinds.NATIVE_STAGE_NAMES or not complete:
            return None
        fields = {"object": obj, "name": stage}
    elif not complete:
        return None
    else:
        fields = {"name": value}
    if kinds.natural_key(kind, fields) in names.get(target, set()):
        return None
    shown = kinds.display_name(kind, fields)
    msg = f'unknown {what} "{shown}": not declared in {kind.section}'
    close = difflib.get_close_matches(shown, display.get(target, []), n=1)
    return f'{msg} (did you mean "{close[0]}"?)' if close else msg


def _check_graphs(run: Run) -> None:
    """Flow graph rules (:func:`gsctl.flows.graph.check_graph`) for flows with steps whose
    nodes and contact sources passed the schema (so no problem is reported twice)."""
    for item in run.items:
        fields = item.resource.fields
        if item.resource.kind != "flow" or "nodes" not in fields:
            continue
        if any(p[:1] in (("nodes",), ("contact_sources",)) for p in item.schema_paths):
            continue
        for sub, message in check_graph(fields.get("nodes"), fields.get("contact_sources")):
            run.item_error(item, tuple(sub), message)


def _check_values(run: Run) -> None:
    """Rules the API enforces that the JSON Schema cannot express."""
    for item in run.items:
        r = item.resource
        name = r.fields.get("name")
        if isinstance(name, str) and _CONTROL.search(name):
            run.item_error(item, ("name",), "a name cannot contain control characters")
        if r.kind == "pipeline_stage" and name in kinds.NATIVE_STAGE_NAMES:
            msg = (
                f'"{name}" is a native stage: every team has it and gsctl never manages it; '
                "reference it from flows without declaring it"
            )
            run.item_error(item, ("name",), msg)
        for field_name in kinds.KINDS[r.kind].masked_urls:
            if field_name in r.fields and not _is_http_url(reveal(r.fields[field_name])):
                run.item_error(item, (field_name,), "must be an absolute http(s) URL")
        if r.kind == "flow":
            _check_timeblocks(run, item)
            _check_timezone(run, item)


def _is_http_url(value: Any) -> bool:
    if isinstance(value, str) and "${" in value:
        return True  # interpolation failed and was reported already
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA zone names this system knows (empty without a time zone database)."""
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(run: Run, item: Item) -> None:
    schedule = item.resource.fields.get("schedule")
    zone = schedule.get("timezone") if isinstance(schedule, dict) else None
    if not isinstance(zone, str) or not zone or not time_zones() or zone in time_zones():
        return
    msg = f'"{zone}" is not an IANA time zone name (such as "Europe/Berlin" or "UTC")'
    close = difflib.get_close_matches(zone, sorted(time_zones()), n=1)
    msg += f' (did you mean "{close[0]}"?)' if close else ""
    run.item_error(item, ("schedule", "timezone"), msg)


def _check_timeblocks(run: Run, item: Item) -> None:
    schedule = item.resource.fields.get("schedule")
    blocks = schedule.get("timeblocks") if isinstance(schedule, dict) else None
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        low, high = block.get("min"), block.get("max")
        if isinstance(low, int) and isinstance(high, int) and high <= low:
            run.item_error(item, ("schedule", "timeblocks", i, "max"), "must be greater than min")
