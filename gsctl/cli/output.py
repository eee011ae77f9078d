"""What commands show and write: output streams, errors as exit codes, plans, progress,
confirmation and atomic file writes."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gsctl import render
from gsctl.errors import (
    ExitCode,
    GsctlError,
    Interrupted,
    ManifestError,
    UnsafePlanError,
    UsageError,
)
from gsctl.model import redact
from gsctl.reconcile.apply import Outcome, build_ops
from gsctl.reconcile.changes import Plan

F = TypeVar("F", bound=Callable[..., Any])


class Output:
    """Where text goes: data on stdout, diagnostics and progress on stderr."""

    def __init__(self, no_color: bool) -> None:
        self.color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()

    @staticmethod
    def out(text: str) -> None:
        click.echo(redact(text), nl=False)

    @staticmethod
    def err(text: str) -> None:
        click.echo(redact(text), err=True)


def handle_errors(func: F) -> F:
    """Turn gsctl errors into one message and their exit code; no tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Interrupted as exc:
            click.echo(str(exc), err=True)
            sys.exit(int(exc.exit_code))
        except ManifestError as exc:
            click.echo(redact(str(exc)), err=True)
            click.echo(f"{len(exc.diagnostics)} error(s); nothing was sent to the API.", err=True)
            sys.exit(int(exc.exit_code))
        except GsctlError as exc:
            click.echo(redact(f"error: {exc}"), err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:  # outside any API session: nothing was sent
            click.echo(str(Interrupted(wrote=False)), err=True)
            sys.exit(int(ExitCode.ERROR))

    return wrapper  # type: ignore[return-value]


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file: never a partial file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact(text))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_plan(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "json":
        return render.plan_json(plan)
    if fmt == "markdown":
        return render.plan_markdown(plan)
    return render.plan_text(plan, color=color)


def warn_duplicates(output: Output, plan: Plan) -> None:
    """One stderr warning per group of live objects sharing a name (--allow-duplicates)."""
    from gsctl.reconcile.plan import duplicate_line

    for group in plan.duplicates:
        output.err(
            f"warning: duplicates: {duplicate_line(group)}; using the oldest, {group[0].uuid}"
        )


def enforce_gates(plan: Plan, force: bool) -> None:
    blocking = plan.blocking(force)
    if blocking:
        raise UnsafePlanError(
            "refused by safety gates:\n" + "\n".join(f"  ! {v.message}" for v in blocking)
        )


def step_summary(plan: Plan) -> None:
    """In GitHub Actions, add the Markdown plan to the job summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(redact(render.plan_markdown(plan)) + "\n")


class Progress:
    """One stderr line per finished operation, numbered ``[done/total]``."""

    def __init__(self, output: Output, plan: Plan) -> None:
        self.output = output
        self.total = len(build_ops(plan))
        self.count = 0

    def __call__(self, outcome: Outcome) -> None:
        self.count += 1
        width = len(str(self.total))
        self.output.err(f"[{self.count:>{width}}/{self.total}] {render.progress_line(outcome)}")


def confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError("refusing to apply without --auto-approve: no terminal to confirm on")
    answer = click.prompt(
        "Apply these changes? Only 'yes' is accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        raise UsageError("apply cancelled")
