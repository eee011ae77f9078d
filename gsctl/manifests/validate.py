"""Manifests -> :class:`~gsctl.model.Desired`: load, schema-check, interpolate, check meaning.

Public entry points: :func:`load_desired` (plan, apply), :func:`validate_paths`
(``gsctl validate``) and :func:`summary_line`. Every problem is collected before anything is
reported, as ``path:LINE:COL: kind "name": field: message`` located at the offending value.

Semantic checks (after :mod:`gsctl.manifests.schema`): one ``settings`` block; ``settings.vars``
sections name known teams; duplicate natural keys across all files (tags and custom field
names case-insensitively); ``renamed_from`` clashes; references by name to objects the
manifests declare (LLM connections, flow workspaces, tags, templates, pipeline stages,
flows, webhooks). Sender profiles and lists are not managed by gsctl: their names are
resolved at plan time. A ``pipeline_stage`` reference is ``"<object>/<name>"`` or a bare
``"<name>"`` for a lead stage (:func:`gsctl.api.refs.stage_ref`); native stages
(:data:`gsctl.api.kinds.NATIVE_STAGE_NAMES`) need no declaration. Flow graphs are checked by
:func:`gsctl.flows.graph.check_graph`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from gsctl import errors
from gsctl.api import kinds
from gsctl.errors import Diagnostic
from gsctl.flows import steps
from gsctl.manifests import bounds, checks, interpolate, loader, schema
from gsctl.manifests.document import Document, Path, Problem
from gsctl.manifests.files import find_files
from gsctl.manifests.run import Item, Run, diag
from gsctl.model import Desired, LazyOrigins, Origin, Resource, Secret, Settings, reveal


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


def _run(
    paths: Sequence[str],
    team: str | int | None,
    env: Mapping[str, str] | None,
    *,
    strict_env: bool,
    all_teams: bool,
) -> tuple[Desired | None, list[Diagnostic]]:
    skipped: list[str] = []
    files = find_files(paths, skipped)
    if not files:
        raise errors.UsageError(f"no manifest files (*.yaml, *.yml) in: {', '.join(paths)}")
    run = Run(team, os.environ if env is None else env, strict_env, all_teams)
    note = "not a regular file (a named pipe, socket or device?); skipped"
    run.out.extend(diag(Origin(p, 1, 1), note, severity="warning") for p in skipped)
    for path in files:
        _load(run, path)
    settings = _settings(run)
    ctx = interpolate.context_for(
        settings, run.team, run.env, strict_env=run.strict_env, all_teams=run.all_teams
    )
    for doc in run.docs:
        _build_items(run, doc, ctx)
    _label_raw(run)
    checks.check_all(run)
    diagnostics = errors.ordered(run.out)
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    sections = {s for d in run.docs for s in d.data if s in kinds.BY_SECTION}
    for doc in run.docs:
        doc.data = None  # resources hold their own fields; origins come from the text
    desired = Desired(
        resources=[i.resource for i in run.items],
        settings=settings,
        files=list(files),
        mentioned_kinds=frozenset(kinds.BY_SECTION[s].name for s in sections),
        warnings=[d for d in diagnostics if d.severity == "warning"],
    )
    return desired, diagnostics


def _load(run: Run, path: str) -> None:
    doc, problems = loader.load_file(path)
    if doc is None:
        run.unparsed.append(path)
        for p in problems:
            d = diag(p.origin or Origin(path, 1, 1), p.message)
            run.out.append(replace(d, parse=True))
        return
    run.raw.extend((doc, p) for p in problems)
    run.raw.extend((doc, p) for p in schema.check(doc.data))
    if not doc.finite:
        run.raw.extend((doc, p) for p in bounds.non_finite(doc.data))
    if isinstance(doc.data, dict):
        run.docs.append(doc)


def _label_raw(run: Run) -> None:
    """Loader and schema problems -> diagnostics, labelled with their item when in one."""
    items = {(id(i.doc), i.section, i.index): i for i in run.items}
    for doc, p in run.raw:
        origin = p.origin or doc.origin(p.path, at_key=p.at_key)
        path = p.path[:-1] if p.at_key else p.path
        item = items.get((id(doc), *p.path[:2])) if len(p.path) >= 2 else None
        if item is not None:
            item.schema_paths.add(p.path[2:])
            run.out.append(diag(origin, p.message, path[2:], item.resource))
        else:
            run.out.append(diag(origin, p.message, path))


# --- settings and interpolation context -------------------------------------------------------


def _settings(run: Run) -> Settings:
    owners = [d for d in run.docs if "settings" in d.data]
    for doc in owners[1:]:
        first = owners[0].top_keys[("settings",)]
        msg = f"settings: also defined at {first}; only one file may have settings"
        run.out.append(diag(doc.top_keys[("settings",)], msg))
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
        origin=doc.top_values.get(("settings",)),
        protect=_protect_patterns(run, doc, raw.get("protect")),
    )


def _protect_patterns(run: Run, doc: Document, raw: Any) -> tuple[tuple[str, str], ...]:
    """``settings.protect`` as (kind, NAME glob); an unknown kind is a located problem."""
    out = []
    for i, text in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(text, str) or "/" not in text:
            continue  # the schema reports it
        kind_text, _, pattern = text.partition("/")
        try:
            out.append((kinds.kind(kind_text).name, pattern))
        except KeyError:
            known = ", ".join(k.name for k in kinds.MANAGED)
            msg = f"unknown kind {kind_text!r} in settings.protect {text!r}; one of: {known}"
            run.raw.append((doc, Problem(("settings", "protect", i), msg)))
    return tuple(out)


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


def _build_items(run: Run, doc: Document, ctx: interpolate.Context) -> None:
    origins_of = _Buckets(doc).of  # one bound method shared by the document's resources
    recheck: set[Path] = set()
    built: list[tuple[str, int, dict[str, Any], Item]] = []
    for section, value in doc.data.items():
        kind = kinds.BY_SECTION.get(section)
        if kind is None or not isinstance(value, list):
            continue
        for index, raw in enumerate(value):
            if not isinstance(raw, dict):
                continue
            item = _item(run, doc, kind, (section, index), raw, ctx, origins_of, recheck)
            built.append((section, index, raw, item))
    if recheck:  # interpolated values, checked again as the API will see them
        view = {
            k: list(v) if k in kinds.BY_SECTION and isinstance(v, list) else v
            for k, v in doc.data.items()
        }
        for section, index, raw, item in built:
            view[section][index] = {**raw, **reveal(item.resource.fields)}
        run.raw.extend((doc, p) for p in schema.check(view, only=recheck))


class _Buckets:
    """The origins of a document's values grouped by item, built when first asked for."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._by_item: dict[Path, dict[Path, Origin]] | None = None

    def of(self, where: tuple[str, int]) -> dict[Path, Origin]:
        if self._by_item is None:
            self._by_item = {}
            for path, origin in self.doc.values.items():
                if len(path) >= 2 and path[0] in kinds.BY_SECTION:
                    self._by_item.setdefault(path[:2], {})[path[2:]] = origin
        return self._by_item.get(where, {})


# The fields an item of each kind may give, in the kind's order (plus its sugar, ``steps``).
_FIELD_NAMES = {k.name: (*k.fields, *steps.SUGAR.get(k.name, ())) for k in kinds.MANAGED}


def _item(
    run: Run,
    doc: Document,
    kind: kinds.Kind,
    where: tuple[str, int],
    raw: dict[str, Any],
    ctx: interpolate.Context,
    origins_of: Callable[[tuple[str, int]], dict[Path, Origin]],
    recheck: set[Path],
) -> Item:
    plain = {k: raw[k] for k in _FIELD_NAMES[kind.name] if k in raw}
    result = interpolate.interpolate(plain, ctx) if doc.interpolates else interpolate.Result(plain)
    fields: dict[str, Any] = result.value
    renamed = raw.get("renamed_from")
    ignore = raw.get("ignore_changes")
    resource = Resource(
        kind=kind.name,
        name=_display_name(kind, fields, where),
        key=kinds.natural_key(kind, fields),
        fields=fields,
        origin=doc.top_values.get(where),
        origins=LazyOrigins(origins_of, where),
        renamed_from=renamed if isinstance(renamed, str) else None,
        protect=raw.get("protect") is True,
        ignore_changes=tuple(v for v in ignore if isinstance(v, str))
        if isinstance(ignore, list)
        else (),
    )
    item = Item(doc, where[0], where[1], resource)
    run.items.append(item)
    if result.problems or result.resolved:
        _interpolation_problems(run, item, kind, result, recheck)
    for f in kind.natural_key:
        if isinstance(fields.get(f), Secret):
            run.item_error(item, (f,), checks.NO_ENV)
    if "steps" in fields:
        _compile_steps(run, item)
    return item


def _display_name(kind: kinds.Kind, fields: dict[str, Any], where: tuple[str, int]) -> str:
    """The resource's name in messages; its place in the file when its name is no string."""
    for f in kind.natural_key:
        if not isinstance(fields.get(f), str):
            return f"{where[0]}[{where[1]}]"
    return kinds.display_name(kind, fields)


def _interpolation_problems(
    run: Run, item: Item, kind: kinds.Kind, result: interpolate.Result, recheck: set[Path]
) -> None:
    """Report what interpolation found; note the resolved values to check again."""
    for sub, severity, message in result.problems:
        run.item_error(item, sub, message, severity)
    secret_fields = set(kind.secret)
    where = (item.section, item.index)
    recheck.update((*where, *p) for p in result.resolved if p[:1] and p[0] not in secret_fields)


def _compile_steps(run: Run, item: Item) -> None:
    """``steps`` -> ``nodes`` (:mod:`gsctl.flows.steps`), compiled values located at their step.
    Nothing is compiled, and no second problem reported, at a step with a schema problem."""
    fields, where = item.resource.fields, (item.section, item.index, "steps")
    bad = {p.path[3:4] for d, p in run.raw if d is item.doc and p.path[:3] == where}
    out = steps.compile_flow(fields.pop("steps"), fields)
    for sub, message in (p for p in out.problems if p[0][1:2] not in bad):
        run.item_error(item, sub, message)
    if out.fields and not bad:
        fields.update(out.fields)
        item.aliases, at, before = out.origins, item.doc.origin, item.resource.origins
        compiled = out.origins
        item.resource.origins = LazyOrigins(
            lambda: {**before, **{p: at((*where[:2], *s)) for p, s in compiled.items()}}
        )
