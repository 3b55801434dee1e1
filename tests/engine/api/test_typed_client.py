"""The integration's typed client follows the OpenAPI document the engine serves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from haul_engine.api.typed_client import MODULE, render, served_document

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess

ROOT = Path(__file__).parents[3]
INTEGRATION = ROOT / "custom_components" / "haul"
COMMAND = [sys.executable, "-m", "haul_engine.api.typed_client"]


def _run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, arguments)], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_client_is_what_the_document_makes() -> None:
    """Fails when a command changed and `python -m haul_engine.api.typed_client` was not run."""
    done = _run("--check")
    assert done.returncode == 0, done.stderr


def test_the_served_document_makes_the_same_client(engine: EngineProcess) -> None:
    served = render(engine.call("GET", "/openapi.json"))
    assert served == (INTEGRATION / MODULE).read_text(encoding="utf-8")


def test_drift_is_found_and_written_over(tmp_path: Path) -> None:
    shutil.copy(INTEGRATION / MODULE, tmp_path / MODULE)
    stale = (tmp_path / MODULE).read_text(encoding="utf-8").replace("    eta: int\n", "")
    (tmp_path / MODULE).write_text(stale, encoding="utf-8")
    done = _run("--check", "--integration", tmp_path)
    assert done.returncode == 1
    assert f"{MODULE} differs" in done.stderr
    assert _run("--integration", tmp_path).returncode == 0
    assert (tmp_path / MODULE).read_bytes() == (INTEGRATION / MODULE).read_bytes()


def test_every_command_is_a_typed_method() -> None:
    document = served_document()
    source = render(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            assert f"    async def {operation['operationId']}(" in source
    listing = "def torrents_list(self, **arguments: Unpack[TorrentsListArgs]) -> list[TorrentInfo]:"
    assert listing in source
    assert 'await self.call("DELETE", f"/torrents/{_segment(info_hash)}", arguments)' in source
    assert "class TorrentInfo(TypedDict):" in source
    assert "    content_layout: NotRequired[" in source  # an argument with a default
