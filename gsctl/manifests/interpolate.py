"""``${env:NAME}`` and ``${var:NAME}`` in manifest strings.

Syntax, inside any string value of an item's fields (mapping keys, ``renamed_from``,
``ignore_changes`` and ``settings`` are never interpolated):

- ``${env:NAME}``: the environment variable NAME. A string that uses one becomes a
  :class:`~gsctl.model.Secret` as a whole, so it is never printed (plans show
  ``(sensitive)``). Unset: an error when ``strict_env`` (plan, apply), else a warning
  (validate) and the string is left as written; either way with a did-you-mean among the
  names of the set variables (never their values).
- ``${var:NAME}``: ``settings.vars`` for the team: the team's own section overrides
  ``default``. Values are inserted as text (``true``/``false`` for booleans); a value may
  itself use ``${var:OTHER}``, and a cycle (``a`` uses ``b`` uses ``a``) is an error.
- ``$${`` is a literal ``${``. Any other ``${...}`` is an error.

NAME is ``[A-Za-z_][A-Za-z0-9_]*``. Results are always strings.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gsctl import errors
from gsctl.model import Secret, Settings, register_sensitive

Path = tuple[Any, ...]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_REF = re.compile(r"(env|var):([A-Za-z_][A-Za-z0-9_]*)")
_VAR_REF = re.compile(r"\$\{var:([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_VAR_DEPTH = 20


class VarCycleError(Exception):
    """``${var:}`` values that refer to each other in a loop (``chain`` ends where it began)."""

    def __init__(self, chain: tuple[str, ...]) -> None:
        super().__init__(" -> ".join(chain))
        self.chain = chain


_HELP = "use ${env:NAME} or ${var:NAME}, or $${ for a literal ${"


@dataclass(frozen=True)
class Scope:
    """The variables one team sees (``team`` None: only ``settings.vars.default``)."""

    team: str | None
    values: Mapping[str, Any]

    @property
    def sections(self) -> tuple[str, ...]:
        return ("default",) if self.team is None else ("default", self.team)


@dataclass
class Context:
    env: Mapping[str, str]
    values: Mapping[str, Any]  # the vars used to resolve ${var:...}; missing: left as written
    scopes: Sequence[Scope]  # every ${var:NAME} must be defined in each of these
    strict_env: bool = True


@dataclass
class Result:
    """Interpolated value plus ``(path, severity, message)`` problems and the paths whose
    value changed and is fully resolved (worth re-checking against the schema)."""

    value: Any
    problems: list[tuple[Path, str, str]] = field(default_factory=list)
    resolved: set[Path] = field(default_factory=set)


def is_env_reference(text: str) -> bool:
    """True when ``text`` is exactly one ``${env:NAME}`` reference."""
    match = _TOKEN.fullmatch(text)
    inner = match.group(1) if match else None
    return inner is not None and inner.startswith("env:") and bool(_REF.fullmatch(inner))


def interpolate(value: Any, ctx: Context, path: Path = ()) -> Result:
    """Interpolate every string in ``value`` (dicts and lists walked; keys left alone)."""
    result = Result(value)
    result.value = _walk(value, ctx, path, result)
    return result


def _walk(value: Any, ctx: Context, path: Path, result: Result) -> Any:
    if isinstance(value, dict):
        return {k: _child(v, ctx, path, k, result) for k, v in value.items()}
    if isinstance(value, list):
        return [_child(v, ctx, path, i, result) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _string(value, ctx, path, result)
    return value


def _child(value: Any, ctx: Context, path: Path, step: Any, result: Result) -> Any:
    """``_walk`` of ``value`` at ``(*path, step)``; plain leaves need no path (most do)."""
    if isinstance(value, dict | list) or (isinstance(value, str) and "${" in value):
        return _walk(value, ctx, (*path, step), result)
    return value


def _string(text: str, ctx: Context, path: Path, result: Result) -> Any:
    parts: list[str] = []
    uses_env, complete = False, True
    pos = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "$${":
            parts.append("${")
            continue
        ref = _REF.fullmatch(match.group(1) or "") if token != "${" else None
        if ref is None:
            result.problems.append((path, "error", _syntax_message(token)))
            complete = False
            continue
        source, name = ref.groups()
        uses_env = uses_env or source == "env"
        got = _env(name, ctx, path, result) if source == "env" else _var(name, ctx, path, result)
        complete = complete and got is not None
        parts.append(got if got is not None else token)
    parts.append(text[pos:])
    out = "".join(parts) if complete else text
    if complete:
        result.resolved.add(path)
        if uses_env:
            register_sensitive(out)  # the whole value, as sent: masked in every output
    return Secret(out) if uses_env else out


def _syntax_message(token: str) -> str:
    if token == "${":
        return f"unclosed '${{': {_HELP}"
    return f"invalid reference '{token}': {_HELP}"


def _env(name: str, ctx: Context, path: Path, result: Result) -> str | None:
    if name in ctx.env:
        register_sensitive(ctx.env[name])  # masked in every output from now on
        return ctx.env[name]
    hint = did_you_mean(name, ctx.env)
    if ctx.strict_env:
        result.problems.append((path, "error", f"environment variable {name} is not set{hint}"))
    else:
        msg = f"environment variable {name} is not set{hint} (plan and apply will fail)"
        result.problems.append((path, "warning", msg))
    return None


def did_you_mean(name: str, env: Mapping[str, str]) -> str:
    """`` (did you mean OTHER?)`` for the set variable whose name is closest to ``name``
    (names only: a value is never looked at), or ``""``."""
    names = [n for n in env if _REF.fullmatch(f"env:{n}")]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)
    if not close:
        folded = [n for n in names if n.casefold() == name.casefold()]
        close = folded[:1]
    return f" (did you mean {close[0]}?)" if close else ""


def _var(name: str, ctx: Context, path: Path, result: Result) -> str | None:
    missing = [s for s in ctx.scopes if name not in s.values]
    if missing:
        teams = [f'"{s.team}"' for s in missing if s.team is not None]
        where = f" for team{'s' if len(teams) > 1 else ''} {', '.join(teams)}" if teams else ""
        sections = sorted({f"settings.vars.{sec}" for s in missing for sec in s.sections})
        msg = f"unknown variable ${{var:{name}}}{where}: define it in {' or '.join(sections)}"
        result.problems.append((path, "error", msg))
    if name not in ctx.values:
        return None
    try:
        return expand_var(name, ctx.values)
    except VarCycleError as exc:
        chain = " -> ".join(f"${{var:{n}}}" for n in exc.chain)
        result.problems.append((path, "error", f"variables refer to each other in a loop: {chain}"))
        return None


def expand_var(name: str, values: Mapping[str, Any], stack: tuple[str, ...] = ()) -> str:
    """The text of ``${var:NAME}`` with the ``${var:...}`` inside it expanded (unknown ones
    stay as written); raises :class:`VarCycleError` on a loop."""
    if name in stack or len(stack) > MAX_VAR_DEPTH:
        raise VarCycleError((*stack, name))
    value = values[name]
    text = value if isinstance(value, str) else json.dumps(value)
    if "${var:" not in text:
        return text

    def inner(match: re.Match[str]) -> str:
        return expand_var(match[1], values, (*stack, name)) if match[1] in values else match[0]

    return _VAR_REF.sub(inner, text)


def context_for(
    settings: Settings,
    team: str | int | None,
    env: Mapping[str, str],
    *,
    strict_env: bool,
    all_teams: bool = False,
) -> Context:
    """The interpolation context for ``team``: a ``settings.teams`` name or a numeric id (all
    the names mapped to it apply), or None for ``settings.vars.default`` alone. With
    ``all_teams`` (validate), values come from ``default`` and every ``${var:NAME}`` must be
    defined for every team. Raises :class:`~gsctl.errors.UsageError` for an unknown name."""
    default = _section(settings, "default")
    if all_teams:
        scopes = [Scope(t, {**default, **_section(settings, t)}) for t in settings.teams]
        return Context(env, default, scopes or [Scope(None, default)], strict_env)
    names = team_names(settings, team)
    values = dict(default)
    for name in names:
        values.update(_section(settings, name))
    scope = Scope(names[0], values) if names else Scope(None, default)
    return Context(env, values, [scope], strict_env)


def _section(settings: Settings, name: str) -> dict[str, Any]:
    value = settings.vars.get(name)
    return value if isinstance(value, dict) else {}


def team_names(settings: Settings, team: str | int | None) -> list[str]:
    """The ``settings.teams`` names of ``team`` (a name, or an id as int or digits); [] when
    None or when no name maps to the id. Raises :class:`~gsctl.errors.UsageError` for a
    name that is not in ``settings.teams``."""
    if team is None:
        return []
    if isinstance(team, str) and team in settings.teams:
        return [team]
    if isinstance(team, str) and not team.isdigit():
        known = ", ".join(settings.teams) or "none"
        raise errors.UsageError(f"unknown team '{team}' (settings.teams: {known})")
    return [name for name, tid in settings.teams.items() if tid == int(team)]
