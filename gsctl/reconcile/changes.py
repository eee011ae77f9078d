"""The plan's value types: options, changes, gate violations and the plan itself.

Built by :mod:`gsctl.reconcile.plan`, checked by :mod:`gsctl.reconcile.safety`, carried out by
:mod:`gsctl.reconcile.apply` and shown by :mod:`gsctl.render`. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gsctl import __version__
from gsctl.api import kinds
from gsctl.model import Resource, mask
from gsctl.reconcile.diff import FieldChange

ACTION_ORDER = {"create": 0, "update": 1, "replace": 2, "delete": 3}


@dataclass(frozen=True)
class PlanOptions:
    only: tuple[str, ...] = ()  # "KIND" or "KIND/NAME"
    prune: bool = False
    force: bool = False
    allow_replace: bool = False
    rotate_secrets: bool = False
    allow_duplicates: bool = False  # pair the oldest of live objects sharing a key
    allow_data_loss: bool = False  # delete or replace objects in use

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanOptions:
        """From a plan file's ``options`` or the CLI's keyword arguments."""
        return cls(
            only=tuple(data.get("only") or ()),
            prune=bool(data.get("prune")),
            force=bool(data.get("force")),
            allow_replace=bool(data.get("allow_replace")),
            rotate_secrets=bool(data.get("rotate_secrets")),
            allow_duplicates=bool(data.get("allow_duplicates")),
            allow_data_loss=bool(data.get("allow_data_loss")),
        )

    def to_dict(self) -> dict[str, Any]:
        extra = {"allow_duplicates": True} if self.allow_duplicates else {}
        return {
            **extra,
            "only": list(self.only),
            "prune": self.prune,
            "force": self.force,
            "allow_replace": self.allow_replace,
            "rotate_secrets": self.rotate_secrets,
            "allow_data_loss": self.allow_data_loss,
        }


# How a plan words the usage of each kind (labels from kinds.USAGE).
USAGE_WORDING = {
    "tag": "on {contacts}, {companies}",
    "flow": "{contacts} in the flow, {in_progress} in progress",
    "pipeline_stage": "{contacts} in the stage",
}
_NOUNS = {"contacts": ("contact", "contacts"), "companies": ("company", "companies")}


@dataclass(frozen=True)
class Usage:
    """What a delete or replace takes with it: counts by label, or ``None`` when unknown."""

    counts: dict[str, int] | None = None
    reason: str = ""  # why the usage is unknown

    @property
    def in_use(self) -> bool:
        return self.counts is not None and any(n > 0 for n in self.counts.values())

    def text(self, kind: str) -> str:
        """``on 1,243 contacts, 12 companies``; ``usage unknown`` when not known."""
        if self.counts is None or kind not in USAGE_WORDING:
            return "usage unknown"
        words = {}
        for label, n in self.counts.items():
            one, many = _NOUNS.get(label, ("", ""))
            noun = (one if n == 1 else many) if one else ""
            words[label] = f"{n:,} {noun}".rstrip()
        return USAGE_WORDING[kind].format(**words)

    def to_dict(self) -> dict[str, Any]:
        if self.counts is None:
            return {"unknown": True, "reason": self.reason}
        return dict(self.counts)


NOT_READ = Usage(None, "not read")


@dataclass
class Change:
    action: str  # create | update | replace | delete
    kind: str
    name: str
    uuid: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    desired: Resource | None = None
    live: Resource | None = None
    # Flow step changes from gsctl.flows.graph.diff_graph (with before/after values).
    steps: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None  # deletes and replaces: what they take with them

    @property
    def destructive(self) -> bool:
        return self.action in ("delete", "replace")

    @property
    def level(self) -> int:
        return kinds.KINDS[self.kind].level or 0

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.level, ACTION_ORDER[self.action], self.kind, self.name)

    def field_names(self) -> set[str]:
        return {f.path.split(".")[0] for f in self.fields}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "kind": self.kind, "name": self.name}
        out["uuid"] = self.uuid
        out["fields"] = [f.to_dict() for f in self.fields]
        if self.steps:
            out["steps"] = mask(self.steps)  # step values may hold secrets
        if self.destructive:
            out["usage"] = (self.usage or NOT_READ).to_dict()
        return out


@dataclass
class Violation:
    """A safety gate the plan trips; ``overridable`` gates yield to ``--force``."""

    gate: str  # protect | replace | in_use | threshold | emptied
    message: str
    overridable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "message": self.message, "overridable": self.overridable}


@dataclass
class Plan:
    changes: list[Change]
    unchanged: int
    unmanaged: list[Resource]
    live_fingerprint: str
    team_id: int | None
    api_url: str
    options: PlanOptions
    scope: tuple[str, ...]  # kinds in scope
    manifests: dict[str, Any] = field(default_factory=dict)  # paths and digest
    violations: list[Violation] = field(default_factory=list)
    duplicates: list[list[Resource]] = field(default_factory=list)  # live objects sharing a key
    shows_usage: bool = True  # False when shown as a comparison (gsctl diff)
    team_name: str | None = None  # the team's name in settings.teams (shown, not in the file)
    notes: list[str] = field(default_factory=list)  # facts worth knowing, not changes

    def __post_init__(self) -> None:
        self.changes.sort(key=lambda c: c.sort_key)
        self.unmanaged.sort(key=lambda r: (r.kind, r.name))

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTION_ORDER, 0)
        for c in self.changes:
            counts[c.action] += 1
        counts["unchanged"] = self.unchanged
        counts["unmanaged"] = len(self.unmanaged)
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def blocking(self, force: bool) -> list[Violation]:
        return [v for v in self.violations if not (force and v.overridable)]

    def _duplicates_dict(self) -> dict[str, Any]:
        """``duplicates`` (only when there are some): live objects sharing a key, oldest first."""
        if not self.duplicates:
            return {}
        groups = [
            {"kind": g[0].kind, "name": g[0].name, "uuids": [r.uuid for r in g]}
            for g in self.duplicates
        ]
        return {"duplicates": groups}

    def to_dict(self) -> dict[str, Any]:
        """The plan file format of DESIGN section 5 (deterministic, no secrets)."""
        return {
            "format_version": 1,
            "gsctl_version": __version__,
            "api_url": self.api_url,
            "team_id": self.team_id,
            "live_fingerprint": self.live_fingerprint,
            "summary": self.summary,
            "changes": [c.to_dict() for c in self.changes],
            "unmanaged": [{"kind": r.kind, "name": r.name, "uuid": r.uuid} for r in self.unmanaged],
            "violations": [v.to_dict() for v in self.violations],
            **self._duplicates_dict(),
            "scope": list(self.scope),
            "options": self.options.to_dict(),
            "manifests": self.manifests,
            **({"notes": list(self.notes)} if self.notes else {}),
        }
