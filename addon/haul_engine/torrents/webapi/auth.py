"""Who may use the qBittorrent WebAPI: login sessions, and one failed-login count per address."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_SESSIONS = 256
MAX_TRACKED_ADDRESSES = 4096
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


def _digest(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()
