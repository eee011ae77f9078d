"""``gsctl emulator``: serve the local GetSales API."""

from __future__ import annotations

import click

from gsctl.cli.output import handle_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8484, show_default=True)
@click.option("--db", default=":memory:", show_default=True, help="SQLite file for persistence.")
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY[:TEAM,...]",
    help="Accepted key, optionally bound to teams (repeatable).",
)
@click.option(
    "--rate-limit", type=int, default=None, help="Requests per minute per key (429 past it)."
)
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault injection.")
@click.option(
    "--seed-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Objects to preload (an item's usage: {leads_count: N, ...} seeds its usage counts).",
)
@click.option(
    "--dialect",
    type=click.Choice(["contract", "real"]),
    default="contract",
    show_default=True,
    help="contract: the tidy form of the contract; real: answer the way GetSales is evidenced to.",
)
@handle_errors
def emulator(
    host: str,
    port: int,
    db: str,
    api_keys: tuple[str, ...],
    rate_limit: int | None,
    fault_rate: float,
    seed: int,
    seed_file: str | None,
    dialect: str,
) -> None:
    """Serve a local GetSales API (for tests, demos and offline work)."""
    from gsctl.emulator.server import serve

    serve(
        host=host,
        port=port,
        db=db,
        api_keys=list(api_keys) or None,
        rate_limit=rate_limit,
        fault_rate=fault_rate,
        seed=seed,
        seed_file=seed_file,
        dialect=dialect,
    )
