"""TCP connections (each one a TLS handshake over https) an engine opens to Radarr for requests.

Run from the checkout: `.venv/bin/python -m tests.benchmarks.request_connections [--requests 5]
[--engine-source DIR]`. A fake Radarr (its qBittorrent download client is the engine) is added as a
connector; each request is made in Haul (`POST /requests`: lookup, add), searched, selected (grab)
and followed until the arr's download shows in Haul. Printed: the calls the engine made to Radarr
and the connections they came over, in all and per request (the library's own calls to the same
Radarr included). `--engine-source` runs the engine package found in DIR (say a `git archive` of
an older commit) instead of this checkout's, to compare.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tests.engine.requests.conftest import FAST, wait_for_request
from tests.fakes.arr import API_KEY
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.support.engine import EngineProcess
from tests.support.peers import engine_env


def _movie(number: int) -> dict[str, object]:
    return {
        "title": f"Film {number}", "year": 2000 + number, "tmdbId": 1000 + number,
        "titleSlug": f"film-{number}", "images": [], "monitored": False, "hasFile": False,
        "isAvailable": True,
    }  # fmt: skip


def run(requests: int, folder: Path) -> tuple[int, int]:
    """Make the requests; return the calls to Radarr and the connections they came over."""
    env = engine_env(HAUL_REQUEST_STALL_MINUTES="60", **FAST)
    engine = EngineProcess(folder / "engine", env=env).start()
    radarr = ReleaseArr("radarr", folder / "library").start()
    try:
        radarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
        engine.add_connector("radarr", radarr.url, API_KEY)
        for number in range(1, requests + 1):
            radarr.metadata[:] = [_movie(number)]
            title = f"Film.{number}.{2000 + number}.1080p.BluRay.x264-GRP"
            link = f"magnet:?xt=urn:btih:{number:040x}"
            offer = Offer(
                title, link, 8 * 10**9, quality="Bluray-1080p", info_hash=f"{number:040x}"
            )
            radarr.offers[number] = [offer]
            request = engine.call(
                "POST", "/requests", {"media_type": "movie", "query": f"film {number}"}
            )
            detail = wait_for_request(engine, request["id"], "awaiting_selection")
            chosen = {"candidate_id": detail["candidates"][0]["id"]}
            engine.call("POST", f"/requests/{request['id']}/select", chosen)
            wait_for_request(engine, request["id"], "downloading")
        return len(radarr.requests), len(radarr.connections)
    finally:
        radarr.stop()
        engine.stop()


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--engine-source", type=Path, help="a folder holding haul_engine/")
    options = parser.parse_args()
    if options.engine_source:
        os.environ["PYTHONPATH"] = str(options.engine_source.resolve())
    with tempfile.TemporaryDirectory(prefix="haul-connections-") as folder:
        calls, connections = run(options.requests, Path(folder))
    per_call = calls / options.requests
    per_connection = calls / max(connections, 1)
    print(f"engine source: {options.engine_source or 'this checkout'}")  # noqa: T201
    print(f"requests: {options.requests}, calls to Radarr: {calls} ({per_call:.1f} a request)")  # noqa: T201
    print(f"connections to Radarr: {connections} ({per_connection:.1f} calls a connection)")  # noqa: T201


if __name__ == "__main__":
    main()
