"""API keys and the contract's authentication order.

A key spec is ``KEY`` (any team; team 1 when no ``Team-ID`` is sent) or ``KEY:7430,7431``
(bound to those teams; the first is the default). Keys are held only as SHA-256 digests and
named in logs as ``key1``, ``key2``... by position, never by value.

Order of checks (contract ``info.description``): missing or malformed ``Authorization`` or a
malformed ``Team-ID`` -> 400; unknown key -> 401; no ``Team-ID`` and several teams -> 400;
``Team-ID`` not among the key's teams -> 403. Header names are case-insensitive.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gsctl.emulator.problem import Problem

DEFAULT_API_KEY = "gsctl-local-key"
DEFAULT_TEAM = 1
_TEAMS = re.compile(r"^[0-9]+(,[0-9]+)*$")
_TEAM_ID = re.compile(r"^[0-9]{1,18}$")


@dataclass(frozen=True)
class KeyInfo:
    """What the emulator knows about one key (never the key itself)."""

    key_id: str  # "key1", ... for logs and rate-limit buckets
    teams: tuple[int, ...]  # () = any team
    user_id: int


@dataclass(frozen=True)
class Caller:
    """An authenticated request: its key and the team it acts on."""

    key: KeyInfo
    team_id: int


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key_spec(spec: str) -> tuple[str, tuple[int, ...]]:
    """``KEY`` or ``KEY:1,2`` -> (key, teams). Raises ValueError without echoing the key."""
    key, sep, teams = spec.rpartition(":")
    if not sep or not _TEAMS.match(teams):
        key, teams = spec, ""
    if not key.strip():
        raise ValueError("an API key must not be empty")
    ids = tuple(int(t) for t in teams.split(",")) if teams else ()
    if any(t < 1 for t in ids):
        raise ValueError("team ids must be positive integers")
    return key, ids


class KeyRing:
    """The keys the emulator accepts."""

    def __init__(self, specs: Sequence[str] | None = None) -> None:
        self._keys: dict[str, KeyInfo] = {}
        for i, spec in enumerate(specs if specs is not None else [DEFAULT_API_KEY], 1):
            key, teams = parse_key_spec(spec)
            self._keys[_digest(key)] = KeyInfo(key_id=f"key{i}", teams=teams, user_id=i)
        self.has_default = _digest(DEFAULT_API_KEY) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def authenticate(self, headers: Mapping[str, str]) -> Caller:
        """The caller of a request, or a :class:`Problem` (400, 401 or 403)."""
        auth = headers.get("authorization")
        if auth is None or not auth.strip():
            raise Problem(400, "The Authorization header is missing.")
        scheme, _, token = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(400, "The Authorization header must be 'Bearer <api key>'.")
        raw_team = headers.get("team-id")
        team: int | None = None
        if raw_team is not None:
            if not _TEAM_ID.match(raw_team.strip()) or int(raw_team) < 1:
                raise Problem(400, "The Team-ID header must be a positive integer.")
            team = int(raw_team)
        info = self._keys.get(_digest(token.strip()))
        if info is None:
            raise Problem(401, "The API key is invalid or expired.")
        if team is None:
            if len(info.teams) > 1:
                raise Problem(400, "This API key has several teams: send a Team-ID header.")
            team = info.teams[0] if info.teams else DEFAULT_TEAM
        elif info.teams and team not in info.teams:
            raise Problem(403, "This API key may not act on that team.")
        return Caller(key=info, team_id=team)

    def teams_of(self, caller: Caller) -> tuple[int, ...]:
        """Teams the caller's key can use (a key bound to none: just the current one)."""
        return caller.key.teams or (caller.team_id,)
