"""gsctl.validate: every error class on fixture files (exact file:line:col and message), the
valid fixtures and examples, interpolation per team, secrets, and the Desired it builds.

Each fixture under ``fixtures/manifests/invalid/`` (a file, or a directory for cases that need
several files) lists the diagnostics expected in it as trailing ``# expect: LINE:COL: ...``
comments; ``{dir}`` stands for the case's directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gsctl import errors
from gsctl.manifests.validate import load_desired, summary_line, validate_paths
from gsctl.model import Origin, Secret, mask

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path("tests/fixtures/manifests")
INVALID = FIXTURES / "invalid"
VALID = FIXTURES / "valid"
BINARY = {"non_utf8.yaml", "nul_byte.yaml"}
EXPLICIT = BINARY | {"flow_graph.yaml"}


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _cases() -> list[str]:
    return sorted(n for n in os.listdir(ROOT / INVALID) if n not in EXPLICIT)


def _expected(case: Path) -> dict[str, list[str]]:
    files = [case] if case.is_file() else sorted(case.glob("*.yaml"))
    folder = str(case if case.is_dir() else case.parent)
    out = {}
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        out[str(f)] = [
            line.removeprefix("# expect: ").replace("{dir}", folder)
            for line in lines
            if line.startswith("# expect: ")
        ]
    return out


@pytest.mark.parametrize("case", _cases())
def test_invalid_fixture(case: str) -> None:
    path = INVALID / case
    expected = _expected(path)
    assert any(expected.values()), "a fixture must declare what it expects"
    desired, diagnostics = validate_paths([str(path)], env={})
    assert desired is None
    got: dict[str, list[str]] = {f: [] for f in expected}
    for d in diagnostics:
        got.setdefault(d.path, []).append(str(d).removeprefix(f"{d.path}:"))
    assert got == expected


@pytest.mark.parametrize(
    ("case", "message"),
    [
        # byte 30 is the 0xe9 after "  - name: Caf" (13 characters) on line 3
        ("non_utf8.yaml", "3:14: file is not UTF-8 text (invalid byte 0xe9 at line 3, column 14)"),
        ("nul_byte.yaml", "1:1: binary file (contains a NUL byte); expected YAML text"),
    ],
)
def test_binary_fixtures(case: str, message: str) -> None:
    path = str(INVALID / case)
    desired, diagnostics = validate_paths([path], env={})
    assert desired is None
    assert [str(d) for d in diagnostics] == [f"{path}:{message}"]


def test_flow_graph_problems_are_located_in_the_flow() -> None:
    path = str(INVALID / "flow_graph.yaml")
    _, diagnostics = validate_paths([path], env={})
    where = {(d.line, d.column): d for d in diagnostics}
    edge = where[(10, 75)]  # node 2's edge to node 9, which does not exist
    assert (edge.kind, edge.name) == ("flow", "Broken")
    assert edge.message.startswith("nodes[1].after[0].node_id: ") and "9" in edge.message
    assert (11, 9) in where and where[(11, 9)].message.startswith("nodes[2]: ")  # unreachable
    assert all(d.severity == "error" for d in diagnostics)


def test_all_errors_of_all_files_at_once_sorted() -> None:
    paths = [str(INVALID / "unknown_field.yaml"), str(INVALID / "bad_enum.yaml")]
    _, diagnostics = validate_paths(paths, env={})
    assert [(d.path, d.line) for d in diagnostics] == [
        (paths[1], 4),
        (paths[1], 5),
        (paths[0], 4),
    ]


def test_load_desired_raises_with_every_diagnostic() -> None:
    path = str(INVALID / "unknown_reference.yaml")
    with pytest.raises(errors.ManifestError) as info:
        load_desired([path], env={"OPENAI_API_KEY": "x"})
    assert len(info.value.diagnostics) == 11
    assert str(info.value).splitlines()[0] == (
        f'{path}:7:53: template "Intro": llm: unknown llm connection "OpenAl":'
        ' not declared in llm_connections (did you mean "OpenAI"?)'
    )


# --- valid manifests and examples ---------------------------------------------------------


@pytest.mark.parametrize("name", ["minimal.yaml", "empty_sections.yaml", "everything.yaml"])
def test_valid_fixtures(name: str) -> None:
    desired, diagnostics = validate_paths([str(VALID / name)], env={"GSCTL_TEST_KEY": "k"})
    assert diagnostics == []
    assert desired is not None


@pytest.mark.parametrize("example", ["starter", "agency"])
def test_examples_validate_with_the_key_unset(example: str) -> None:
    folder = str(Path("examples") / example)
    desired, diagnostics = validate_paths([folder], env={})
    assert desired is not None, "\n".join(map(str, diagnostics))
    assert [d.message for d in diagnostics] == [
        "api_key: environment variable OPENAI_API_KEY is not set (plan and apply will fail)"
    ]
    assert all(d.severity == "warning" for d in diagnostics)
    assert (ROOT / folder / "README.md").is_file()
    assert summary_line(desired).endswith(": ok, 1 warning")


@pytest.mark.parametrize("team", ["prod", "staging", 1, 2, "1"])
def test_agency_loads_for_each_team(team: str | int) -> None:
    desired = load_desired(["examples/agency"], team=team, env={"OPENAI_API_KEY": "sk-x"})
    hook = next(r for r in desired.by_kind("webhook") if r.name == "Email replies to CRM")
    host = "staging-hooks" if str(team) in ("staging", "2") else "hooks"
    assert hook.fields["target_url"] == f"https://{host}.acme-agency.example/getsales/email-replies"
    assert len(desired.by_kind("flow")) == 4
    assert desired.settings.teams == {"prod": 1, "staging": 2}
    assert desired.settings.prune == ("tag", "webhook")


def test_unset_env_is_an_error_when_strict() -> None:
    with pytest.raises(errors.ManifestError) as info:
        load_desired(["examples/starter"], env={})
    (diag,) = info.value.diagnostics
    assert str(diag) == (
        'examples/starter/workspace.yaml:8:14: llm_connection "OpenAI": api_key:'
        " environment variable OPENAI_API_KEY is not set"
    )
    desired = load_desired(["examples/starter"], env={}, strict_env=False)
    assert [w.severity for w in desired.warnings] == ["warning"]


def test_no_manifest_files_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match="no manifest files"):
        validate_paths([str(tmp_path)])


def test_unknown_team_name_is_a_usage_error() -> None:
    with pytest.raises(errors.UsageError, match="unknown team 'qa'"):
        load_desired(["examples/agency"], team="qa", env={"OPENAI_API_KEY": "x"})


def test_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    desired = load_desired(["examples/starter"])
    (llm,) = desired.by_kind("llm_connection")
    assert llm.fields["api_key"] == Secret("sk-from-env")


# --- the Desired it builds ----------------------------------------------------------------


def _everything(team: str | int | None = None) -> list:
    env = {"GSCTL_TEST_KEY": "sk-test-123"}
    return load_desired([str(VALID / "everything.yaml")], team=team, env=env).resources


def test_resources_fields_keys_and_controls() -> None:
    by = {(r.kind, r.name): r for r in _everything()}
    warm = by[("tag", "Warm")]
    assert warm.key == ("warm",) and warm.fields == {"name": "Warm", "color": "#F4A300"}
    assert warm.protect is True and warm.ignore_changes == ("color",)
    assert by[("tag", "Hot")].renamed_from == "Very warm"
    assert by[("custom_field", "company/Industry")].key == ("company", "industry")
    assert by[("pipeline_stage", "lead/Interested")].key == ("lead", "Interested")
    email = by[("template", "Email")]  # merge key: fields in kinds.py order
    assert list(email.fields) == ["name", "type", "is_public", "body", "llm"]
    assert email.fields["body"] == "Hi {{first_name}}, price: ${price}"  # $${ escape


def test_resource_origins_cover_every_value() -> None:
    path = str(VALID / "everything.yaml")
    flow = next(r for r in _everything() if r.name == "Main")
    assert flow.origin == Origin(path, 39, 5)
    assert flow.origins[("nodes", 1, "payload", "tag")] == Origin(path, 50, 24)
    assert flow.origins[("contact_sources", 0, "sender_profiles", 0)] == Origin(path, 45, 53)
    assert flow.origin_of(("nodes", 1, "payload", "missing")) == Origin(path, 50, 18)
    other = next(r for r in _everything() if r.name == "Other")
    assert other.origins[("schedule", "timezone")] == Origin(path, 43, 33)  # via the alias


def test_env_values_are_secrets_and_vars_follow_the_team() -> None:
    default = {r.kind: r for r in _everything()}
    key = default["llm_connection"].fields["api_key"]
    assert isinstance(key, Secret) and key.reveal() == "sk-test-123"
    assert "sk-test-123" not in repr(default["llm_connection"]) + str(mask(default))
    url = default["webhook"].fields["target_url"]
    assert url == "https://hooks.example.com/gs/replies?retries=3&verbose=true"
    staging = {r.kind: r for r in _everything("staging")}
    assert staging["webhook"].fields["target_url"].startswith("https://staging.example.com/gs/")
    by_id = {r.kind: r for r in _everything(7431)}
    assert by_id["webhook"].fields == staging["webhook"].fields


def test_settings_and_mentioned_kinds() -> None:
    desired = load_desired([str(VALID)], env={"GSCTL_TEST_KEY": "k"})
    s = desired.settings
    assert s.teams == {"prod": 7430, "staging": 7431, "production": 7430}
    assert s.prune == ("tag", "webhook") and s.max_delete_percent == 12.5
    assert s.prunes("webhook") and not s.prunes("flow")
    assert s.origin == Origin(str(VALID / "everything.yaml"), 4, 3)
    assert "tag" in desired.mentioned_kinds and "webhook" in desired.mentioned_kinds
    names = ["empty_sections.yaml", "everything.yaml", "minimal.yaml"]
    assert desired.files == [str(VALID / n) for n in names]
    assert summary_line(desired) == "3 files, 14 resources: ok"


def test_secret_literal_never_appears_in_any_output() -> None:
    path = str(INVALID / "literal_api_key.yaml")
    _, diagnostics = validate_paths([path], env={})
    text = "\n".join(str(d) for d in diagnostics) + repr([d.to_dict() for d in diagnostics])
    assert "DO-NOT-PRINT" not in text and "12345" not in text


def test_env_value_never_appears_in_messages(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(
        "version: 1\ntags:\n  - {name: A, color: '${env:COLOUR}'}\n"
        "webhooks:\n  - {name: W, event: nope, target_url: '${env:URL}'}\n"
    )
    env = {"COLOUR": "#secret-colour", "URL": "https://user:pw@example.com"}
    _, diagnostics = validate_paths([str(f)], env=env)
    text = "\n".join(str(d) for d in diagnostics)
    assert "secret-colour" not in text and "user:pw" not in text
    assert 'tag "A": color: must be a hex colour' in text and "(after interpolation)" in text
