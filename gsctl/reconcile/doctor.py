"""``gsctl doctor``: a read-only probe of the configured account against the contract.

It sends only GET requests and the POST reads the contract marks read-only (usage counts):
never a create, update, delete or action. Checks, in order: the key (current user), the team,
each kind's list (limit 1; both stage objects), one flow-version read when a flow exists, the
usage reads, and then (when all of that worked) every managed list in full, to find live
objects that share a natural key: plan refuses those, so doctor reports them with their
uuids. Each answer passes the same contract guard as a plan; fields the contract does not
know, or optional ones left out, are reported but are fine.

A failed required check makes the report fail. The usage reads are optional: without them
gsctl shows "usage unknown". Nothing in a report is a key, a secret or an object's name
(names only with ``include_names``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gsctl import __version__
from gsctl.api import guard, kinds
from gsctl.errors import ApiError, GsctlError, TransportError, UnexpectedAnswerError
from gsctl.manifests.loader import load_data
from gsctl.reconcile.live import ListClient, check_objects, fetch
from gsctl.reconcile.plan import duplicate_line, duplicates
from gsctl.reconcile.specdiff import Spec

CONTRACT = Path(__file__).resolve().parent.parent / "schemas" / "getsales-api.yaml"
_NIL = "00000000-0000-0000-0000-000000000000"


class ProbeClient(ListClient, Protocol):
    team_id: int | None

    def read(self, path: str, params: dict[str, str] | None = None) -> Any: ...

    def query(self, path: str, body: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Check:
    """One probed endpoint: ``ok``, ``differs`` (with what) or ``missing`` (with the status)."""

    method: str
    path: str  # the path template, never an object's uuid
    result: str
    detail: str = ""
    required: bool = True
    sample: str | None = None  # an object's name, only with include_names

    def line(self) -> str:
        text = f"{self.method} {self.path}: {self.result}"
        if self.detail:
            text += f": {self.detail}" if self.result != "ok" else f" ({self.detail})"
        if not self.required and self.result != "ok":
            text += " [optional: usage counts show as unknown]"
        if self.sample is not None:
            text += f" [sample: {self.sample}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        out = {
            "method": self.method,
            "path": self.path,
            "result": self.result,
            "detail": self.detail,
            "required": self.required,
        }
        if self.sample is not None:
            out["sample_name"] = self.sample
        return out


@dataclass
class Report:
    api_url: str
    team_id: int | None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.result == "ok" for c in self.checks if c.required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gsctl_version": __version__,
            "api_url": self.api_url,
            "team_id": self.team_id,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class _Probe:
    client: ProbeClient
    spec: Spec
    include_names: bool
    report: Report
    first: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> first object

    def run(self, method: str, path: str, call: Any, *, required: bool = True) -> Any:
        """Run one read; record its check; return its answer (None when it failed)."""
        try:
            answer, detail, sample = call()
        except UnexpectedAnswerError as exc:
            where = f"{exc.field}: " if exc.field else ""
            found = f"{where}expected {exc.expected}, got {exc.got}"
            self.report.checks.append(Check(method, path, "differs", found, required))
            return None
        except ApiError as exc:
            self.report.checks.append(Check(method, path, "missing", str(exc.status), required))
            return None
        except TransportError:
            self.report.checks.append(Check(method, path, "missing", "no answer", required))
            return None
        shown = sample if self.include_names else None
        self.report.checks.append(Check(method, path, "ok", detail, required, shown))
        return answer


def probe(
    client: ProbeClient, api_url: str, *, include_names: bool = False, spec: Spec | None = None
) -> Report:
    """Probe every endpoint gsctl uses (see the module docstring)."""
    p = _Probe(
        client,
        spec or Spec(load_data(str(CONTRACT))),
        include_names,
        Report(api_url, client.team_id),
    )
    if (
        p.run("GET", kinds.CURRENT_USER, lambda: (_object(client, kinds.CURRENT_USER), "", None))
        is None
    ):
        return p.report  # without a working key nothing else can answer
    p.run("GET", kinds.TEAMS, lambda: _teams(client))
    for k in kinds.KINDS.values():
        for params in k.list_filters:
            shown = k.collection + "".join(f"?{key}={v}" for key, v in params.items())
            p.run("GET", shown, lambda k=k, params=params: _list(p, k, params))
    flow = p.first.get("flow")
    if flow is not None:
        version = str(flow[kinds.ACTIVE_VERSION_FIELD])
        p.run("GET", kinds.FLOW_VERSION, lambda: _version(client, version))
    for kind, usage in kinds.USAGE.items():
        p.run("POST", usage.path, lambda k=kind, u=usage: _usage(p, k, u), required=False)
    if p.report.ok:
        _duplicates(p)
    return p.report


ALL_LISTS = "(every managed list, in full)"


def _duplicates(p: _Probe) -> None:
    """One check per managed kind whose live objects share a natural key (or one ``ok``)."""
    try:
        state = fetch(p.client, [k.name for k in kinds.MANAGED], steps_for=[])
    except GsctlError as exc:
        p.report.checks.append(Check("GET", ALL_LISTS, "differs", f"cannot read them: {exc}"))
        return
    found = False
    for k in kinds.MANAGED:
        groups = duplicates(state.resources.get(k.name, []))
        if not groups:
            continue
        found = True
        shown = [duplicate_line(g, named=p.include_names) for g in groups]
        detail = "objects share a name (plan refuses them; --allow-duplicates uses the oldest): "
        p.report.checks.append(Check("GET", k.collection, "differs", detail + "; ".join(shown)))
    if not found:
        p.report.checks.append(Check("GET", ALL_LISTS, "ok", "no two objects share a name"))


def _object(client: ProbeClient, path: str) -> dict[str, Any]:
    answer = client.read(path)
    if not isinstance(answer, dict):
        raise guard.mismatch("GET", path, "", guard.OBJECT, answer)
    return answer


def _teams(client: ProbeClient) -> tuple[Any, str, str | None]:
    items = guard.list_answer("GET", kinds.TEAMS, client.read(kinds.TEAMS), key="id")
    team = client.team_id
    if team is not None and team not in {t["id"] for t in items}:
        raise UnexpectedAnswerError(
            "GET", kinds.TEAMS, "id", f"team {team} among the key's teams", "other teams"
        )
    sample = next((str(t.get("name")) for t in items if t["id"] == team), None)
    return items, "", sample


def _list(p: _Probe, k: kinds.Kind, params: dict[str, str]) -> tuple[Any, str, str | None]:
    answer = p.client.read(k.collection, {**params, "limit": "1"})
    items = guard.list_answer("GET", k.collection, answer)
    check_objects(k, items)
    if k.name == "flow":
        for i, flow in enumerate(items):
            guard.required_strings(
                "GET", k.collection, flow, (kinds.ACTIVE_VERSION_FIELD,), f"data[{i}]."
            )
    if not items:
        return items, "empty: fields not checked", None
    p.first.setdefault(k.name, items[0])
    detail = p.spec.unknown_fields("GET", k.collection, items[0], lists=True)
    return (
        items,
        detail,
        kinds.display_name(k, {f: items[0].get(k.api_name(f)) for f in k.natural_key}),
    )


def _version(client: ProbeClient, version_uuid: str) -> tuple[Any, str, str | None]:
    path = kinds.FLOW_VERSION.format(uuid=version_uuid)
    try:
        return guard.flow_version(path, client.read(path)), "", None
    except GsctlError as exc:  # show the template, not the uuid
        if isinstance(exc, UnexpectedAnswerError):
            raise UnexpectedAnswerError(
                "GET", kinds.FLOW_VERSION, exc.field, exc.expected, exc.got
            ) from None
        raise


def _usage(p: _Probe, kind: str, usage: kinds.UsageRead) -> tuple[Any, str, str | None]:
    """One usage read for the kind's first object (a nil uuid when it has none)."""
    uuid = str(p.first.get(kind, {}).get("uuid") or _NIL)
    if usage.filter_field:
        body = {"filter": {usage.filter_field: uuid}, **usage.body}
    else:
        body = {usage.ids_fields[0]: [uuid], **usage.body}
    answer = p.client.query(usage.path, body)
    if usage.filter_field:
        if not isinstance(answer, dict):
            raise guard.mismatch("POST", usage.path, "", guard.OBJECT, answer)
        _counts(usage, answer, "")
        return answer, "", None
    entries = answer.get("data", answer) if isinstance(answer, dict) else answer
    if isinstance(entries, dict):  # an object keyed by uuid
        entries = list(entries.values())
    if not isinstance(entries, list):
        raise guard.mismatch("POST", usage.path, "data", "a list of counts", answer)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise guard.mismatch("POST", usage.path, f"data[{i}]", guard.OBJECT, entry)
        _counts(usage, entry, f"data[{i}].")
    return answer, "", None


def _counts(usage: kinds.UsageRead, obj: dict[str, Any], prefix: str) -> None:
    for name, _ in usage.counts:
        value = obj.get(name, ...)
        if isinstance(value, bool) or not isinstance(value, int):
            raise guard.mismatch("POST", usage.path, prefix + name, "an integer", value)


def _fill(body: Any, uuid: str) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, uuid) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, uuid) for v in body]
    return uuid if body == "{uuid}" else body
