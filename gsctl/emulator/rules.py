"""Business rules of the emulated API: create, update, delete and flow actions.

Everything data-driven comes from the contract (:class:`~gsctl.emulator.contract.KindSpec`):
which body fields are writable (``<Kind>Create`` / ``<Kind>Update`` properties; unknown,
read-only and create-only fields are ignored), natural keys and their case rules, secrets,
references and ``x-gsctl-max-count``. The rest is written here:

- uniqueness of natural keys per team (422 naming the key field);
- server fields: uuid, team_id, user_id, created_at/updated_at, public_uuid (where the read
  schema has them); read-schema defaults (``default``, else null for nullable fields, ``[]``,
  ``{}`` or ``false``); ``order`` = max + 1 within the natural-key scope; custom field ``key`` =
  lowest free slot 1..100 per object; new stages are ``custom``; new flows are ``draft``
  (``off`` and ``priority`` 1 under the real dialect);
- secrets are stored only as ``sha256$salt$hex(sha256(salt + value))`` and shown as
  ``has_<field>``;
- top-level references (``flow_workspace_uuid``, ``llm_uuid``, ``classification_llm_uuid``)
  must name an object of the target kind in the same team (422); uuids inside flow-node
  payloads and webhook filters are not checked;
- native pipeline stages (type other than ``custom``) answer 403 to PUT and DELETE;
- deleting a flow deletes its versions; deleting a flow workspace keeps its flows and sets
  their ``flow_workspace_uuid`` to null. Timeblocks need ``max`` > ``min``; a schedule's
  ``timezone`` must be an IANA zone name (``zoneinfo``; not checked where the system has
  no time zone database).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import uuid as uuidlib
import zoneinfo
from typing import Any

from gsctl.emulator import flows
from gsctl.emulator.contract import Contract, KindSpec
from gsctl.emulator.problem import FieldErrors, Problem, invalid, not_found
from gsctl.emulator.store import Store, public

Obj = dict[str, Any]


def hash_secret(value: str) -> str:
    """Salted one-way digest of a secret, the only form in which it is stored."""
    salt = os.urandom(16).hex()
    return "sha256$" + salt + "$" + hashlib.sha256((salt + value).encode()).hexdigest()


def _label(kind: str) -> str:
    return kind.replace("_", " ")


class Rules:
    """The emulated API's behaviour over a :class:`Store`."""

    def __init__(
        self,
        contract: Contract,
        store: Store,
        *,
        new_flow_status: str = "draft",
        flow_priority_default: int | None = None,
    ) -> None:
        self.contract = contract
        self.store = store
        self.new_flow_status = new_flow_status  # "off" where the real API creates flows off
        self.flow_priority_default = flow_priority_default  # None: the contract's default
        self._orders: dict[tuple[int, str, tuple[str, ...]], tuple[int, int]] = {}
        store.key_of = self.key_of
        store.reindex()

    def spec(self, kind: str) -> KindSpec:
        return self.contract.kinds[kind]

    def key_of(self, kind: str, obj: Obj) -> tuple[str, ...] | None:
        """Natural key used for uniqueness (None: the kind has no unique key)."""
        spec = self.contract.kinds.get(kind)
        if spec is None or not spec.managed or not spec.natural_key:
            return None
        return tuple(
            str(obj.get(f, "")).casefold() if f in spec.case_insensitive else str(obj.get(f, ""))
            for f in spec.natural_key
        )

    def get(self, team: int, kind: str, uuid: str) -> Obj:
        obj = self.store.get(team, kind, uuid)
        if obj is None:
            raise not_found(_label(kind))
        return obj

    # -- create ------------------------------------------------------------------------

    def create(
        self, team: int, user_id: int, kind: str, body: Any, *, uuid: str | None = None
    ) -> Obj:
        """Validate ``body`` against ``<Kind>Create`` and store the new object."""
        spec = self.spec(kind)
        errors = self.contract.validate(spec.schema + "Create", body)
        if errors:
            raise invalid(errors)
        fields = {k: copy.deepcopy(v) for k, v in body.items() if k in spec.create_fields}
        with self.store.transaction():
            errors = {**self._check_refs(team, spec, fields), **_check_schedule(fields)}
            errors.update(self._check_max_count(team, spec, fields))
            if errors:
                raise invalid(errors)
            obj = self.new_object(team, user_id, spec, fields, uuid=uuid)
            self._set_secrets(spec, body, obj)
            if kind == "pipeline_stage":
                obj["type"] = "custom"
            version = None
            if kind == "flow":
                obj["status"] = self.new_flow_status
                if "priority" not in fields and self.flow_priority_default is not None:
                    obj["priority"] = self.flow_priority_default
                version = flows.initial_version(self.contract, obj["uuid"], obj["created_at"])
                obj["flow_version_uuid"] = version["uuid"]
            obj = self._finish(spec, obj)
            self._check_unique(team, spec, obj)
            if version is not None:
                self.store.put(team, "flow_version", version)
            self._put_new(team, spec, obj)
        return obj

    def _put_new(self, team: int, spec: KindSpec, obj: Obj) -> None:
        self.store.put(team, spec.name, obj)
        self._note_order(team, spec, obj)

    def new_object(
        self, team: int, user_id: int, spec: KindSpec, fields: Obj, *, uuid: str | None = None
    ) -> Obj:
        """Server fields + ``fields`` + order / key slot (no validation, not stored)."""
        props = spec.properties
        now = self.store.now()
        obj: Obj = {"uuid": uuid or str(uuidlib.uuid4()), "team_id": team}
        if "user_id" in props:
            obj["user_id"] = user_id
        obj["created_at"] = now
        obj["updated_at"] = now
        if "public_uuid" in props:
            obj["public_uuid"] = str(uuidlib.uuid4())
        obj.update(fields)
        if "order" in props and obj.get("order") is None:
            obj["order"] = self._max_order(team, spec, obj) + 1
        if "key" in props and "key" not in obj:
            used = {o.get("key") for o in self._peers(team, spec, obj)}
            obj["key"] = next(i for i in range(1, len(used) + 2) if i not in used)
        return obj

    def _peers(self, team: int, spec: KindSpec, obj: Obj) -> list[Obj]:
        """Objects sharing ``obj``'s natural-key scope (its key fields other than the name)."""
        scope = [f for f in spec.natural_key if f not in ("name", "label")]
        return [
            o for o in self.store.all(team, spec.name) if all(o.get(f) == obj.get(f) for f in scope)
        ]

    def _max_order(self, team: int, spec: KindSpec, obj: Obj) -> int:
        """Highest ``order`` in the scope; cached while only creates happen (bulk speed)."""
        scope = tuple(str(obj.get(f)) for f in spec.natural_key if f not in ("name", "label"))
        cache_key = (team, spec.name, scope)
        version = self.store.version(team, spec.name)
        cached = self._orders.get(cache_key)
        if cached is not None and cached[0] == version:
            return cached[1]
        peers = self._peers(team, spec, obj)
        return max((int(o.get("order") or 0) for o in peers), default=0)

    def _note_order(self, team: int, spec: KindSpec, obj: Obj) -> None:
        if "order" not in spec.properties:
            return
        scope = tuple(str(obj.get(f)) for f in spec.natural_key if f not in ("name", "label"))
        cache_key = (team, spec.name, scope)
        cached = self._orders.get(cache_key)
        best = max(int(obj.get("order") or 0), cached[1] if cached else 0)
        if cached is None or cached[0] != self.store.version(team, spec.name) - 1:
            best = max(int(o.get("order") or 0) for o in self._peers(team, spec, obj))
        self._orders[cache_key] = (self.store.version(team, spec.name), best)

    def _finish(self, spec: KindSpec, obj: Obj) -> Obj:
        """Fill read-schema defaults and order keys as the read schema lists them."""
        for name, prop in spec.properties.items():
            if name in obj or prop.get("writeOnly") or name in spec.secret:
                continue
            types = prop.get("type")
            types = types if isinstance(types, list) else [types]
            if "default" in prop:
                obj[name] = copy.deepcopy(prop["default"])
            elif "null" in types:
                obj[name] = None
            elif "array" in types:
                obj[name] = []
            elif "object" in types:
                obj[name] = {}
            elif "boolean" in types:
                obj[name] = False
        ordered = {k: obj[k] for k in spec.properties if k in obj}
        ordered.update({k: v for k, v in obj.items() if k not in ordered})
        return ordered

    def insert_raw(
        self, team: int, user_id: int, kind: str, fields: Obj, *, uuid: str | None = None
    ) -> Obj:
        """Store an object without body validation (native stages, read-only kinds, seeds)."""
        spec = self.spec(kind)
        with self.store.transaction():
            obj = self._finish(spec, self.new_object(team, user_id, spec, fields, uuid=uuid))
            self._put_new(team, spec, obj)
            return obj

    # -- update and delete -------------------------------------------------------------

    def update(self, team: int, kind: str, uuid: str, body: Any) -> Obj:
        """Partial update from a ``<Kind>Update`` body; updated_at moves only on change."""
        spec = self.spec(kind)
        old = self.get(team, kind, uuid)
        _guard_native(kind, old)
        errors = self.contract.validate(spec.schema + "Update", body)
        if errors:
            raise invalid(errors)
        fields = {k: copy.deepcopy(v) for k, v in body.items() if k in spec.update_fields}
        with self.store.transaction():
            errors = {**self._check_refs(team, spec, fields), **_check_schedule(fields)}
            if errors:
                raise invalid(errors)
            new = {**old, **fields}
            self._set_secrets(spec, body, new)
            if new == old:
                return old
            self._check_unique(team, spec, new)
            new["updated_at"] = self.store.now()
            return self.store.put(team, kind, new)

    def delete(self, team: int, kind: str, uuid: str) -> None:
        """Delete one object and apply the kind's cascade rules."""
        old = self.get(team, kind, uuid)
        _guard_native(kind, old)
        with self.store.transaction():
            self.store.remove(team, kind, uuid)
            if kind == "flow":
                for version in self.store.all(team, "flow_version"):
                    if version.get("flow_uuid") == uuid:
                        self.store.remove(team, "flow_version", version["uuid"])
            if kind == "flow_workspace":
                for flow in self.store.all(team, "flow"):
                    if flow.get("flow_workspace_uuid") == uuid:
                        moved = {
                            **flow,
                            "flow_workspace_uuid": None,
                            "updated_at": self.store.now(),
                        }
                        self.store.put(team, "flow", moved)

    # -- flows -------------------------------------------------------------------------

    def versions(self, team: int, flow_uuid: str) -> list[Obj]:
        """Versions of a flow, newest first."""
        self.get(team, "flow", flow_uuid)
        found = [v for v in self.store.all(team, "flow_version") if v.get("flow_uuid") == flow_uuid]
        return sorted(found, key=lambda v: v["_seq"], reverse=True)

    def create_version(self, team: int, flow_uuid: str, body: Any) -> Obj:
        """Save a new version (validated per the contract) and make it the active one."""
        flow = self.get(team, "flow", flow_uuid)
        errors = flows.check_version(self.contract, body)
        if errors:
            raise invalid(errors)
        with self.store.transaction():
            now = self.store.now()
            version = flows.build_version(self.contract, flow_uuid, body, now)
            self.store.put(team, "flow_version", version)
            self.store.put(
                team, "flow", {**flow, "flow_version_uuid": version["uuid"], "updated_at": now}
            )
        return version

    def transition(
        self, team: int, flow_uuid: str, table: dict[str, str | int], action: str
    ) -> Obj:
        """Apply a status action by its ``x-gsctl-transitions`` table."""
        with self.store.transaction():
            flow = self.get(team, "flow", flow_uuid)
            status = flows.next_status(table, flow["status"], action)
            if status == flow["status"]:
                return flow
            return self.store.put(
                team, "flow", {**flow, "status": status, "updated_at": self.store.now()}
            )

    # -- checks ------------------------------------------------------------------------

    def _check_refs(self, team: int, spec: KindSpec, fields: Obj) -> FieldErrors:
        errors: FieldErrors = {}
        for field, target in spec.references.items():
            value = fields.get(field)
            if value is not None and self.store.get(team, target, value) is None:
                errors[field] = [f"no {_label(target)} with this uuid in this team"]
        return errors

    def _check_max_count(self, team: int, spec: KindSpec, fields: Obj) -> FieldErrors:
        if not spec.max_count:
            return {}
        per = list(spec.max_count.get("per") or [])
        limit = int(spec.max_count["max"])
        peers = [
            o
            for o in self.store.all(team, spec.name)
            if all(o.get(f) == fields.get(f) for f in per)
        ]
        if len(peers) < limit:
            return {}
        where = per[0] if per else "name"
        return {where: [f"at most {limit} {_label(spec.name)}s are allowed per {where}"]}

    def _check_unique(self, team: int, spec: KindSpec, obj: Obj) -> None:
        key = self.key_of(spec.name, obj)
        if key is None:
            return
        other = self.store.find(team, spec.name, key)
        if other is not None and other["uuid"] != obj["uuid"]:
            field = spec.natural_key[-1]
            raise invalid({field: [f"The {field} has already been taken."]})

    def _set_secrets(self, spec: KindSpec, body: Any, obj: Obj) -> None:
        for field in spec.secret:
            if isinstance(body, dict) and isinstance(body.get(field), str):
                obj["_secrets"] = {**obj.get("_secrets", {}), field: hash_secret(body[field])}
            if "has_" + field in spec.properties:
                obj["has_" + field] = field in obj.get("_secrets", {})


def _guard_native(kind: str, obj: Obj) -> None:
    if kind == "pipeline_stage" and obj.get("type") != "custom":
        raise Problem(403, "Built-in pipeline stages cannot be changed or deleted.")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_schedule(fields: Obj) -> FieldErrors:
    schedule = fields.get("schedule")
    errors: FieldErrors = {}
    if isinstance(schedule, dict):
        zone = schedule.get("timezone")
        if isinstance(zone, str) and _time_zones() and zone not in _time_zones():
            errors["schedule.timezone"] = ["is not a valid IANA time zone"]
        for i, block in enumerate(schedule.get("timeblocks") or []):
            if block["max"] <= block["min"]:
                errors[f"schedule.timeblocks.{i}.max"] = ["must exceed min"]
    return errors


__all__ = ["Rules", "hash_secret", "public"]
