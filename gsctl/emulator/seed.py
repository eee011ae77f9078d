"""What every emulated team starts with, and ``seed_file`` loading.

Like a real new team, every team gets on first use (once; remembered in the database):

- native pipeline stages, for object ``lead`` and for object ``company`` (read-only: PUT and
  DELETE answer 403):

  ====  ===============  ===========  ==========
  order name             type         category
  ====  ===============  ===========  ==========
  1     New              new          cold
  2     Approaching      approaching  cold
  3     Engaging         engaging     engaging
  4     Replied          replied      positive
  ====  ===============  ===========  ==========

- sender profiles (status ``enabled``), labels ``Anna - EU`` (Anna Schmidt),
  ``Ben - US`` (Ben Miller) and ``Carla - LATAM`` (Carla Souza);
- contact lists ``Webinar attendees``, ``Inbound leads`` and ``Enterprise accounts``.

Seed file (``seed_file=``, ``gsctl emulator --seed FILE``), JSON or YAML::

    teams:
      7430:                            # team id
        name: Acme prod                # optional: the name /id/api/teams shows
        tags:                          # a kind: singular (tag) or plural (tags)
          - {name: Warm, color: "#F4A300"}
        llm_connections:
          - {name: OpenAI, provider: openai, provider_api_token: sk-...}
        sender_profiles:
          - {label: Dana - APAC, first_name: Dana, last_name: Lee}
        flows:
          - name: Webinar follow-up
            uuid: 5a0c...              # optional, any kind: keep this uuid
            use_sender_schedule: true
            schedule: {timezone: UTC, timeblocks: []}
            status: "off"              # flows only: set directly
            nodes: [...]               # flows only, with contact_sources: saved as a version
            contact_sources: [...]
            usage: {leads_count: 40, in_progress_count: 3}   # tags, flows, stages: counts
                                       # the metrics endpoints answer (emulator/metrics.py)

A document without ``teams`` is the content of team 1. Objects of managed kinds are the
API's create bodies (validated like a POST); sender profiles and lists take their read
fields. Kinds are applied in dependency order. An object whose uuid or natural key already
exists in the team is skipped, so a seed file can be loaded again on every restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gsctl.emulator import metrics
from gsctl.emulator.problem import Problem
from gsctl.emulator.rules import Rules

NATIVE_STAGES = (
    ("new", "New", "cold"),
    ("approaching", "Approaching", "cold"),
    ("engaging", "Engaging", "engaging"),
    ("replied", "Replied", "positive"),
)
# Under the real dialect a new team's lead stages are these 6 native ones plus 6 ordinary
# custom stages GetSales pre-creates (api-facts section 4).
REAL_NATIVE_LEAD_STAGES = (
    *NATIVE_STAGES,
    ("replied", "Replied \u2013 Positive", "positive"),
    ("replied", "Replied \u2013 Negative", "negative"),
)
PRECREATED_LEAD_STAGES = (
    ("Opportunity", "positive"),
    ("Bad Timing", "negative"),
    ("Unresponsive", "negative"),
    ("Not Interested", "negative"),
    ("Do Not Contact", "negative"),
    ("Bad Data", "negative"),
)
SENDER_PROFILES = (
    ("Anna", "Schmidt", "Anna - EU"),
    ("Ben", "Miller", "Ben - US"),
    ("Carla", "Souza", "Carla - LATAM"),
)
LISTS = ("Webinar attendees", "Inbound leads", "Enterprise accounts")
SEED_USER_ID = 1
_FLOW_EXTRAS = ("status", "nodes", "contact_sources", "first_common_node_id")


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message names team, kind and item."""


def seed_team(rules: Rules, team: int, *, real_stages: bool = False) -> None:
    """Create the native stages, sender profiles and lists of a new team.

    ``real_stages``: lead stages as GetSales creates them (6 native + 6 custom)."""
    for obj in ("lead", "company"):
        natives = REAL_NATIVE_LEAD_STAGES if real_stages and obj == "lead" else NATIVE_STAGES
        for order, (stage_type, name, category) in enumerate(natives, 1):
            fields = {"name": name, "object": obj, "category": category, "order": order}
            rules.insert_raw(team, SEED_USER_ID, "pipeline_stage", {**fields, "type": stage_type})
    if real_stages:
        after_natives = len(REAL_NATIVE_LEAD_STAGES) + 1
        for order, (name, category) in enumerate(PRECREATED_LEAD_STAGES, after_natives):
            fields = {"name": name, "object": "lead", "category": category, "order": order}
            rules.insert_raw(team, SEED_USER_ID, "pipeline_stage", {**fields, "type": "custom"})
    for first, last, label in SENDER_PROFILES:
        rules.insert_raw(team, SEED_USER_ID, "sender_profile", _sender(first, last, label))
    for name in LISTS:
        rules.insert_raw(team, SEED_USER_ID, "list", {"name": name})


def _sender(first: str, last: str, label: str | None) -> dict[str, Any]:
    return {
        "assignee_user_id": SEED_USER_ID,
        "first_name": first,
        "last_name": last,
        "label": label,
        "status": "enabled",
        "schedule": None,
        "smart_limits_enabled": False,
    }


def read_seed_file(path: str) -> dict[int, dict[str, Any]]:
    """Parse a seed file into {team id: {"name"?: str, kind: [objects]}}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SeedError(f"seed file {path}: cannot read it ({exc.__class__.__name__})") from exc
    doc = doc or {}
    if not isinstance(doc, dict):
        raise SeedError(f"seed file {path}: the top level must be a mapping")
    teams = doc.get("teams", {1: doc})
    if not isinstance(teams, dict):
        raise SeedError(f"seed file {path}: teams must be a mapping of team id to kinds")
    out: dict[int, dict[str, Any]] = {}
    for key, content in teams.items():
        if not str(key).isdigit() or int(key) < 1 or not isinstance(content, dict):
            raise SeedError(f"seed file {path}: team {key!s}: need a positive id and a mapping")
        out[int(key)] = content
    return out


def apply_seed(rules: Rules, teams: dict[int, dict[str, Any]]) -> None:
    """Load parsed seed content into the store (idempotent)."""
    aliases = {alias: name for name in rules.contract.kinds for alias in (name, name + "s")}
    levels = {
        name: (rules.contract.doc["x-gsctl-kinds"][name].get("level") or 0)
        for name in aliases.values()
    }
    for team, content in teams.items():
        rules.store.ensure_team(team)
        if isinstance(content.get("name"), str):
            rules.store.set_team_name(team, content["name"])
        kinds = {}
        for key, items in content.items():
            if key == "name":
                continue
            if key not in aliases or aliases[key] == "flow_version":
                raise SeedError(f"seed team {team}: unknown kind {key!r}")
            if not isinstance(items, list):
                raise SeedError(f"seed team {team}: {key} must be a list")
            kinds[aliases[key]] = items
        for kind in sorted(kinds, key=lambda k: levels[k]):
            for i, entry in enumerate(kinds[kind]):
                item, usage = metrics.split_usage(entry)
                try:
                    _seed_one(rules, team, kind, item)
                    if usage is not None:
                        metrics.set_usage(rules, team, kind, item, usage)
                except Problem as exc:
                    detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.data.items())
                    raise SeedError(
                        f"seed team {team} {kind} #{i}: {exc.message} {detail}".strip()
                    ) from exc


def _seed_one(rules: Rules, team: int, kind: str, item: Any) -> None:
    if not isinstance(item, dict):
        raise SeedError(f"seed team {team} {kind}: every item must be a mapping")
    body = dict(item)
    uuid = body.pop("uuid", None)
    if uuid is not None and rules.store.get(team, kind, str(uuid)) is not None:
        return
    key = rules.key_of(kind, body)
    if key is not None and rules.store.find(team, kind, key) is not None:
        return
    spec = rules.spec(kind)
    if not spec.managed:
        same = [f for f in spec.natural_key if f in body]
        existing = rules.store.all(team, kind)
        if same and any(all(o.get(f) == body[f] for f in same) for o in existing):
            return
        fields = {k: v for k, v in body.items() if k in spec.properties}
        if kind == "sender_profile":
            first = str(fields.get("first_name") or fields.get("label") or "")
            fields = {**_sender(first, str(fields.get("last_name") or ""), None), **fields}
        rules.insert_raw(team, SEED_USER_ID, kind, fields, uuid=uuid and str(uuid))
        return
    extras = {k: body.pop(k) for k in _FLOW_EXTRAS if kind == "flow" and k in body}
    obj = rules.create(team, SEED_USER_ID, kind, body, uuid=uuid and str(uuid))
    if "nodes" in extras or "contact_sources" in extras:
        version = {k: v for k, v in extras.items() if k != "status"}
        rules.create_version(team, obj["uuid"], version)
    status = extras.get("status")
    if status is not None:
        if status not in ("draft", "on", "off", "archived"):
            raise SeedError(f"seed team {team} flow {obj['name']!r}: unknown status {status!r}")
        rules.store.put(team, "flow", {**rules.get(team, "flow", obj["uuid"]), "status": status})
