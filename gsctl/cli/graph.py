"""``gsctl graph FLOW``: one flow as a Mermaid or Graphviz DOT diagram. A thin adapter."""

from __future__ import annotations

from typing import Any

import click

from gsctl.cli.connect import connect
from gsctl.cli.options import api_options, run_config
from gsctl.cli.output import Output, handle_errors
from gsctl.errors import UsageError
from gsctl.model import Desired, Resource
from gsctl.reconcile import workflow
from gsctl.render import mermaid


@click.command()
@click.argument("flow")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid flowchart or Graphviz DOT.",
)
@click.option("--live", is_flag=True, help="Draw the flow as it is in the live workspace.")
@click.option(
    "--diff", is_flag=True, help="Colour what a plan would change (added, removed, changed)."
)
@api_options
@handle_errors
def graph(flow: str, paths: tuple[str, ...], fmt: str, live: bool, diff: bool, **opts: Any) -> None:
    """Print the diagram of flow FLOW, from the manifests in PATHS (default: .)."""
    cfg = run_config(paths, opts)
    output = Output(opts["no_color"])
    desired, team_id = workflow.load(cfg, strict_env=live or diff)
    for warning in desired.warnings:
        output.err(str(warning))
    declared = _declared(desired, flow)
    if declared is None and not (live and not diff):
        raise UsageError(_unknown(flow, desired))
    if not (live or diff) and declared is not None:
        diagram = _draw(declared)
    else:
        with connect(cfg, team_id) as client:
            diagram = _from_workspace(cfg, client, desired, team_id, declared, flow, diff)
    output.out(mermaid.to_dot(diagram) if fmt == "dot" else mermaid.to_mermaid(diagram))


def _from_workspace(
    cfg: Any,
    client: Any,
    desired: Desired,
    team_id: int | None,
    declared: Resource | None,
    flow: str,
    diff: bool,
) -> mermaid.Diagram:
    """The live flow, or (``diff``) the declared one coloured by what a plan would change."""
    if diff and declared is not None:
        plan = workflow.flow_plan(cfg, client, desired, team_id, declared.name)
        return _diff(plan) or _draw(declared)
    found = workflow.live_flow(cfg, client, desired, declared.name if declared else flow)
    if found is None:
        raise UsageError(f"no flow named {flow!r} in the live workspace")
    return _draw(found)


def _declared(desired: Desired, name: str) -> Resource | None:
    flows = desired.by_kind("flow")
    exact = next((r for r in flows if r.name == name), None)
    return exact or next((r for r in flows if r.name.casefold() == name.casefold()), None)


def _unknown(name: str, desired: Desired) -> str:
    known = ", ".join(sorted(r.name for r in desired.by_kind("flow"))) or "none"
    return f"no flow named {name!r} in the manifests (flows: {known})"


def _draw(res: Resource) -> mermaid.Diagram:
    return mermaid.flow_diagram(
        res.name, res.fields.get("nodes"), res.fields.get("contact_sources")
    )


def _diff(plan: Any) -> mermaid.Diagram | None:
    """The coloured diagram of the plan's flow change; None when its steps do not change."""
    change = next((c for c in plan.changes if c.kind == "flow"), None)
    return mermaid.change_diagram(change) if change is not None else None
