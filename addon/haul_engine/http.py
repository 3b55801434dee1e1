"""The engine's one HTTP client session: User-Agent, timeouts and connection limits set once."""

from __future__ import annotations

import aiohttp

from haul_engine import __version__

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

    # from setup on: keep-alive connections are reused from one call to the next
    session: aiohttp.ClientSession

    async def setup(self) -> None:
        """Open the session."""
        self.session = new_session()

    async def close(self) -> None:
        """Close every connection (nothing to do if the session was never opened)."""
        opened: aiohttp.ClientSession | None = getattr(self, "session", None)
        if opened is not None:
            await opened.close()
