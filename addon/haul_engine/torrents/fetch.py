"""Fetch a .torrent from an http(s) URL: redirects followed by hand, magnets kept, size capped."""

from __future__ import annotations

from urllib.parse import urljoin

import aiohttp

from haul_engine.errors import InvalidInput
from haul_engine.logs import redact

MAX_TORRENT_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def fetch_torrent(client: aiohttp.ClientSession, url: str) -> str | bytes:
    """Return the magnet a redirect points to, or the .torrent body (at most MAX_TORRENT_BYTES)."""
    for _ in range(MAX_REDIRECTS + 1):
        if not url.startswith(("http://", "https://")):
            msg = f"cannot fetch {redact(url)!r}: only http(s) URLs and magnet links are accepted"
            raise InvalidInput(msg)
        try:
            async with client.get(url, allow_redirects=False, timeout=_TIMEOUT) as answer:
                if answer.status in _REDIRECTS:
                    url = urljoin(url, answer.headers.get("Location", ""))
                    if url.startswith("magnet:"):
                        return url
                    continue
                if answer.status != 200:  # noqa: PLR2004 - HTTP OK
                    msg = f"{redact(url)} answered HTTP {answer.status}"
                    raise InvalidInput(msg)
                return await _read_capped(answer)
        except (aiohttp.ClientError, TimeoutError) as err:
            msg = f"cannot fetch {redact(url)}: {err or type(err).__name__}"
            raise InvalidInput(msg) from None
    msg = f"more than {MAX_REDIRECTS} redirects from {redact(url)}"
    raise InvalidInput(msg)


async def _read_capped(answer: aiohttp.ClientResponse) -> bytes:
    """Read the body, refusing anything larger than a .torrent file can reasonably be."""
    if (answer.content_length or 0) > MAX_TORRENT_BYTES:
        msg = f"the .torrent file is larger than {MAX_TORRENT_BYTES // 1024 // 1024} MiB"
        raise InvalidInput(msg)
    body = bytearray()
    async for chunk in answer.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_TORRENT_BYTES:
            msg = f"the .torrent file is larger than {MAX_TORRENT_BYTES // 1024 // 1024} MiB"
            raise InvalidInput(msg)
    return bytes(body)
