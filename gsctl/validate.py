"""Manifests -> :class:`~gsctl.model.Desired`: load, schema-check, interpolate, check meaning.

Public entry points: :func:`load_desired` (plan, apply), :func:`validate_paths`
(``gsctl validate``) and :func:`summary_line`. Every problem is collected before anything is
reported, as ``path:LINE:COL: kind "name": field: message`` located at the offending value.

Semantic checks (after :mod:`gsctl.schema`): one ``settings`` block; ``settings.vars``
sections name known teams; duplicate natural keys across all files (tags and custom field
names case-insensitively); ``renamed_from`` clashes; references by name to objects the
manifests declare (LLM connections, flow workspaces, tags, templates, pipeline stages,
flows, webhooks). Sender profiles and lists are not managed by gsctl: their names are
resolved at plan time. A ``pipeline_stage`` reference is ``"<object>/<name>"`` or a bare
``"<name>"`` for a lead stage (:func:`gsctl.refs.stage_ref`); native stages
(:data:`NATIVE_STAGE_NAMES`) need no declaration. Flow graphs are checked by
:func:`gsctl.flowgraph.check_graph`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gsctl import errors, interpolate, kinds, manifest, schema
from gsctl.errors import Diagnostic
from gsctl.flowgraph import check_graph
from gsctl.manifest import Document, Path, Problem
from gsctl.model import Desired, Origin, Resource, Secret, Settings, reveal
from gsctl.refs import stage_ref

# Stages every team has (type other than custom): referenced freely, never declared.
NATIVE_STAGE_NAMES = frozenset(("New", "Approaching", "Engaging", "Replied")) | {
    f"Replied \u2013 {outcome}"
    for outcome in ("Positive", "Negative")  # en dash, as GetSales
}
_NO_ENV = "names and references cannot use ${env:...}"


def load_desired(
    paths: Sequence[str],
    *,
    team: str | int | None = None,
    env: Mapping[str, str] | None = None,
    strict_env: bool = True,
) -> Desired:
    """The desired state for ``team`` (a ``settings.teams`` name or a numeric id; None: only
    ``settings.vars.default`` applies). Raises :class:`~gsctl.errors.ManifestError` with
    every diagnostic (errors and warnings, sorted) if there is any error, and
    :class:`~gsctl.errors.UsageError` for a missing path, no manifest files or an unknown
    team name. An unset ``${env:NAME}`` is an error when ``strict_env``, else a warning
    (kept in ``Desired.warnings``)."""
    desired, diagnostics = _run(paths, team, env, strict_env=strict_env, all_teams=False)
    if desired is None:
        raise errors.ManifestError(diagnostics)
    return desired


def validate_paths(
    paths: Sequence[str], *, env: Mapping[str, str] | None = None
) -> tuple[Desired | None, list[Diagnostic]]:
    """For ``gsctl validate``: ``(desired or None, errors and warnings sorted)``. Never raises
    for manifest problems (only :class:`~gsctl.errors.UsageError` for unusable paths).
    ``${var:NAME}`` must be defined for every team of ``settings.teams``; unset
    ``${env:NAME}`` is a warning."""
    return _run(paths, None, env, strict_env=False, all_teams=True)


def summary_line(desired: Desired) -> str:
    """``"12 files, 148 resources: ok"`` (plus ``", 2 warnings"`` when there are some)."""
    line = f"{_count(len(desired.files), 'file')}, {_count(len(desired.resources), 'resource')}"
    warnings = f", {_count(len(desired.warnings), 'warning')}" if desired.warnings else ""
    return f"{line}: ok{warnings}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Item:
    """One manifest item and the resource built from it."""

    doc: Document
    section: str
    index: int
    resource: Resource
    schema_paths: set[Path] = field(default_factory=set)  # field paths with schema problems


@dataclass
class _Run:
    team: str | int | None
    env: Mapping[str, str]
    strict_env: bool
    all_teams: bool
    docs: list[Document] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    out: list[Diagnostic] = field(default_factory=list)
    raw: list[tuple[Document, Problem]] = field(default_factory=list)  # labelled at the end

    def item_error(
        self, item: _Item, sub: Path, message: str, severity: str = "error", *, prefix: bool = True
    ) -> None:
        """A diagnostic located at ``sub`` within the item, its message prefixed by ``sub``."""
        origin = item.doc.origin((item.section, item.index, *sub))
        self.out.append(_diag(origin, message, sub if prefix else (), item.resource, severity))


def _run(
    paths: Sequence[str],
    team: str | int | None,
    env: Mapping[str, str] | None,
    *,
    strict_env: bool,
    all_teams: bool,
) -> tuple[Desired | None, list[Diagnostic]]:
    files = manifest.find_files(paths)
    if not files:
        raise errors.UsageError(f"no manifest files (*.yaml, *.yml) in: {', '.join(paths)}")
    run = _Run(team, os.environ if env is None else env, strict_env, all_teams)
    for path in files:
        _load(run, path)
    settings = _settings(run)
    ctx = interpolate.context_for(
        settings, run.team, run.env, strict_env=run.strict_env, all_teams=run.all_teams
    )
    for doc in run.docs:
        _build_items(run, doc, ctx)
    _label_raw(run)
    _check_duplicates(run)
    _check_renames(run)
    _check_references(run)
    _check_graphs(run)
    diagnostics = sorted(set(run.out))
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    sections = {s for d in run.docs for s in d.data if s in kinds.BY_SECTION}
    desired = Desired(
        resources=[i.resource for i in run.items],
        settings=settings,
        files=list(files),
        mentioned_kinds=frozenset(kinds.BY_SECTION[s].name for s in sections),
        warnings=[d for d in diagnostics if d.severity == "warning"],
    )
    return desired, diagnostics


def _load(run: _Run, path: str) -> None:
    doc, problems = manifest.load_file(path)
    if doc is None:
        run.out.extend(_diag(p.origin or Origin(path, 1, 1), p.message) for p in problems)
        return
    run.raw.extend((doc, p) for p in problems)
    run.raw.extend((doc, p) for p in schema.check(doc.data))
    if isinstance(doc.data, dict):
        run.docs.append(doc)


def _diag(
    origin: Origin,
    message: str,
    sub: Path = (),
    resource: Resource | None = None,
    severity: str = "error",
) -> Diagnostic:
    prefix = f"{_dotted(sub)}: " if sub else ""
    return Diagnostic(
        origin.path,
        origin.line,
        origin.column,
        prefix + message,
        kind=resource.kind if resource else "",
        name=resource.name if resource else "",
        severity=severity,
    )


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _label_raw(run: _Run) -> None:
    """Loader and schema problems -> diagnostics, labelled with their item when in one."""
    items = {(id(i.doc), i.section, i.index): i for i in run.items}
    for doc, p in run.raw:
        origin = p.origin or doc.origin(p.path, at_key=p.at_key)
        path = p.path[:-1] if p.at_key else p.path
        item = items.get((id(doc), *p.path[:2])) if len(p.path) >= 2 else None
        if item is not None:
            item.schema_paths.add(p.path[2:])
            run.out.append(_diag(origin, p.message, path[2:], item.resource))
        else:
            run.out.append(_diag(origin, p.message, path))


# --- settings and interpolation context -------------------------------------------------------


def _settings(run: _Run) -> Settings:
    owners = [d for d in run.docs if "settings" in d.data]
    for doc in owners[1:]:
        first = owners[0].keys[("settings",)]
        msg = f"settings: also defined at {first}; only one file may have settings"
        run.out.append(_diag(doc.keys[("settings",)], msg))
    if not owners or not isinstance(owners[0].data["settings"], dict):
        return Settings()
    doc, raw = owners[0], owners[0].data["settings"]
    teams = {k: v for k, v in _dict(raw.get("teams")).items() if _is_int(v)}
    variables = {k: v for k, v in _dict(raw.get("vars")).items() if isinstance(v, dict)}
    for name in variables:
        if name != "default" and name not in teams:
            msg = f"vars section '{name}' is not a team in settings.teams"
            msg += f" (teams: {', '.join(teams) or 'none'}; or use 'default')"
            run.raw.append((doc, Problem(("settings", "vars", name), msg, at_key=True)))
    if "default" in teams:
        msg = "team name 'default' is reserved for settings.vars.default"
        run.raw.append((doc, Problem(("settings", "teams", "default"), msg, at_key=True)))
    prune = raw.get("prune", False)
    if isinstance(prune, list):
        by_name = {**{k.section: k.name for k in kinds.MANAGED}, **kinds.KINDS}
        prune = tuple(_prune_names(prune, by_name))
    percent = raw.get("max_delete_percent", 30)
    ok = _is_number(percent) and 0 <= percent <= 100
    return Settings(
        teams=teams,
        vars=variables,
        prune=prune if isinstance(prune, bool | tuple) else False,
        max_delete_percent=float(percent) if ok else 30.0,
        origin=doc.values.get(("settings",)),
    )


def _prune_names(values: list[Any], by_name: Mapping[str, Any]) -> Iterator[str]:
    for v in values:
        if isinstance(v, str) and v in by_name:
            target = by_name[v]
            yield target if isinstance(target, str) else target.name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- items -> resources -----------------------------------------------------------------------


def _build_items(run: _Run, doc: Document, ctx: interpolate.Context) -> None:
    buckets: dict[tuple[str, int], dict[Path, Origin]] = {}
    for path, origin in doc.values.items():
        if len(path) >= 2 and path[0] in kinds.BY_SECTION:
            buckets.setdefault(path[:2], {})[path[2:]] = origin
    recheck: set[Path] = set()
    view = dict(doc.data)
    for section, value in doc.data.items():
        kind = kinds.BY_SECTION.get(section)
        if kind is None or not isinstance(value, list):
            continue
        view[section] = list(value)
        for index, raw in enumerate(value):
            if not isinstance(raw, dict):
                continue
            item = _item(run, doc, kind, (section, index), raw, ctx, buckets, recheck)
            view[section][index] = {**raw, **reveal(item.resource.fields)}
    if recheck:
        run.raw.extend((doc, p) for p in schema.check(view, only=recheck))


def _item(
    run: _Run,
    doc: Document,
    kind: kinds.Kind,
    where: tuple[str, int],
    raw: dict[str, Any],
    ctx: interpolate.Context,
    buckets: dict[tuple[str, int], dict[Path, Origin]],
    recheck: set[Path],
) -> _Item:
    plain = {k: raw[k] for k in kind.fields if k in raw}  # in kinds.py order
    result = interpolate.interpolate(plain, ctx)
    fields: dict[str, Any] = result.value
    renamed = raw.get("renamed_from")
    name = kinds.display_name(kind, fields)
    if not all(isinstance(fields.get(f), str) for f in kind.natural_key):
        name = f"{where[0]}[{where[1]}]"
    ignore = raw.get("ignore_changes")
    resource = Resource(
        kind=kind.name,
        name=name,
        key=kinds.natural_key(kind, fields),
        fields=fields,
        origin=buckets.get(where, {}).get(()),
        origins=buckets.get(where, {}),
        renamed_from=renamed if isinstance(renamed, str) else None,
        protect=raw.get("protect") is True,
        ignore_changes=tuple(v for v in ignore if isinstance(v, str))
        if isinstance(ignore, list)
        else (),
    )
    item = _Item(doc, where[0], where[1], resource)
    run.items.append(item)
    for sub, severity, message in result.problems:
        run.item_error(item, sub, message, severity)
    secret_fields = set(kind.secret)
    recheck.update((*where, *p) for p in result.resolved if p[:1] and p[0] not in secret_fields)
    for f in kind.natural_key:
        if isinstance(fields.get(f), Secret):
            run.item_error(item, (f,), _NO_ENV)
    return item


# --- semantic checks --------------------------------------------------------------------------


def _named(run: _Run) -> Iterator[_Item]:
    """Items whose natural key is fully written (the others already have a schema error)."""
    for item in run.items:
        kind = kinds.KINDS[item.resource.kind]
        if all(isinstance(item.resource.fields.get(f), str) for f in kind.natural_key):
            yield item


def _key_origin(item: _Item) -> Origin:
    return item.doc.origin((item.section, item.index, "name"))


def _check_duplicates(run: _Run) -> None:
    first: dict[tuple[str, tuple[str, ...]], _Item] = {}
    for item in _named(run):
        r = item.resource
        seen = first.setdefault(r.ident, item)
        if seen is not item:
            msg = f'duplicate {r.kind} "{r.name}": also defined at {_key_origin(seen)}'
            run.item_error(item, ("name",), msg, prefix=False)


def _check_renames(run: _Run) -> None:
    declared = {i.resource.ident: i for i in _named(run)}
    claimed: dict[tuple[str, tuple[str, ...]], _Item] = {}
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


def _check_references(run: _Run) -> None:
    names: dict[str, set[tuple[str, ...]]] = {}
    display: dict[str, list[str]] = {}
    for item in _named(run):
        names.setdefault(item.resource.kind, set()).add(item.resource.key)
        display.setdefault(item.resource.kind, []).append(item.resource.name)
    for item in run.items:
        for sub, target, value in _references(item.resource):
            if isinstance(value, Secret):
                run.item_error(item, sub, _NO_ENV)
            elif isinstance(value, str):
                msg = _unknown_reference(target, value, names, display)
                if msg:
                    run.item_error(item, sub, msg)


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
    target: str, value: str, names: dict[str, set[tuple[str, ...]]], display: dict[str, list[str]]
) -> str | None:
    """The message for a reference to an undeclared object, or None when it is fine."""
    kind = kinds.KINDS[target]
    what = target.replace("_", " ")
    if target == "pipeline_stage":
        obj, _, stage = stage_ref(value).partition("/")
        if obj not in ("lead", "company"):
            msg = f'pipeline stage "{value}" reads as object "{obj}", which is not lead or company'
            return msg + f' (for a lead stage whose name has a "/", write "lead/{value}")'
        if stage in NATIVE_STAGE_NAMES:
            return None
        fields = {"object": obj, "name": stage}
    else:
        fields = {"name": value}
    if kinds.natural_key(kind, fields) in names.get(target, set()):
        return None
    shown = kinds.display_name(kind, fields)
    msg = f'unknown {what} "{shown}": not declared in {kind.section}'
    close = difflib.get_close_matches(shown, display.get(target, []), n=1)
    return f'{msg} (did you mean "{close[0]}"?)' if close else msg


def _check_graphs(run: _Run) -> None:
    """Flow graph rules (:func:`gsctl.flowgraph.check_graph`) for flows with steps whose
    nodes and contact sources passed the schema (so no problem is reported twice)."""
    for item in run.items:
        fields = item.resource.fields
        if item.resource.kind != "flow" or "nodes" not in fields:
            continue
        if any(p[:1] in (("nodes",), ("contact_sources",)) for p in item.schema_paths):
            continue
        for sub, message in check_graph(fields.get("nodes"), fields.get("contact_sources")):
            run.item_error(item, tuple(sub), message)
