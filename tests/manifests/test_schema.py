"""The published JSON Schemas: valid Draft 2020-12, in step with kinds.py and the API
contract, usable by third-party validators, and worded errors from gsctl.schema.check."""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from gsctl import errors
from gsctl.api import kinds
from gsctl.flows import steps
from gsctl.manifests import schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "gsctl" / "schemas"
API = yaml.safe_load((SCHEMAS / "getsales-api.yaml").read_text(encoding="utf-8"))
API_SCHEMAS = API["components"]["schemas"]
CONTROLS = ["renamed_from", "protect", "ignore_changes"]


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_a_valid_draft_2020_12_schema(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in doc  # relative $refs resolve against the file's own location


def test_one_schema_per_managed_kind_plus_manifest() -> None:
    on_disk = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    expected = sorted([f"{k.name}.schema.json" for k in kinds.MANAGED] + ["manifest.schema.json"])
    assert on_disk == expected
    assert schema.schema_names() == [k.name for k in kinds.MANAGED]


@pytest.mark.parametrize("kind", kinds.MANAGED, ids=lambda k: k.name)
def test_kind_schema_matches_kinds_table(kind: kinds.Kind) -> None:
    doc = schema.load_schema(kind.name)
    sugar = steps.SUGAR.get(kind.name, ())  # compiled away: flow steps -> nodes
    assert list(doc["properties"]) == [*kind.fields, *sugar, *CONTROLS]
    assert doc["required"] == list(kind.required)
    assert doc["additionalProperties"] is False
    assert doc["properties"]["ignore_changes"]["items"]["enum"] == list(kind.fields)
    for name, prop in doc["properties"].items():
        assert prop.get("description"), f"{kind.name}.{name} has no description"


def _api_enum(schema_name: str, prop: str) -> list[Any]:
    return list(API_SCHEMAS[schema_name]["properties"][prop]["enum"])


@pytest.mark.parametrize(
    ("kind", "pointer", "api_schema", "api_prop"),
    [
        ("llm_connection", ["provider"], "LlmConnectionCreate", "provider"),
        ("llm_connection", ["owner"], "LlmConnectionCreate", "owner"),
        ("custom_field", ["object"], "CustomFieldCreate", "object"),
        ("pipeline_stage", ["category"], "PipelineStageCreate", "category"),
        ("template", ["type"], "TemplateCreate", "type"),
        ("template", ["is_public"], "TemplateCreate", "is_public"),
        ("webhook", ["event"], "WebhookCreate", "event"),
        ("webhook", ["request_method"], "WebhookCreate", "request_method"),
        ("webhook", ["status"], "WebhookCreate", "status"),
        ("flow", ["$defs", "node", "type"], "FlowNode", "type"),
        ("flow", ["$defs", "contact_source", "rotation_strategy"], "ContactSourceCreate",
         "rotation_strategy"),
    ],
)  # fmt: skip
def test_enums_follow_the_api_contract(
    kind: str, pointer: list[str], api_schema: str, api_prop: str
) -> None:
    node: Any = schema.load_schema(kind)
    if pointer[0] == "$defs":
        node = node["$defs"][pointer[1]]
        pointer = pointer[2:]
    prop = node["properties"][pointer[0]]
    assert prop["enum"] == _api_enum(api_schema, api_prop)


def test_flow_status_enum_is_the_desired_states() -> None:
    assert schema.load_schema("flow")["properties"]["status"]["enum"] == list(kinds.FLOW_STATUSES)


def test_payload_forbids_every_uuid_reference() -> None:
    payload = schema.load_schema("flow")["$defs"]["payload"]["properties"]
    for api_field, (manifest_field, _) in kinds.PAYLOAD_REFS.items():
        assert payload[api_field]["not"] == {}
        assert manifest_field in payload
    assert "template" in payload  # the message text stays


def test_manifest_schema_refs_kind_files_relatively() -> None:
    doc = schema.load_schema(None)
    for k in kinds.MANAGED:
        assert doc["properties"][k.section]["items"] == {"$ref": f"{k.name}.schema.json"}
    assert doc["properties"]["version"] == {
        "const": 1,
        "description": doc["properties"]["version"]["description"],
    }


def test_load_schema_accepts_sections_and_refuses_unknown_kinds() -> None:
    assert schema.load_schema("tags") == schema.load_schema("tag")
    with pytest.raises(errors.UsageError, match="unknown kind 'tagz'"):
        schema.load_schema("tagz")
    with pytest.raises(errors.UsageError, match="not managed"):
        schema.load_schema("list")
    schema.load_schema("tag")["title"] = "changed"  # callers get copies
    assert schema.load_schema("tag")["title"] == "gsctl tag"


def test_check_locates_keys_for_unknown_fields_and_values_otherwise() -> None:
    problems = schema.check({"version": 1, "tags": [{"name": "A", "colour": "x", "color": 5}]})
    assert [(p.path, p.at_key, p.message) for p in problems] == [
        (("tags", 0, "colour"), True, "unknown field 'colour' (did you mean 'color'?)"),
        (("tags", 0, "color"), False, "expected a string or null, got an integer;"
         " quote it to make it a string"),
    ]  # fmt: skip


def test_check_defers_value_rules_for_interpolated_strings() -> None:
    doc = {"version": 1, "tags": [{"name": "A", "color": "${var:c}"}]}
    assert schema.check(doc) == []
    bad = {"version": 1, "tags": [{"name": "A", "color": "red"}]}
    only = schema.check(bad, only={("tags", 0, "color")})
    assert [p.message for p in only] == [
        'must be a hex colour such as "#F4A300" (quote it: an unquoted # starts a YAML comment)'
        " (after interpolation)"
    ]


def test_check_never_echoes_a_secret_field() -> None:
    for value in ("sk-secret-value", 123456789, ["sk-secret-value"]):
        doc = {
            "version": 1,
            "llm_connections": [{"name": "O", "provider": "openai", "api_key": value}],
        }
        (problem,) = schema.check(doc)
        assert "secret-value" not in problem.message and "123456789" not in problem.message
        assert "${env:NAME}" in problem.message


def test_check_on_non_mapping_documents() -> None:
    assert [p.message for p in schema.check(["x"])] == ["expected a mapping, got a list"]
    assert [p.message for p in schema.check("x")] == ["expected a mapping, got a string"]


def test_check_jsonschema_cli_accepts_the_examples_and_catches_a_typo(tmp_path: Path) -> None:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed")
    # The manifests of every example (as `make schemas`); examples/*.yaml are not manifests
    # (emulator-seed.yaml is an emulator seed file).
    files = sorted(glob.glob(str(ROOT / "examples" / "*" / "**" / "*.yaml"), recursive=True))
    assert files
    manifest_schema = str(SCHEMAS / "manifest.schema.json")
    ok = subprocess.run(
        [exe, "--schemafile", manifest_schema, *files], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nflows:\n  - {name: F, use_sender_schedule: true, statuss: on}\n")
    fail = subprocess.run(
        [exe, "--schemafile", manifest_schema, str(bad)], capture_output=True, text=True, timeout=60
    )
    assert fail.returncode == 1
    assert "statuss" in fail.stdout  # found through the relative $ref to flow.schema.json
