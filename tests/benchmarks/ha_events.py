"""What Home Assistant costs the engine, and how fast it follows, while downloads and requests move.

Run from the checkout with the engine's Python:
`.venv/bin/python -m tests.benchmarks.ha_events [--before DIR] [--seconds 60] [--downloads 20]
[--requests 10]`; `--before` names an older checkout to measure first and print beside this one
(a `git worktree add ../bench-before 6ce46a2` after which `scripts/setup` ran there: this file and
`tests/support/proxy.py` are copied into it, as it has neither). Each checkout is measured by its
own Home Assistant Python (`.ha-test`, which sees only its checkout) running this file under pytest.

Home Assistant 2026.10.4 runs in that process (its test harness, as `tests/integration` use it) with
the checkout's integration, connected to the checkout's engine (`.venv`). A second engine seeds
`--downloads` torrents of 8 MiB that the first downloads over loopback TCP with a global download
limit (40 KiB/s per download), so that every download keeps moving through the window. Once Home
Assistant follows the engine and the downloads move, for `--seconds` seconds: the downloads go on,
and a fake Overseerr's `--requests` requests each change five times (received by webhook; approved,
whereupon the engine searches and, having nothing to search with, fails them; cancelled), one change
every second or so: 50 request changes with the defaults.

Printed for the window:
- REST requests Home Assistant made to the engine (besides the snapshot it read when it connected):
  Home Assistant reaches the engine through a reverse proxy (`tests/support/proxy.py`) that counts
  the REST requests arriving at the engine; the WebSocket passes through it uncounted.
- Entity state writes per second: calls of `Entity.async_write_ha_state` of Haul's entities.
- Engine event → Home Assistant state, p50 and p95: for each torrent and request event Home
  Assistant receives, from the event's time in the engine (its `at`) until the integration's data
  next changed (its coordinator's listeners have run: entities written).
- Engine CPU seconds (user + system, from /proc) of the engine Home Assistant follows.

Before an integration applied events it re-read the engine after them, and its data changed with
every read: there the next change may answer an earlier event, so its latency is a lower bound.

Measured 2026-12-07 with the defaults (60 s, 20 downloads, 10 requests changing 5 times each), both
checkouts one after the other on 2 cores shared with other work (load average about 6):

                                     before (6ce46a2)         after (4312d39)
    REST requests by Home Assistant  274                      0
    entity state writes              132.1/s (7,926)          12.9/s (773)
    engine event -> HA state p50     11 ms (610 events)       7 ms (631 events)
    engine event -> HA state p95     24 ms                    24 ms
    engine CPU                       1.4 s                    1.3 s

The 274 requests before: 100 `GET /transfer`, 58 `/torrents`, 58 `/system`, 28 `/requests` and
30 `/requests/{id}` (each request read again after 3 of its events).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import custom_components  # noqa: F401 - found before Home Assistant's test config can hide it
from tests.engine.torrents.test_lifecycle import place_content
from tests.fakes.overseerr import API_KEY as OVERSEERR_KEY
from tests.fakes.overseerr import FakeOverseerr, OverseerrRequest
from tests.support.engine import EngineProcess
from tests.support.peers import engine_env, make_torrent
from tests.support.proxy import CountingProxy
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

TORRENT_BYTES = 8 * 1024 * 1024
KIB_PER_DOWNLOAD = 40
SECRET = "benchmark-hook-secret-5e2c91"  # noqa: S105 - a throw-away value
ACTIVE = {"HAUL_MAX_ACTIVE_DOWNLOADS": "100", "HAUL_MAX_ACTIVE_UPLOADS": "100"}
FOLLOWED_EVENTS = ("torrent_", "request_", "release_", "download_", "import_")


def cpu_seconds(engine: EngineProcess) -> float:
    """User and system CPU time the engine process has used so far."""
    assert engine.process is not None
    fields = Path(f"/proc/{engine.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def swarm(folder: Path, downloads: int) -> Iterator[tuple[EngineProcess, list[Any]]]:
    """A seeding engine with the torrents' data, and the torrents."""
    seeder = EngineProcess(folder / "seeder", env=engine_env(**ACTIVE)).start()
    try:
        made = [
            make_torrent(folder / "content", f"Download {n:02d}", {f"d{n:02d}.mkv": TORRENT_BYTES})
            for n in range(downloads)
        ]
        for torrent in made:
            place_content(torrent, seeder.data_dir / "downloads")
            seeder.call("POST", "/torrents", {"torrent_base64": torrent.base64})
        deadline = time.monotonic() + 120
        while any(t["progress"] < 1 for t in seeder.call("GET", "/torrents")):
            assert time.monotonic() < deadline, "the seeder did not check its data"
            time.sleep(0.2)
        yield seeder, made
    finally:
        seeder.kill()


def request_changes(
    engine: EngineProcess, overseerr: FakeOverseerr, hook: str, count: int, seconds: float
) -> None:
    """Change each of count requests five times, spread over seconds (runs in a thread)."""
    pause = seconds / (3 * count + 1)
    requests = [
        OverseerrRequest(id=500 + n, media_type="movie", title=f"Film {n}", year=2000 + n,
                         tmdb_id=9000 + n)
        for n in range(count)
    ]  # fmt: skip
    ids: list[int] = []
    for request in requests:  # received
        send_webhook(hook, overseerr.add(request).webhook("MEDIA_PENDING"), SECRET)
        time.sleep(pause)
    while len(ids) < count:
        ids = [r["id"] for r in engine.call("GET", "/requests?state=pending")]
        time.sleep(0.05)
    for request_id in ids:  # approved, searching, failed
        engine.call("POST", f"/requests/{request_id}/approve")
        time.sleep(pause)
    for request_id in ids:  # cancelled
        while engine.call("GET", f"/requests/{request_id}")["state"] != "failed":
            time.sleep(0.05)
        engine.call("POST", f"/requests/{request_id}/cancel")
        time.sleep(pause)


@dataclass
class Probe:
    """What the window counts in Home Assistant: entity writes, events received, data changes."""

    writes: list[float] = field(default_factory=list)  # time.monotonic() of each write
    received: list[tuple[float, float]] = field(default_factory=list)  # (received, published)
    changes: list[float] = field(default_factory=list)  # time.time() of each data change

    def install(self) -> None:
        """Count Haul's entity writes and note each followed event as the integration reads it."""
        # Home Assistant's modules load after pytest's plugin of its harness
        from homeassistant.helpers.entity import Entity  # noqa: PLC0415

        from custom_components.haul import api  # noqa: PLC0415

        write_state, iterate = Entity.async_write_ha_state, api.EventStream.__aiter__

        def counted(entity: Entity) -> None:
            if entity.platform is not None and entity.platform.platform_name == "haul":
                self.writes.append(time.monotonic())
            write_state(entity)

        async def noted(stream: Any) -> Any:  # noqa: ANN401 - the integration's stream
            async for event in iterate(stream):
                if event.name.startswith(FOLLOWED_EVENTS):
                    self.received.append((time.time(), event.at.timestamp()))
                yield event

        Entity.async_write_ha_state = counted  # type: ignore[method-assign]
        api.EventStream.__aiter__ = noted  # type: ignore[method-assign]

    def latencies(self, since: float) -> list[float]:
        """Seconds from each event published since then to the next change of the data."""
        return sorted(
            change - published
            for received, published in self.received
            if published >= since
            and (change := next((c for c in self.changes if c >= received), None)) is not None
        )


def start_downloads(engine: EngineProcess, seeder: EngineProcess, made: list[Any]) -> None:
    """Add the torrents to the engine, limited to KIB_PER_DOWNLOAD each, fed by the seeder."""
    limits = engine.call("GET", "/transfer")["limits"]
    limits["download_limit"] = KIB_PER_DOWNLOAD * len(made)
    engine.call("PUT", "/transfer", {"limits": limits})
    peers = {"peers": [f"127.0.0.1:{seeder.env['HAUL_LISTEN_PORT']}"]}
    for torrent in made:
        engine.call("POST", "/torrents", {"torrent_base64": torrent.base64})
        engine.call("POST", f"/torrents/{torrent.info_hash}/peers", peers)
    deadline = time.monotonic() + 60
    while sum(t["download_rate"] > 0 for t in engine.call("GET", "/torrents")) < len(made) * 0.8:
        assert time.monotonic() < deadline, "the downloads did not start"
        time.sleep(0.5)


async def connect(hass: HomeAssistant, engine: EngineProcess, url: str) -> Any:  # noqa: ANN401
    """Set the integration up for the engine at url (the proxy); return its coordinator."""
    from homeassistant.const import CONF_TOKEN, CONF_URL  # noqa: PLC0415 - see Probe.install
    from pytest_homeassistant_custom_component.common import MockConfigEntry  # noqa: PLC0415

    entry = MockConfigEntry(
        domain="haul", title="Haul", unique_id=engine.call("GET", "/info")["server_id"],
        data={CONF_URL: url, CONF_TOKEN: engine.token},
    )  # fmt: skip
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry.runtime_data.coordinator


async def measure(hass: HomeAssistant, options: argparse.Namespace, folder: Path) -> list[str]:
    """Run the window; return its figures."""
    probe = Probe()
    probe.install()
    environment = engine_env(
        **ACTIVE, HAUL_REQUEST_POLL_INTERVAL="0.2", HAUL_REQUEST_SEARCH_ATTEMPTS="1"
    )
    with swarm(folder, options.downloads) as (seeder, made), FakeOverseerr() as overseerr:
        engine = EngineProcess(folder / "engine", env=environment).start()
        proxy = CountingProxy(engine.url).start()
        try:
            body = {"kind": "overseerr", "name": "Overseerr", "url": overseerr.url,
                    "api_key": OVERSEERR_KEY,
                    "settings": {"webhook_secret": SECRET, "reconcile": False}}  # fmt: skip
            overseerr_id = engine.call("POST", "/connectors", body)["id"]
            hook = f"{engine.url}/api/v1/webhooks/overseerr/{overseerr_id}"
            coordinator = await connect(hass, engine, proxy.url)
            coordinator.async_add_listener(lambda: probe.changes.append(time.time()))
            await hass.async_add_executor_job(start_downloads, engine, seeder, made)
            await asyncio.sleep(5)  # the integration's reactions to the start settle

            started, started_wall, cpu = time.monotonic(), time.time(), cpu_seconds(engine)
            probe.writes.clear()
            changer = hass.async_add_executor_job(
                request_changes, engine, overseerr, hook, options.requests, options.seconds - 5
            )
            await asyncio.sleep(options.seconds)
            await changer
            elapsed, cpu = time.monotonic() - started, cpu_seconds(engine) - cpu
            rest = proxy.requests_since(started)
            unfinished = sum(t["progress"] < 1 for t in engine.call("GET", "/torrents"))
            assert await hass.config_entries.async_unload(coordinator.config_entry.entry_id)
        finally:
            proxy.stop()
            engine.kill()
    latencies = probe.latencies(started_wall)
    lines = [
        f"window: {elapsed:.0f} s, {unfinished} of {len(made)} downloads unfinished at its end",
        f"REST requests by Home Assistant: {len(rest)}",
        *(f"  {rest.count(line):6d}  {line}" for line in sorted(set(rest), key=rest.count)[::-1]),
        f"entity state writes: {len(probe.writes) / elapsed:.1f}/s ({len(probe.writes)})",
    ]
    if latencies:
        p50, p95 = statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))]
        lines.append(
            f"engine event -> HA state: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
            f"({len(latencies)} events)"
        )
    return [*lines, f"engine CPU: {cpu:.1f} s"]


OPTIONS = "HAUL_BENCHMARK_OPTIONS"  # main() hands its options to the test in this variable
FIGURES = "--- figures"  # the test's printed figures follow this line
CARRIED = ("tests/benchmarks/ha_events.py", "tests/support/proxy.py")  # into an older checkout


async def test_benchmark(hass: HomeAssistant, enable_custom_integrations: None) -> None:
    """Run in Home Assistant's harness; print the figures (nothing is asserted on them)."""
    logging.getLogger("homeassistant").setLevel(logging.WARNING)
    options = argparse.Namespace(**json.loads(os.environ[OPTIONS]))
    with tempfile.TemporaryDirectory() as folder:
        figures = await measure(hass, options, Path(folder))
    print("\n".join([FIGURES, *figures]))  # noqa: T201


def run_in(checkout: Path, options: argparse.Namespace) -> list[str]:
    """Run the benchmark in a checkout, its integration and engine; return its figures."""
    here = Path(__file__).resolve().parents[2]
    if checkout != here:
        for name in CARRIED:  # the older checkout has neither this benchmark nor the proxy
            (checkout / name).write_bytes((here / name).read_bytes())
    command = [
        str(checkout / ".ha-test" / "bin" / "python"), "-m", "pytest", CARRIED[0], "-q", "-s",
        "-p", "no:cacheprovider", "-o", "timeout=900",
    ]  # fmt: skip
    environment = {**os.environ, OPTIONS: json.dumps(vars(options))}
    finished = subprocess.run(  # noqa: PLW1510 - the output says what went wrong
        command, cwd=checkout, env=environment, capture_output=True, text=True
    )
    lines = finished.stdout.splitlines()
    if FIGURES not in lines:
        return [
            f"failed ({finished.returncode}):",
            *lines[-30:],
            *finished.stderr.splitlines()[-10:],
        ]
    figures = lines[lines.index(FIGURES) + 1 :]
    return figures[: next((n for n, line in enumerate(figures) if line.startswith(".")), None)]


def main() -> None:
    """Parse the options, run the benchmark in each checkout, print the figures of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--downloads", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--before", type=Path, help="an older checkout (git worktree) to compare")
    options = parser.parse_args()
    before = options.before
    del options.before
    here = Path(__file__).resolve().parents[2]
    for title, checkout in ([("before", before.resolve())] if before else []) + [("after", here)]:
        commit = subprocess.run(
            ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()[:72]  # fmt: skip
        lines = [f"== {title}: {checkout} ({commit})", *run_in(checkout, options)]
        print("\n".join(lines), flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
