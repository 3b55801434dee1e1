"""The app image's installed size, from its build context (no docker needed).

Run: `.venv/bin/python -m tests.benchmarks.image_size [--base-mb N]`.

Measured here: each Python distribution `addon/requirements.txt` pulls in (the dependency closure,
read from the engine's venv: every file of its installed RECORD, bytecode included, as scripts/setup
compiles it like the image), as the Dockerfile leaves it: shared objects stripped (copies are
stripped here with binutils' `strip`), stubs and C sources deleted; the engine package and the s6
root file system; the bytecode the Dockerfile compiles besides (addon/precompile.py, here into a
folder of its own): the standard library's again, in a layer above the base image's own, and the
engine's. The figures are of the x86_64 manylinux wheels this venv holds; the image's musllinux ones
are alike. Stated, not measured (no docker, no Alpine mirror here): the base image and the Alpine
packages the Dockerfile adds, with the figures below; `--base-mb` takes another base figure.
The goal is at most 150 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from precompile import required

if TYPE_CHECKING:
    from importlib import metadata

ADDON = Path(__file__).resolve().parents[2] / "addon"
MB = 1_000_000
GOAL_MB = 150
# ghcr.io/home-assistant/base-python:3.13-alpine3.24 (Alpine, s6-overlay, bashio, tempio and
# Python 3.13), uncompressed for amd64: an estimate, not measured here
BASE_MB = 75.0
APK_MB = {"iproute2-minimal": 1.2, "wireguard-tools-wg": 0.1, "wireguard-go": 3.4}


DELETED = frozenset({".pyi", ".pyx", ".pxd", ".c", ".h"})  # the Dockerfile's find -delete


def installed_bytes(distribution: metadata.Distribution, scratch: Path) -> int:
    """Bytes of every file the distribution leaves in the image (shared objects stripped)."""
    total = 0
    for file in distribution.files or []:
        path = Path(str(file.locate()))
        if not path.is_file() or path.suffix in DELETED:
            continue
        if ".so" in path.suffixes:
            copy = scratch / path.name
            shutil.copyfile(path, copy)
            subprocess.run(["strip", "--strip-unneeded", str(copy)], check=True)
            total += copy.stat().st_size
            copy.unlink()
        else:
            total += path.stat().st_size
    return total


def folder_bytes(folder: Path) -> int:
    """Bytes of a folder's files, caches left out."""
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def compiled_bytes() -> tuple[int, int]:
    """Bytes of the bytecode the Dockerfile compiles: the standard library's and the engine's."""
    with tempfile.TemporaryDirectory() as prefix:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": prefix}
        for only in ([], ["--engine", str(ADDON / "haul_engine")]):
            command = [sys.executable, str(ADDON / "precompile.py"), *only]
            subprocess.run(command, env=env, check=True, capture_output=True)
        stdlib = Path(prefix + sysconfig.get_paths()["stdlib"])
        left_out = {"site-packages", "test", "tests"}  # the packages' are counted; no tests in it
        return sum(
            path.stat().st_size
            for path in stdlib.rglob("*.pyc")
            if not left_out.intersection(path.relative_to(stdlib).parts)
        ), sum(path.stat().st_size for path in Path(prefix + str(ADDON)).rglob("*.pyc"))


def main() -> None:
    """Print the size of each part and the total against the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-mb", type=float, default=BASE_MB)
    base_mb = parser.parse_args().base_mb
    with tempfile.TemporaryDirectory() as scratch:
        sizes = {
            name: installed_bytes(distribution, Path(scratch)) / MB
            for name, distribution in required(ADDON / "requirements.txt").items()
        }
    report = [f"{'part':<34}{'MB':>8}"]
    report += [
        f"  {name:<32}{size:>8.1f}"
        for name, size in sorted(sizes.items(), key=lambda item: -item[1])
    ]
    python = sum(sizes.values())
    stdlib_bytecode, engine_bytecode = compiled_bytes()
    engine = (
        folder_bytes(ADDON / "haul_engine") + engine_bytecode + folder_bytes(ADDON / "rootfs")
    ) / MB
    apk = sum(APK_MB.values())
    total = base_mb + apk + python + stdlib_bytecode / MB + engine
    verdict = "within" if total <= GOAL_MB else "OVER"
    report += [
        f"{'Python packages (measured)':<34}{python:>8.1f}",
        f"{'standard library compiled again':<34}{stdlib_bytecode / MB:>8.1f}",
        f"{'engine and rootfs (measured)':<34}{engine:>8.1f}",
        f"{'Alpine packages (stated)':<34}{apk:>8.1f}  {', '.join(APK_MB)}",
        f"{'base image (stated)':<34}{base_mb:>8.1f}",
        f"{'installed size':<34}{total:>8.1f}  ({verdict} the {GOAL_MB} MB goal)",
    ]
    print("\n".join(report))  # noqa: T201 - a benchmark prints its figures


if __name__ == "__main__":
    main()
