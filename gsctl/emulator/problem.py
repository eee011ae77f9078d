"""Error answers of the emulator: one exception type and the contract's error envelope.

Every non-2xx answer is ``{"error": {"reason", "message", "data"}, "message", "code"}``.
``data`` maps a dotted field path (``schedule.timezone``, ``nodes.0.type``) to messages for
422 answers and is ``{}`` otherwise. Messages never echo a request value (it may be a secret).
"""

from __future__ import annotations

from typing import Any

FieldErrors = dict[str, list[str]]

REASONS: dict[int, str] = {
    400: "bad_request",
    401: "auth_exception",
    402: "payment_required",
    403: "access_denied",
    404: "not_found",
    405: "bad_request",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
    502: "server_error",
}


class Problem(Exception):
    """An HTTP error answer; raised anywhere in a request, rendered once by the app."""

    def __init__(
        self,
        status: int,
        message: str,
        data: FieldErrors | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = REASONS.get(status, "server_error")
        self.message = message
        self.data: FieldErrors = data or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return envelope(self.status, self.reason, self.message, self.data)


def envelope(
    status: int, reason: str, message: str, data: FieldErrors | None = None
) -> dict[str, Any]:
    """The contract's Error object."""
    return {
        "error": {"reason": reason, "message": message, "data": data or {}},
        "message": message,
        "code": status,
    }


def invalid(data: FieldErrors, message: str = "The given data was invalid.") -> Problem:
    """A 422 naming the fields at fault."""
    return Problem(422, message, data)


def not_found(what: str = "object") -> Problem:
    return Problem(404, f"No such {what} in this team.")
