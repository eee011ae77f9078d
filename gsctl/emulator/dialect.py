"""How the emulator answers: the contract's tidy form, or the way the real API is evidenced to.

``contract`` follows ``schemas/getsales-api.yaml`` to the letter. ``real`` answers the way the
public evidence shows GetSales doing (``api-notes.md``, "Second pass"): version lists as a bare
array in no order, new flows ``off``, ``priority`` defaulting to 1, a flow-workspace delete
answering 200 with a body, unknown extra fields, optional null fields left out, list pages
without ``has_more``, and new teams with 6 native and 6 pre-created custom lead stages.

The single knobs can be combined freely (``dataclasses.replace``) so that tests can serve
each shape a tolerant client must accept: ``list_shape`` and ``write_answer`` are not part of
either named dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Fields the real API is seen to send that gsctl does not know; a client must ignore them.
EXTRA_FIELDS: dict[str, Any] = {"ai_score": None, "meta": {"source": "api", "version": 2}}


@dataclass(frozen=True)
class Dialect:
    """One way of answering (see the module docstring)."""

    name: str = "contract"
    new_flow_status: str = "draft"
    flow_priority_default: int | None = None  # None: the contract's default
    versions_bare_unordered: bool = False
    workspace_delete_body: bool = False
    extra_fields: bool = False
    omit_null_optional: bool = False
    precreated_stages: bool = False
    # full: {data, limit, offset, total, has_more}; no_has_more; data_only: {data}; bare: [...]
    list_shape: str = "full"
    # object: the stored object; empty: 200 with no body; no_content: 204
    write_answer: str = "object"


DIALECTS: dict[str, Dialect] = {
    "contract": Dialect(),
    "real": Dialect(
        name="real",
        new_flow_status="off",
        flow_priority_default=1,
        versions_bare_unordered=True,
        workspace_delete_body=True,
        extra_fields=True,
        omit_null_optional=True,
        precreated_stages=True,
        list_shape="no_has_more",
    ),
}


def shape_page(page: dict[str, Any], shape: str) -> Any:
    """A contract list page in the dialect's shape."""
    if shape == "bare":
        return page["data"]
    if shape == "data_only":
        return {"data": page["data"]}
    if shape == "no_has_more":
        return {k: v for k, v in page.items() if k != "has_more"}
    return page


def shape_object(obj: dict[str, Any], dialect: Dialect, required: frozenset[str]) -> dict[str, Any]:
    """An answer object in the dialect's shape: extra fields, optional nulls left out."""
    out = dict(obj)
    if dialect.omit_null_optional:
        out = {k: v for k, v in out.items() if v is not None or k in required}
    if dialect.extra_fields:
        out.update(EXTRA_FIELDS)
    return out
