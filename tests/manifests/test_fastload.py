"""The event path (``fastload.py``) reads the common manifest exactly as the node path does,
and hands everything else to the node path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gsctl.manifests import loader
from gsctl.manifests.document import TOP_DEPTH
from gsctl.model import Origin

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        *ROOT.glob("examples/**/*.yaml"),
        *ROOT.glob("tests/fixtures/**/*.yaml"),
        *ROOT.glob("tests/golden/**/*.yaml"),
    ]
)
pytestmark = pytest.mark.skipif(loader._CLoaderBase is None, reason="libyaml not installed")


def _node_path(text: str, path: str) -> loader.Builder:
    built = loader._build(text, path, TOP_DEPTH)
    assert not isinstance(built, loader.Problem) and not built.problems
    return built


def _same_as_node_path(text: str, path: str = "m.yaml") -> None:
    fast = loader._load_fast(text, path)
    assert fast is not None, "the event path was not taken"
    built = _node_path(text, path)
    assert repr(fast.data) == repr(built.data)  # same values, types and key order
    assert (fast.top_values, fast.top_keys) == (built.values, built.keys)
    assert fast.values == loader._locate(text, path)[0]  # full origins still found on demand


def test_a_plain_manifest_is_read_with_its_sections_and_items_located() -> None:
    text = (
        "version: 1\n"
        "tags:\n"
        "  - name: VIP\n"
        "    color: '#F4A300'\n"
        "  - {name: Café, color: null}\n"
        "settings:\n"
        "  teams: {sales: 7}\n"
    )
    doc = loader._load_fast(text, "t.yaml")
    assert doc is not None and doc.finite
    assert doc.data == {
        "version": 1,
        "tags": [{"name": "VIP", "color": "#F4A300"}, {"name": "Café", "color": None}],
        "settings": {"teams": {"sales": 7}},
    }
    at = lambda line, col: Origin("t.yaml", line, col)  # noqa: E731
    assert doc.top_values == {
        (): at(1, 1),
        ("version",): at(1, 10),
        ("tags",): at(3, 3),
        ("tags", 0): at(3, 5),
        ("tags", 1): at(5, 5),
        ("settings",): at(7, 3),
        ("settings", "teams"): at(7, 10),
    }
    assert doc.top_keys == {
        ("version",): at(1, 1),
        ("tags",): at(2, 1),
        ("settings",): at(6, 1),
        ("settings", "teams"): at(7, 3),
    }
    assert doc.origin(("tags", 0, "color")) == at(4, 12)  # deeper: located by a second parse


@pytest.mark.parametrize(
    "text",
    [
        "a: [0, 7, -3, +4, 012, 0x1f, 0o7, 1_000, 1:30]\n",
        "a: [1.5, .5, 1e3, 1.0e+3, -2.]\n",
        "a: [yes, No, TRUE, off, y, n, true]\n",
        "a: [~, null, Null, '', \"\"]\nb: ~\nc:\n",
        "a: é ☕\n'ü': [x, 'y', \"z\\t\"]\n",
        "a: {b: [1, 2, {c: d}], e: 'f'}\nz: []\ny: {}\n",
        "a: 2024-01-01\nb: =\nc: 1.2.3\n",
        "a: # a comment, not a value\nb: x #y\n",
        "a: |\n  two\n  lines\nb: >\n  folded\n  text\n",
        "settings:\n  teams: {x: 1}\n  vars:\n    default: {a: b}\n",
        "a: " + "[" * 90 + "]" * 90 + "\n",
    ],
    ids=lambda t: t.split("\n", 1)[0][:24],
)
def test_usual_values_read_as_the_node_path_reads_them(text: str) -> None:
    _same_as_node_path(text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_the_event_path_takes_reads_as_the_node_path_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    if loader._load_fast(text, str(path)) is not None:
        _same_as_node_path(text, str(path))


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1}\nc: *x\n",  # anchor and alias
        "a: &x 1\n",  # anchored scalar
        "base: {b: 1}\nc:\n  <<: {d: 2}\n",  # merge key
        "a: 1\na: 2\n",  # duplicate key (a problem)
        "a: !!str 1\n",  # explicit tag
        "a: !!omap [{b: 1}]\n",
        "1: a\n",  # a key read as a number (a problem)
        "[a]: b\n",  # a collection as a key
        "a: <<\n",  # the merge tag as a value
        'a: "\\ud800"\n',  # a lone surrogate (a problem)
        "a: 1\n---\nb: 2\n",  # two documents (a problem)
        "- a\n",  # not a mapping (the schema words it)
        "a\n",
        "",  # empty (a problem)
        "a: [\n",  # a syntax error
        "a: [.inf, 1]\n",  # non-finite numbers (the validator words them)
        "a: .nan\n",
        "tags:\n  - color: #F4A300\n",  # an unquoted '#' empties the value (a problem)
        "a: " + "[" * 99 + "]" * 99 + "\n",  # near the nesting limit
        "a: " + "[" * 200_000,
    ],
    ids=repr,
)
def test_unusual_documents_take_the_node_path(text: str) -> None:
    assert loader._load_fast(text, "m.yaml") is None


def test_a_document_with_a_non_finite_number_is_still_checked_for_it() -> None:
    doc, problems = loader.load_text("a: .inf\n", "m.yaml")
    assert doc is not None and not problems and not doc.finite
    fast, _ = loader.load_text("a: 1.5\n", "m.yaml")
    assert fast is not None and fast.finite


_scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["yes", "No", "~", "null", "0x1f", "012", "1_000", "1e3", "-.5", "#x", "<<"]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_data = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    body=st.dictionaries(st.text(max_size=8), _data, min_size=1, max_size=5),
    flow=st.sampled_from([False, True, None]),
    edit=st.tuples(
        st.integers(0, 400),
        st.sampled_from(["", "&a ", "*a", "#", ": ", "- ", "!!str ", "\\u", "\n"]),
    ),
)
def test_random_documents_read_as_the_node_path_reads_them_or_go_there(
    body: dict[str, Any], flow: bool | None, edit: tuple[int, str]
) -> None:
    """Any text, valid or not: the event path either declines or agrees with the node path."""
    text = yaml.safe_dump(body, default_flow_style=flow, allow_unicode=True)
    at, insert = edit
    text = text[:at] + insert + text[at:]
    fast = loader._load_fast(text, "m.yaml")
    if fast is None:
        return
    built = loader._build(text, "m.yaml", TOP_DEPTH)
    assert not isinstance(built, loader.Problem) and not built.problems
    assert repr(fast.data) == repr(built.data)
    assert (fast.top_values, fast.top_keys) == (built.values, built.keys)
