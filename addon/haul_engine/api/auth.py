"""Bearer-token checks, in constant time."""

from __future__ import annotations

import hmac


def token_matches(offered: str | None, expected: str) -> bool:
    """Compare an offered token with the expected one without leaking timing."""
    return offered is not None and hmac.compare_digest(offered.encode(), expected.encode())


def bearer(header: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer …` header, if any."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
