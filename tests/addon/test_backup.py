"""Hot backups: the snapshot from backup_pre restores the engine's data without the live files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import yaml

from tests.engine.requests.conftest import WEBHOOK_SECRET, add_overseerr, only_request
from tests.fakes.overseerr import OverseerrRequest
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

MAGNET = "magnet:?xt=urn:btih:" + "a" * 40 + "&dn=The.Matrix.1999.1080p.BluRay.x264-GRP"
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
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    engine = engine_factory("original").start()
    server_id = engine.request("GET", "/api/v1/info")[1]["server_id"]
    assert (
        engine.request("POST", "/api/v1/torrents", {"magnet": MAGNET, "category": "radarr"})[0]
        == 200
    )
    connector = add_overseerr(engine, overseerr, reconcile=False)
    webhook = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
    request = OverseerrRequest(id=7, media_type="movie", title="The Matrix", year=1999, tmdb_id=603)
    assert (
        send_webhook(webhook, overseerr.add(request).webhook("MEDIA_PENDING"), WEBHOOK_SECRET)[0]
        == 200
    )
    pending = only_request(engine)

    snapshot = subprocess.run(
        [sys.executable, "-m", "haul_engine", "snapshot", "--data-dir", str(engine.data_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "snapshot written" in snapshot.stderr
    engine.kill()  # the backup is taken while the engine runs; the restore lands on a new machine
    restored = engine_factory("restored")
    left_out = _backup_and_restore(engine.data_dir, restored.data_dir)
    assert "haul.db" in left_out
    assert not (restored.data_dir / "haul.db").exists()
    restored.start()
    assert "database restored from the backup snapshot" in restored.log
    assert restored.request("GET", "/api/v1/info")[1]["server_id"] == server_id
    assert restored.token == engine.token
    [torrent] = restored.request("GET", "/api/v1/torrents")[1]
    assert (torrent["hash"], torrent["category"]) == ("a" * 40, "radarr")
    assert [c["id"] for c in restored.request("GET", "/api/v1/connectors")[1]] == [connector]
    assert restored.request("GET", f"/api/v1/requests/{pending['id']}")[1]["state"] == "pending"
