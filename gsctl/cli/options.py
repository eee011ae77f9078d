"""Options shared by the command modules, and the run configuration read from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from gsctl.api import kinds
from gsctl.reconcile.changes import PlanOptions

DEFAULT_RATE_LIMIT = 300.0  # requests per minute: the GetSales API's documented limit

F = TypeVar("F", bound=Callable[..., Any])


def complete_kind(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of KIND (``--kind``, and the KIND of ``--only KIND[/NAME]``): the
    managed kinds, singular and plural."""
    names = [n for k in kinds.MANAGED for n in (k.name, k.section)]
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


KIND_HELP = "Only this kind, singular or plural: " + ", ".join(k.name for k in kinds.MANAGED)

kind_option = click.option(
    "--kind",
    "kind_names",
    multiple=True,
    metavar="KIND",
    shell_complete=complete_kind,
    help=KIND_HELP + ".",
)


def only_option(help_text: str) -> Callable[[F], F]:
    """``--only KIND[/NAME]`` (repeatable), with KIND completion."""
    return click.option(
        "--only", multiple=True, metavar="KIND[/NAME]", shell_complete=complete_kind, help=help_text
    )


# Options shared by every command that talks to the API, in --help order.
_API_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--api-url",
        envvar="GETSALES_API_URL",
        default="https://amazing.getsales.io",
        show_default=True,
        help="GetSales API base URL.",
    ),
    click.option(
        "--api-key",
        envvar="GETSALES_API_KEY",
        default=None,
        help="API key (prefer the GETSALES_API_KEY variable: flags show in ps).",
    ),
    click.option(
        "--team",
        envvar="GETSALES_TEAM_ID",
        default=None,
        help="Team id, or a name from settings.teams.",
    ),
    click.option(
        "--emulator",
        is_flag=True,
        help="Use the embedded emulator (.gsctl/emulator.db, found upward from here; "
        "GSCTL_EMULATOR_DB overrides).",
    ),
    click.option(
        "--parallelism",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="Concurrent API requests.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(0.1),
        default=30.0,
        show_default=True,
        help="Seconds to wait for one API answer before retrying.",
    ),
    click.option(
        "--rate-limit",
        type=click.FloatRange(1),
        default=None,
        help="Requests per minute, shared by all workers [default: 300; "
        "unlimited with --emulator].",
    ),
    click.option(
        "--max-response-mb",
        type=click.FloatRange(0.001),
        default=32.0,
        show_default=True,
        help="Refuse an API answer larger than this many MB.",
    ),
    click.option(
        "--max-wait",
        type=click.FloatRange(0),
        default=600.0,
        show_default=True,
        help="Seconds one command may spend waiting before retries (429 Retry-After, "
        "backoff) before it gives up.",
    ),
    click.option(
        "-v", "--verbose", is_flag=True, help="Log each request (method, path, status, ms)."
    ),
    click.option("--no-color", is_flag=True, help="No colour (also NO_COLOR)."),
]


def _with(func: F, decorators: list[Callable[[Any], Any]]) -> F:
    """``func`` with ``decorators`` applied, the first one outermost (listed first)."""
    for deco in reversed(decorators):
        func = deco(func)
    return func


def api_options(func: F) -> F:
    """Options shared by every command that talks to the API."""
    return _with(func, _API_OPTIONS)


def plan_options(func: F) -> F:
    decorators = [
        click.option(
            "--only",
            multiple=True,
            metavar="KIND[/NAME]",
            shell_complete=complete_kind,
            help="Limit to a kind or one object.",
        ),
        click.option(
            "--prune", is_flag=True, help="Delete live objects that the manifests do not declare."
        ),
        click.option(
            "--force", is_flag=True, help="Override the delete-share and emptied-kind gates."
        ),
        click.option(
            "--allow-replace",
            is_flag=True,
            help="Allow delete+create when a create-only field changed.",
        ),
        click.option(
            "--allow-data-loss",
            is_flag=True,
            help="Allow deleting or replacing objects in use (tags on contacts, flows or "
            "stages with contacts).",
        ),
        click.option("--rotate-secrets", is_flag=True, help="Send secrets on update too."),
        click.option(
            "--refresh",
            is_flag=True,
            help="Read every flow version from the API, bypassing the local cache "
            "(also GSCTL_NO_CACHE=1).",
        ),
        click.option(
            "--allow-duplicates",
            is_flag=True,
            help="When live objects share a name, use the oldest (else plan exits 1).",
        ),
    ]
    return _with(func, decorators)


def run_config(paths: tuple[str, ...], opts: dict[str, Any]) -> Any:
    from gsctl.api.bounds import MB, ReadLimits
    from gsctl.model import redact
    from gsctl.reconcile.workflow import RunConfig

    def log(line: str) -> None:
        click.echo(redact(f"  {line}"), err=True)

    def notify(line: str) -> None:  # what is being waited for, shown without -v
        click.echo(redact(line), err=True)

    return RunConfig(
        paths=paths or (".",),
        api_url=opts["api_url"],
        api_key=opts["api_key"],
        team=opts["team"],
        emulator=opts["emulator"],
        parallelism=opts["parallelism"],
        timeout=opts["timeout"],
        rate_limit=opts["rate_limit"] or (None if opts["emulator"] else DEFAULT_RATE_LIMIT),
        verbose_log=log if opts["verbose"] else None,
        notify=notify,
        refresh=bool(opts.get("refresh")),
        limits=ReadLimits(
            max_body_bytes=int(opts.get("max_response_mb", 32.0) * MB),
            max_wait=opts.get("max_wait", 600.0),
        ),
        plan=PlanOptions.from_dict(opts),
    )
