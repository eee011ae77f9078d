"""Command-line interface: read options, call one core function, render, exit.

Every error is one message on stderr and an exit code from :class:`gsctl.errors.ExitCode`;
a traceback is a bug (``-v`` adds detail, never secrets).
"""

from __future__ import annotations

import gc
from typing import Any

import click

from gsctl import __version__
from gsctl.cli.apply import apply
from gsctl.cli.clone import clone_cmd
from gsctl.cli.completion import completion
from gsctl.cli.diff import diff_cmd
from gsctl.cli.doctor import doctor
from gsctl.cli.emulator import emulator
from gsctl.cli.export import export_cmd
from gsctl.cli.graph import graph
from gsctl.cli.plan import plan
from gsctl.cli.schema import schema
from gsctl.cli.teams import teams
from gsctl.cli.validate import validate
from gsctl.errors import ExitCode


class BadUsage(click.UsageError):
    exit_code = int(ExitCode.ERROR)


class GsctlGroup(click.Group):
    """A click group whose usage errors exit 1 (bad input), not click's 2: exit 2 means
    "there are changes" for ``plan --detailed-exitcode``."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise BadUsage(exc.format_message(), exc.ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise BadUsage(exc.format_message(), exc.ctx) from None


@click.group(cls=GsctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gsctl")
def main() -> None:
    """gsctl: config-as-code for GetSales workspaces.

    Keep tags, custom fields, pipeline stages, flow workspaces, flows, AI agents, templates,
    webhooks and LLM connections as YAML in git; plan and apply them like Terraform.
    """
    # A command builds many small objects once and keeps them, and makes few reference
    # cycles: collect garbage rarely (bench/: 10-15% of a 20,000-object plan at a 100,000
    # threshold), and never scan the modules imported so far.
    gc.freeze()
    gc.set_threshold(1_000_000, 50, 50)


for _command in (
    validate,
    schema,
    plan,
    apply,
    export_cmd,
    diff_cmd,
    graph,
    teams,
    clone_cmd,
    emulator,
    completion,
    doctor,
):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
