"""Pure helpers of the HTTP client: URL safety, ``Retry-After``, the error envelope, paging.

No I/O and no httpx here (``client.py`` is the only httpx user): these take plain values,
so they are easy to test on their own.
"""

from __future__ import annotations

import email.utils
import importlib
import importlib.metadata
import ipaddress
import json
import time
import urllib.parse
from typing import Any

from gsctl import errors
from gsctl.api import kinds
from gsctl.model import redact


def version() -> str:
    """gsctl's version, for the User-Agent header."""
    found = getattr(importlib.import_module("gsctl"), "__version__", None)
    if isinstance(found, str):
        return found
    try:
        return importlib.metadata.version("gsctl")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1).

    Other names (``foo.localhost``) are not trusted: they may be resolved by DNS."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash, or raise ``UsageError`` if it is unsafe:
    not http(s), no host, credentials in it, or plain http to a host that is not loopback."""
    try:
        parts = urllib.parse.urlsplit(base_url.strip())
        host = parts.hostname
        has_credentials = parts.username is not None or parts.password is not None
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        raise errors.UsageError(redact(f"invalid API URL: {exc}")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        shown = redact(base_url)
        raise errors.UsageError(f"invalid API URL {shown!r}: expected https://HOST")
    if has_credentials:
        raise errors.UsageError("the API URL must not contain credentials")
    if scheme == "http" and not is_loopback(host):
        raise errors.UsageError(
            f"refusing to send the API key over plain http to {host}: use https "
            "(http is allowed only for loopback hosts)"
        )
    return base_url.strip().rstrip("/")


def check_api_key(api_key: str) -> str:
    """The API key without surrounding blanks; a missing key, or one with whitespace or control
    characters inside (it could never be sent as a header), is a ``UsageError``."""
    key = (api_key or "").strip()
    if not key:
        raise errors.UsageError("no API key given")
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise errors.UsageError("the API key contains whitespace or control characters")
    return key


def request_headers(key: str, team_id: int | None, user_agent: str | None) -> dict[str, str]:
    """The headers of every request: the key as a bearer token, JSON both ways, the user agent
    and, when a team is chosen, ``Team-ID``."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": user_agent or f"gsctl/{version()}",
    }
    if team_id is not None:
        headers["Team-ID"] = str(int(team_id))
    return headers


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def has_more(page: dict[str, Any], fetched: int, page_len: int) -> bool:
    """Whether a list has more pages: ``has_more``, else ``total``, else a full page."""
    flag = page.get("has_more")
    if isinstance(flag, bool):
        return flag
    total = page.get("total")
    if isinstance(total, int):
        return fetched < total
    return page_len >= kinds.MAX_PAGE


def parse_error(
    status: int, text: str, reason_phrase: str
) -> tuple[str, str, dict[str, list[str]]]:
    """(reason, message, field errors) from the Error envelope, tolerating any body."""
    reason, message, data = f"http_{status}", "", {}
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            reason = str(err.get("reason") or reason)
            message = str(err.get("message") or "")
            data = field_errors(err.get("data"))
        message = message or str(body.get("message") or "")
    elif body is None:
        stripped = text.strip()
        if stripped and not stripped.startswith("<"):
            message = stripped.splitlines()[0][:200]
    return reason, message or reason_phrase or "no message", data


def field_errors(data: Any) -> dict[str, list[str]]:
    if not isinstance(data, dict):
        return {}
    out: dict[str, list[str]] = {}
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        out[str(key)] = [str(v) for v in items]
    return out


def elapsed_ms(started: float) -> int:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` value)."""
    return round((time.perf_counter() - started) * 1000)
