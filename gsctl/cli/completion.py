"""``gsctl completion bash|zsh|fish``: print a shell completion script (click's).

Commands, options and their choices complete, and so do KIND values for ``--kind`` and
``--only`` (:func:`gsctl.cli.options.complete_kind`). Install with, for bash,
``eval "$(gsctl completion bash)"`` in ``~/.bashrc``.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_GSCTL_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
    bash: eval "$(gsctl completion bash)"            (in ~/.bashrc)
    zsh:  eval "$(gsctl completion zsh)"             (in ~/.zshrc)
    fish: gsctl completion fish > ~/.config/fish/completions/gsctl.fish
    """
    root = ctx.find_root()
    cls = get_completion_class(shell)
    if cls is None or not isinstance(root.command, click.Command):  # pragma: no cover
        raise click.UsageError(f"no completion for {shell}")
    script = cls(root.command, {}, "gsctl", COMPLETE_VAR).source()
    click.echo(script)
