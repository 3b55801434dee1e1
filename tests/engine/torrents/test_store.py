"""What the torrent client writes for a change of many torrents: one transaction, not one each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from haul_engine.db.values import utcnow
from haul_engine.engine import Engine
from haul_engine.settings import Settings
from haul_engine.torrents.models import CATEGORIES, TORRENTS, CategoryRecord, TorrentRecord

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from contextlib import AbstractAsyncContextManager
    from pathlib import Path

    from haul_engine.db.sql import Transaction


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    """An engine with only its database set up (no libtorrent session: none is needed)."""
    url = "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_database"))
    engine = Engine(Settings(data_dir=tmp_path, database_url=url))
    await engine.database.setup()
    yield engine
    await engine.database.close()


async def test_a_tag_or_category_taken_off_many_torrents_is_one_write(engine: Engine) -> None:
    """A tag deleted from 1,000 torrents is one transaction (one write to an SD card)."""
    torrents = engine.torrents
    torrents.folder.mkdir(parents=True)
    records = [
        TorrentRecord(f"{number:040x}", "/downloads", utcnow(), category="tv", tags=["a", "gone"])
        for number in range(1000)
    ]
    other = TorrentRecord("f" * 40, "/downloads", utcnow(), category="films", tags=["a"])
    async with engine.database.session() as tx:
        for category in ("tv", "films"):
            await CATEGORIES.insert(tx, CategoryRecord(category))
        for record in [*records, other]:
            await TORRENTS.insert(tx, record)
    torrents.records = {record.info_hash: record for record in [*records, other]}
    opened = 0
    session = engine.database.session

    def counted() -> AbstractAsyncContextManager[Transaction]:
        nonlocal opened
        opened += 1
        return session()

    engine.database.session = counted  # type: ignore[method-assign]
    await torrents.delete_tags(["gone"])
    assert opened == 1
    await torrents.remove_categories(["tv"])
    assert opened == 3  # the category's row, then its torrents'

    engine.database.session = session  # type: ignore[method-assign]
    async with engine.database.session() as tx:
        stored = {record.info_hash: record for record in await TORRENTS.all(tx)}
        assert [category.name for category in await CATEGORIES.all(tx)] == ["films"]
    assert {(record.category, tuple(record.tags)) for record in records} == {("", ("a",))}
    assert stored == torrents.records
    assert stored[other.info_hash].category == "films"
