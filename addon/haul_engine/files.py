"""File helpers: atomic writes and paths confined to configured roots."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from haul_engine.errors import InvalidInput


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace path with data so that a crash leaves either the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def confine(path: str | Path, roots: list[Path]) -> Path:
    """Resolve path (relative paths against the first root) and refuse it outside every root."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    resolved = candidate.resolve()
    for root in roots:
        if resolved.is_relative_to(root.resolve()):
            return resolved
    msg = f"path {str(path)!r} is outside the allowed folders"
    raise InvalidInput(msg)
