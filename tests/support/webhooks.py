"""POST a webhook as Overseerr's and the *arrs' agents do (JSON, an optional Authorization)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def send_webhook(url: str, body: object, authorization: str | None) -> tuple[int, Any]:
    """POST a webhook (bytes as they are, anything else as JSON); returns (status, answer)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
