"""Live workspace -> manifests (``gsctl export``, and the first half of ``clone``). No I/O.

One document per kind, objects sorted by name, fields in the kind table's order, fields equal
to the API's documented default left out, references by name, and secrets as ``${env:...}``
placeholders: a re-export gives byte-identical files, and ``plan`` against the same team
right after an export reports no changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import kinds
from .live import LiveState
from .manifest import dump_yaml
from .model import Resource
from .refs import secret_placeholder


@dataclass
class Export:
    files: dict[str, str] = field(default_factory=dict)  # file name -> YAML text
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # file name -> data
    secrets: list[str] = field(default_factory=list)  # placeholders the manifests need
    count: int = 0


def manifest_item(res: Resource) -> dict[str, Any]:
    """A live resource as a manifest item (secret fields become placeholders)."""
    k = kinds.KINDS[res.kind]
    item: dict[str, Any] = {}
    for name in k.fields:
        if name in k.secret:
            item[name] = secret_placeholder(res.kind, res.name, name)
            continue
        if name not in res.fields:
            continue
        value = res.fields[name]
        if name in k.defaults and value == k.defaults[name]:
            continue
        item[name] = value
    extra = sorted(set(res.fields) - set(k.fields))  # unresolvable references kept raw
    item.update({name: res.fields[name] for name in extra})
    return item


def export_live(
    live: LiveState, kind_names: Iterable[str], *, schema_ref: str | None = None
) -> Export:
    """Manifests for ``kind_names`` from ``live`` (which must have fetched them)."""
    out = Export()
    for name in [k.name for k in kinds.MANAGED if k.name in set(kind_names)]:
        k = kinds.KINDS[name]
        resources = sorted(live.resources.get(name, []), key=lambda r: (r.name.casefold(), r.name))
        items = [manifest_item(r) for r in resources]
        for item in items:
            for secret in k.secret:
                out.secrets.append(str(item[secret])[len("${env:") : -1])
        doc = {"version": 1, k.section: items}
        file_name = f"{k.section}.yaml"
        out.documents[file_name] = doc
        out.files[file_name] = dump_yaml(doc, schema_comment=schema_ref)
        out.count += len(items)
    return out
