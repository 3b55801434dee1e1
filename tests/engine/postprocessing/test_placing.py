"""place_file: each state a stopped run can leave is finished by the next one, and nothing is lost.

The media folder is on another file system (a tmpfs in /dev/shm) where a copy is needed.
"""

from __future__ import annotations

import errno
import os
import shutil
from typing import TYPE_CHECKING

import pytest

from haul_engine.postprocessing import placing
from haul_engine.postprocessing.placing import InTheWay, partial_of, place_file

if TYPE_CHECKING:
    from pathlib import Path

DATA = b"a film's bytes " * 1000


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "downloads" / "Arrival.2016.1080p.mkv"
    path.parent.mkdir()
    path.write_bytes(DATA)
    return path


def test_each_action_on_one_and_across_file_systems(
    tmp_path: Path, other_fs: Path, source: Path
) -> None:
    linked = tmp_path / "media" / "Arrival (2016)" / "Arrival (2016).mkv"
    assert place_file(source, linked, len(DATA), "hardlink") == "hardlinked"
    assert linked.samefile(source)
    assert place_file(source, linked, len(DATA), "hardlink") == "present"  # again: nothing to do

    copied = other_fs / "Arrival (2016).mkv"
    assert place_file(source, copied, len(DATA), "hardlink") == "copied"  # a link cannot cross
    assert copied.read_bytes() == DATA
    assert copied.stat().st_mtime_ns == source.stat().st_mtime_ns
    assert not partial_of(copied).exists()

    moved = other_fs / "moved" / "Arrival (2016).mkv"
    assert place_file(source, moved, len(DATA), "move") == "moved"
    assert moved.read_bytes() == DATA
    assert not source.exists()
    assert linked.exists()  # the other name of the file keeps its bytes


def test_a_move_stopped_after_the_copy_s_rename_deletes_the_original_next_time(
    other_fs: Path, source: Path
) -> None:
    target = other_fs / "Arrival (2016).mkv"
    shutil.copyfile(source, target)  # what the stopped run did: copied, renamed...
    original = source.stat()
    os.utime(target, ns=(original.st_atime_ns, original.st_mtime_ns))
    assert place_file(source, target, len(DATA), "move") == "moved"  # ...not yet deleted
    assert not source.exists()
    assert target.read_bytes() == DATA
    # and once both are done, the next run says it is moved
    assert place_file(source, target, len(DATA), "move") == "moved"


def test_a_partial_copy_left_by_a_stop_is_written_over_or_cleaned(
    other_fs: Path, source: Path
) -> None:
    target = other_fs / "Arrival (2016).mkv"
    partial = partial_of(target)
    partial.write_bytes(DATA[:100])  # a kill -9 in the middle of the copy
    assert place_file(source, target, len(DATA), "move") == "moved"
    assert target.read_bytes() == DATA
    assert not partial.exists()

    gone = other_fs / "Gone (2020).mkv"  # the torrent was deleted with its files meanwhile
    partial_of(gone).write_bytes(DATA[:100])
    assert place_file(source.with_name("gone.mkv"), gone, len(DATA), "copy") is None
    assert not partial_of(gone).exists()


def test_another_file_in_the_way_is_left_and_so_is_the_source(other_fs: Path, source: Path) -> None:
    target = other_fs / "Arrival (2016).mkv"
    target.write_bytes(b"someone else's film")
    with pytest.raises(InTheWay, match="exists and is another file"):
        place_file(source, target, len(DATA), "move")
    # the same size but not this copy (another time): a move does not delete the source for it
    target.write_bytes(bytes(len(DATA)))
    with pytest.raises(InTheWay, match="another file of the same size"):
        place_file(source, target, len(DATA), "move")
    assert source.read_bytes() == DATA
    assert target.read_bytes() == bytes(len(DATA))


def test_a_full_disk_gives_the_space_back_and_keeps_the_source(
    other_fs: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill_the_disk(origin: Path, partial: Path) -> None:
        partial.write_bytes(DATA[:500])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(placing.shutil, "copyfile", fill_the_disk)
    target = other_fs / "Arrival (2016).mkv"
    with pytest.raises(OSError, match="No space left"):
        place_file(source, target, len(DATA), "move")
    assert not partial_of(target).exists()
    assert not target.exists()
    assert source.read_bytes() == DATA


@pytest.mark.parametrize("step_ns", [100, 2_000_000_000], ids=["cifs-100ns", "fat-2s"])
def test_a_copy_on_a_file_system_with_coarser_times_is_still_known_as_the_copy(
    other_fs: Path, source: Path, step_ns: int
) -> None:
    """A NAS share (CIFS keeps 100 ns) or a FAT drive (2 s) rounds the copy's modification time."""
    target = other_fs / "Arrival (2016).mkv"
    shutil.copyfile(source, target)  # a move across file systems renamed its copy, then stopped
    original = source.stat()
    kept = original.st_mtime_ns - step_ns // 2  # the time the share kept: up to a step off
    os.utime(target, ns=(original.st_atime_ns, kept))
    assert not placing.in_the_way(source, target)
    assert place_file(source, target, len(DATA), "copy") == "present"
    assert place_file(source, target, len(DATA), "move") == "moved"  # not a 503 for ever
    assert not source.exists()
    assert target.read_bytes() == DATA


def test_another_file_of_the_same_size_is_in_the_way_of_every_action(
    other_fs: Path, source: Path
) -> None:
    """Never taken for this file: a move would delete the source, a copy would report it placed."""
    target = other_fs / "Arrival (2016).mkv"
    target.write_bytes(bytes(len(DATA)))  # the same size, and even the same time
    original = source.stat()
    os.utime(target, ns=(original.st_atime_ns, original.st_mtime_ns + 1))
    assert placing.in_the_way(source, target)  # checked before a move removes the torrent
    for action in ("copy", "hardlink", "move"):
        with pytest.raises(InTheWay, match="another file of the same size"):
            place_file(source, target, len(DATA), action)
    assert source.read_bytes() == DATA
    assert target.read_bytes() == bytes(len(DATA))


@pytest.mark.parametrize(
    "refusal", [errno.EOPNOTSUPP, errno.ENOSYS, errno.EPERM], ids=errno.errorcode.get
)
def test_a_share_that_cannot_hard_link_gets_a_copy(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    """A NAS share (CIFS to a server without hard links) or a FAT drive refuses the link itself."""

    def refuse(_target: Path, _source: Path) -> None:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(type(source), "hardlink_to", refuse)
    target = tmp_path / "media" / "Arrival (2016).mkv"
    assert place_file(source, target, len(DATA), "hardlink") == "copied"
    assert target.read_bytes() == DATA
    assert source.read_bytes() == DATA


def test_a_move_makes_the_new_folders_durable_before_the_source_goes(
    other_fs: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut then must not lose the copy's folder (FAT syncs no parent for its child)."""
    synced: list[Path] = []
    monkeypatch.setattr(placing, "_sync_folder", synced.append)
    (other_fs / "Arrival (2016)").mkdir()  # an earlier run's, on the disk since
    target = other_fs / "Arrival (2016)" / "Season 01" / "Extras" / "Arrival (2016).mkv"

    def deleted(path: Path) -> None:
        assert set(synced) == {target.parent, target.parent.parent, other_fs / "Arrival (2016)"}
        real_unlink(path)

    real_unlink = type(source).unlink
    monkeypatch.setattr(type(source), "unlink", deleted)
    assert place_file(source, target, len(DATA), "move") == "moved"
    assert not source.exists()
