"""Field-level differences between two normalised field dicts (the only deepdiff user).

Paths are dotted (``schedule.timezone``). A change inside a list is reported at the list
itself, with the whole list before and after: list elements have no stable identity, and a
reviewer reads ``timeblocks: [...] -> [...]`` more easily than index arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gsctl.model import Secret, has_secret


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any
    sensitive: bool = False
    note: str = ""  # why an unchanged value is sent again (e.g. re-pointing to a replacement)

    def to_dict(self) -> dict[str, Any]:
        from gsctl.model import mask

        if self.sensitive:
            return {
                "path": self.path,
                "before": "(sensitive)",
                "after": "(sensitive)",
                "sensitive": True,
            }
        out = {"path": self.path, "before": mask(self.before), "after": mask(self.after)}
        if self.note:
            out["note"] = self.note
        return out


def _plain(value: Any) -> Any:
    """Secrets compare by value (a live value never is a Secret; the desired one may be)."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _same(a: Any, b: Any) -> bool:
    """Equal with equal types all the way down (``1 == True`` and ``1 == 1.0`` are changes);
    a :class:`Secret` compares by its value."""
    if type(a) is Secret:
        a = a.reveal()
    if type(b) is Secret:
        b = b.reveal()
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        # Lengths are equal here; zip's strict= would cost a keyword call per container.
        pairs = zip(a.values(), map(b.__getitem__, a))  # noqa: B905
    elif isinstance(a, list | tuple):
        if len(a) != len(b):
            return False
        pairs = zip(a, b)  # noqa: B905
    else:
        return bool(a == b)
    for x, y in pairs:  # plain values compared here: most are, and a call costs more
        if type(x) is type(y) and type(x) in _LEAVES:
            if x != y:
                return False
        elif not _same(x, y):
            return False
    return True


_SCALARS = (str, int, bool, type(None))


def identical(a: Any, b: Any) -> bool:
    """Equal in everything a computation over plain data can see, a :class:`Secret` read as
    its value: types, values, dict key order, the sign of ``-0.0``. NaN is never identical,
    nor is any other type (a safe "no"). A function of the revealed data that does not look
    at object identity gives the same result for both: computing it for one is enough."""
    if type(a) is Secret:
        a = a.reveal()
    if type(b) is Secret:
        b = b.reveal()
    t = type(a)
    if t is not type(b):
        return False
    if t is dict:
        return len(a) == len(b) and all(
            identical(ka, kb) and identical(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if t is list or t is tuple:
        return len(a) == len(b) and all(map(identical, a, b))
    if t is float:
        return a == b and repr(a) == repr(b)  # -0.0 == 0.0; nan != nan
    return t in _SCALARS and a == b


def _get(tree: Any, parts: list[Any]) -> Any:
    for p in parts:
        if isinstance(tree, dict):
            tree = tree.get(p)
        elif isinstance(tree, list) and isinstance(p, int) and p < len(tree):
            tree = tree[p]
        else:
            return None
    return tree


def _parts_to_list_root(parts: list[Any], before: Any, after: Any) -> list[Any]:
    """Truncate a path where it enters a list: the change is reported on the list."""
    out: list[Any] = []
    for p in parts:
        node = _get(after, out)
        if node is None:
            node = _get(before, out)
        if isinstance(node, list):
            return out
        out.append(p)
    return out


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Changed leaves between ``before`` (live) and ``after`` (desired), sorted by path."""
    if _same(before, after):
        return []  # the common case, and much cheaper than a DeepDiff
    from deepdiff import DeepDiff  # imported when first needed: ~20 MB a no-change plan saves

    b, a = _plain(before), _plain(after)
    # zip: list items pair by position (a change is shown on the whole list anyway); the
    # default pairing matches 1 with True and 2 with 2.0, which _same tells apart.
    dd = DeepDiff(b, a, verbose_level=2, view="tree", zip_ordered_iterables=True)
    paths: dict[str, list[Any]] = {}
    for level_list in dd.values():
        for level in level_list:
            parts = _parts_to_list_root(list(level.path(output_format="list")), b, a)
            if not parts:
                continue
            paths[".".join(str(p) for p in parts)] = parts
    changes = []
    for path in sorted(paths):
        parts = paths[path]
        old, new = _get(before, parts), _get(after, parts)
        changes.append(FieldChange(path, old, new, sensitive=has_secret(old) or has_secret(new)))
    return changes
