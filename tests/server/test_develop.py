"""scripts/develop as a developer runs it: the newest Home Assistant, connected, Assist on."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest_socket

from tests.support.browser import SERVER_HASS
from tests.support.programs import free_port, require_program

ROOT = Path(__file__).parents[2]
UNTESTED_NOTICE = "We found a custom integration haul which has not been tested"


class DevelopScript:
    """scripts/develop on a scratch folder and free ports; stopped like Ctrl-C."""

    def __init__(self, folder: Path) -> None:
        """Prepare, nothing runs yet."""
        self.folder = folder
        self.ha_url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "DEVELOP_DIR": str(folder),
            "DEVELOP_ENGINE_PORT": str(free_port()),
            "DEVELOP_HA_PORT": self.ha_url.rsplit(":", 1)[1],
        }
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "develop")], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.printed: list[str] = []

    def wait_until_ready(self, timeout: float = 240.0) -> dict[str, str]:
        """Read what it prints until it says where Home Assistant is; return its credentials."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.printed.append(line.rstrip())
            if "qBittorrent password:" in line:
                text = "\n".join(self.printed)
                return dict(re.findall(r"^\s+([\w ]+): (\S+)$", text, re.MULTILINE))
        message = "scripts/develop did not get ready:\n" + "\n".join(self.printed)
        raise AssertionError(message)

    def stop(self) -> int:
        """Ctrl-C, as a developer ends it; returns its exit status."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(60)


def _call(
    url: str, body: dict[str, Any] | None = None, token: str = "", *, form: bool = False
) -> Any:  # noqa: ANN401 - JSON
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
        headers["Content-Type"] = (
            "application/x-www-form-urlencoded" if form else "application/json"
        )
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def _login(base: str, user: str, password: str) -> str:
    """An access token for the developer's account."""
    client = f"{base}/"
    flow = _call(f"{base}/auth/login_flow", {
        "client_id": client, "handler": ["homeassistant", None], "redirect_uri": client,
    })  # fmt: skip
    done = _call(f"{base}/auth/login_flow/{flow['flow_id']}", {
        "client_id": client, "username": user, "password": password,
    })  # fmt: skip
    tokens = _call(f"{base}/auth/token", {
        "grant_type": "authorization_code", "code": done["result"], "client_id": client,
    }, form=True)  # fmt: skip
    return str(tokens["access_token"])


def _haul_states(base: str, token: str) -> dict[str, str]:
    template = {"template": "{{ integration_entities('haul') | tojson }}"}
    ours = set(_call(f"{base}/api/template", template, token))
    states = _call(f"{base}/api/states", token=token)
    return {state["entity_id"]: state["state"] for state in states if state["entity_id"] in ours}


def _until(condition: Any, timeout: float = 60.0) -> Any:  # noqa: ANN401 - a truthy value
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
    return value


def test_develop_runs_the_newest_home_assistant_connected(tmp_path: Path) -> None:
    require_program(str(SERVER_HASS))
    pytest_socket.enable_socket()
    script = DevelopScript(tmp_path / "dev")
    try:
        said = script.wait_until_ready()
        base = script.ha_url
        token = _login(base, said["user"], said["password"])
        assert any("Home Assistant 2026." in line for line in script.printed), script.printed
        states = _until(
            lambda: (
                (found := _haul_states(base, token))
                and "unavailable" not in found.values()
                and found
            )
        )
        assert "sensor.haul_download_speed" in states

        # Assist: the conversation agent with Haul's sentences answers from the engine.
        spoken = _call(
            f"{base}/api/conversation/process",
            {"text": "what is downloading", "language": "en"},
            token,
        )
        speech = spoken["response"]["speech"]["plain"]["speech"]
        assert speech == "Nothing is downloading.", spoken

        # The engine's qBittorrent WebAPI takes the password it printed (what Sonarr would use).
        login = urllib.parse.urlencode(
            {"username": said["qBittorrent username"], "password": said["qBittorrent password"]}
        ).encode()
        engine = next(line for line in script.printed if line.startswith("Haul engine: "))
        engine_url = engine.split()[2]
        request = urllib.request.Request(f"{engine_url}/api/v2/auth/login", data=login)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            assert answer.read() == b"Ok."
    finally:
        assert script.stop() in {0, 130}
    log = (tmp_path / "dev" / "homeassistant.log").read_text(errors="replace")
    warned = [
        line
        for line in log.splitlines()
        if ("WARNING" in line or "ERROR" in line) and UNTESTED_NOTICE not in line
    ]
    assert not [line for line in warned if "haul" in line.lower()], warned


def test_a_wireguard_configuration_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """The engine would run in this machine's namespace: its routing and resolv.conf untouched."""
    machine = Path("/etc/resolv.conf").read_text()
    done = subprocess.run(
        [str(ROOT / "scripts" / "develop")], cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={**os.environ, "DEVELOP_DIR": str(tmp_path), "HAUL_WIREGUARD_CONFIG": "/wg0.conf"},
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "HAUL_WIREGUARD_CONFIG would route this machine through the tunnel" in done.stderr
    assert list(tmp_path.iterdir()) == []
    assert Path("/etc/resolv.conf").read_text() == machine
