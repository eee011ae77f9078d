"""The run configuration read from CLI options: notices, --refresh and GSCTL_NO_CACHE."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from gsctl.cli.options import api_options, plan_options, run_config


@click.command()
@plan_options
@api_options
def probe(**opts: Any) -> None:
    cfg = run_config((), opts)
    click.echo(f"refresh={cfg.refresh}")
    assert cfg.notify is not None
    cfg.notify("rate limited by the API; waiting 30 s")


@pytest.mark.parametrize(("args", "refresh"), [([], False), (["--refresh"], True)])
def test_refresh_reaches_run_config_and_notices_go_to_stderr_without_v(
    args: list[str], refresh: bool
) -> None:
    result = CliRunner().invoke(probe, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"refresh={refresh}\n"
    assert result.stderr == "rate limited by the API; waiting 30 s\n"
