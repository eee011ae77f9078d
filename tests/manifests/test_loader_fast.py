"""libyaml's composer (the node path's fast half) gives exactly what the pure-Python composer
gives. The event path in front of both is ``test_fastload.py``'s; it is switched off here."""

from __future__ import annotations

from pathlib import Path

import pytest

from gsctl.manifests import loader as manifest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/fixtures/manifests/valid/**/*.yaml")]
)
pytestmark = pytest.mark.skipif(manifest._CLoaderBase is None, reason="libyaml not installed")


@pytest.fixture(autouse=True)
def _node_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest, "_load_fast", lambda text, path: None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_and_pure_python_paths_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert manifest._compose_fast(text) is not None  # the fast path really is taken
    fast, fast_problems = manifest.load_text(text, str(path))
    monkeypatch.setattr(manifest, "_compose_fast", lambda text: None)
    slow, slow_problems = manifest.load_text(text, str(path))
    assert fast is not None and slow is not None
    assert (fast.data, fast.values, fast.keys) == (slow.data, slow.values, slow.keys)
    assert fast_problems == slow_problems


def test_comment_value_and_marks_agree_on_non_ascii_text(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "version: 1\ntags:\n  - name: Café ☕\n    color: #F4A300\n"
    fast = manifest.load_text(text, "t.yaml")
    monkeypatch.setattr(manifest, "_compose_fast", lambda text: None)
    slow = manifest.load_text(text, "t.yaml")
    assert fast[1] == slow[1] and len(fast[1]) == 1  # the unquoted '#' is reported by both
    assert fast[0] is not None and slow[0] is not None
    assert fast[0].values == slow[0].values


def test_deep_nesting_never_reaches_the_recursive_c_composer() -> None:
    text = "version: 1\ntags: " + "[" * 200_000
    assert manifest._compose_fast(text) is None
    doc, problems = manifest.load_text(text, "deep.yaml")
    assert doc is None and len(problems) == 1


def _nested(style: str, depth: int) -> str:
    if style == "flow":
        return "version: 1\ntags: " + "[" * depth + "]" * depth + "\n"
    lines = "".join(" " * (2 * i) + "-\n" for i in range(depth))
    return "version: 1\ntags:\n" + lines + " " * (2 * depth) + "x\n"


@pytest.mark.parametrize("style", ["flow", "block"])
@pytest.mark.parametrize("depth", [97, 98, 99, 100, 150, 999, 1001, 3000])
@pytest.mark.parametrize("limited", [True, False])
def test_depth_guard_refuses_deep_files_like_the_pure_python_loader(
    style: str, depth: int, limited: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With libyaml's own nesting limit the event pre-pass is skipped; either way a file past
    MAX_DEPTH gets the same one located problem as from the pure-Python loader."""
    text = _nested(style, depth)
    monkeypatch.setattr(manifest, "_LIBYAML_SAFE_DEPTH", limited)
    fast = manifest.load_text(text, "deep.yaml")
    monkeypatch.setattr(manifest, "_compose_fast", lambda text: None)
    slow = manifest.load_text(text, "deep.yaml")
    assert fast[1] == slow[1]
    if depth > manifest.MAX_DEPTH:
        assert fast[0] is None and len(fast[1]) == 1
        assert "nesting deeper than 100 levels" in fast[1][0].message
    elif depth < manifest.MAX_DEPTH - 2:
        assert fast[0] is not None and slow[0] is not None and fast[0].data == slow[0].data


def test_this_libyaml_limits_nesting_by_itself() -> None:
    assert manifest._libyaml_limits_nesting() is manifest._LIBYAML_SAFE_DEPTH
