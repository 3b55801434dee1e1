"""Putting one file where it belongs: a run stopped anywhere (kill -9) is finished by the next.

Blocking file-system work: the controller runs it in a thread.
"""

from __future__ import annotations

import errno
import filecmp
import logging
import os
import shutil
from typing import TYPE_CHECKING, Literal

from haul_engine.errors import InvalidInput

if TYPE_CHECKING:
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)
Action = Literal["move", "copy", "hardlink"]
Placed = Literal["moved", "copied", "hardlinked", "present"]
# another file system, or one without hard links (FAT: EPERM; a CIFS share: EOPNOTSUPP, ENOSYS)
NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOSYS}


class InTheWay(InvalidInput):
    """Another file holds a target's name: it is left as it is."""


def partial_of(target: Path) -> Path:
    """Return the hidden name a copy is written under until it is whole."""
    return target.with_name(f".{target.name}.haul-partial")


def in_the_way(source: Path, target: Path) -> bool:
    """Whether another file holds the target's name (an earlier run's own placing does not)."""
    return target.exists() and source.exists() and not _holds(target, source)


def _holds(target: Path, source: Path) -> bool:
    """Whether target is source or a whole copy of it (what a move may delete the source for).

    A copy keeps the source's modification time, but a NAS share (CIFS: 100 ns) or a FAT drive
    (2 s) keeps it less precisely: a file of the same size with another time is compared byte
    by byte (rare: a run stopped between a copy's rename and its source's deletion, or a user's
    file), so that another file of the same size is never taken for it.
    """
    if target.samefile(source):
        return True
    there, here = target.stat(), source.stat()
    if there.st_size != here.st_size:
        return False
    return there.st_mtime_ns == here.st_mtime_ns or filecmp.cmp(source, target, shallow=False)


def place_file(source: Path, target: Path, size: int, action: Action) -> Placed | None:
    """Put one file of `size` bytes at target, finishing what a stopped run began.

    Returns how, or None when the file is in neither place (gone from the download folder).
    A copy is written to a hidden partial name (one a stopped run left is written over), fsynced,
    given the source's modification time (so a later run knows it as this copy) and renamed; a
    move deletes the source only once the copy's name (and every folder made for it) is on the disk.
    """
    if target.exists():
        return _already_there(source, target, size, action)
    if not source.exists():
        partial = partial_of(target)
        if partial.exists() and partial.stat().st_size < size:  # a copy cut short: useless
            partial.unlink()
        return None
    made = [folder for folder in target.parents if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    done = _link_or_rename(source, target, action)
    if done is not None:
        return done
    partial = partial_of(target)
    try:
        shutil.copyfile(source, partial)
        original = source.stat()
        os.utime(partial, ns=(original.st_atime_ns, original.st_mtime_ns))
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
    except OSError:  # a full disk most often: the space goes back, the next run copies again
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    # the name, and the folders made for it, are on the disk before the original goes
    for folder in {target.parent, *(folder.parent for folder in made)}:
        _sync_folder(folder)
    if action == "move":
        source.unlink()
        return "moved"
    return "copied"


def _already_there(source: Path, target: Path, size: int, action: Action) -> Placed:
    """Tell how a file already at target came (the planned size: placed before), else refuse."""
    if source.exists() and target.samefile(source):
        return "present"  # linked before
    if target.stat().st_size != size:
        msg = f"{target} exists and is another file: left as it is"
        raise InTheWay(msg)
    if source.exists():
        if not _holds(target, source):
            msg = f"{target} exists and is another file of the same size: left as it is"
            raise InTheWay(msg)
        if action == "move":  # a copy across file systems was renamed, then the run stopped
            source.unlink()
    return "moved" if action == "move" else "present"


def _link_or_rename(source: Path, target: Path, action: Action) -> Placed | None:
    """Hard-link or rename where the file system allows it; None: copy instead."""
    try:
        if action == "hardlink":
            target.hardlink_to(source)
            return "hardlinked"
        if action == "move":
            source.rename(target)
            return "moved"
    except OSError as err:
        if err.errno not in NO_LINK:
            raise
        _LOGGER.warning("cannot %s %s (%s): copying it", action, source.name, err.strerror)
    return None


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
