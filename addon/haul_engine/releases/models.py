"""The quality_profiles table: custom profiles (the built-in presets live in code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime  # noqa: TC003 - Table reads the annotations at runtime
from typing import Any

from haul_engine.db.tables import Table
from haul_engine.db.values import utcnow


@dataclass(slots=True)
class QualityProfileRow:
    """One custom quality profile; rules is the JSON of `profiles.ProfileRules`."""

    id: str
    name: str
    rules: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


QUALITY_PROFILES = Table("quality_profiles", QualityProfileRow, key=["id"])
