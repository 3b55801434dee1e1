"""The connector forms' labels in the integration's translations follow the connector kinds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
INTEGRATION = ROOT / "custom_components" / "haul"
COMMAND = [sys.executable, "-m", "haul_engine.connectors.translations"]


def _run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, arguments)], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_translations_are_what_the_kinds_make() -> None:
    """Fails when a kind or a setting changed without `python -m ...translations` run after it."""
    done = _run("--check")
    assert done.returncode == 0, done.stderr


def test_drift_is_found_and_written_over(tmp_path: Path) -> None:
    folder = tmp_path / "haul"
    (folder / "translations").mkdir(parents=True)
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    sonarr = strings["config_subentries"]["sonarr"]["step"]["user"]
    sonarr["data"]["sweep_schedule"] = "Schedule (edited by hand)"
    strings["selector"]["settings_throttle"]["options"]["custom"] = "Mine"
    strings["selector"]["days"]["options"]["0"] = "Lundi"  # written by hand: kept
    (folder / "strings.json").write_text(json.dumps(strings, indent=2), encoding="utf-8")
    shutil.copy(INTEGRATION / "strings.json", folder / "translations" / "en.json")

    done = _run("--check", "--integration", folder)
    assert done.returncode == 1
    assert "strings.json differs" in done.stderr
    assert "en.json differs" in done.stderr  # a copy of strings.json, hand-written parts too
    done = _run("--integration", folder)
    assert done.returncode == 0, done.stderr
    written = json.loads((folder / "strings.json").read_text(encoding="utf-8"))
    assert written["selector"]["days"]["options"]["0"] == "Lundi"
    assert (
        written["config_subentries"]
        == json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))[
            "config_subentries"
        ]
    )
    assert (folder / "translations" / "en.json").read_bytes() == (
        folder / "strings.json"
    ).read_bytes()
    assert _run("--check", "--integration", folder).returncode == 0
