"""The table the whole engine shares: facts about this installation."""

from __future__ import annotations

from dataclasses import dataclass

from haul_engine.db.tables import Table


@dataclass(slots=True)
class EngineMeta:
    """Key-value facts about this engine installation (its server id, for one)."""

    key: str
    value: str


ENGINE_META = Table("engine_meta", EngineMeta, key=["key"])
