"""Offline bounds on manifest values that the JSON Schema cannot express (issue 15).

- :func:`non_finite`: NaN and infinity (YAML ``.nan``, ``.inf``) anywhere in a document.
- :func:`skeleton` and :func:`check_lookalikes`: names of one kind that differ only by
  look-alike characters (NFKC, case, and a small table of Cyrillic and Greek letters that
  look Latin) get a warning: they are different objects to the API but not to a reader.

Numeric ranges from the contract (priority 1-10, percentages 0-100, delays >= 0) live in the
JSON Schemas; the upper bound of waits and delays is
:data:`gsctl.flows.refs.MAX_DELAY_SECONDS` (365 days).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from typing import Any

from gsctl.manifests.document import Path, Problem

# Letters that NFKC keeps apart but a reader does not (a small subset of Unicode's
# confusables.txt: Cyrillic and Greek letters that render like Latin ones).
_LOOKALIKES = str.maketrans(
    # Cyrillic a ve ie io i je ka em en o er es te u ha dze komi-de shha palochka,
    # Greek alpha beta epsilon iota kappa nu omicron rho tau upsilon chi
    "\u0430\u0432\u0435\u0451\u0456\u0458\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445"
    "\u0455\u0501\u04bb\u04cf\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7",
    "abeeijkmhopctyxsdhlabeikvoptux",
)


def non_finite(data: Any, path: Path = ()) -> Iterator[Problem]:
    """A problem for every NaN or infinite number inside ``data``."""
    if isinstance(data, float) and not math.isfinite(data):
        what = ".nan (not a number)" if math.isnan(data) else "infinity"
        yield Problem(path, f"must be a finite number, not {what}")
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from non_finite(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from non_finite(value, (*path, i))


def skeleton(name: str) -> str:
    """What ``name`` looks like: NFKC, case-folded, look-alike letters mapped to Latin,
    marks and invisible format characters dropped."""
    if name.isascii():  # NFKC and NFD leave ASCII as is; it has no marks or format characters
        text = name.casefold().translate(_LOOKALIKES)
        if text.isascii():
            return text
    text = unicodedata.normalize("NFKC", name).casefold().translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))


def lookalike_note(name: str, other: str) -> str:
    """Why ``name`` and ``other`` look the same: the first differing character."""
    for a, b in zip(name, other, strict=False):
        if a != b:
            return f"{_char(a)} where the other has {_char(b)}"
    return "they differ only in invisible characters"


def _char(c: str) -> str:
    return f"U+{ord(c):04X} {unicodedata.name(c, '?')}"
