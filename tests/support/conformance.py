"""Client libraries' own tests and calls, run against the real engine on loopback only.

qbittorrent-api's test suite comes from its PyPI sdist, fetched into a cache outside the
repository; @ctrl/qbittorrent from npm likewise. The suite names public hosts for its torrent
files and `localhost:8080` for the server: it runs inside a network namespace that has nothing
but loopback, with the engine on 127.0.0.1:8080 and the torrent files served on loopback too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import libtorrent as lt

QBITTORRENT_API = "qbittorrent-api==2026.10.1"
CTRL_QBITTORRENT = "@ctrl/qbittorrent@9.14.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "haul-tests"
# the files that apply to a download client (RSS, search, torrent creator and log do not)
SUITE_FILES = (
    "test_app.py",
    "test_auth.py",
    "test_transfer.py",
    "test_torrents.py",
    "test_torrent.py",
    "test_sync.py",
    "test_request.py",
    "test_definitions.py",
    "test_version.py",
    "test_clientdata.py",
)
PUBLIC_FILES = "https://github.com/rmartin16/qbittorrent-api/raw/main/tests/_resources"


def qbittorrent_api_sdist() -> Path:
    """The sdist's unpacked folder in the cache (downloaded with pip the first time)."""
    name, version = QBITTORRENT_API.split("==")
    unpacked = CACHE / f"{name.replace('-', '_')}-{version}"
    if (unpacked / "tests" / "conftest.py").exists():
        return unpacked
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
         "--no-deps", "--dest", str(CACHE), QBITTORRENT_API],
        check=True,
    )  # fmt: skip
    archive = next(CACHE.glob(f"{name.replace('-', '_')}-{version}.tar.gz"))
    with tarfile.open(archive) as sdist:
        sdist.extractall(CACHE, filter="data")
    return unpacked


def ctrl_qbittorrent_package() -> Path:
    """A folder in the cache holding @ctrl/qbittorrent in node_modules (npm install once)."""
    folder = CACHE / "ctrl-qbittorrent"
    if not (folder / "node_modules" / "@ctrl" / "qbittorrent" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
             "--loglevel=error", CTRL_QBITTORRENT],
            check=True,
        )  # fmt: skip
    return folder


def without_trackers(data: bytes) -> bytes:
    """The .torrent without its announce URLs (outside the info dict: the hash is unchanged)."""
    decoded = lt.bdecode(data)
    for key in (b"announce", b"announce-list"):
        decoded.pop(key, None)
    return bytes(lt.bencode(decoded))


def prepare_suite(sdist: Path, target: Path, files_url: str) -> Path:
    """A copy of the suite in target/qbittorrent-api (its conftest wants that folder name) whose
    torrent files have no trackers and are fetched from files_url."""
    suite = target / "qbittorrent-api"
    shutil.copytree(sdist, suite)
    resources = suite / "tests" / "_resources"
    for torrent in resources.glob("*.torrent"):
        torrent.write_bytes(without_trackers(torrent.read_bytes()))
    conftest = suite / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text().replace(PUBLIC_FILES, files_url))
    return suite


@dataclass
class SuiteResult:
    """What a junit report says: test ids by outcome, and each skip's reason."""

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, report: Path) -> SuiteResult:
        """Parse pytest's --junitxml report."""
        result = cls()
        for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 - pytest wrote it
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            skip = case.find("skipped")
            if failure is not None:
                result.failed[name] = (failure.get("message") or "")[:300]
            elif skip is not None:
                result.skipped[name] = skip.get("message") or ""
            else:
                result.passed.append(name)
        return result

    def summary(self) -> str:
        """The figures and every skip with its reason, for the test's output."""
        lines = [
            (
                f"qbittorrent-api suite: {len(self.passed)} passed, {len(self.failed)} failed, "
                f"{len(self.skipped)} skipped"
            )
        ]
        lines += [f"  FAILED {name}: {message}" for name, message in sorted(self.failed.items())]
        lines += [f"  skipped {name}: {reason}" for name, reason in sorted(self.skipped.items())]
        return "\n".join(lines)
