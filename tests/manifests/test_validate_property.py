"""Property tests: any file content, however broken, gives diagnostics, never an exception.

Inputs: random text and bytes, random manifest-shaped data dumped as YAML, and the example
files with random mutations (characters deleted, inserted or replaced; lines swapped).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gsctl.api import kinds
from gsctl.errors import Diagnostic
from gsctl.manifests.validate import validate_paths

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.read_text(encoding="utf-8") for p in (ROOT / "examples").rglob("*.yaml"))
FIELDS = sorted(
    {f for k in kinds.MANAGED for f in k.fields}
    | {k.section for k in kinds.MANAGED}
    | {"version", "settings", "renamed_from", "protect", "ignore_changes", "payload", "after"}
    | {"id", "type", "node_id", "branch_id", "after_id", "teams", "vars", "prune", "<<"}
)
YAMLISH = "-:{}[],#&*!|>'\"%@`? \n\t$\\" + "abcxyz019"
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["on", "off", "${env:X}", "${var:y}", "$${", "${", "#F4A300", "lead/x"]),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=8))
data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            break
        pos = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        if op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = text[:pos] + draw(st.text(alphabet=YAMLISH, max_size=8)) + text[pos:]
        elif op == "replace":
            text = text[:pos] + draw(st.sampled_from(YAMLISH)) + text[pos + 1 :]
        else:
            lines = text.splitlines()
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


contents = st.one_of(
    st.text(alphabet=YAMLISH, max_size=200),
    st.binary(max_size=200),
    data.map(_dump),
    st.dictionaries(st.sampled_from([k.section for k in kinds.MANAGED]), data, max_size=3).map(
        lambda d: _dump({"version": 1, **d})
    ),
    mutated_example(),
)


def _check(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        desired, diagnostics = validate_paths([str(path)], env={"X": "x"})
        assert all(isinstance(d, Diagnostic) for d in diagnostics)
        assert all(d.path == str(path) and d.line >= 1 and d.column >= 1 for d in diagnostics)
        assert diagnostics == sorted(diagnostics)
        if desired is None:
            assert any(d.severity == "error" for d in diagnostics)
        else:
            assert all(d.severity == "warning" for d in diagnostics)


@SETTINGS
@given(contents)
def test_validate_paths_never_raises(content: str | bytes) -> None:
    if isinstance(content, str):
        try:
            content.encode("utf-8")
        except UnicodeEncodeError:
            content = content.encode("utf-8", errors="replace")
    _check(content)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.one_of(mutated_example(), st.text(alphabet=YAMLISH, max_size=100)))
def test_cli_validate_exits_0_or_1_without_traceback(content: str) -> None:
    from gsctl.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(content, encoding="utf-8", errors="replace")
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
