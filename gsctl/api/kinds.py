"""The one table of kinds gsctl knows: API paths, identity, order and field roles.

Nothing else in gsctl hard-codes an API path or a field name of the GetSales API: a
correction to the contract (``schemas/getsales-api.yaml``) is a one-line change here.

Vocabulary:
- *API field*: the name the HTTP API uses (``classification_llm_uuid``).
- *manifest field*: the name a user writes in YAML (``llm``). References are written by the
  target's name, never by uuid; secrets under a friendlier name (``api_key``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A top-level API field holding the uuid of another kind's object."""

    api_field: str  # e.g. "classification_llm_uuid"
    manifest_field: str  # e.g. "llm"
    target: str  # kind name, e.g. "llm_connection"


@dataclass(frozen=True)
class Kind:
    name: str  # singular snake_case, as in plans: "custom_field"
    section: str  # manifest top-level key: "custom_fields"
    collection: str  # list / create path
    item: str | None  # get / update / delete path, with {uuid}
    natural_key: tuple[str, ...]  # manifest fields forming the identity
    case_insensitive: tuple[str, ...] = ()  # key fields compared case-insensitively
    level: int | None = None  # apply order (DESIGN section 3); None: read-only kind
    managed: bool = True
    fields: tuple[str, ...] = ()  # manifest fields, in export order (name first)
    required: tuple[str, ...] = ()  # manifest fields required on create
    create_only: tuple[str, ...] = ()  # manifest fields that cannot change after create
    secret: dict[str, str] = field(default_factory=dict)  # manifest field -> API field
    refs: tuple[Ref, ...] = ()
    renames: dict[str, str] = field(default_factory=dict)  # other manifest -> API renames
    defaults: dict[str, Any] = field(default_factory=dict)  # server defaults (normalisation)
    # Manifest fields always sent on create, with this value when the manifest omits them:
    # the sources disagree on the server's default, so gsctl never relies on it.
    always_sent: dict[str, Any] = field(default_factory=dict)
    list_filters: tuple[dict[str, str], ...] = ({},)  # one list call per entry
    label_field: str | None = None  # read-only kinds: the field used as name
    # URL fields whose userinfo and credential-like query values (refs.mask_url) may carry
    # a token: masked in plans, exported as ${env:...} placeholders when they have any.
    masked_urls: tuple[str, ...] = ()

    def api_name(self, manifest_field: str) -> str:
        """API field for a manifest field."""
        for ref in self.refs:
            if ref.manifest_field == manifest_field:
                return ref.api_field
        if manifest_field in self.secret:
            return self.secret[manifest_field]
        return self.renames.get(manifest_field, manifest_field)

    def manifest_name(self, api_field: str) -> str:
        """Manifest field for an API field (inverse of :meth:`api_name`)."""
        return self._manifest_names.get(api_field, api_field)

    def ref_for(self, manifest_field: str) -> Ref | None:
        return self._refs_by_field.get(manifest_field)

    @functools.cached_property
    def _manifest_names(self) -> dict[str, str]:
        """API field -> manifest field, where they differ (refs first, then the first match)."""
        by_ref: dict[str, str] = {}
        for ref in self.refs:
            by_ref.setdefault(ref.api_field, ref.manifest_field)
        other: dict[str, str] = {}
        for manifest, api in [*self.secret.items(), *self.renames.items()]:
            other.setdefault(api, manifest)
        return {**other, **by_ref}

    @functools.cached_property
    def read_fields(self) -> dict[str, tuple[str, Ref | None]]:
        """API field -> (manifest field, its reference) for every API field a live object's
        manifest keeps (secrets never: the API does not return them)."""
        kept = {m for m in self.fields if m not in self.secret}
        pairs = {api: m for api, m in self._manifest_names.items() if m in kept}
        pairs.update({m: m for m in kept if m not in self._manifest_names})
        return {api: (m, self.ref_for(m)) for api, m in pairs.items()}

    @functools.cached_property
    def _refs_by_field(self) -> dict[str, Ref]:
        out: dict[str, Ref] = {}
        for ref in self.refs:
            out.setdefault(ref.manifest_field, ref)
        return out

    def item_path(self, uuid: str) -> str:
        if self.item is None:
            raise ValueError(f"kind {self.name} has no item path")
        return self.item.format(uuid=uuid)


FLOWS = "/flows/api/flows"

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            name="llm_connection",
            section="llm_connections",
            collection="/ai/api/llms",
            item="/ai/api/llms/{uuid}",
            natural_key=("name",),
            level=1,
            fields=("name", "provider", "owner", "api_key"),
            required=("name", "provider", "api_key"),
            create_only=("provider",),
            secret={"api_key": "provider_api_token"},
            defaults={"owner": "customer"},
        ),
        Kind(
            name="tag",
            section="tags",
            collection="/leads/api/tags",
            item="/leads/api/tags/{uuid}",
            natural_key=("name",),
            case_insensitive=("name",),
            level=2,
            fields=("name", "color"),
            required=("name",),
            defaults={"color": None},
        ),
        Kind(
            name="custom_field",
            section="custom_fields",
            collection="/leads/api/custom-fields",
            item="/leads/api/custom-fields/{uuid}",
            natural_key=("object", "name"),
            case_insensitive=("name",),
            level=2,
            fields=("name", "object", "order"),
            required=("name", "object"),
            create_only=("object",),
        ),
        Kind(
            name="pipeline_stage",
            section="pipeline_stages",
            collection="/leads/api/pipeline-stages",
            item="/leads/api/pipeline-stages/{uuid}",
            natural_key=("object", "name"),
            level=2,
            fields=("name", "object", "category", "order"),
            required=("name", "object", "category"),
            create_only=("object",),
            list_filters=({"filter[object]": "lead"}, {"filter[object]": "company"}),
        ),
        Kind(
            name="flow_workspace",
            section="flow_workspaces",
            collection="/flows/api/flow-workspaces",
            item="/flows/api/flow-workspaces/{uuid}",
            natural_key=("name",),
            level=2,
            fields=("name", "order"),
            required=("name",),
        ),
        Kind(
            name="ai_agent",
            section="ai_agents",
            collection="/flows/api/ai-agents",
            item="/flows/api/ai-agents/{uuid}",
            natural_key=("name",),
            level=3,
            fields=(
                "name",
                "description",
                "avatar_url",
                "llm",
                "classification_llm_config",
                "classification_prompt",
            ),
            required=("name",),
            refs=(Ref("classification_llm_uuid", "llm", "llm_connection"),),
            defaults={
                "description": None,
                "avatar_url": None,
                "llm": None,
                "classification_llm_config": None,
                "classification_prompt": None,
            },
        ),
        Kind(
            name="template",
            section="templates",
            collection="/flows/api/ai-templates",
            item="/flows/api/ai-templates/{uuid}",
            natural_key=("name",),
            level=3,
            fields=(
                "name",
                "type",
                "is_public",
                "subject",
                "body",
                "prompt",
                "llm",
                "llm_config",
                "enable_validation",
                "enable_fallback",
                "fallback_body",
                "settings",
            ),
            required=("name", "type", "is_public"),
            create_only=("type", "is_public"),
            refs=(Ref("llm_uuid", "llm", "llm_connection"),),
            defaults={
                "subject": None,
                "body": None,
                "prompt": None,
                "llm": None,
                "llm_config": None,
                "fallback_body": None,
            },
        ),
        Kind(
            name="flow",
            section="flows",
            collection=FLOWS,
            item=FLOWS + "/{uuid}",
            natural_key=("name",),
            level=4,
            fields=(
                "name",
                "workspace",
                "description",
                "priority",
                "ai_agent",
                "is_public",
                "use_sender_schedule",
                "schedule",
                "status",
                "contact_sources",
                "nodes",
            ),
            required=("name", "use_sender_schedule", "schedule"),
            refs=(
                Ref("flow_workspace_uuid", "workspace", "flow_workspace"),
                Ref("ai_agent_uuid", "ai_agent", "ai_agent"),
            ),
            defaults={
                "description": None,
                "priority": 2,
                "ai_agent": None,
                "is_public": False,
                "workspace": None,
            },
            always_sent={"priority": 2},  # 1-10; the default is 2 or 1 depending on the source
        ),
        Kind(
            name="webhook",
            section="webhooks",
            collection="/integrations/api/webhooks",
            item="/integrations/api/webhooks/{uuid}",
            natural_key=("name",),
            level=5,
            fields=("name", "event", "request_method", "target_url", "filters", "status"),
            required=("name", "event", "target_url"),
            defaults={"request_method": "POST", "status": "on", "filters": None},
            masked_urls=("target_url",),
        ),
        Kind(
            name="sender_profile",
            section="sender_profiles",
            collection="/flows/api/sender-profiles",
            item="/flows/api/sender-profiles/{uuid}",
            natural_key=("label",),
            managed=False,
            label_field="label",
        ),
        Kind(
            name="list",
            section="lists",
            collection="/leads/api/lists",
            item="/leads/api/lists/{uuid}",
            natural_key=("name",),
            managed=False,
            label_field="name",
        ),
    )
}

MANAGED: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.managed)
BY_SECTION: dict[str, Kind] = {k.section: k for k in MANAGED}

# Flow sub-resources (level 6): versions hold the steps; actions move the status.
# The flow's flow_version_uuid names its active version, read with FLOW_VERSION.
FLOW_VERSIONS = FLOWS + "/{uuid}/flow-versions"
FLOW_VERSION = "/flows/api/flow-versions/{uuid}"
ACTIVE_VERSION_FIELD = "flow_version_uuid"
# The flow status a declared ``draft`` ("not sending") is satisfied by where the API creates
# new flows ``off`` rather than ``draft``.
NOT_SENDING = frozenset(("draft", "off"))
FLOW_ACTIONS = {
    "start": FLOWS + "/{uuid}/start",
    "stop": FLOWS + "/{uuid}/stop",
    "archive": FLOWS + "/{uuid}/archive",
    "unarchive": FLOWS + "/{uuid}/unarchive",
}
FLOW_STATUSES = ("draft", "on", "off", "archived")
STEPS_LEVEL = 6

# Webhook filters reference flows here: filters.jsonLogic.data.flows[].flow_uuid
WEBHOOK_FLOW_LIST = ("jsonLogic", "data", "flows")

# Node payload references, by payload API field: (manifest field, target kind).
# A payload's own "template" field is the message text and is left alone.
PAYLOAD_REFS: dict[str, tuple[str, str]] = {
    "tag_uuid": ("tag", "tag"),
    "list_uuid": ("list", "list"),
    "pipeline_stage_uuid": ("pipeline_stage", "pipeline_stage"),
    "sender_profile_uuid": ("sender_profile", "sender_profile"),
    "template_uuid": ("ai_template", "template"),
    "flow_uuid": ("flow", "flow"),
    "flow_uuids": ("flows", "flow"),  # a list of flow uuids
    "webhook_uuid": ("webhook", "webhook"),
}

# Account endpoints (credential check, team names).
CURRENT_USER = "/id/api/users/current"
TEAMS = "/id/api/teams"


@dataclass(frozen=True)
class UsageRead:
    """How one kind's usage counts are read: a POST that only reads (``x-gsctl-usage``)."""

    path: str
    counts: tuple[tuple[str, str], ...]  # (API count field, plan label), in display order
    # metrics: body field(s) with up to USAGE_BATCH uuids; the next one is tried when the
    # server refuses the body (400/422)
    ids_fields: tuple[str, ...] = ()
    filter_field: str | None = None  # search: one request per object, count in ``total``
    body: dict[str, Any] = field(default_factory=dict)  # constant body fields
    only: dict[str, str] = field(default_factory=dict)  # manifest fields an object must have


# Usage reads (api-notes "Second pass"). Answer shapes are PROPOSED: read tolerantly.
USAGE: dict[str, UsageRead] = {
    "tag": UsageRead(
        "/leads/api/tags/metrics",
        (("leads_count", "contacts"), ("companies_count", "companies")),
        ids_fields=("uuids",),
        body={"metrics": ["leads_count", "companies_count"]},
    ),
    "flow": UsageRead(
        FLOWS + "/metrics",
        (("leads_count", "contacts"), ("in_progress_count", "in_progress")),
        ids_fields=("uuids", "flow_uuids"),  # Grinfi sends uuids, a GetSales client flow_uuids
    ),
    # An array filter answers one summed total, so stages are counted one request each;
    # company stages are not counted (the company field name is a CONFLICT).
    "pipeline_stage": UsageRead(
        "/leads/api/leads/search",
        (("total", "contacts"),),
        filter_field="pipeline_stage_uuid",
        body={"limit": 1},
        only={"object": "lead"},
    ),
}
USAGE_BATCH = 100  # uuids per metrics request
USAGE_ID_FIELDS = ("uuid", "tag_uuid", "flow_uuid", "id")  # an answer entry's object uuid

# Pipeline stages whose type is not "custom" are native: never managed or deleted, and
# referenced by name without being declared.
NATIVE_STAGE_NAMES = frozenset(("New", "Approaching", "Engaging", "Replied")) | {
    f"Replied \u2013 {outcome}"
    for outcome in ("Positive", "Negative")  # en dash, as GetSales
}
NATIVE_STAGE_FIELD = "type"
CUSTOM_STAGE_TYPE = "custom"

# Server-managed fields: never in manifests, dropped from live objects.
SERVER_FIELDS = frozenset(
    {
        "uuid",
        "team_id",
        "user_id",
        "created_at",
        "updated_at",
        "public_uuid",
        "key",
        "has_provider_api_token",
        "attachments",
        "validation_llm_uuid",
        "validation_llm_config",
        "validation_prompt",
        "template_category_uuid",
        "flow_version_uuid",
    }
)

MAX_PAGE = 100  # list page size the API allows


def kind(name: str) -> Kind:
    """Look a kind up by singular name or manifest section."""
    if name in KINDS:
        return KINDS[name]
    if name in BY_SECTION:
        return BY_SECTION[name]
    raise KeyError(name)


def display_name(k: Kind, fields: dict[str, Any]) -> str:
    """The human name of an object: ``name``, or ``object/name`` for per-object kinds."""
    if k.natural_key == ("object", "name"):
        return f"{fields.get('object')}/{fields.get('name')}"
    return str(fields.get(k.natural_key[0]))


def natural_key(k: Kind, fields: dict[str, Any]) -> tuple[str, ...]:
    """The identity tuple of an object, case-folded where the API compares so."""
    out = []
    for f in k.natural_key:
        v = str(fields.get(f, ""))
        out.append(v.casefold() if f in k.case_insensitive else v)
    return tuple(out)
