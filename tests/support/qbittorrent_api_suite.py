"""Run qbittorrent-api's own tests against a fresh engine on localhost:8080 (in a loopback-only
network namespace): `python -m tests.support.qbittorrent_api_suite SDIST WORK REPORT`.

Exits with pytest's exit code; the junit report and the engine's log are left in WORK.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import qbittorrentapi

from tests.support.conformance import SUITE_FILES, prepare_suite
from tests.support.engine import EngineProcess
from tests.support.peers import engine_env

PORT = 8080  # the suite names localhost:8080 (and expects nothing on 8081)
USERNAME, PASSWORD = "admin", "adminadmin"  # the suite's defaults
# A plugin for the suite's pytest: the one test that needs a user who cannot read /etc/shadow
# (the suite runs unprivileged; root reads everything) is skipped, saying so, under root.
SKIPS = """
import os
import pytest

def pytest_collection_modifyitems(items):
    if os.geteuid() != 0:
        return
    for item in items:
        if item.name == "test_add_torrent_file_fail":
            item.add_marker(pytest.mark.skip(reason="runs as root: /etc/shadow is readable"))
"""


class _Files(http.server.SimpleHTTPRequestHandler):
    """The suite's torrent files, quietly."""

    def log_message(self, *_args: object) -> None:
        """Stay quiet."""


def mount_resources(resources: Path) -> None:
    """Show the suite's files at /tmp/_resources, where its HTTPS test names its certificate.

    qbittorrent-api's CI mounts them there for qBittorrent; here they are bound in the mount
    namespace of `ip netns exec` (its own), so that the host's /tmp gains only an empty folder.
    """
    if Path("/proc/self/ns/mnt").readlink() == Path(f"/proc/{os.getppid()}/ns/mnt").readlink():
        msg = "run inside `ip netns exec`: it gives the mount namespace /tmp/_resources is bound in"
        raise SystemExit(msg)
    target = Path("/tmp/_resources")  # noqa: S108 - the suite's own path
    target.mkdir(exist_ok=True)
    subprocess.run(["mount", "--bind", str(resources), str(target)], check=True)


def main(sdist: Path, work: Path, report: Path) -> int:
    """Serve the torrent files, start the engine, run the suite, stop the engine."""
    resources = work / "qbittorrent-api" / "tests" / "_resources"
    handler = functools.partial(_Files, directory=str(resources))
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    suite = prepare_suite(sdist, work, f"http://127.0.0.1:{files.server_address[1]}")
    mount_resources(resources)
    env = engine_env(
        HAUL_QBITTORRENT_PASSWORD=PASSWORD,
        # the suite saves to its tmp_path, /tmp/… and its own folder: all under /tmp
        HAUL_EXTRA_FOLDERS=json.dumps(["/tmp"]),  # noqa: S108 - the suite's own paths
    )
    engine = EngineProcess(work / "engine", port=PORT, env=env).start()
    try:
        client = qbittorrentapi.Client(
            host=f"localhost:{PORT}", username=USERNAME, password=PASSWORD
        )
        # qBittorrent's default, which the suite's 401 test relies on (Haul's is off)
        client.app_set_preferences({"web_ui_csrf_protection_enabled": True})
        # A CA bundle named in the environment overrides a requests session's verify=False
        # (psf/requests#3829), which the suite's HTTPS test relies on; it reaches only loopback.
        variables = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HAUL_", "QBITTORRENTAPI", "PYTEST"))
            and key not in {"CI", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
        }
        variables |= {
            "QBITTORRENTAPI_HOST": f"localhost:{PORT}",
            "QBITTORRENTAPI_USERNAME": USERNAME,
            "QBITTORRENTAPI_PASSWORD": PASSWORD,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # none of this project's plugins
        }
        command = [
            sys.executable, "-m", "pytest", *(f"tests/{name}" for name in SUITE_FILES),
            f"--junitxml={report}", f"--basetemp={work / 'tmp'}", "-p", "no:cacheprovider",
            "-q", "--no-header", "-rN",
        ]  # fmt: skip
        plugins = work / "plugins"
        plugins.mkdir()
        (plugins / "haul_suite_skips.py").write_text(SKIPS)
        variables["PYTHONPATH"] = str(plugins)
        command += ["-p", "haul_suite_skips"]
        return subprocess.run(command, cwd=suite, env=variables, check=False).returncode
    finally:
        engine.stop()
        files.shutdown()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
