"""Tables shared by the whole engine; capabilities add their own models on the same Base."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class EngineMeta(Base):
    """Key-value facts about this engine installation (its server id, for one)."""

    __tablename__ = "engine_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
