"""Live workspace -> manifests (``gsctl export``, and the first half of ``clone``). No I/O.

One document per kind, objects sorted by name, fields in the kind table's order, fields equal
to the API's documented default left out, references by name, and secrets as ``${env:...}``
placeholders: a re-export gives byte-identical files, and ``plan`` against the same team
right after an export reports no changes. A webhook URL with userinfo or a credential-like
query parameter (``token=``, ``api_key=``...) is exported as a placeholder too.

Text that reads as interpolation (``${``) is written escaped (``$${``), so the manifests load
back to the live value. A live reference to an object that no longer exists (a dangling
uuid) cannot be written by name, and a flow graph the API took may break gsctl's stricter
graph rules: both are reported in ``Export.problems`` (the files are still written).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gsctl.api import kinds
from gsctl.api.client import Client
from gsctl.api.refs import secret_placeholder, url_has_hidden_parts
from gsctl.errors import UsageError
from gsctl.flows.graph import check_graph
from gsctl.manifests.loader import dump_yaml
from gsctl.model import MIN_SENSITIVE_LEN, Resource, register_sensitive
from gsctl.reconcile.live import LiveState, fetch
from gsctl.reconcile.plan import check_names
from gsctl.reconcile.workflow import RunConfig

Filter = tuple[str, str | None]  # (kind name, object name or None for the whole kind)

# Environment variables whose values export never writes, even inside a non-secret field.
CREDENTIAL_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|AUTH|CREDENTIAL|SIGNATURE|PRIVATE", re.I)
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass
class Export:
    files: dict[str, str] = field(default_factory=dict)  # file name -> YAML text
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # file name -> data
    secrets: list[str] = field(default_factory=list)  # placeholders the manifests need
    problems: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # dangling refs
    count: int = 0


def kind_filters(kind_names: Iterable[str] = (), only: Iterable[str] = ()) -> list[Filter]:
    """``--kind KIND`` and ``--only KIND[/NAME]`` as filters; kinds are singular or plural
    (``tag``/``tags``). Raises :class:`UsageError` for an unknown kind."""
    out: list[Filter] = []
    for text, option in [*((k, "--kind") for k in kind_names), *((o, "--only") for o in only)]:
        kind_text, _, name = text.partition("/") if option == "--only" else (text, "", "")
        try:
            k = kinds.kind(kind_text.strip())
        except KeyError:
            known = ", ".join(k.name for k in kinds.MANAGED)
            raise UsageError(f"{option} {text!r}: unknown kind (one of: {known})") from None
        if not k.managed:
            raise UsageError(f"{option} {text!r}: {k.name} is read-only and never exported")
        out.append((k.name, name or None))
    return out


def filter_kinds(filters: Sequence[Filter]) -> list[str]:
    """The kinds the filters select, in apply order (all managed kinds when none)."""
    wanted = {k for k, _ in filters}
    return [k.name for k in kinds.MANAGED if not filters or k.name in wanted]


def fetch_plan(kind_names: Iterable[str]) -> tuple[set[str], list[str] | None]:
    """What exporting ``kind_names`` must fetch: ``(kinds, steps_for)`` for
    :func:`gsctl.reconcile.live.fetch`: the kinds plus every kind their references may name, and the
    steps of every flow only when flows are exported."""
    names = set(kind_names)
    wanted = names | {"sender_profile", "list"}
    wanted |= {ref.target for name in names for ref in kinds.KINDS[name].refs}
    if "flow" in names:
        wanted |= {target for _, target in kinds.PAYLOAD_REFS.values()}
    if "webhook" in names:
        wanted.add("flow")
    return wanted, (None if "flow" in names else [])


def check_filters(filters: Sequence[Filter], live: LiveState) -> None:
    """Every ``--only KIND/NAME`` names a live object: a typo is an error, not an empty
    export."""
    check_names(filters, lambda kind: {r.name for r in live.resources.get(kind, [])}, "live")


def selected(filters: Sequence[Filter], kind: str, name: str) -> bool:
    if not filters:
        return True
    return any(k == kind and (n is None or n.casefold() == name.casefold()) for k, n in filters)


def escape(value: Any) -> Any:
    """``value`` with every ``${`` in its strings written ``$${`` (literal on load)."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value


def known_secrets(environ: Mapping[str, str], manifests: Iterable[str]) -> dict[str, str]:
    """Secret value -> variable name: every variable that the ``manifests`` texts reference
    as ``${env:NAME}``, and every credential-like variable (``*KEY*``, ``*TOKEN*``...).
    Each value is also registered as sensitive, so no message shows it."""
    names = {n for n in environ if CREDENTIAL_NAME.search(n)}
    for text in manifests:
        names.update(_ENV_REF.findall(text))
    out: dict[str, str] = {}
    for name in sorted(names):
        value = environ.get(name, "")
        if len(value) >= MIN_SENSITIVE_LEN:
            register_sensitive(value)
            out.setdefault(value, name)
    return out


def hide_secrets(value: Any, secrets: Mapping[str, str]) -> Any:
    """``value`` with every known secret value inside its (escaped) strings written as the
    ``${env:NAME}`` reference it came from, longest values first."""
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, f"${{env:{secrets[secret]}}}")
        return value
    if isinstance(value, dict):
        return {k: hide_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_secrets(v, secrets) for v in value]
    return value


def manifest_item(res: Resource, placeholders: dict[str, str] | None = None) -> dict[str, Any]:
    """A live resource as a manifest item (secret fields become placeholders).

    ``placeholders`` maps a secret field to the placeholder to use (default: the one
    :func:`gsctl.api.refs.secret_placeholder` makes)."""
    k = kinds.KINDS[res.kind]
    item: dict[str, Any] = {}
    for name in k.fields:
        if name in k.secret:
            chosen = (placeholders or {}).get(name)
            item[name] = chosen or secret_placeholder(res.kind, res.name, name)
            continue
        if name in (placeholders or {}):  # a URL holding a token: never written in clear
            item[name] = (placeholders or {})[name]
            continue
        if name not in res.fields:
            continue
        value = res.fields[name]
        if name in k.defaults and value == k.defaults[name]:
            continue
        item[name] = escape(value)
    extra = sorted(set(res.fields) - set(k.fields))  # unresolvable references kept raw
    item.update({name: res.fields[name] for name in extra})
    return item


def dangling(res: Resource) -> list[str]:
    """Where ``res`` still holds a uuid after translation (its target no longer exists):
    raw top-level reference fields, node payload ``*_uuid`` fields, webhook filter
    ``flow_uuid`` entries and sender profiles that are not labels. One message each."""
    k = kinds.KINDS[res.kind]
    paths = sorted(set(res.fields) - set(k.fields))
    for i, node in enumerate(_dicts(res.fields.get("nodes"))):
        payload = node.get("payload")
        if isinstance(payload, dict):
            paths += [f"nodes[{i}].payload.{key}" for key in payload if key in kinds.PAYLOAD_REFS]
    for i, source in enumerate(_dicts(res.fields.get("contact_sources"))):
        profiles = source.get("sender_profiles")
        for j, label in enumerate(profiles if isinstance(profiles, list) else []):
            if isinstance(label, str) and _UUID.fullmatch(label):
                paths.append(f"contact_sources[{i}].sender_profiles[{j}]")
    if res.kind == "webhook":
        flows: Any = res.fields.get("filters")
        for step in kinds.WEBHOOK_FLOW_LIST:
            flows = flows.get(step) if isinstance(flows, dict) else None
        for i, entry in enumerate(_dicts(flows)):
            if "flow_uuid" in entry:
                paths.append(f"filters.{'.'.join(kinds.WEBHOOK_FLOW_LIST)}[{i}].flow_uuid")
    return [f"{p} refers to an object that no longer exists" for p in paths]


def graph_problems(res: Resource) -> list[str]:
    """For a flow with steps: what gsctl's graph rules (stricter than the API's) refuse."""
    if res.kind != "flow" or "nodes" not in res.fields:
        return []
    found = check_graph(res.fields.get("nodes"), res.fields.get("contact_sources"))
    return [f"{_dotted(path)}: {message}" for path, message in found]


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _placeholders(k: kinds.Kind, res: Resource, used: set[str]) -> dict[str, str]:
    """One placeholder per secret field, and per URL field whose userinfo or query may hold
    a token, unique in the export (``_2``, ``_3``... on a clash of names that differ only
    in punctuation or case)."""
    out: dict[str, str] = {}
    hidden = [f for f in k.masked_urls if url_has_hidden_parts(res.fields.get(f))]
    for secret in [*k.secret, *hidden]:
        base = secret_placeholder(res.kind, res.name, secret)[len("${env:") : -1]
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[secret] = f"${{env:{name}}}"
    return out


def export_live(
    live: LiveState,
    kind_names: Iterable[str],
    *,
    schema_ref: str | None = None,
    filters: Sequence[Filter] = (),
    skip: Collection[tuple[str, str]] = (),
    secrets: Mapping[str, str] | None = None,
) -> Export:
    """Manifests for ``kind_names`` from ``live`` (which must have fetched them), limited to
    the objects ``filters`` select (all when empty) and leaving out the ``(kind, name)``
    pairs in ``skip``. Secret placeholders are numbered over every live object, so an
    object's placeholder does not depend on the filters. A ``secrets`` value (see
    :func:`known_secrets`) is written as its ``${env:NAME}`` reference wherever it occurs."""
    out = Export()
    used: set[str] = set()
    for name in [k.name for k in kinds.MANAGED if k.name in set(kind_names)]:
        k = kinds.KINDS[name]
        resources = sorted(live.resources.get(name, []), key=lambda r: (r.name.casefold(), r.name))
        placeholders = [_placeholders(k, res, used) for res in resources]
        items = []
        for res, chosen in zip(resources, placeholders, strict=True):
            if not selected(filters, name, res.name) or (name, res.name) in skip:
                continue
            out.secrets.extend(p[len("${env:") : -1] for p in chosen.values())
            if found := dangling(res) or graph_problems(res):
                out.problems[(res.kind, res.name)] = found
            items.append(hide_secrets(manifest_item(res, chosen), secrets or {}))
        doc = {"version": 1, k.section: items}
        file_name = f"{k.section}.yaml"
        out.documents[file_name] = doc
        out.files[file_name] = dump_yaml(doc, schema_comment=schema_ref)
        out.count += len(items)
    return out


def export_team(
    cfg: RunConfig,
    client: Client,
    kind_names: Sequence[str],
    *,
    schema_ref: str | None = None,
    filters: Sequence[tuple[str, str | None]] = (),
    secrets: Mapping[str, str] | None = None,
) -> Any:
    """Fetch ``kind_names`` (with what their references need) and build manifests of the
    objects ``filters`` select (:func:`gsctl.export.dump.kind_filters`; empty: all)."""
    wanted, steps_for = fetch_plan(kind_names)
    live = fetch(
        client,
        wanted,
        steps_for=steps_for,
        parallelism=cfg.parallelism,
    )
    check_filters(filters, live)
    return export_live(live, kind_names, schema_ref=schema_ref, filters=filters, secrets=secrets)
