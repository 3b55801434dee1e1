"""The connectors table: every configured outside service, whatever its kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime  # noqa: TC003 - Table reads the annotations at runtime
from typing import Any

from haul_engine.db.tables import Table
from haul_engine.db.values import utcnow


@dataclass(slots=True)
class Connector:
    """One configured outside service; secrets live in api_key and secrets, never in settings."""

    id: str
    kind: str
    name: str
    url: str
    api_key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    verify_tls: bool = True
    health: str = "unknown"
    last_error: str | None = None
    health_checked_at: datetime | None = None
    app: str | None = None
    app_version: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


CONNECTORS = Table("connectors", Connector, key=["id"])
