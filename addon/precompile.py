"""Compile the image's Python to bytecode that loads smaller (build time only; not in the image).

The standard library and site-packages get optimize=2 bytecode (no docstrings, no asserts) without
column position tables (-X no_debug_ranges: tracebacks lose their ^^^ marks only), written under
the plain `.cpython-313.pyc` name: a pyc is checked against its source's mtime and size only, so
Python loads it without -OO (which would strip the engine's docstrings too: they are the OpenAPI
document's descriptions), and compiles a source changed since again, plainly, at its next import.
The engine's package (`--engine`) keeps its docstrings and asserts, loses its column tables only.

Run by the Dockerfile after pip install over the standard library and site-packages, then over
the engine; and by scripts/setup over the distributions of requirements.txt in .venv
(`--requirements`), so the engine runs third-party code in tests as in the image; the test tools
stay as pip compiled them (pytest checks that its own asserts run):
    python precompile.py [--requirements FILE | --engine FOLDER]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import py_compile
import re
import sys
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

NO_DEBUG_RANGES = "PYTHONNODEBUGRANGES"
# left as the base image compiled them (it keeps the standard library's bytecode): a GUI, an IDE
# and help()'s topics, which a server never loads, would only make the image bigger
UNUSED = frozenset({"idlelib", "tkinter", "turtledemo", "pydoc_data"})


def compile_file(source: Path, optimize: int) -> bool:
    """Write source's bytecode under its plain pyc name; False if it does not compile."""
    try:
        py_compile.compile(
            str(source),
            cfile=importlib.util.cache_from_source(str(source)),
            optimize=optimize,
            doraise=True,
            # not the hash-checked pyc py_compile writes when SOURCE_DATE_EPOCH is set (a build
            # may set it): that one hashes its source at every import
            invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
        )
    except (py_compile.PyCompileError, OSError):  # Python 2 files, templates in .py clothing
        return False
    return True


def required(requirements_file: Path) -> dict[str, metadata.Distribution]:
    """Return every distribution a requirements file needs, as installed, by normalized name."""
    from packaging.requirements import Requirement  # noqa: PLC0415 - not in the image

    lines = requirements_file.read_text().splitlines()
    pending = [Requirement(line) for line in lines if line.strip() and line[0] != "#"]
    found: dict[str, metadata.Distribution] = {}
    while pending:
        requirement = pending.pop()
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if name in found:
            continue
        distribution = metadata.distribution(requirement.name)
        found[name] = distribution
        extras = requirement.extras or {""}
        for text in distribution.requires or []:
            needed = Requirement(text)
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(needed)
    return found


def main() -> None:
    """Compile the standard library and site-packages, the distributions required or the engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--requirements", type=Path, help="only the distributions it needs")
    only.add_argument("--engine", type=Path, help="only the haul_engine package, docstrings kept")
    arguments = parser.parse_args()
    if not os.environ.get(NO_DEBUG_RANGES):  # the compiler reads it at start only
        os.environ[NO_DEBUG_RANGES] = "1"
        os.execv(sys.executable, [sys.executable, __file__, *sys.argv[1:]])  # noqa: S606
    if arguments.engine:
        files = list(arguments.engine.rglob("*.py"))
    elif arguments.requirements:
        distributions = required(arguments.requirements).values()
        files = [
            Path(str(f.locate())) for d in distributions for f in d.files or [] if f.suffix == ".py"
        ]
    else:
        paths = sysconfig.get_paths()
        folders = {Path(paths[key]) for key in ("stdlib", "purelib", "platlib")}
        files = [p for f in folders for p in f.rglob("*.py") if not UNUSED.intersection(p.parts)]
    # a dict: site-packages lies inside the standard library's folder in the image; the engine
    # keeps its docstrings wherever it is (installed into site-packages: not editable)
    jobs = {path: 0 if "haul_engine" in path.parts else 2 for path in files}
    with ProcessPoolExecutor() as pool:
        compiled = list(pool.map(compile_file, jobs, jobs.values(), chunksize=64))
    skipped = len(compiled) - sum(compiled)
    print(f"precompile: {sum(compiled)} modules compiled, {skipped} that do not compile left")  # noqa: T201


if __name__ == "__main__":
    main()
