"""``gsctl completion bash|zsh|fish``: a script per shell, and KIND values complete for
``--kind`` and ``--only`` through click's completion protocol."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gsctl.cli import main


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")],
)
def test_script_per_shell(shell: str, marker: str) -> None:
    result = CliRunner().invoke(main, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert "_GSCTL_COMPLETE" in result.stdout
    assert marker in result.stdout


def test_unknown_shell_is_refused() -> None:
    result = CliRunner().invoke(main, ["completion", "tcsh"])
    assert result.exit_code == 1


def complete(words: str) -> list[str]:
    """What bash completion offers for the last word of ``words``."""
    env = {
        "_GSCTL_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = CliRunner().invoke(main, [], env=env, prog_name="gsctl")
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_kind_values_complete() -> None:
    assert complete("gsctl export --kind ta") == ["tag", "tags"]
    assert complete("gsctl plan --only fl") == [
        "flow_workspace",
        "flow_workspaces",
        "flow",
        "flows",
    ]
    assert complete("gsctl diff --kind webh") == ["webhook", "webhooks"]
    assert complete("gsctl clone --only llm") == ["llm_connection", "llm_connections"]
    assert "completion" in complete("gsctl comp")
