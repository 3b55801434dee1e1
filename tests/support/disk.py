"""A real disk that runs out of space: a small tmpfs (mounting needs root) and a file to fill it."""

from __future__ import annotations

import errno
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

CHUNK = b"\0" * 65536


def mount_small_disk(folder: Path, megabytes: int) -> None:
    """Mount a tmpfs of this size on folder (unmount with unmount_small_disk)."""
    folder.mkdir(exist_ok=True)
    size = f"size={megabytes}m"
    subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(folder)], check=True)


def unmount_small_disk(folder: Path) -> None:
    """Unmount it (lazily: a file still open must not fail the test's teardown)."""
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; unlink the file it returns to free the space."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as sink:
        try:
            while True:
                sink.write(CHUNK)
        except OSError as err:
            if err.errno != errno.ENOSPC:
                raise
    return filler
