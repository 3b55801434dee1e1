"""Who may use the qBittorrent WebAPI: login sessions, and one failed-login count per address."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_SESSIONS = 256
MAX_TRACKED_ADDRESSES = 4096
MAX_REMEMBERED_CREDENTIALS = 64
# qBittorrent's password hashing: PBKDF2-HMAC-SHA512, 100,000 rounds, 16-byte salt, 64-byte key
_ROUNDS, _SALT_BYTES, _KEY_BYTES = 100_000, 16, 64
BANNED = "Your IP address has been banned after too many failed authentication attempts."


class LoginSessions:
    """SID cookies, kept by their hash (a lookup leaks nothing of the SID).

    They expire when idle; at most MAX_SESSIONS are kept (the least recently used goes first).
    """

    def __init__(self, timeout: Callable[[], float]) -> None:
        """Timeout gives the idle seconds after which a session ends (a preference)."""
        self._timeout = timeout
        self._expiry: OrderedDict[bytes, float] = OrderedDict()

    def __len__(self) -> int:
        """How many sessions are alive (expired ones are pruned on every start)."""
        return len(self._expiry)

    def start(self) -> str:
        """Open a session and return its SID."""
        now = time.monotonic()
        for key in [key for key, expiry in self._expiry.items() if expiry < now]:
            del self._expiry[key]
        while len(self._expiry) >= MAX_SESSIONS:
            self._expiry.popitem(last=False)
        sid = secrets.token_urlsafe(24)
        self._expiry[_digest(sid)] = now + self._timeout()
        return sid

    def valid(self, sid: str) -> bool:
        """Whether sid is a live session; using it keeps it alive."""
        key = _digest(sid)
        expiry = self._expiry.get(key)
        now = time.monotonic()
        if expiry is None:
            return False
        if expiry < now:
            del self._expiry[key]
            return False
        self._expiry[key] = now + self._timeout()
        self._expiry.move_to_end(key)
        return True

    def end(self, sid: str) -> None:
        """Close a session (logout)."""
        self._expiry.pop(_digest(sid), None)


@dataclass(slots=True)
class _Failures:
    count: int
    banned_until: float


class LoginGuard:
    """Failed attempts per address, whatever the way in (form login, Basic, Bearer).

    At the limit the address is refused for a while, even with the right credentials
    (qBittorrent's web_ui_max_auth_fail_count and web_ui_ban_duration; 0 = never banned).
    """

    def __init__(self, limit: Callable[[], int], ban_seconds: Callable[[], float]) -> None:
        """Read the limit and the ban length from the preferences on every failure."""
        self._limit = limit
        self._ban_seconds = ban_seconds
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def banned(self, address: str) -> bool:
        """Whether address is refused now."""
        entry = self._failures.get(address)
        if entry is None or not entry.banned_until:
            return False
        if entry.banned_until > time.monotonic():
            return True
        del self._failures[address]
        return False

    def failed(self, address: str) -> int:
        """Count a failure; return the count."""
        limit = self._limit()
        entry = self._failures.pop(address, None) or _Failures(0, 0.0)
        entry.count += 1
        if limit and entry.count >= limit:
            entry.banned_until = time.monotonic() + self._ban_seconds()
        self._failures[address] = entry
        while len(self._failures) > MAX_TRACKED_ADDRESSES:
            self._failures.popitem(last=False)
        return entry.count

    def succeeded(self, address: str) -> None:
        """Forget the failures of an address that got in."""
        self._failures.pop(address, None)


class Credentials:
    """The configured user name and password, checked as qBittorrent checks them.

    The password is kept only as a PBKDF2 key: every check derives a key from the offered
    password (on a worker thread; tens of milliseconds), which slows guessing before the ban
    does. Credentials sent on every request (HTTP Basic) are remembered once they matched, by a
    hash, for the session timeout.
    """

    def __init__(self, username: str, password: str, remember: Callable[[], float]) -> None:
        """Derive the key now (an empty password matches nothing)."""
        self._username = username.encode()
        self._salt = secrets.token_bytes(_SALT_BYTES)
        self._key = _derive(password, self._salt) if password else b""
        self._remember = remember
        self._matched: OrderedDict[bytes, float] = OrderedDict()

    async def match(self, username: str, password: str) -> bool:
        """Whether both match (constant time)."""
        if not self._key:
            return False
        offered = await asyncio.to_thread(_derive, password, self._salt)
        user_ok = hmac.compare_digest(username.encode(), self._username)
        return hmac.compare_digest(offered, self._key) & user_ok

    async def match_remembered(self, username: str, password: str) -> bool:
        """Like match, remembering credentials that matched (for HTTP Basic on every call)."""
        key = _digest(f"{username}\x00{password}")
        now = time.monotonic()
        if self._matched.get(key, 0.0) > now:
            return True
        if not await self.match(username, password):
            return False
        self._matched[key] = now + self._remember()
        self._matched.move_to_end(key)
        while len(self._matched) > MAX_REMEMBERED_CREDENTIALS:
            self._matched.popitem(last=False)
        return True


def _derive(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ROUNDS, _KEY_BYTES)


def _digest(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()
