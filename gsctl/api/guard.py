"""The contract guard: what gsctl reads must fit what it understands, or nothing happens.

Pure checks over decoded answers. Each raises :class:`~gsctl.errors.UnexpectedAnswerError`
naming the endpoint, the field (``data[3].uuid``), what was expected and what came: a type
("a string", "nothing"), never the value, so no name or secret reaches a message.

Tolerated on purpose (the tolerant reader): unknown fields, optional fields left out, a list
as ``{data: [...]}`` or as a bare array. Guarded: the fields gsctl pairs and decides by.
"""

from __future__ import annotations

from typing import Any, cast

from gsctl.errors import UnexpectedAnswerError

OBJECT = "an object"
STRING = "a string"
LIST = "an array"


def shown(value: Any) -> str:
    """A value's JSON type in words (the value itself is never shown)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def mismatch(
    method: str, path: str, field: str, expected: str, value: Any = ...
) -> UnexpectedAnswerError:
    """The error for one misfit; ``value`` left out means the field was missing."""
    got = "nothing" if value is ... else shown(value)
    return UnexpectedAnswerError(method, path, field, expected, got)


def list_answer(method: str, path: str, answer: Any, key: str = "uuid") -> list[dict[str, Any]]:
    """The items of a list answer, ``{data: [...]}`` or a bare array, each checked by
    :func:`list_items`."""
    data = answer if isinstance(answer, list) else None
    if isinstance(answer, dict) and isinstance(answer.get("data"), list):
        data = answer["data"]
    if data is None:
        raise mismatch(method, path, "data", "a list of objects", answer)
    list_items(method, path, data, at="data" if isinstance(answer, dict) else "", key=key)
    return data


def list_items(
    method: str, path: str, items: list[Any], *, at: str = "data", key: str = "uuid"
) -> None:
    """Every item of a list answer is an object with an identity (``uuid``: a string)."""
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise mismatch(method, path, f"{at}[{i}]", OBJECT, item)
        if not _is_identity(item.get(key), key):
            identity(method, path, item, f"{at}[{i}].", key)  # raises, naming the field


def _is_identity(value: Any, key: str) -> bool:
    if key == "uuid":
        return isinstance(value, str) and value != ""
    return isinstance(value, int) and not isinstance(value, bool)


def identity(
    method: str, path: str, obj: dict[str, Any], prefix: str = "", key: str = "uuid"
) -> str | int:
    """The object's identity: a non-empty ``uuid`` string (teams: an integer ``id``)."""
    value = obj.get(key, ...)
    if _is_identity(value, key):
        return cast(str | int, value)
    raise mismatch(method, path, prefix + key, STRING if key == "uuid" else "an integer", value)


def required_strings(
    method: str, path: str, obj: dict[str, Any], fields: tuple[str, ...], prefix: str = ""
) -> None:
    """Fields gsctl pairs or decides by must be present strings."""
    for name in fields:
        value = obj.get(name, ...)
        if not isinstance(value, str):
            raise mismatch(method, path, prefix + name, STRING, value)


def strings_in_items(
    method: str, path: str, items: list[dict[str, Any]], fields: tuple[str, ...], at: str = "data"
) -> None:
    """:func:`required_strings` of every item of a list answer (``data[3].name``)."""
    for i, obj in enumerate(items):
        for name in fields:
            if not isinstance(obj.get(name), str):
                required_strings(method, path, obj, fields, f"{at}[{i}].")  # raises


def flow_version(path: str, version: Any) -> dict[str, Any]:
    """A flow version answer: an object whose ``nodes`` are objects with an id and a type,
    and whose ``contact_sources`` (when present) is an array."""
    if not isinstance(version, dict):
        raise mismatch("GET", path, "", "a flow version object", version)
    nodes = version.get("nodes", ...)
    if not isinstance(nodes, list):
        raise mismatch("GET", path, "nodes", "an array of nodes", nodes)
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise mismatch("GET", path, f"nodes[{i}]", OBJECT, node)
        node_id = node.get("id", ...)
        if not isinstance(node_id, int) or isinstance(node_id, bool):
            raise mismatch("GET", path, f"nodes[{i}].id", "an integer", node_id)
        required_strings("GET", path, node, ("type",), f"nodes[{i}].")
    sources = version.get("contact_sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise mismatch("GET", path, "contact_sources", "an array of objects", sources)
    return version
