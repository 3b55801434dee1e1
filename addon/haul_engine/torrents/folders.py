"""Where torrents may write: the configured roots, checked for every file a torrent has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from haul_engine.errors import InvalidInput
from haul_engine.files import confine

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(slots=True)
class Category:
    """A category's folder and incomplete folder (None: the global one; False: none)."""

    save_path: str = ""
    download_path_enabled: bool | None = None
    download_path: str = ""


class Folders:
    """The roots (downloads first) and the checks every path a torrent uses goes through."""

    def __init__(self, roots: list[Path]) -> None:
        """Keep the roots."""
        self.roots = roots

    @property
    def downloads(self) -> Path:
        """The default save path."""
        return self.roots[0]

    def confine(self, path: str | Path, base: Path | None = None) -> Path:
        """Resolve path (relative to base, else the downloads) and refuse it outside the roots."""
        text = str(path)
        if "\x00" in text:
            msg = "a path may not contain the NUL character"
            raise InvalidInput(msg)
        candidate = Path(text)
        if base is not None and not candidate.is_absolute():
            candidate = base / candidate
        return confine(candidate, self.roots)

    def inside(self, path: str | Path) -> bool:
        """Whether path resolves (through existing symlinks) into a root."""
        try:
            self.confine(path)
        except (InvalidInput, OSError, RuntimeError):
            return False
        return True

    def check_files(self, folder: str | Path, paths: Iterable[str]) -> None:
        """Refuse files that would land outside the roots, through `..` or an existing symlink.

        Each distinct parent folder is resolved once: torrents have many files in few folders.
        """
        base = Path(folder)
        parents: set[PurePosixPath] = set()
        for relative in paths:
            pure = PurePosixPath(relative)
            if pure.is_absolute() or ".." in pure.parts:
                msg = f"file {relative!r} would be written outside the allowed folders"
                raise InvalidInput(msg)
            parents.add(pure)  # the file itself may be an existing symlink
            parents.update(pure.parents)
        for part in sorted(parents, key=lambda part: len(part.parts)):
            if not self.inside(base / part):
                msg = (
                    f"{str(base / part)!r} is outside the allowed folders (a symlink?): "
                    "nothing is written there"
                )
                raise InvalidInput(msg)

    def existing_outside(self, path: str) -> bool:
        """Whether path is an existing folder outside the roots (403 for qBittorrent's API)."""
        try:
            return not self.inside(path) and Path(path).is_dir()
        except (OSError, ValueError):
            return False
