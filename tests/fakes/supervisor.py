"""A fake Home Assistant Supervisor: the discovery endpoint an add-on posts to."""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from aiohttp import web


class FakeSupervisor:
    """Records discovery messages sent with the right Supervisor token."""

    def __init__(self, token: str) -> None:
        """Accept only this token, as the real Supervisor does for its add-ons."""
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_post("/discovery", self._discovery)

    async def _discovery(self, request: web.Request) -> web.Response:
        offered = request.headers.get("Authorization", "")
        if not hmac.compare_digest(offered, f"Bearer {self.token}"):
            return web.json_response({"result": "error", "message": "Unauthorized"}, status=401)
        body = await request.json()
        message = {"uuid": uuid.uuid4().hex, **body}
        self.messages.append(message)
        return web.json_response({"result": "ok", "data": {"uuid": message["uuid"]}})
