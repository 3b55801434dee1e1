"""Torrents made on the fly and real BitTorrent peers (qbittorrent-nox) for tests and benchmarks.

Peers are connected explicitly (no trackers, DHT, LSD or PeX): the engine with
`POST /api/v1/torrents/{hash}/peers`, qbittorrent-nox with `torrents/addPeers`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import qbittorrentapi

from tests.support.programs import free_port, require_program

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess

PIECE_SIZE = 256 * 1024


@dataclass(frozen=True)
class MadeTorrent:
    """A torrent and the folder holding its complete content."""

    name: str
    data: bytes
    info_hash: str
    magnet: str
    parent: Path
    files: dict[str, int]
    v2_hash: str = ""

    @property
    def base64(self) -> str:
        """The .torrent for the engine's `torrent_base64`."""
        return base64.b64encode(self.data).decode()

    @property
    def qbittorrent_id(self) -> str:
        """The hash qBittorrent lists it by: v1, or for a hybrid the v2 hash cut to 40."""
        return self.v2_hash[:40] if self.v2_hash else self.info_hash


def make_torrent(  # noqa: PLR0913 - where, what, and how the data is made
    parent: Path,
    name: str,
    files: dict[str, int],
    piece_size: int = PIECE_SIZE,
    *,
    hybrid: bool = False,
    sparse: bool = False,
) -> MadeTorrent:
    """Write random files under parent/name (sizes by relative path); make a v1/hybrid torrent.

    A one-file torrent is named after its file, as BitTorrent clients make it. Sparse files (all
    zeros, no disk space) make big torrents at once.
    """
    root = parent / name
    for relative, size in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            if sparse:
                handle.truncate(size)
                continue
            left = size
            while left:
                chunk = min(left, 4 * 1024 * 1024)
                handle.write(os.urandom(chunk))
                left -= chunk
    if len(files) == 1 and "/" not in next(iter(files)):
        root = root / next(iter(files))
    if hybrid:
        return _hybrid_torrent(root, name, files, piece_size)
    paths = sorted(files) if root.is_dir() else [""]
    info: dict[str, object] = {"name": root.name, "piece length": piece_size}
    if root.is_dir():
        info["files"] = [{"length": files[path], "path": path.split("/")} for path in paths]
    else:
        info["length"] = files[next(iter(files))]
    info["pieces"] = b"".join(_piece_hashes([root / path for path in paths], piece_size))
    data = bencode({"created by": "haul tests", "info": info})
    info_hash = hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324 - BitTorrent v1's hash
    magnet = f"magnet:?xt=urn:btih:{info_hash}&dn={name}"
    return MadeTorrent(name, data, info_hash, magnet, root.parent, files)


def _piece_hashes(paths: list[Path], piece_size: int) -> Iterator[bytes]:
    """SHA-1 of each piece of the files' bytes laid end to end (BitTorrent v1)."""
    piece = bytearray()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(piece_size - len(piece)):
                piece += chunk
                if len(piece) == piece_size:
                    yield hashlib.sha1(piece).digest()  # noqa: S324 - BitTorrent v1's hash
                    piece.clear()
    if piece:
        yield hashlib.sha1(piece).digest()  # noqa: S324 - BitTorrent v1's hash


def _hybrid_torrent(root: Path, name: str, files: dict[str, int], piece_size: int) -> MadeTorrent:
    """A v1 + v2 torrent, made by libtorrent (the engine's Python only)."""
    import libtorrent as lt  # noqa: PLC0415 - Home Assistant's Python has no libtorrent

    creator = lt.create_torrent(lt.list_files(str(root)), piece_size, 0)
    creator.set_creator("haul tests")
    lt.set_piece_hashes(creator, str(root.parent))
    data = bytes(lt.bencode(creator.generate()))
    hashes = lt.load_torrent_buffer(data).ti.info_hashes()
    magnet = f"magnet:?xt=urn:btih:{hashes.v1}&dn={name}"
    return MadeTorrent(name, data, str(hashes.v1), magnet, root.parent, files, str(hashes.v2))


def bencode(value: object) -> bytes:
    """Bencode ints, bytes, str, lists and dicts by hand (so hostile .torrent files can be made)."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted(
            (key.encode() if isinstance(key, str) else key, item) for key, item in value.items()
        )
        return b"d" + b"".join(bencode(key) + bencode(item) for key, item in items) + b"e"
    msg = f"cannot bencode {type(value).__name__}"
    raise TypeError(msg)


def files_identical(first: Path, second: Path, files: dict[str, int]) -> bool:
    """Whether every file has the same bytes under both folders."""
    return all((first / name).read_bytes() == (second / name).read_bytes() for name in files)


def pbkdf2_setting(password: str) -> str:
    """qBittorrent's WebUI\\Password_PBKDF2 value for password."""
    salt = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, 64)
    return f'"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"'


class QbittorrentPeer:
    """A qbittorrent-nox 4.5 with its own profile, WebUI on 127.0.0.1, TCP only, DHT/LSD/PeX off."""

    username = "admin"
    password = "adminadmin"  # noqa: S105 - the throw-away test peer's login

    def __init__(
        self, folder: Path, *, host: str = "127.0.0.1", interface: str = "lo", netns: str = ""
    ) -> None:
        """Prepare the profile (bound to interface, inside network namespace netns if given)."""
        self.folder = folder
        self.host = host
        self.interface = interface
        self.netns = netns
        self.downloads = folder / "downloads"
        self.webui_port = free_port()
        self.listen_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.client: qbittorrentapi.Client | None = None

    @property
    def url(self) -> str:
        """The WebUI address."""
        return f"http://{self.host}:{self.webui_port}"

    def _write_config(self) -> None:
        config = self.folder / "qBittorrent" / "config" / "qBittorrent.conf"
        config.parent.mkdir(parents=True, exist_ok=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        bittorrent = {
            "Session\\Port": str(self.listen_port),
            "Session\\Interface": self.interface,
            "Session\\InterfaceName": self.interface,
            "Session\\BTProtocol": "TCP",
            "Session\\DHTEnabled": "false",
            "Session\\LSDEnabled": "false",
            "Session\\PeXEnabled": "false",
            "Session\\QueueingSystemEnabled": "false",
            "Session\\DefaultSavePath": str(self.downloads),
            "Session\\AddExtensionToIncompleteFiles": "false",
        }
        preferences = {
            "WebUI\\Address": self.host,
            "WebUI\\Port": str(self.webui_port),
            "WebUI\\Username": self.username,
            "WebUI\\Password_PBKDF2": pbkdf2_setting(self.password),
            "WebUI\\LocalHostAuth": "false",
            "WebUI\\CSRFProtection": "false",
            "WebUI\\HostHeaderValidation": "false",
            "Connection\\UPnP": "false",
            "Connection\\ResolvePeerCountries": "false",
            "General\\UseRandomPort": "false",
        }
        lines = ["[LegalNotice]", "Accepted=true", "", "[BitTorrent]"]
        lines += [f"{key}={value}" for key, value in bittorrent.items()]
        lines += ["", "[Preferences]"]
        lines += [f"{key}={value}" for key, value in preferences.items()]
        config.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 20.0) -> QbittorrentPeer:
        """Run qbittorrent-nox and log in."""
        program = require_program("qbittorrent-nox")
        self._write_config()
        log = (self.folder / "qbittorrent.log").open("ab")
        inside = ["ip", "netns", "exec", self.netns] if self.netns else []
        self.process = subprocess.Popen(
            [*inside, program, f"--profile={self.folder}", f"--webui-port={self.webui_port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            client = qbittorrentapi.Client(
                host=self.url,
                username=self.username,
                password=self.password,
                REQUESTS_ARGS={"timeout": 5},
            )
            try:
                client.auth_log_in()
            except (qbittorrentapi.APIConnectionError, qbittorrentapi.LoginFailed):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    message = "qbittorrent-nox did not start"
                    raise RuntimeError(message) from None
                time.sleep(0.1)
                continue
            self.client = client
            return self

    def start_seeding(self, torrent: MadeTorrent, timeout: float = 20.0) -> QbittorrentPeer:
        """Run qbittorrent-nox seeding torrent, without WebUI (tests may not reach its netns)."""
        program = require_program("qbittorrent-nox")
        self._write_config()
        torrent_file = self.folder / f"{torrent.info_hash}.torrent"
        torrent_file.write_bytes(torrent.data)
        inside = ["ip", "netns", "exec", self.netns] if self.netns else []
        log = (self.folder / "qbittorrent.log").open("ab")
        self.process = subprocess.Popen(
            [*inside, program, f"--profile={self.folder}", f"--webui-port={self.webui_port}",
             f"--save-path={torrent.parent}", "--skip-hash-check", str(torrent_file)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while (
            f":{self.listen_port} "
            not in subprocess.run(
                [*inside, "ss", "-ltn"], capture_output=True, text=True, check=False
            ).stdout
        ):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                message = "qbittorrent-nox did not start listening"
                raise RuntimeError(message)
            time.sleep(0.1)
        return self

    @property
    def api(self) -> qbittorrentapi.Client:
        """The logged-in WebAPI client."""
        if self.client is None:
            message = "qbittorrent-nox is not running"
            raise RuntimeError(message)
        return self.client

    def seed(self, torrent: MadeTorrent) -> None:
        """Add a torrent whose content is already in torrent.parent, and wait until it seeds."""
        self.api.torrents_add(
            torrent_files=torrent.data, save_path=str(torrent.parent), is_skip_checking=True
        )
        self.wait_for(torrent.qbittorrent_id, lambda item: item.progress == 1.0)

    def leech(self, torrent: MadeTorrent, peer: str) -> None:
        """Download torrent into the profile's folder from peer (host:port)."""
        self.api.torrents_add(torrent_files=torrent.data, save_path=str(self.downloads))
        self.wait_for(
            torrent.qbittorrent_id, lambda item: item.state not in {"checkingUP", "checkingDL"}
        )
        self.api.torrents_add_peers(peers=[peer], torrent_hashes=[torrent.qbittorrent_id])

    def wait_for(
        self, info_hash: str, condition: Callable[[Any], bool], timeout: float = 60.0
    ) -> qbittorrentapi.TorrentDictionary:
        """Poll torrents/info until condition(item) holds; return the item."""
        deadline = time.monotonic() + timeout
        while True:
            items = self.api.torrents_info(torrent_hashes=info_hash)
            if items and condition(items[0]):
                return items[0]
            if time.monotonic() > deadline:
                message = f"qbittorrent-nox: condition not met for {info_hash}: {items}"
                raise TimeoutError(message)
            time.sleep(0.1)

    def stop(self) -> None:
        """Shut down through the API, then by signal."""
        if self.process is None:
            return
        if self.client is not None:
            with contextlib.suppress(qbittorrentapi.APIError):
                self.client.app_shutdown()
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.client = None


def engine_env(**extra: str) -> dict[str, str]:
    """Engine settings for loopback swarms: explicit peers only, TCP only, no disk guard."""
    return {
        "HAUL_LISTEN_PORT": str(free_port()),
        "HAUL_DHT": "false",
        "HAUL_LSD": "false",
        "HAUL_PEX": "false",
        "HAUL_UTP": "false",
        "HAUL_MIN_FREE_SPACE_MB": "0",
        "HAUL_QBITTORRENT_PASSWORD": "haul-test-password",
        **extra,
    }


def wait_for_torrent(
    engine: EngineProcess,
    info_hash: str,
    condition: Callable[[dict[str, Any]], bool],
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Poll the engine's GET /api/v1/torrents/{hash} until condition(torrent) holds; return it."""
    deadline = time.monotonic() + timeout
    while True:
        status, torrent = engine.request("GET", f"/api/v1/torrents/{info_hash}")
        if status == 200 and condition(torrent):
            return dict(torrent)
        if time.monotonic() > deadline:
            message = f"engine: condition not met for {info_hash}: {status} {torrent}"
            raise TimeoutError(message)
        time.sleep(0.1)


def webapi_call(
    engine: EngineProcess,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    **headers: str,
) -> tuple[int, bytes]:
    """Call the engine's /api/v2 (qBittorrent WebAPI) once, without a client library."""
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    url = f"{engine.url}/api/v2/{path}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
