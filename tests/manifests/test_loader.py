"""gsctl.manifest: finding files, locations of every key and value, limits, dump_yaml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gsctl import errors
from gsctl.manifests import files
from gsctl.manifests import loader as manifest
from gsctl.model import Origin, Secret


def write(path: Path, text: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def load(text: str, path: str = "m.yaml") -> tuple[manifest.Document | None, list[str]]:
    doc, problems = manifest.load_text(text, path)
    located = [
        f"{p.origin or (doc and doc.origin(p.path, at_key=p.at_key))}: {p.message}"
        for p in problems
    ]
    return doc, located


# --- find_files -------------------------------------------------------------------------------


def test_find_files_recursive_sorted_skips_hidden(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "sub/c.yaml", "sub/z/d.yaml", ".git/x.yaml", ".gsctl/e.yaml"]:
        write(tmp_path / name, "version: 1\n")
    write(tmp_path / "notes.txt", "x")
    write(tmp_path / ".hidden.yaml", "version: 1\n")
    found = [os.path.relpath(p, tmp_path) for p in files.find_files([str(tmp_path)])]
    assert found == ["a.yml", "b.yaml", "sub/c.yaml", "sub/z/d.yaml"]


def test_find_files_keeps_argument_order_and_dedupes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "version: 1\n")
    b = write(tmp_path / "b.txt", "version: 1\n")  # named explicitly: taken whatever the suffix
    assert files.find_files([b, a, str(tmp_path)]) == [b, a]


def test_find_files_default_dot_gives_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "x" / "t.yaml", "version: 1\n")
    monkeypatch.chdir(tmp_path)
    assert files.find_files(["."]) == [os.path.join("x", "t.yaml")]


def test_find_files_missing_path_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match="no such file or directory"):
        files.find_files([str(tmp_path / "nope")])


# --- locations --------------------------------------------------------------------------------

SAMPLE = """\
version: 1
tags:
  - name: Warm
    color: "#F4A300"
  - {name: Hot}
flows:
  - name: F
    nodes:
      - id: 2
        payload: {tag: Warm}
        after: [{node_id: 1, branch_id: 1}]
"""


def test_every_key_and_value_is_located_one_based() -> None:
    doc, problems = load(SAMPLE)
    assert doc is not None and problems == []
    assert doc.values[()] == Origin("m.yaml", 1, 1)
    assert doc.keys[("version",)] == Origin("m.yaml", 1, 1)
    assert doc.values[("version",)] == Origin("m.yaml", 1, 10)
    assert doc.values[("tags", 0)] == Origin("m.yaml", 3, 5)
    assert doc.keys[("tags", 0, "color")] == Origin("m.yaml", 4, 5)
    assert doc.values[("tags", 0, "color")] == Origin("m.yaml", 4, 12)
    assert doc.values[("tags", 1)] == Origin("m.yaml", 5, 5)
    assert doc.values[("tags", 1, "name")] == Origin("m.yaml", 5, 12)
    assert doc.values[("flows", 0, "nodes", 0, "payload", "tag")] == Origin("m.yaml", 10, 24)
    assert doc.values[("flows", 0, "nodes", 0, "after", 0, "branch_id")] == Origin("m.yaml", 11, 41)


def test_origin_falls_back_to_nearest_parent() -> None:
    doc, _ = load(SAMPLE)
    assert doc is not None
    assert doc.origin(("tags", 1, "color")) == Origin("m.yaml", 5, 5)
    assert doc.origin(("tags", 0, "color"), at_key=True) == Origin("m.yaml", 4, 5)


def test_scalars_are_plain_and_timestamps_stay_strings() -> None:
    doc, _ = load("version: 1\na: 2024-01-01\nb: 0x1F\nc: 1.5\nd: ~\ne: yes\nf: '=' \ng: =\n")
    assert doc is not None
    assert doc.data == {
        **{"version": 1, "a": "2024-01-01", "b": 31, "c": 1.5},
        **{"d": None, "e": True, "f": "=", "g": "="},
    }


def test_aliases_and_merge_keys_keep_source_origins() -> None:
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n"
    doc, problems = load(text)
    assert doc is not None and problems == []
    assert doc.data["item"] == {"y": 3, "x": 1}
    assert doc.values[("item", "y")] == Origin("m.yaml", 4, 6)  # explicit key wins
    assert doc.values[("item", "x")] == Origin("m.yaml", 1, 14)  # from the anchor


def test_merge_of_a_list_of_mappings_earlier_wins() -> None:
    doc, _ = load("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n")
    assert doc is not None and doc.data["c"] == {"k": 1, "j": 2}


def test_duplicate_keys_are_reported_at_the_second_key() -> None:
    doc, problems = load("version: 1\ntags:\n  - name: A\n    name: B\n")
    assert doc is not None and doc.data["tags"] == [{"name": "A"}]
    assert problems == ["m.yaml:4:5: duplicate key 'name' (first at line 3, column 5)"]


def test_non_string_keys_are_reported() -> None:
    _, problems = load("on: 1\n? [a]\n: 2\n3: x\n")
    assert problems == [
        "m.yaml:1:1: mapping key 'on' is read as a boolean; quote it",
        "m.yaml:2:3: a mapping key must be a plain string",
        "m.yaml:4:1: mapping key '3' is read as a number; quote it",
    ]


def test_unquoted_hash_value_is_reported_at_the_hash() -> None:
    _, problems = load("tag:\n  color: #F4A300\n  note: # just a comment\n")
    assert problems == [
        "m.yaml:2:10: the value is empty because an unquoted #F4A300 starts a YAML comment;"
        ' quote it: "#F4A300"'
    ]


# --- fatal problems and limits ----------------------------------------------------------------


EMPTY = "file is empty; expected a mapping starting with 'version: 1'"
TWO_DOCS = "a manifest file holds one YAML document; found another here"
FLOW_SEQ = (
    "invalid YAML: expected ',' or ']', but got ':'"
    " (while parsing a flow sequence at line 1, column 4)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f"m.yaml:1:1: {EMPTY}"),
        ("# only a comment\n", f"m.yaml:1:1: {EMPTY}"),
        ("a: 1\n---\nb: 2\n", f"m.yaml:2:1: {TWO_DOCS}"),
        ("a: [1, 2\nb: 3\n", f"m.yaml:2:2: {FLOW_SEQ}"),
        ("a: *nope\n", "m.yaml:1:4: invalid YAML: found undefined alias 'nope'"),
        ("a: b\x07\n", "m.yaml:1:5: invalid YAML: character 0x0007 is not allowed in YAML text"),
        ("a: !!binary aGk=\n", "m.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:binary'"),
        ("a: !custom x\n", "m.yaml:1:4: unsupported YAML tag '!custom'"),
        ("a: !!set {x}\n", "m.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:set'"),
        ("a: !!int abc\n", "m.yaml:1:4: value 'abc' is not a valid int"),
        ("a: &a [1, *a]\n", "m.yaml:1:4: refused: recursive alias (a value that contains itself)"),
        ("a: &a {b: *a}\n", "m.yaml:1:4: refused: recursive alias (a value that contains itself)"),
        ("a:\n  <<: [1]\n", "m.yaml:2:8: a merge key (<<) needs a mapping or a list of mappings"),
    ],
)
def test_fatal_problems_are_one_located_message(text: str, expected: str) -> None:
    doc, problems = load(text)
    assert doc is None
    assert problems == [expected]


def test_nesting_limit() -> None:
    depth = manifest.MAX_DEPTH
    ok, _ = load("a: " + "[" * (depth - 1) + "]" * (depth - 1))
    assert ok is not None
    doc, problems = load("a: " + "[" * (depth + 1) + "]" * (depth + 1))
    assert doc is None
    # the root mapping is level 1: the refused bracket is the 100th, in column 3 + 100
    assert problems == [
        f"m.yaml:1:{depth + 3}: refused: nesting deeper than {depth} levels (limit)"
    ]


def test_nesting_limit_counts_through_aliases() -> None:
    half = manifest.MAX_DEPTH // 2 + 5
    text = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    doc, problems = load(text)
    assert doc is None and "nesting deeper than" in problems[0]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    doc, problems = load("\n".join(lines) + "\n")
    assert doc is None
    assert problems[0].endswith(
        f"refused: more than {manifest.MAX_ALIAS_EXPANSIONS} alias expansions (limit)"
    )


def test_value_budget_catches_one_alias_of_a_huge_subtree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest, "MAX_ALIAS_VALUES", 20_000)  # the real limit, just quicker
    big = "[" + ", ".join(["1"] * 500) + "]"
    text = f"a: &a {big}\nb: [{', '.join(['*a'] * 60)}]\n"
    doc, problems = load(text)
    assert doc is None
    assert problems[0].endswith("refused: more than 20000 values copied through aliases (limit)")


def test_file_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "big.yaml", b"# " + b"x" * files.MAX_FILE_BYTES + b"\n")
    doc, problems = manifest.load_file(path)
    assert doc is None
    assert [(str(p.origin), p.message) for p in problems] == [
        (f"{path}:1:1", "file is larger than 5 MiB; refusing to load it")
    ]


@pytest.mark.parametrize(
    ("raw", "where", "message"),
    [
        # "name: Caf" is 9 characters, so the bad byte is at column 10 of line 2
        (b"version: 1\nname: Caf\xe9\n", "2:10", "invalid byte 0xe9 at line 2, column 10"),
        # columns count characters, not bytes: "é" (2 bytes) is one column; a BOM none
        (
            b"\xef\xbb\xbfversion: 1\nname: \xc3\xa9t\xc3\xa9\x80\n",
            "2:10",
            "invalid byte 0x80 at line 2, column 10",
        ),
        (b"\xef\xbb\xbfab\xe9: 1\n", "1:3", "invalid byte 0xe9 at line 1, column 3"),
        (b"\xe9version: 1\n", "1:1", "invalid byte 0xe9 at line 1, column 1"),
        (b"version: 1\n\x00\x01", "1:1", "binary file (contains a NUL byte); expected YAML text"),
        (
            b"\xff\xfe\x00v\x00e\x00r",
            "1:1",
            "binary file (contains a NUL byte); expected YAML text",
        ),
    ],
)
def test_undecodable_files(tmp_path: Path, raw: bytes, where: str, message: str) -> None:
    path = write(tmp_path / "f.yaml", raw)
    doc, problems = manifest.load_file(path)
    assert doc is None
    if message.startswith("invalid byte"):
        message = f"file is not UTF-8 text ({message})"
    assert [(str(p.origin), p.message) for p in problems] == [(f"{path}:{where}", message)]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "f.yaml", "\ufeffversion: 1\nname: Café\n".encode())
    doc, problems = manifest.load_file(path)
    assert doc is not None and problems == []
    assert doc.data == {"version": 1, "name": "Café"}
    assert doc.values[("name",)] == Origin(path, 2, 7)


# --- dump_yaml --------------------------------------------------------------------------------


def test_dump_yaml_order_quoting_and_block_scalars() -> None:
    data = {
        "version": 1,
        "tags": [{"name": "on", "color": "#F4A300"}, {"name": "1", "color": None}],
        "templates": [{"name": "T", "body": "Hi {{first_name}},\n\nbye\n", "settings": {}}],
    }
    text = manifest.dump_yaml(data, schema_comment="../schemas/manifest.schema.json")
    assert text == (
        "# yaml-language-server: $schema=../schemas/manifest.schema.json\n"
        "version: 1\n"
        "tags:\n"
        "  - name: 'on'\n"
        "    color: '#F4A300'\n"
        "  - name: '1'\n"
        "    color: null\n"
        "templates:\n"
        "  - name: T\n"
        "    body: |\n"
        "      Hi {{first_name}},\n"
        "\n"
        "      bye\n"
        "    settings: {}\n"
    )
    doc, problems = manifest.load_text(text, "x.yaml")
    assert doc is not None and problems == [] and doc.data == data


def test_dump_yaml_round_trips_awkward_strings() -> None:
    values = [
        "no trailing newline\nsecond",
        "  leading spaces\nx",
        "trailing space \nx",
        "é ü ✓",
        "a" * 300,
    ]
    data = {"v": values}
    doc, _ = manifest.load_text(manifest.dump_yaml(data), "x.yaml")
    assert doc is not None and doc.data == data


def test_dump_yaml_refuses_secrets() -> None:
    with pytest.raises(errors.GsctlError, match="refusing to write a secret") as info:
        manifest.dump_yaml({"api_key": Secret("sk-very-secret")})
    assert "sk-very-secret" not in str(info.value)
