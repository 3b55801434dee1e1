"""A media folder on another file system, where post-processing has to copy."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

TMPFS = Path("/dev/shm")  # noqa: S108 - a tmpfs on every Linux: another file system than tmp_path


@pytest.fixture
def other_fs(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than tmp_path (where a rename or a link cannot go)."""
    folder = Path(tempfile.mkdtemp(prefix="haul-test-", dir=TMPFS))
    assert folder.stat().st_dev != tmp_path.stat().st_dev, f"{TMPFS} is no other file system"
    yield folder
    shutil.rmtree(folder)
