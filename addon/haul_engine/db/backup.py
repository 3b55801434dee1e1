"""Consistent SQLite snapshots for Home Assistant backups, and restoring from them."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
SNAPSHOT = Path("backup") / "haul-snapshot.db"


def snapshot_path(database: Path) -> Path:
    """Where the snapshot of a database file is kept."""
    return database.parent / SNAPSHOT


def write_snapshot(database: Path) -> Path:
    """Copy the live database (WAL included) into a self-contained snapshot file, atomically."""
    target = snapshot_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    _copy(f"file:{database}?mode=ro", partial)
    partial.replace(target)
    return target


def restore_if_missing(database: Path) -> bool:
    """Rebuild the live file from the snapshot after a restore (backups leave the live file out)."""
    snapshot = snapshot_path(database)
    if database.exists() or not snapshot.exists():
        return False
    _copy(f"file:{snapshot}?mode=ro", database)
    _LOGGER.warning("database restored from the backup snapshot %s", snapshot)
    return True


def _copy(source_uri: str, target: Path) -> None:
    """Copy a database page by page with SQLite's online backup API."""
    source = sqlite3.connect(source_uri, uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
