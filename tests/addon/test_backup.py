"""Hot backups: the snapshot from backup_pre restores the engine's data without the live files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.engine import EngineProcess

CONFIG = yaml.safe_load((Path(__file__).parents[2] / "addon" / "config.yaml").read_text())


def _excluded(path: Path, relative: str) -> bool:
    """Whether a Supervisor leaves it out (old: right-anchored match, new: full_match)."""
    return any(
        path.match(pattern) or PurePath("data", relative).full_match(f"data/{pattern}")
        for pattern in CONFIG["backup_exclude"]
    )


def _backup_and_restore(source: Path, target: Path) -> list[str]:
    """Copy what the Supervisor would put in a backup; return what it left out."""
    left_out = []
    for path in sorted(source.rglob("*")):
        relative = str(path.relative_to(source))
        if _excluded(path, relative):
            left_out.append(relative)
        elif path.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)
    return left_out


def test_hot_backup_restores_identity_and_data(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory("original").start()
    server_id = engine.request("GET", "/api/v1/info")[1]["server_id"]
    snapshot = subprocess.run(
        [sys.executable, "-m", "haul_engine", "snapshot", "--data-dir", str(engine.data_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "snapshot written" in snapshot.stderr
    restored = engine_factory("restored")
    left_out = _backup_and_restore(engine.data_dir, restored.data_dir)
    assert "haul.db" in left_out
    assert not (restored.data_dir / "haul.db").exists()
    restored.start()
    assert restored.request("GET", "/api/v1/info")[1]["server_id"] == server_id
    assert restored.token == engine.token
    assert "database restored from the backup snapshot" in restored.log
