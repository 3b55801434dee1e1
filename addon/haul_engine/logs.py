"""Logging set-up with a filter that keeps registered secrets out of every line."""

from __future__ import annotations

import logging
import re
from typing import ClassVar, override

REDACTED = "**REDACTED**"
_URL_KEY = re.compile(r"(?i)([?&](?:apikey|api_key|token|passkey|x-plex-token)=)[^&\s\"']+")


class SecretFilter(logging.Filter):
    """Replace known secret values and key-like URL parameters in log records."""

    secrets: ClassVar[set[str]] = set()

    @classmethod
    def register(cls, secret: str) -> None:
        """Never let this value reach a log line (short values would redact noise)."""
        if len(secret) >= 6:  # noqa: PLR2004 - shorter strings are not secrets worth hiding
            cls.secrets.add(secret)

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact(text: str) -> str:
    """Return text with every registered secret and URL key parameter hidden."""
    for secret in SecretFilter.secrets:
        text = text.replace(secret, REDACTED)
    return _URL_KEY.sub(rf"\1{REDACTED}", text)


def setup_logging(level: str) -> None:
    """Log to stderr with the secret filter on the handler, so every logger is covered."""
    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
