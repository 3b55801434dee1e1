"""The engine's one HTTP client session: User-Agent, timeouts and connection limits set once."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

import aiohttp

from haul_engine import __version__

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

USER_AGENT = f"Haul/{__version__} (+https://github.com/haul-media/haul)"
# what a call waits for when it gives no timeout of its own (the *arr, indexer and media-server
# clients give theirs, each call)
TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
CONNECTIONS = 100  # open at once, over every service: a bound for a Pi, not a pace
DNS_CACHE_SECONDS = 300


def new_session() -> aiohttp.ClientSession:
    """Open a session with Haul's User-Agent, default timeout and connection limit.

    It keeps no cookies: the services share one host name more often than not (the *arrs, Overseerr
    and the media servers on one box, told apart by port), and a cookie is sent to every port.
    TLS is verified unless a call says otherwise (`ssl=False`: a connector with `verify_tls` off);
    connections are pooled per host, port and TLS setting, so such calls never share one.
    """
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT},
        timeout=TIMEOUT,
        connector=aiohttp.TCPConnector(limit=CONNECTIONS, ttl_dns_cache=DNS_CACHE_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class Http:
    """The session every outbound client of the engine shares: opened first, closed last."""

    # the running engine's, for code that no engine reaches (one engine runs per process)
    running: ClassVar[Http | None] = None

    def __init__(self) -> None:
        """Nothing is open until setup."""
        self._session: aiohttp.ClientSession | None = None

    async def setup(self) -> None:
        """Open the session."""
        self._session = new_session()
        Http.running = self

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open session: keep-alive connections are reused from one call to the next."""
        if self._session is None:
            msg = "the engine's HTTP session is not open"
            raise RuntimeError(msg)
        return self._session

    async def close(self) -> None:
        """Close every connection."""
        if Http.running is self:
            Http.running = None
        if self._session is not None:
            await self._session.close()
            self._session = None


def borrow_session() -> AbstractAsyncContextManager[aiohttp.ClientSession]:
    """Lend the running engine's session (left open after use), else open one for this use."""
    running = Http.running  # set only while its session is open
    return new_session() if running is None else contextlib.nullcontext(running.session)
