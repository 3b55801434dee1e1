"""The engine's footprint on a Pi's terms, side by side with qbittorrent-nox on the same torrents.

Run from the checkout: `.venv/bin/python -m tests.benchmarks.idle_footprint [--torrents 100 1000]
[--seconds 60] [--haul PATH] [--plain]` (`--haul` runs the engine of another checkout, e.g. an
export of main, to print before and after). The engine runs as in the image: on bytecode compiled
as the Dockerfile compiles it (`addon/precompile.py` over the standard library and site-packages,
then over the engine) in a folder of its own (PYTHONPYCACHEPREFIX: the venv and the shared
standard library stay as they are), with TLS authorities from a hashed folder as the add-on's run
script sets (the system's bundle split, `openssl rehash`); `--plain`: as Python and OpenSSL do by
themselves. Printed:

- the `token` and `check` steps of the add-on's start (wall time and peak RSS);
- import-time RSS of each dependency and of the engine's modules, in the order the engine loads
  them;
- where the engine's Python memory goes at idle (tracemalloc, by package and engine subpackage);
- for each count of idle torrents (stalled downloads without peers, ~2,000 pieces and ~42 KB of
  metadata each, as real films; no queueing in either client, so every torrent is active): start
  time until every torrent is listed, RSS, wake-ups per second (context switches of every thread),
  CPU, and bytes written per hour to the data folder; RSS per torrent between the counts; the
  engine's RSS by mapping (anonymous memory: Python's objects and every C allocation; the pages
  of each shared library it touched);
- bytes written per hour to the data folder while 5 torrents download, over a window that holds
  the engine's 5-minute resume sweep (downloads go to tmpfs, which the kernel's write accounting
  leaves out, so the figure is the client's own writes).

Goals (issue 21): RSS <= 80 MB with 100 torrents; <= 5 MB/h written idle, <= 20 MB/h with 5 active.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import ssl
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import qbittorrentapi

from tests.support.engine import ENGINE_BIN, EngineProcess
from tests.support.peers import QbittorrentPeer, bencode, engine_env, make_torrent
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import Callable

PIECES = 2000
PIECE_SIZE = 4 * 1024 * 1024
SETTLE_SECONDS = 10.0
ACTIVE_MIB = 128
ACTIVE_LIMIT_KIBS = 256  # per download (a global limit of 5 x this): each runs through the window
HOUR = 3600
PRECOMPILE = Path(__file__).resolve().parents[2] / "addon" / "precompile.py"
DEPENDENCIES = (  # SQLAlchemy, Alembic and Mako load only to migrate (first start after an update)
    "asyncio", "ssl", "orjson", "msgspec", "pydantic", "aiohttp", "aiohttp.web", "aiosqlite",
    "libtorrent",
)  # fmt: skip
ENGINE_MODULES = (
    "haul_engine.settings", "haul_engine.cli", "haul_engine.db.database",
    "haul_engine.torrents.session", "haul_engine.torrents.controller",
    "haul_engine.releases.controller", "haul_engine.library.controller",
    "haul_engine.requests.controller", "haul_engine.api.server", "haul_engine.engine",
)  # fmt: skip


def fake_torrent(number: int) -> tuple[str, bytes]:
    """A film-sized torrent (hash and .torrent) whose data exists nowhere: it stays stalled."""
    sizes = [PIECES * PIECE_SIZE - 4096, 4096]
    info = {
        "name": f"Film.{number:04d}.2160p.WEB-DL",
        "piece length": PIECE_SIZE,
        "files": [
            {"length": sizes[0], "path": [f"Film.{number:04d}.mkv"]},
            {"length": sizes[1], "path": ["Film.nfo"]},
        ],
        "pieces": os.urandom(20 * PIECES),
    }
    info_hash = hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324 - BitTorrent v1's hash
    return info_hash, bencode({"created by": "haul benchmark", "info": info})


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def switches(pid: int) -> int:
    """Context switches of every thread of a process so far (each is a wake-up or a preemption)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return total


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def written(pid: int) -> int:
    """Bytes the process caused to be written to storage (tmpfs not counted)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def rss_by_mapping(pid: int) -> dict[str, float]:
    """Resident MiB of a process: anonymous memory, and the file pages of each file it maps."""
    sizes: dict[str, float] = {"anonymous": 0.0}
    name, resident = "", 0
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's header
            mapped = len(fields) > 5 and not fields[5].startswith("[")
            *_, package, name = fields[5].split("/") if mapped else ("", "anonymous")
            name = package if name.startswith("__init__.") else name  # libtorrent's module
        elif fields[0] == "Rss:":
            resident = int(fields[1])
        elif fields[0] == "Anonymous:":  # a library's pages copied on write count as anonymous
            anonymous = int(fields[1])
            sizes["anonymous"] += anonymous / 1024
            if name != "anonymous":
                sizes[name] = sizes.get(name, 0.0) + (resident - anonymous) / 1024
    return sizes


def measure(pid: int, seconds: float) -> dict[str, float]:
    """Wake-ups/s, CPU %, MB written per hour over a window, and RSS (MiB) at its end."""
    before = (switches(pid), cpu_seconds(pid), written(pid), time.monotonic())
    time.sleep(seconds)
    after = (switches(pid), cpu_seconds(pid), written(pid), time.monotonic())
    elapsed = after[3] - before[3]
    return {
        "rss": rss_kib(pid) / 1024,
        "wakeups": (after[0] - before[0]) / elapsed,
        "cpu": 100 * (after[1] - before[1]) / elapsed,
        "mb_per_hour": (after[2] - before[2]) / elapsed * HOUR / 1e6,
    }


def timed_child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; return its wall seconds, peak RSS (MiB) and output.

    GNU time forks it from a small process: a child forked from this one would count this
    process's memory in its peak until it execs.
    """
    time_program = shutil.which("time") or "/usr/bin/time"
    done = subprocess.run(
        [time_program, "-f", "%e %M", *command],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    *output, measured = done.stderr.rstrip().splitlines()
    seconds, peak = measured.split()
    return float(seconds), int(peak) / 1024, done.stdout + "\n".join(output)


def python_env(haul: Path) -> dict[str, str]:
    """The environment that runs the engine of the checkout haul (on the bytecode folder)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HAUL_", "PYTHON")) or k == "PYTHONPYCACHEPREFIX"
    }
    return {**clean, "PYTHONPATH": str(haul / "addon")}


def as_image(haul: Path, work: Path) -> None:
    """Compile the bytecode folder and make the hashed authorities as the Dockerfile does."""
    python, env = str(ENGINE_BIN / "python"), python_env(haul)
    started = time.perf_counter()
    for only in ([], ["--engine", str(haul / "addon" / "haul_engine")]):
        subprocess.run([python, str(PRECOMPILE), *only], env=env, check=True, capture_output=True)
    took = time.perf_counter() - started
    print(f"bytecode compiled as the image's ({took:.1f} s)")  # noqa: T201
    authorities = work / "certs"
    authorities.mkdir()
    bundle = Path(str(ssl.get_default_verify_paths().cafile)).read_text()
    for number, pem in enumerate(bundle.split("-----BEGIN CERTIFICATE-----")[1:]):
        (authorities / f"{number:03d}.pem").write_text("-----BEGIN CERTIFICATE-----" + pem)
    subprocess.run(["openssl", "rehash", str(authorities)], check=True, capture_output=True)
    os.environ["SSL_CERT_DIR"] = str(authorities)
    os.environ["SSL_CERT_FILE"] = str(authorities / "no-bundle")


def startup_steps(haul: Path, work: Path) -> None:
    """The add-on's steps before the engine runs: `check` (migrates) and `token`."""
    data = work / "steps"
    python = str(ENGINE_BIN / "python")
    env = python_env(haul)
    print("\nadd-on start steps (wall s, peak RSS MiB):")  # noqa: T201
    for step in ("check", "check", "token"):  # the second check finds the schema current
        seconds, peak, output = timed_child(
            [python, "-m", "haul_engine", step, "--data-dir", str(data)], env
        )
        print(f"  {step:<6} {seconds:5.2f} s {peak:6.1f} MiB  {output.strip()[-60:]!r}")  # noqa: T201


def import_costs(haul: Path) -> None:
    """RSS that each import adds, in order (dependencies, then the engine's modules)."""
    script = textwrap.dedent(
        """
        import importlib, sys, time
        def rss():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        last = rss()
        print(f"  {'python itself':<34} {last:6.1f} MiB")
        for name in sys.argv[1:]:
            started = time.perf_counter()
            importlib.import_module(name)
            now = rss()
            took = (time.perf_counter() - started) * 1000
            print(f"  {name:<34} {now - last:+6.1f} MiB {took:6.0f} ms")
            last = now
        print(f"  {'total':<34} {last:6.1f} MiB, {len(sys.modules)} modules")
        """
    )
    print("\nimport-time RSS, each import after the ones above it:")  # noqa: T201
    for names in (DEPENDENCIES, ENGINE_MODULES):
        _, _, output = timed_child(
            [str(ENGINE_BIN / "python"), "-c", script, *names], python_env(haul)
        )
        print(output.rstrip())  # noqa: T201


def python_memory(haul: Path, data: Path, port: int, env: dict[str, str]) -> None:
    """Run the engine on data with tracemalloc; print its Python memory by package at idle."""
    script = textwrap.dedent(
        """
        import tracemalloc
        tracemalloc.start()
        import asyncio, os, signal, sys
        from collections import Counter
        from haul_engine import cli
        real_run = cli.run
        async def run(settings):
            async def report():
                await asyncio.sleep(float(os.environ["SETTLE"]))
                snapshot = tracemalloc.take_snapshot()
                sizes = Counter()
                for stat in snapshot.statistics("filename"):
                    path = stat.traceback[0].filename
                    if path.startswith("<frozen importlib"):
                        key = "(bytecode and modules of every import)"
                    elif "/haul_engine/" in path:
                        parts = path.split("/haul_engine/", 1)[1].split("/")
                        key = "haul_engine." + (parts[0] if len(parts) > 1 else "(top)")
                    elif "site-packages/" in path:
                        key = path.split("site-packages/", 1)[1].split("/")[0]
                    else:
                        key = "stdlib/" + path.rsplit("/", 1)[-1]
                    sizes[key] += stat.size
                total = sum(sizes.values())
                print(f"  Python objects traced: {total / 2**20:.1f} MiB", flush=True)
                for key, size in sizes.most_common(18):
                    print(f"  {key:<40} {size / 2**20:6.2f} MiB", flush=True)
                modules = Counter(name.split(".")[0] for name in sys.modules)
                print("  modules loaded:", ", ".join(
                    f"{k} {v}" for k, v in modules.most_common(12)), flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
            task = asyncio.create_task(report())
            code = await real_run(settings)
            task.cancel()
            return code
        cli.run = run
        sys.exit(cli.main(sys.argv[1:]))
        """
    )
    command = [
        str(ENGINE_BIN / "python"), "-c", script, "--data-dir", str(data),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    full_env = {**python_env(haul), **env, "SETTLE": str(SETTLE_SECONDS)}
    _, _, output = timed_child(command, full_env)
    print("\nwhere the engine's Python memory goes at idle (tracemalloc, by package):")  # noqa: T201
    print("\n".join(line for line in output.splitlines() if line.startswith("  ")))  # noqa: T201


def add_to_engine(engine: EngineProcess, torrents: list[tuple[str, bytes]]) -> None:
    """Add torrents through the engine's API."""
    for _, data in torrents:
        body = {"torrent_base64": base64.b64encode(data).decode()}
        status, answer = engine.request("POST", "/api/v1/torrents", body)
        if status != 200:
            raise RuntimeError(answer)


def engine_idle(
    haul: Path, data: Path, torrents: list[tuple[str, bytes]], seconds: float
) -> dict[str, float]:
    """Start the engine with torrents stored, restart it (timed), let it settle, measure."""
    engine = _engine(haul, data).start(timeout=120)
    # every torrent active, as the qbittorrent-nox peers run (kept in the data folder)
    client = qbittorrentapi.Client(
        host=engine.url, username="admin", password=engine.env["HAUL_QBITTORRENT_PASSWORD"]
    )
    client.app_set_preferences({"queueing_enabled": False})
    try:
        add_to_engine(engine, torrents[len(_listed(engine)) :])
        engine.stop()
        started = time.perf_counter()
        engine.start(timeout=120)
        wait_until(lambda: len(_listed(engine)) >= len(torrents))
        start = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        assert engine.process is not None
        figures = {"start": start, **measure(engine.process.pid, seconds)}
        mapped = sorted(rss_by_mapping(engine.process.pid).items(), key=lambda item: -item[1])
        shown = ", ".join(f"{name} {size:.1f}" for name, size in mapped[:8])
        print(f"  engine RSS by mapping (MiB): {shown}")  # noqa: T201
        return figures
    finally:
        engine.stop(timeout=60)


def _engine(haul: Path, data: Path, **settings: str) -> EngineProcess:
    """An engine of the checkout haul on data, downloading to tmpfs, logging to tmpfs at info."""
    env = {
        **engine_env(HAUL_DOWNLOAD_DIR=str(_shm(data)), **settings),
        "PYTHONPATH": str(haul / "addon"),
    }
    engine = EngineProcess(data, env=env, args=["--log-level", "info"])
    engine.log_path = _shm(data).parent / f"{data.name}-engine.log"  # not the data folder's writes
    return engine


def wait_until(condition: Callable[[], bool], timeout: float = 300.0) -> None:
    """Poll condition until it holds (TimeoutError after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def _listed(engine: EngineProcess) -> list[object]:
    status, answer = engine.request("GET", "/api/v1/torrents")
    return list(answer) if status == 200 else []


def qbittorrent_idle(
    data: Path, torrents: list[tuple[str, bytes]], seconds: float
) -> dict[str, float]:
    """The same for qbittorrent-nox (start timed until its WebAPI lists every torrent)."""
    peer = QbittorrentPeer(data)
    peer.downloads = _shm(data)
    peer.start()
    try:
        have = {item.hash for item in peer.api.torrents_info()}
        missing = [item for item in torrents if item[0] not in have]
        for batch in range(0, len(missing), 50):
            files = {f"{h}.torrent": d for h, d in missing[batch : batch + 50]}
            peer.api.torrents_add(torrent_files=files, save_path=str(peer.downloads))
        # its shutdown is given 10 s: let it have saved every torrent before
        backup = data / "qBittorrent" / "data" / "BT_backup"
        wait_until(lambda: len(list(backup.glob("*.fastresume"))) >= len(torrents))
        peer.stop()
        started = time.perf_counter()
        peer.start(timeout=120)
        wait_until(lambda: len(peer.api.torrents_info()) >= len(torrents))
        start = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        assert peer.process is not None
        return {"start": start, **measure(peer.process.pid, seconds)}
    finally:
        peer.stop()


def _shm(data: Path) -> Path:
    """A download folder on tmpfs for a data folder (its writes are not the client's own)."""
    folder = Path("/dev/shm") / f"haul-bench-{os.getpid()}" / data.name  # noqa: S108 - tmpfs on purpose
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def active(haul: Path, work: Path, data: Path, seconds: float, *, engine: bool) -> dict[str, float]:
    """Bytes written per hour to a data folder (and its idle torrents) while 5 torrents download."""
    source = _shm(work / "seed-source")
    made = [
        make_torrent(source, f"Active.{n}", {f"Active.{n}.mkv": ACTIVE_MIB * 2**20}, 2**20)
        for n in range(5)
    ]
    seeder = QbittorrentPeer(work / "seeder")
    seeder.downloads = source
    seeder.start()
    try:
        for torrent in made:
            seeder.seed(torrent)
        peer_address = f"127.0.0.1:{seeder.listen_port}"
        if engine:
            return _engine_active(haul, data, made, peer_address, seconds)
        return _qbittorrent_active(data, made, peer_address, seconds)
    finally:
        seeder.stop()


def _engine_active(
    haul: Path, data: Path, made: list, peer_address: str, seconds: float
) -> dict[str, float]:
    engine = _engine(haul, data, HAUL_DOWNLOAD_LIMIT=str(5 * ACTIVE_LIMIT_KIBS)).start(timeout=120)
    try:
        for torrent in made:
            added = engine.request(
                "POST", "/api/v1/torrents",
                {"torrent_base64": torrent.base64, "category": "bench-active"},
            )  # fmt: skip
            assert added[0] == 200, added
            engine.request(
                "POST", f"/api/v1/torrents/{torrent.info_hash}/peers", {"peers": [peer_address]}
            )
        assert engine.process is not None
        result = measure(engine.process.pid, seconds)
        done = [engine.request("GET", f"/api/v1/torrents/{t.info_hash}")[1] for t in made]
        result["progress"] = sum(item["progress"] for item in done) / len(done)
        return result
    finally:
        engine.stop(timeout=60)


def _qbittorrent_active(
    data: Path, made: list, peer_address: str, seconds: float
) -> dict[str, float]:
    peer = QbittorrentPeer(data)
    peer.downloads = _shm(data)
    peer.start(timeout=120)
    try:
        peer.api.app_set_preferences({"dl_limit": 5 * ACTIVE_LIMIT_KIBS * 1024})
        for torrent in made:
            peer.api.torrents_add(torrent_files=torrent.data, save_path=str(peer.downloads))
            peer.wait_for(torrent.info_hash, lambda item: not item.state.startswith("checking"))
            peer.api.torrents_add_peers(peers=[peer_address], torrent_hashes=[torrent.info_hash])
        assert peer.process is not None
        result = measure(peer.process.pid, seconds)
        done = peer.api.torrents_info(torrent_hashes=[t.info_hash for t in made])
        result["progress"] = sum(item.progress for item in done) / len(done)
        return result
    finally:
        peer.stop()


def show(label: str, figures: dict[str, float]) -> None:
    """One line of figures."""
    parts = [
        f"start {figures['start']:5.2f} s" if "start" in figures else "",
        f"RSS {figures['rss']:6.1f} MiB",
        f"wake-ups {figures['wakeups']:7.1f}/s",
        f"CPU {figures['cpu']:5.2f} %",
        f"written {figures['mb_per_hour']:7.2f} MB/h",
        f"progress {100 * figures['progress']:.0f} %" if "progress" in figures else "",
    ]
    print(f"  {label:<22} " + "  ".join(part for part in parts if part))  # noqa: T201


def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torrents", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=60.0, help="each measuring window")
    parser.add_argument(
        "--active-seconds", type=float, default=330.0, help="the downloads' window (a resume sweep)"
    )
    parser.add_argument("--haul", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--skip-qbittorrent", action="store_true")
    parser.add_argument("--skip-active", action="store_true")
    parser.add_argument("--plain", action="store_true", help="bytecode and TLS as before")
    arguments = parser.parse_args()
    haul: Path = arguments.haul.resolve()
    work = Path(tempfile.mkdtemp(prefix="haul-footprint-", dir="/var/tmp"))
    print(f"engine of {haul}; work folder {work}")  # noqa: T201
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")  # every Python started from here
    try:
        if not arguments.plain:
            as_image(haul, work)
        startup_steps(haul, work)
        import_costs(haul)
        torrents = [fake_torrent(n) for n in range(max(arguments.torrents))]
        clients: list[tuple[str, Callable[..., dict[str, float]]]] = [
            ("engine", lambda d, t: engine_idle(haul, d, t, arguments.seconds))
        ]
        if not arguments.skip_qbittorrent:
            clients.append(
                ("qbittorrent-nox", lambda d, t: qbittorrent_idle(d, t, arguments.seconds))
            )
        rss: dict[tuple[str, int], float] = {}
        for count in sorted(arguments.torrents):
            print(f"\n{count} idle torrents:")  # noqa: T201
            for name, runner in clients:
                figures = runner(work / name, torrents[:count])
                rss[name, count] = figures["rss"]
                show(name, figures)
            if count == min(arguments.torrents):
                env = {**engine_env(HAUL_DOWNLOAD_DIR=str(_shm(work / "engine")))}
                python_memory(haul, work / "engine", free_port(), env)
        counts = sorted(arguments.torrents)
        if len(counts) > 1:
            print("\nRSS per torrent:")  # noqa: T201
            for name, _ in clients:
                per = (rss[name, counts[-1]] - rss[name, counts[0]]) / (counts[-1] - counts[0])
                print(f"  {name:<22} {per * 1024:6.1f} KiB")  # noqa: T201
        if not arguments.skip_active:
            print(f"\n5 active downloads beside {max(counts)} idle torrents:")  # noqa: T201
            seconds = arguments.active_seconds
            show("engine", active(haul, work, work / "engine", seconds, engine=True))
            if not arguments.skip_qbittorrent:
                folder = work / "qbittorrent-nox"
                show("qbittorrent-nox", active(haul, work, folder, seconds, engine=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(Path("/dev/shm") / f"haul-bench-{os.getpid()}", ignore_errors=True)  # noqa: S108


if __name__ == "__main__":
    main()
