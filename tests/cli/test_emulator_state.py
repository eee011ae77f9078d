"""Where ``--emulator`` keeps its state: ``.gsctl/`` found upward from the working directory
(as git finds ``.git``), ``GSCTL_EMULATOR_DB`` overriding it; every run says on stderr which
database and team it uses, and a team never written to gets a one-line note."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gsctl.cli import main

MANIFEST = "version: 1\ntags:\n  - {name: Warm, color: '#F4A300'}\n"


def gsctl(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    base: dict[str, str | None] = {"GSCTL_EMULATOR_DB": None, "GETSALES_TEAM_ID": None}
    result = CliRunner().invoke(main, list(args), env={**base, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp/proj`` with a ``.gsctl/`` folder and the manifests, working in ``proj/a/b``."""
    root = tmp_path / "proj"
    (root / ".gsctl").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "config" / "tags.yaml").write_text(MANIFEST)
    (root / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(root / "a" / "b")
    return root


def test_state_is_found_upward_and_named(project: Path) -> None:
    config = str(project / "config")
    code, _, err = gsctl("apply", config, "--emulator", "--auto-approve")
    assert code == 0, err
    db = project / ".gsctl" / "emulator.db"
    assert db.is_file()
    assert not (project / "a" / "b" / ".gsctl").exists()
    assert f"emulator: database {db}, team 1" in err.splitlines()
    assert "note: team 1 is empty in this emulator" in err  # nothing written before
    code, out, err = gsctl("plan", config, "--emulator")
    assert code == 0, err
    assert "No changes" in out
    assert "is empty" not in err


def test_a_team_never_written_to_is_named_empty(project: Path) -> None:
    code, out, err = gsctl("plan", str(project / "config"), "--emulator", "--team", "2")
    assert code == 0, err
    assert "note: team 2 is empty in this emulator" in err.splitlines()
    assert '+ tag "Warm"' in out
    # a read-only plan writes nothing: team 2 is still empty next time
    _, _, err = gsctl("plan", str(project / "config"), "--emulator", "--team", "2")
    assert "note: team 2 is empty in this emulator" in err


def test_environment_variable_overrides(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "state.db"
    env: dict[str, str | None] = {"GSCTL_EMULATOR_DB": str(db)}
    code, _, err = gsctl("apply", str(project / "config"), "--emulator", "--auto-approve", env=env)
    assert code == 0, err
    assert db.is_file()
    assert not (project / ".gsctl" / "emulator.db").exists()
    assert f"emulator: database {db}, team 1" in err


def test_without_gsctl_folder_the_working_directory_gets_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tags.yaml").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    code, _, err = gsctl("export", "--emulator", "--out", "out", "--kind", "tag")
    assert code == 0, err
    assert (tmp_path / ".gsctl" / "emulator.db").is_file()
    assert "emulator: database .gsctl/emulator.db, team 1" in err
