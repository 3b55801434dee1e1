"""Bearer-token and webhook-secret checks, in constant time."""

from __future__ import annotations

import base64
import binascii
import contextlib
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


def webhook_secret_matches(header: str | None, secret: str | None) -> bool:
    """Whether an Authorization header carries the webhook secret (constant time).

    Taken as the whole header, after `Bearer `, or as the password of `Basic` credentials (the
    *arrs' webhook connection has username and password fields; the username is not checked).
    """
    if not secret or header is None:
        return False
    offered = header.strip()
    scheme, _, credentials = offered.partition(" ")
    password = ""
    if scheme.lower() == "basic":
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            password = decoded.partition(":")[2]
    expected = secret.encode()
    return (
        hmac.compare_digest(offered.encode(), expected)
        | hmac.compare_digest(offered.removeprefix("Bearer ").strip().encode(), expected)
        | hmac.compare_digest(password.encode(), expected)
    )
