"""The GetSales HTTP client: auth, pagination, typed errors, rate limit and retries.

This is the only module in gsctl that imports httpx. Callers pass full API paths taken from
:mod:`gsctl.api.kinds`; the client knows no resource path except the account endpoints.

Contracts:
- One ``httpx.Client`` per :class:`Client`, safe to share between worker threads; every
  attempt first takes a token from the shared :class:`~gsctl.api.ratelimit.RateLimiter`.
- Non-2xx answers raise typed errors from :mod:`gsctl.errors` (``AuthError`` for 401/403,
  ``NotFoundError`` for 404, ``RateLimitedError`` when 429 retries run out, else ``ApiError``);
  a request that got no answer raises ``TransportError``.
- Retries (at most ``max_retries``): 429 for every method, honouring ``Retry-After`` through
  ``RateLimiter.penalize`` so that all threads back off; a pause longer than
  ``limits.announce_after`` seconds is announced once through ``notify`` (not only with -v).
  GET, PUT and DELETE also retry 500/502/503/504, timeouts and dropped connections with
  capped exponential backoff and full jitter (the contract calls a 500 "safe to retry
  idempotent calls"). Other 4xx are never retried. (The decisions after a failed attempt
  live in :mod:`gsctl.api.retries`, a mixin of the client.)
- POST is not idempotent. It is retried freely only when nothing was sent (connect errors,
  pool timeout) or on 429. When the request may have been processed (read timeout, dropped
  connection after sending, 500/502/503/504), ``find_existing`` decides: an object means the
  create happened and it is returned; ``None`` means it did not and the POST is retried;
  without ``find_existing`` the call raises ``OutcomeUnknownError``. A 422 after such an
  ambiguous attempt also consults ``find_existing`` (the first attempt may have taken the name).
- A DELETE that answers 404 after an ambiguous attempt of the same call has succeeded.
- The API key never appears in a log line, an exception text or a repr; request and response
  bodies are never logged.
"""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from gsctl import errors
from gsctl.api import guard, kinds, wire
from gsctl.api.bounds import ReadLimits, WaitBudget, bad_answer
from gsctl.api.calls import (
    MAYBE_SENT,
    NOT_SENT,
    RETRY_STATUSES,
    Answer,
    Call,
    ClientStats,
    Done,
    FindExisting,
    Retry,
    is_taken,
)
from gsctl.api.paging import PagedReads
from gsctl.api.ratelimit import RateLimiter
from gsctl.api.retries import Retries
from gsctl.model import redact, register_sensitive

PLAIN_PATH = re.compile(r"/?[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]*)*")  # no "//" at the start


class Client(Retries, PagedReads):
    """GetSales API client shared by all workers of one command (see module docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        team_id: int | None,
        *,
        rate_limit: float | None = 300,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        verbose_log: Callable[[str], None] | None = None,
        notify: Callable[[str], None] | None = None,
        user_agent: str | None = None,
        max_connections: int = 16,
        limits: ReadLimits | None = None,
    ) -> None:
        self.base_url = wire.check_base_url(base_url)
        key = wire.check_api_key(api_key)
        self._key = key
        register_sensitive(key)
        self.team_id = team_id
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.limiter = RateLimiter(rate_limit)
        self.stats = ClientStats()
        self._log = verbose_log
        self.limits = limits or ReadLimits()
        self.timeout = timeout
        self._notify = notify
        self._waits = WaitBudget(self.limits.max_wait)
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=wire.request_headers(key, team_id, user_agent),
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=False,
        )
        self._prefix = self._merge_prefix()

    def __repr__(self) -> str:
        return (
            f"Client(base_url={self.base_url!r}, team_id={self.team_id!r}, "
            f"rate_limit={self.limiter.per_minute!r})"
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ----- public calls -------------------------------------------------------------------

    def get_flow_version(self, version_uuid: str) -> dict[str, Any]:
        """One flow version (the active one is the flow's ``flow_version_uuid``), checked."""
        path = kinds.FLOW_VERSION.format(uuid=version_uuid)
        return guard.flow_version(path, self._call("GET", path))

    def get(self, path: str) -> dict[str, Any]:
        return self._object("GET", path, self._call("GET", path))

    def create(
        self, path: str, body: dict[str, Any], *, find_existing: FindExisting | None = None
    ) -> dict[str, Any]:
        """POST ``body``; ``find_existing`` re-lists by natural key after an ambiguous failure.

        An empty answer (204, or 200 without a body) gives ``{}``: the caller finds the new
        object by its natural key."""
        value = self._call("POST", path, body=body, find_existing=find_existing)
        if isinstance(value, dict) and "uuid" not in value and isinstance(value.get("data"), dict):
            value = value["data"]  # CONFLICT in api-notes: one client reads a wrapped create
        return self._object("POST", path, value)

    def update(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT (partial update; idempotent, so retried); ``{}`` if the answer is empty."""
        return self._object("PUT", path, self._call("PUT", path, body=body))

    def delete(self, path: str) -> None:
        """DELETE; any 2xx (with or without a body) is done; a 404 on a retry after an
        ambiguous failure counts as done."""
        self._call("DELETE", path)

    def action(self, path: str) -> dict[str, Any]:
        """PUT with no body (flow start/stop/archive/unarchive); ``{}`` if the answer is empty."""
        return self._object("PUT", path, self._call("PUT", path))

    def read(self, path: str, params: dict[str, str] | None = None) -> Any:
        """One GET, its decoded answer as it came (``gsctl doctor`` checks the shape)."""
        return self._call("GET", path, params=params)

    def query(self, path: str, body: dict[str, Any], *, max_retries: int | None = None) -> Any:
        """A POST that only reads (``x-gsctl-reads-only``: metrics, search); retried like a
        GET and never counted as a write. Returns the decoded answer, whatever its shape."""
        return self._call("POST", path, body=body, reads_only=True, max_retries=max_retries)

    def current_user(self) -> dict[str, Any]:
        return self.get(kinds.CURRENT_USER)

    def teams(self) -> list[dict[str, Any]]:
        return self.list_all(kinds.TEAMS, key="id")

    # ----- the retry loop -----------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        find_existing: FindExisting | None = None,
        reads_only: bool = False,
        max_retries: int | None = None,
    ) -> Any:
        """Send until done: return the decoded body (``{}`` when empty) or raise."""
        call = Call(method, path, params, body, find_existing)
        call.reads_only, call.max_retries = reads_only, max_retries
        while True:
            self.limiter.acquire()
            started = time.perf_counter()
            outcome: Done | Retry | errors.GsctlError
            try:
                response = self._send(call)
            except httpx.HTTPError as exc:
                outcome = self._on_exception(call, exc)
                status = type(exc).__name__
            else:
                outcome = self._on_response(call, response)
                status = str(response.status_code)
            if isinstance(outcome, Done) and self._log is None:
                return outcome.value  # nothing to log: the line is not even formatted
            took = f"{call.method} {self._shown(call)} -> {status} in {wire.elapsed_ms(started)} ms"
            if isinstance(outcome, Done):
                self._emit(took)
                return outcome.value
            if isinstance(outcome, errors.GsctlError):
                self._emit(took)
                raise outcome
            found = self._retry_or_raise(call, outcome, took)
            if found is not None:
                return found

    def _send(self, call: Call) -> Answer:
        with self._lock:
            self.stats.requests += 1
            self.stats.by_method[call.method] = self.stats.by_method.get(call.method, 0) + 1
            if call.method not in ("GET", "HEAD") and not call.reads_only:
                self.stats.writes += 1
        deadline = time.monotonic() + self.timeout
        request = self._request(call)
        response = self._http.send(request, stream=True)
        try:
            return self._read_bounded(call, response, deadline)
        finally:
            response.close()

    # ----- bounded reads (issue 15) -------------------------------------------------------

    def _read_bounded(self, call: Call, response: httpx.Response, deadline: float) -> Answer:
        """The whole answer, or raise: ``ApiError`` when it is larger than
        ``limits.max_body_bytes``, ``httpx.ReadTimeout`` when it is not complete by
        ``deadline`` (the timeout bounds the whole answer, not each read)."""
        cap = self.limits.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(call)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(call)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    f"the answer was not complete within {self.timeout:g} s",
                    request=response.request,
                )
        return Answer(
            response.status_code, response.headers, b"".join(chunks), response.reason_phrase
        )

    def _request(self, call: Call) -> httpx.Request:
        """``call`` as httpx builds it. A plain path (letters, digits, ``/-._~``) is joined to
        the base URL as a string: httpx's own merge parses the URL up to three times, and a plan
        sends hundreds of list pages and one version read per flow."""
        build = self._http.build_request
        if self._prefix is None or not PLAIN_PATH.fullmatch(call.path):
            return build(call.method, call.path, params=call.params, json=call.body)
        url = self._prefix + call.path.lstrip("/")
        if not call.params:
            return build(call.method, url, params=call.params, json=call.body)
        # httpx encodes params with urllib's urlencode too (tests/api: the same URLs).
        return build(call.method, f"{url}?{urllib.parse.urlencode(call.params)}", json=call.body)

    def _merge_prefix(self) -> str | None:
        """What httpx puts before a relative path merged with the base URL
        (``https://host/base/``), or None when the base URL has a query or a fragment."""
        probe = str(self._http.build_request("GET", "p").url)
        if not probe.endswith("/p") or "?" in probe or "#" in probe:
            return None
        return probe[:-1]

    def _too_large(self, call: Call) -> errors.ApiError:
        mb = self.limits.max_body_bytes / (1024 * 1024)
        return bad_answer(
            call.method,
            call.path,
            f"the answer is larger than {mb:g} MB; refusing to read it "
            "(raise the cap with --max-response-mb)",
        )

    def _on_response(self, call: Call, response: Answer) -> Done | Retry | errors.GsctlError:
        """Classify an answer: done, retry, or the error to raise."""
        status = response.status_code
        if 200 <= status < 300:
            try:
                return Done(self._decode(call, response))
            except errors.ApiError as exc:
                return exc
        error = self._api_error(call, response)
        if status == 429:
            with self._lock:
                self.stats.rate_limited += 1
            return Retry(
                f"429 {error.reason}",
                error,
                wait=wire.retry_after(response.headers.get("Retry-After")),
                penalize=True,
            )
        if status in RETRY_STATUSES:
            return Retry(f"{status} {error.reason}", error, ambiguous=True)
        if call.ambiguous and call.method == "DELETE" and status == 404:
            return Done(None)  # the earlier attempt deleted it
        taken = call.ambiguous or is_taken(error)
        if call.method == "POST" and status == 422 and call.find_existing and taken:
            found = self._find_existing(call, error)
            if found is not None:
                self._emit(f"{call.method} {call.path}: {error.reason}; found by natural key")
                return Done(found)
        return error

    def _on_exception(self, call: Call, exc: httpx.HTTPError) -> Retry | errors.GsctlError:
        """Classify a request that got no answer: retry, or the error to raise."""
        reason = self._scrub(f"{type(exc).__name__}: {exc}".rstrip(": "))
        error = errors.TransportError(
            f"{call.method} {call.path}: no answer from the API ({reason})"
        )
        if isinstance(exc, NOT_SENT):
            return Retry(reason, error)
        if isinstance(exc, MAYBE_SENT):
            return Retry(reason, error, ambiguous=True)
        return error

    # ----- helpers ------------------------------------------------------------------------

    def _decode(self, call: Call, response: Answer) -> Any:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise errors.UnexpectedAnswerError(
                call.method, call.path, "", "a JSON body", "text that is not JSON"
            ) from None

    def _api_error(self, call: Call, response: Answer) -> errors.ApiError:
        status = response.status_code
        reason, message, data = wire.parse_error(
            response.status_code, response.text, response.reason_phrase
        )
        cls = {
            401: errors.AuthError,
            403: errors.AuthError,
            404: errors.NotFoundError,
            429: errors.RateLimitedError,
        }.get(status, errors.ApiError)
        fields = {self._scrub(k): [self._scrub(m) for m in v] for k, v in data.items()}
        return cls(
            status,
            self._scrub(reason),
            self._scrub(message),
            method=call.method,
            path=call.path,
            field_errors=fields,
        )

    def _object(self, method: str, path: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise guard.mismatch(method, path, "", "a JSON object", value)
        return value

    def _shown(self, call: Call) -> str:
        """The path as logged: with the query string, never a body."""
        if not call.params:
            return call.path
        return f"{call.path}?{httpx.QueryParams(call.params)}"

    def _scrub(self, text: str) -> str:
        """``text`` with the API key, every registered secret and URL passwords masked."""
        return redact(text.replace(self._key, "(redacted)") if self._key else text)

    def _emit(self, line: str) -> None:
        if self._log is not None:
            self._log(self._scrub(line))
