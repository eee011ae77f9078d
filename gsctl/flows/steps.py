"""The friendly step list: a flow's ``steps:`` compiled to ``nodes``. Pure, no I/O.

A flow may write ``steps:`` instead of ``nodes:`` for the common straight sequence. Each
step is a bare name (a step without settings) or a one-key mapping ``name: {settings}``;
:data:`STEPS` is the table of names, node types and settings. ``wait: {days, hours,
minutes}`` makes no node: it adds to the ``delay_in_seconds`` of the next step (waits in a
row add up; a trailing wait is an error).

Compiled shape: an ``end`` node with id 1, then one node per step with ids 2, 3, ... in
order, each with one edge ``{node_id: next, branch_id: 1}``, the last pointing at 1. Contact
sources are kept as written, except that a missing (or null) ``after_id`` becomes 2, the
first step. Payload references stay names (``tag``, ``ai_template``, ...), as in ``nodes``;
:mod:`gsctl.flows.refs` resolves them later like any other node.

:func:`compile_flow` never raises on malformed input: it returns problems located by path
within the flow item (``("steps", 3, "message")``), and :attr:`Compiled.origins` maps every
compiled value's path (``("nodes", 4, "payload", "template")``) to the step value it came
from (``("steps", 3, "message", "text")``) so that later errors about nodes point at the
step (:func:`source_path`). Value types (text is a string, ...) are the JSON Schema's job
and reference names are checked on the compiled nodes, as for ``nodes``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gsctl.flows.refs import END, MAX_DELAY_SECONDS, is_int

Path = tuple[Any, ...]
Problem = tuple[Path, str]

END_ID = 1
FIRST_ID = 2  # the first step's node id, the default contact source after_id
WAIT = "wait"
WAIT_UNITS: dict[str, int] = {"days": 86400, "hours": 3600, "minutes": 60}  # seconds each


@dataclass(frozen=True)
class Step:
    """One step name: its node type and settings (step setting -> payload field)."""

    node_type: str
    settings: Mapping[str, str] = field(default_factory=dict)
    choice: tuple[str, ...] = ()  # settings of which at most one may be given
    required: bool = False  # True: exactly one of ``choice`` must be given

    @property
    def bare(self) -> bool:
        """Whether the step may be written as a bare name (no settings needed)."""
        return not self.required


def _text(node_type: str, *, subject: bool = False) -> Step:
    """A message step: ``text`` (payload ``template``) or an ``ai_template``."""
    settings = {"subject": "subject"} if subject else {}
    settings.update(text="template", ai_template="ai_template")
    return Step(node_type, settings, ("text", "ai_template"), required=True)


def _ref(node_type: str, setting: str) -> Step:
    """A step with one required reference by name (the payload field has the same name)."""
    return Step(node_type, {setting: setting}, (setting,), required=True)


STEPS: dict[str, Step] = {
    "visit_profile": Step("linkedin_visit_profile"),
    "connect": Step(
        "linkedin_send_connection_request",
        {"note": "template", "ai_template": "ai_template"},
        ("note", "ai_template"),
    ),
    "message": _text("linkedin_send_message"),
    "inmail": _text("linkedin_send_inmail", subject=True),
    "email": _text("email_send_message", subject=True),
    "like_post": Step("linkedin_like_latest_post"),
    "endorse_skills": Step("linkedin_endorse_skills"),
    "add_tag": _ref("gs_add_tag", "tag"),
    "remove_tag": _ref("gs_remove_tag", "tag"),
    "change_stage": _ref("gs_change_pipeline_stage", "pipeline_stage"),
    "add_to_list": _ref("gs_change_list", "list"),
    "send_to_flow": _ref("gs_send_to_flow", "flow"),
    "webhook": _ref("gs_trigger_custom_webhook", "webhook"),
}
NAMES: tuple[str, ...] = (*STEPS, WAIT)
# Manifest fields that compile away (read with the kind's fields, then replaced), by kind.
SUGAR: dict[str, tuple[str, ...]] = {"flow": ("steps",)}


@dataclass
class Compiled:
    """What :func:`compile_flow` made of a flow's ``steps``.

    ``fields``: the flow fields to set (``nodes``, and ``contact_sources`` when the flow has
    them), empty when there is any problem. ``origins``: path of a compiled value within
    the flow -> path of the step value it came from (empty when there is any problem).
    """

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    origins: dict[Path, Path] = field(default_factory=dict)


def compile_flow(steps: Any, flow: Mapping[str, Any]) -> Compiled:
    """Compile a flow's ``steps`` value; ``flow`` holds its other fields (``nodes``,
    ``contact_sources``). ``steps`` together with ``nodes``, an empty list, an unknown step
    name (with a did-you-mean), malformed settings or a trailing wait give problems and no
    fields."""
    out = Compiled()
    if "nodes" in flow:
        out.problems.append((("steps",), "write either steps or nodes, not both"))
    elif not isinstance(steps, list):
        out.problems.append((("steps",), "steps must be a list of steps"))
    elif not steps:
        out.problems.append((("steps",), "a flow needs at least one step"))
    else:
        nodes = _compile(steps, out)
        if not out.problems:
            out.fields["nodes"] = nodes
            if "contact_sources" in flow:
                out.fields["contact_sources"] = _sources(flow["contact_sources"])
    if out.problems:
        out.fields, out.origins = {}, {}
    return out


def source_path(path: Path, origins: Mapping[Path, Path]) -> Path:
    """``path`` with its longest prefix found in ``origins`` replaced by the step path it
    maps to; ``path`` itself when no prefix is there."""
    if not origins:
        return path
    for n in range(len(path), 0, -1):
        if path[:n] in origins:
            return (*origins[path[:n]], *path[n:])
    return path


def _sources(sources: Any) -> Any:
    """Contact sources with a missing or null ``after_id`` set to the first step."""
    if not isinstance(sources, list):
        return sources
    return [
        {**s, "after_id": FIRST_ID} if isinstance(s, dict) and s.get("after_id") is None else s
        for s in sources
    ]


def _compile(steps: list[Any], out: Compiled) -> list[dict[str, Any]]:
    """The nodes for a non-empty step list; problems and origins recorded in ``out``."""
    nodes: list[dict[str, Any]] = [{"id": END_ID, "type": END}]
    out.origins[("nodes",)] = ("steps",)
    out.origins[("nodes", 0)] = ("steps",)
    delay, first_wait = 0, None  # pending wait, and where the first of them was written
    for j, raw in enumerate(steps):
        parsed = _parse(j, raw, out)
        if parsed is None:
            continue
        name, settings, where = parsed
        if name == WAIT:
            delay += _wait_seconds(where, settings, out)
            first_wait = where if first_wait is None else first_wait
            continue
        i = len(nodes)
        node = _node(i, where, name, settings, out)
        if first_wait is not None:
            if delay:
                node["delay_in_seconds"] = delay
            out.origins[("nodes", i, "delay_in_seconds")] = first_wait
        node["after"] = [{"node_id": node["id"] + 1, "branch_id": 1}]
        nodes.append(node)
        delay, first_wait = 0, None
    if first_wait is not None:
        msg = "a wait must be followed by a step: a trailing wait has nothing to delay"
        out.problems.append((first_wait[:2], msg))
    if len(nodes) > 1:
        nodes[-1]["after"] = [{"node_id": END_ID, "branch_id": 1}]
    return nodes


def _parse(j: int, raw: Any, out: Compiled) -> tuple[str, Any, Path] | None:
    """``(name, settings or None, path of the settings)`` of a known step (the step's own
    path for a bare name), or None after recording a problem."""
    where: Path = ("steps", j)
    if isinstance(raw, str):
        name, settings = raw, None
    elif isinstance(raw, dict) and len(raw) == 1:
        ((name, settings),) = raw.items()
    elif isinstance(raw, dict):
        keys = ", ".join(str(k) for k in raw) or "none"
        msg = "a step mapping has exactly one key, the step name, with its settings indented"
        out.problems.append((where, f"{msg} under it (got keys: {keys})"))
        return None
    else:
        msg = "a step is a name (visit_profile) or a mapping name: {settings}"
        out.problems.append((where, f"{msg} (message: {{text: ...}})"))
        return None
    if name not in NAMES:
        out.problems.append((where, _unknown(str(name), "step", NAMES)))
        return None
    return name, settings, where if isinstance(raw, str) else (*where, name)


def _node(i: int, where: Path, name: str, settings: Any, out: Compiled) -> dict[str, Any]:
    """The node at ``nodes[i]`` for a known step other than wait, its settings at ``where``."""
    step = STEPS[name]
    out.origins[("nodes", i)] = where[:2]
    out.origins[("nodes", i, "payload")] = where
    node: dict[str, Any] = {"id": i + 1, "type": step.node_type}
    payload = _payload(name, step, settings, where, out)
    for setting in payload:
        out.origins[("nodes", i, "payload", step.settings[setting])] = (*where, setting)
    if payload:
        node["payload"] = {step.settings[k]: v for k, v in payload.items()}
    return node


def _payload(name: str, step: Step, settings: Any, where: Path, out: Compiled) -> dict[str, Any]:
    """The settings of one step, checked against its table entry (by setting name)."""
    if settings is None or (settings == {} and not step.settings):
        settings = {}
    elif not step.settings:
        out.problems.append((where, f"{name} has no settings: write it as a bare name"))
        return {}
    elif not isinstance(settings, dict):
        example = f"{name}: {{{step.choice[0]}: ...}}"
        out.problems.append((where, f"the settings of {name} must be a mapping: {example}"))
        return {}
    for key in settings:
        if key not in step.settings:
            msg = _unknown(str(key), f"{name} setting", step.settings)
            out.problems.append(((*where, key), msg))
    given = [c for c in step.choice if c in settings]
    if len(given) > 1:
        out.problems.append((where, f"write either {' or '.join(given)}, not both"))
    elif step.required and not given:
        need = " or ".join(step.choice)
        out.problems.append((where, f"{name} needs {need}: {name}: {{{step.choice[0]}: ...}}"))
    return {k: v for k, v in settings.items() if k in step.settings}


def _wait_seconds(where: Path, settings: Any, out: Compiled) -> int:
    units = ", ".join(WAIT_UNITS)
    if not isinstance(settings, dict) or not settings:
        out.problems.append((where, f"wait needs at least one of {units}: wait: {{days: 2}}"))
        return 0
    total = 0
    for key, value in settings.items():
        if key not in WAIT_UNITS:
            out.problems.append(((*where, key), _unknown(str(key), "wait unit", WAIT_UNITS)))
        elif not (is_int(value) and value >= 0):
            out.problems.append(((*where, key), f"{key} must be an integer >= 0"))
        elif value * WAIT_UNITS[key] > MAX_DELAY_SECONDS:
            most = MAX_DELAY_SECONDS // WAIT_UNITS[key]
            out.problems.append(((*where, key), f"{key} must be at most {most} (365 days)"))
        else:
            total += value * WAIT_UNITS[key]
    if total > MAX_DELAY_SECONDS:
        out.problems.append((where, "a wait must be at most 365 days in total"))
        return 0
    return total


def _unknown(name: str, what: str, known: Any) -> str:
    msg = f"unknown {what} '{name}'"
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f"{msg} (did you mean '{close[0]}'?)"
    return f"{msg}; expected one of: {', '.join(known)}"
