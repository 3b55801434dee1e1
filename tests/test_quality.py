"""Code-quality gates that are part of the suite: ruff, mypy --strict, and the layout's promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
ENGINE = ROOT / "addon" / "haul_engine"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )


def test_ruff_lint_is_clean() -> None:
    done = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    # The integration is typed against Home Assistant's Python: tests/integration/test_typing.py.
    done = _run(str(BIN / "mypy"), "addon/haul_engine")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_engine_subpackage_has_a_readme() -> None:
    packages = [path.parent for path in ENGINE.glob("*/__init__.py")]
    missing = [package.name for package in packages if not (package / "README.md").exists()]
    assert packages
    assert missing == []
