"""Starting, stopping and restarting the engine process; bad settings."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess


def test_restart_keeps_identity_token_and_data(engine: EngineProcess) -> None:
    _, before = engine.request("GET", "/api/v1/info")
    token = engine.token
    engine.restart()
    _, after = engine.request("GET", "/api/v1/info")
    assert after["server_id"] == before["server_id"]
    assert engine.token == token
    engine.kill()
    engine.start()
    assert engine.request("GET", "/api/v1/info")[1]["server_id"] == before["server_id"]


def test_sigterm_exits_zero_within_ten_seconds(engine: EngineProcess) -> None:
    started = time.monotonic()
    assert engine.stop() == 0
    assert time.monotonic() - started < 10
    assert "stopping" in engine.log


def test_secrets_file_is_private_and_token_never_logged(engine: EngineProcess) -> None:
    assert (engine.data_dir / "secrets.json").stat().st_mode & 0o777 == 0o600
    engine.request("GET", "/api/v1/system")
    engine.stop()
    assert engine.token not in engine.log


def test_token_command_prints_the_token_last(engine: EngineProcess) -> None:
    for command in (
        [sys.executable, "-m", "haul_engine", "token"],
        [str(Path(sys.executable).parent / "haul-engine"), "token"],
    ):
        done = subprocess.run(
            [*command, "--data-dir", str(engine.data_dir)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.splitlines()[-1] == engine.token


# what the add-on's start steps load: `token` runs at every start (discovery), `check` before it
LOADED = """
import runpy, sys
sys.argv = ["haul_engine", *sys.argv[1:]]
try:
    runpy.run_module("haul_engine", run_name="__main__")
except SystemExit:
    pass
heavy = ("asyncio", "aiohttp", "sqlalchemy", "alembic", "mako", "libtorrent", "haul_engine.engine")
print(*(name for name in heavy if name in sys.modules), sep=",")
"""


@pytest.mark.parametrize(("step", "loaded"), [("token", ""), ("check", "asyncio")])
def test_start_steps_load_only_what_they_use(tmp_path: Path, step: str, loaded: str) -> None:
    data_dir = tmp_path / "data"
    if step == "check":  # the first check migrates (Alembic, SQLAlchemy); later ones need neither
        subprocess.run(
            [sys.executable, "-m", "haul_engine", "check", "--data-dir", str(data_dir)],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", LOADED, step, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1] == loaded


@pytest.mark.parametrize(
    ("arguments", "environment", "options", "message"),
    [
        (["--port", "70000"], {}, None, "invalid setting 'port' from command line"),
        ([], {"HAUL_PORT": "eighty"}, None, "invalid setting 'port' from environment (HAUL_PORT)"),
        ([], {}, {"log_level": "loud"}, "invalid setting 'log_level' from"),
        ([], {}, {"no_such_option": 1}, "invalid setting 'no_such_option'"),
        ([], {}, "[1, 2]", "expected a JSON object"),
        ([], {}, "{broken", "not JSON"),
        (["--database-url", "mysql://x"], {}, None, "invalid setting 'database_url'"),
    ],
)
def test_bad_settings_stop_the_start_with_one_clear_message(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], options: object, message: str
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if options is not None:
        text = options if isinstance(options, str) else json.dumps(options)
        (data_dir / "options.json").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "haul_engine", "--data-dir", str(data_dir), *arguments],
        capture_output=True, text=True, timeout=30, check=False,
        env={"PATH": "/usr/bin:/bin", **environment},
    )  # fmt: skip
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_port_in_use_is_reported(engine: EngineProcess, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "haul_engine", "--data-dir", str(tmp_path / "second"),
         "--host", "127.0.0.1", "--port", str(engine.port)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot start" in done.stderr
    assert "address already in use" in done.stderr
