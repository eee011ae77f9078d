"""Error types and the one exit-code table.

Library code raises these; only :mod:`gsctl.cli` turns them into a message and an exit code.
No error's text ever contains the API key or a secret value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``): names from manifests
    or the API must not forge output lines or send terminal escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class ExitCode(IntEnum):
    """Exit codes of every gsctl command (documented in the README)."""

    OK = 0  # success; with plan --detailed-exitcode: no changes
    ERROR = 1  # bad input, API or network error, bad credentials
    CHANGES = 2  # plan --detailed-exitcode: there are changes; diff: the sides differ
    UNSAFE = 3  # refused by a safety gate
    STALE = 4  # saved plan is stale: live state changed since it was made
    PARTIAL = 5  # partial apply: some changes failed or were not run


class GsctlError(Exception):
    """Base of every error gsctl reports to the user."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GsctlError):
    """Bad flags, bad settings or an unusable combination of options."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One located problem in a manifest: ``path:LINE:COL: kind "name": message``."""

    path: str
    line: int
    column: int
    message: str
    kind: str = ""
    name: str = ""
    severity: str = "error"  # or "warning"
    parse: bool = field(default=False, compare=False)  # the file could not be read as YAML

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}: "
        what = f'{self.kind} "{printable(self.name)}": ' if self.kind else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{what}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "kind": self.kind or None,
            "name": self.name or None,
            "message": self.message,
            "severity": self.severity,
        }


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Parse errors first (the likely cause of the rest), then by file, line and column."""
    return sorted(set(diagnostics), key=lambda d: (not d.parse, d))


class ManifestError(GsctlError):
    """One or more located problems in the manifests (all of them: files that could not be
    read as YAML first, then the rest, each group sorted)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = ordered(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ApiError(GsctlError):
    """A non-2xx answer from the API, from its error envelope."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        method: str = "",
        path: str = "",
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.api_message = message
        self.method = method
        self.path = path
        self.field_errors = field_errors or {}
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(self.field_errors.items()))
        text = f"{method} {path}: {status} {reason}: {message}".strip()
        super().__init__(f"{text} ({detail})" if detail else text)


class AuthError(ApiError):
    """401/403: the key is unknown or may not act on this team."""


class NotFoundError(ApiError):
    """404: no such object in this team."""


class RateLimitedError(ApiError):
    """429 after every retry was spent."""


class TransportError(GsctlError):
    """The request did not get an answer: timeout, refused or dropped connection."""


class OutcomeUnknownError(GsctlError):
    """A write was sent but its outcome is unknown (timeout or 5xx after sending)."""


class DuplicatesError(GsctlError):
    """Live objects share a natural key: gsctl cannot tell which one the manifests mean."""


class UnsafePlanError(GsctlError):
    """A safety gate refused the plan."""

    exit_code = ExitCode.UNSAFE


class StalePlanError(GsctlError):
    """The saved plan was made against a live state that has changed since."""

    exit_code = ExitCode.STALE


class UnexpectedAnswerError(ApiError):
    """A 2xx answer gsctl cannot read safely (the contract guard): nothing is planned or
    written from it. The message names the endpoint, the field, what was expected and what
    came (a type, never the value)."""

    def __init__(self, method: str, path: str, field: str, expected: str, got: str) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        super().__init__(0, "unexpected_answer", "", method=method, path=path)
        where = f"{field}: " if field else ""
        self.message = f"{method} {path}: unexpected answer: {where}expected {expected}, got {got}"


class Interrupted(GsctlError):
    """Ctrl-C: exit 1 when no write was sent yet, else 5 (the workspace may have changed)."""

    def __init__(self, wrote: bool) -> None:
        if wrote:
            super().__init__(
                "interrupted; some changes may have been applied: run gsctl plan to see"
            )
            self.exit_code = ExitCode.PARTIAL
        else:
            super().__init__("interrupted; nothing was changed")
