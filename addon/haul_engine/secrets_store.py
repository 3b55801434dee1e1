"""The engine's own secrets (the API token), kept in <data-dir>/secrets.json with mode 0600."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

from haul_engine.files import write_atomic
from haul_engine.logs import SecretFilter

if TYPE_CHECKING:
    from pathlib import Path

SECRETS_FILE = "secrets.json"
PRIVATE = 0o600


def load_or_create_token(data_dir: Path) -> str:
    """Return the API token, generating and storing it on first use."""
    path = data_dir / SECRETS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        stored = {}
    token = stored.get("api_token")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        stored["api_token"] = token
        write_atomic(path, json.dumps(stored, indent=2).encode(), PRIVATE)
    elif path.stat().st_mode & 0o777 != PRIVATE:
        path.chmod(PRIVATE)
    SecretFilter.register(token)
    return token
