"""Errors that never mislead: parse errors first and no reference checks into a file that
could not be parsed; did-you-mean for unset ``${env:NAME}`` (names only, never values);
``timezone`` checked against the IANA database; an enum field of the wrong type names its
allowed values."""

from __future__ import annotations

from pathlib import Path

from gsctl.manifests.validate import validate_paths

FLOWS = """\
version: 1
flows:
  - name: Tagging
    workspace: Inbound
    use_sender_schedule: false
    schedule: {timezone: %s, timeblocks: [{dow: 1, min: 540, max: 1020}]}
    contact_sources: [{id: 1, rotation_strategy: fair, sender_profiles: [Anna - EU]}]
    steps:
      - add_tag: {tag: Warm}
"""
BROKEN_WORKSPACE = """\
version: 1
flow_workspaces:
  - name: Inbound
tags:
  - name: Warm
   color: "#F4A300"
"""


def messages(path: Path, env: dict[str, str] | None = None) -> list[str]:
    _, diagnostics = validate_paths([str(path)], env=env or {})
    return [str(d).removeprefix(f"{d.path}:") for d in diagnostics]


def test_a_syntax_error_gives_one_error_not_false_unknown_references(tmp_path: Path) -> None:
    (tmp_path / "a_flows.yaml").write_text(FLOWS % "Europe/Berlin")
    (tmp_path / "b_workspace.yaml").write_text(BROKEN_WORKSPACE)
    _, diagnostics = validate_paths([str(tmp_path)], env={})
    assert len(diagnostics) == 1, [str(d) for d in diagnostics]
    only = diagnostics[0]
    assert (Path(only.path).name, only.line, only.column) == ("b_workspace.yaml", 6, 4)
    assert only.message.startswith("invalid YAML")


def test_parse_errors_come_first(tmp_path: Path) -> None:
    (tmp_path / "a_tags.yaml").write_text("version: 1\ntags:\n  - {name: Hot, colour: red}\n")
    (tmp_path / "b_workspace.yaml").write_text(BROKEN_WORKSPACE)
    _, diagnostics = validate_paths([str(tmp_path)], env={})
    assert [Path(d.path).name for d in diagnostics] == ["b_workspace.yaml", "a_tags.yaml"]
    assert "unknown field 'colour'" in diagnostics[1].message


def test_unset_env_gets_did_you_mean_among_names_only(tmp_path: Path) -> None:
    path = tmp_path / "llm.yaml"
    path.write_text(
        "version: 1\nllm_connections:\n"
        "  - {name: OpenAI, provider: openai, api_key: '${env:OPENAI_APIKEY}'}\n"
    )
    env = {"OPENAI_API_KEY": "sk-value-never-shown", "HOME": "/root"}
    (line,) = messages(path, env)
    assert line == (
        '3:47: warning: llm_connection "OpenAI": api_key: environment variable OPENAI_APIKEY '
        "is not set (did you mean OPENAI_API_KEY?) (plan and apply will fail)"
    )
    (far,) = messages(path, {"HOME": "/root"})
    assert "did you mean" not in far


def test_time_zone_is_checked(tmp_path: Path) -> None:
    (tmp_path / "ws.yaml").write_text(
        "version: 1\nflow_workspaces: [{name: Inbound}]\ntags: [{name: Warm}]\n"
    )
    (tmp_path / "flows.yaml").write_text(FLOWS % "Europe/Berlinn")
    out = messages(tmp_path)
    assert out == [
        '6:26: flow "Tagging": schedule.timezone: "Europe/Berlinn" is not an IANA time zone '
        'name (such as "Europe/Berlin" or "UTC") (did you mean "Europe/Berlin"?)'
    ]
    (tmp_path / "flows.yaml").write_text(FLOWS % "America/Argentina/Buenos_Aires")
    assert messages(tmp_path) == []


def test_enum_of_the_wrong_type_names_the_allowed_values(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text("version: 1\npipeline_stages:\n  - {name: Won, object: lead, category: 5}\n")
    (line,) = messages(path)
    assert line == (
        '3:41: pipeline_stage "lead/Won": category: expected a string, got an integer; '
        "must be one of: cold, engaging, positive, negative"
    )
    assert "quote" not in line


def test_a_broken_section_gives_no_false_unknown_references(tmp_path: Path) -> None:
    (tmp_path / "flows.yaml").write_text(FLOWS % "UTC")
    (tmp_path / "ws.yaml").write_text(
        "version: 1\nflow_workspaces: [{name: Inbound}]\ntags: {name: Warm}\n"
    )
    assert messages(tmp_path) == ["3:7: tags: expected a list or null, got a mapping"]
    (tmp_path / "ws.yaml").write_text(
        "version: 1\nflow_workspaces: [{name: Inbound}]\ntags: [{nme: Warm}]\n"
    )
    out = messages(tmp_path)
    assert [m for m in out if "unknown tag" in m] == []
    assert any("missing required field 'name'" in m for m in out), out
    # a kind whose declarations are all known still gets its unknown references reported
    for empty in ("[]", ""):
        (tmp_path / "ws.yaml").write_text(
            f"version: 1\nflow_workspaces: [{{name: Inbound}}]\ntags: {empty}\n"
        )
        assert any('unknown tag "Warm"' in m for m in messages(tmp_path)), empty
