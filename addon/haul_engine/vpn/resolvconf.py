"""The container's /etc/resolv.conf, pointed at the DNS forwarder and given back at close.

The original is saved in the data folder before the file is rewritten, so that an engine killed
while the file points at its forwarder finds it again at the next start. The file is written in
place: in a container it is a bind mount, which cannot be replaced by a rename.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)
MARKER = "# Haul: name lookups go through the VPN tunnel (the original is back when Haul stops)"


def _written_by_haul(text: str) -> bool:
    """Whether the text is Haul's file, or what a kill in the middle of writing a file left."""
    return text.startswith(MARKER) or MARKER.startswith(text)


def entries(text: str, *keywords: str) -> list[str]:
    """Return the values of a resolv.conf text's lines with these keywords, in order."""
    found = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";", 1)[0].split()
        if fields and fields[0] in keywords:
            found += fields[1:]
    return found


class ResolvConf:
    """One resolv.conf file and the copy of its original kept in the data folder."""

    def __init__(self, path: Path, saved: Path) -> None:
        """Nothing changes until point_at."""
        self.path = path
        self.saved = saved

    def original(self) -> str | None:
        """Return the file as the container had it (None: Haul's, and the saved copy is lost)."""
        current = self.path.read_text(encoding="utf-8")
        if not _written_by_haul(current):
            return current
        if self.saved.exists():
            return self.saved.read_text(encoding="utf-8")
        if not current:
            return current  # empty, with nothing saved: the container's own
        _LOGGER.warning("%s points at Haul, and its original (%s) is lost", self.path, self.saved)
        return None

    def point_at(self, address: str, original: str | None) -> None:
        """Save the original (durably), then make address the only name server."""
        if original is not None:
            partial = self.saved.with_name(self.saved.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8") as handle:
                    handle.write(original)
                    handle.flush()
                    os.fsync(handle.fileno())
                partial.replace(self.saved)
            except OSError:
                partial.unlink(missing_ok=True)
                raise
        kept = [
            line
            for line in (original or "").splitlines()
            if line.split()[:1] not in (["nameserver"], []) and not line.startswith(("#", ";"))
        ]
        self.path.write_text("\n".join([MARKER, f"nameserver {address}", *kept, ""]), "utf-8")

    def restore(self) -> None:
        """Put the original back if the file is still Haul's; forget the saved copy."""
        if not self.saved.exists():
            return
        try:
            original = self.saved.read_text(encoding="utf-8")
            if _written_by_haul(self.path.read_text(encoding="utf-8")):
                self.path.write_text(original, encoding="utf-8")
                _LOGGER.info("%s is given back to the container's own resolver", self.path)
            self.saved.unlink()
        except OSError as err:
            _LOGGER.warning("cannot give %s its original back: %s", self.path, err)
