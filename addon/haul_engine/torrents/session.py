"""The one module that touches libtorrent: a typed wrapper around its session and handles."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

import libtorrent as lt

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)
Encryption = Literal["prefer", "require", "disable"]
AlertKind = Literal[
    "metadata",
    "finished",
    "error",
    "state",
    "resume",
    "statuses",
    "moved",
    "move_failed",
    "stats",
    "changed",  # what only its resume data keeps: a file renamed, file priorities applied
]
# session counters kept for qBittorrent's transfer info
STATS = (
    "dht.dht_nodes",
    "peer.num_peers_connected",
    "net.has_incoming_connections",
    "net.recv_payload_bytes",
    "net.sent_payload_bytes",
)
QueueMove = Literal["up", "down", "top", "bottom"]
_ENCRYPTION_POLICY = {"prefer": 1, "require": 0, "disable": 2}  # pe_enabled, pe_forced, pe_disabled
_ALERT_MASK = (
    lt.alert.category_t.status_notification
    | lt.alert.category_t.error_notification
    | lt.alert.category_t.storage_notification
)
_HIGHEST_PIECE_PRIORITY = 7
_DEFAULT_PRIORITY = 4  # what libtorrent gives every file: qBittorrent's "normal"
_BLOCKED = 1  # lt.ip_filter's access flag for a banned range
_UTP_SOCKET = 1 << 17  # peer_info::utp_socket, which the Python bindings do not name
# qBittorrent's tracker states: 1 not contacted, 2 working, 3 updating, 4 not working
_NOT_CONTACTED, _WORKING, _UPDATING, _NOT_WORKING = 1, 2, 3, 4
_PEER_SOURCES = ((lt.peer_info.pex, "X"), (lt.peer_info.dht, "H"), (lt.peer_info.lsd, "L"))
_CHOSEN_FLAGS = (
    lt.torrent_flags.paused,
    lt.torrent_flags.auto_managed,
    lt.torrent_flags.sequential_download,
    lt.torrent_flags.super_seeding,
    lt.torrent_flags.disable_pex,
    lt.torrent_flags.upload_mode,
)
_KINDS: tuple[tuple[Any, AlertKind], ...] = (
    (lt.metadata_received_alert, "metadata"),
    (lt.torrent_finished_alert, "finished"),
    (lt.storage_moved_failed_alert, "move_failed"),
    (lt.torrent_error_alert, "error"),
    (lt.file_error_alert, "error"),
    (lt.state_changed_alert, "state"),
    (lt.torrent_paused_alert, "state"),
    (lt.torrent_resumed_alert, "state"),
    (lt.file_renamed_alert, "changed"),
    (lt.file_prio_alert, "changed"),
)


class TorrentDataError(ValueError):
    """A magnet, .torrent or resume blob that libtorrent refuses."""


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything the session is configured with; applied at start and on every change."""

    listen_port: int
    interface: str
    download_limit: int
    upload_limit: int
    queueing: bool
    max_active_downloads: int
    max_active_uploads: int
    max_active_torrents: int
    dht: bool
    pex: bool
    lsd: bool
    utp: bool
    encryption: Encryption


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One torrent's status at one moment."""

    info_hash: str
    name: str
    save_path: str
    state: str
    paused: bool
    auto_managed: bool
    has_metadata: bool
    finished: bool
    progress: float
    total_size: int
    total_done: int
    wanted_size: int
    downloaded: int
    uploaded: int
    session_downloaded: int
    session_uploaded: int
    download_rate: int
    upload_rate: int
    num_seeds: int
    num_peers: int
    num_complete: int
    num_incomplete: int
    connections: int
    connections_limit: int
    seeding_seconds: int
    active_seconds: int
    last_activity: int
    last_seen_complete: int
    completed_time: int
    next_announce: int
    availability: float
    current_tracker: str
    sequential: bool
    super_seeding: bool
    moving: bool
    upload_mode: bool
    queue_position: int
    pieces_have: int
    error: str
    need_save_resume: bool


@dataclass(frozen=True, slots=True)
class TorrentMeta:
    """What a torrent's metadata says (empty values until it arrives)."""

    v1: str
    v2: str
    private: bool | None
    comment: str
    creator: str
    creation_date: int
    piece_size: int
    pieces: int
    total_size: int


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file as qBittorrent numbers them (pad files left out): path with `/`, bytes done."""

    index: int
    path: str
    size: int
    done: int
    priority: int
    first_piece: int
    last_piece: int
    availability: float


@dataclass(frozen=True, slots=True)
class TrackerEntry:
    """One tracker and what it last said, in qBittorrent's terms."""

    url: str
    tier: int
    status: int
    message: str
    peers: int
    seeds: int
    leeches: int
    downloaded: int


@dataclass(frozen=True, slots=True)
class PeerEntry:
    """One connected peer."""

    ip: str
    port: int
    client: str
    progress: float
    download_rate: int
    upload_rate: int
    downloaded: int
    uploaded: int
    connection: str
    flags: str
    files: list[str]

    @property
    def address(self) -> str:
        """ip:port with IPv6 addresses in brackets, as qBittorrent keys peers."""
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


@dataclass(frozen=True, slots=True)
class TorrentAlert:
    """A libtorrent alert reduced to what the controller acts on."""

    kind: AlertKind
    info_hash: str = ""
    message: str = ""
    resume_data: bytes = b""
    snapshots: list[Snapshot] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a .torrent or magnet says before it is added (file paths without pad files)."""

    info_hash: str
    name: str
    multi_file: bool
    file_paths: list[str]


@dataclass(slots=True)
class AddRequest:
    """How to add one torrent: from resume_data (plus torrent), else torrent, else magnet.

    Resume data leaves the metadata out: torrent (the .torrent) gives it back.
    """

    save_path: Path
    magnet: str = ""
    torrent: bytes = b""
    resume_data: bytes = b""
    stopped: bool = False
    sequential: bool = False
    first_last_piece: bool = False
    super_seeding: bool = False
    pex: bool = True
    layout: str = "Original"
    download_limit: int = 0
    upload_limit: int = 0
    recheck: bool = False


def read_magnet(uri: str) -> Metadata:
    """Parse a magnet URI or raise TorrentDataError."""
    params = _parse_magnet(uri)
    return Metadata(
        _hash_of(params.info_hashes), params.name or "", multi_file=False, file_paths=[]
    )


def read_torrent(data: bytes) -> Metadata:
    """Parse .torrent bytes or raise TorrentDataError."""
    params = _load_torrent(data)
    layout = params.ti.layout()
    paths = [layout.file_path(index).replace("\\", "/") for index in _real_files(layout)]
    return Metadata(_hash_of(params.ti.info_hashes()), params.ti.name(), "/" in paths[0], paths)


def _real_files(layout: Any) -> list[int]:  # noqa: ANN401 - libtorrent file_storage
    """Libtorrent's indexes of the files qBittorrent shows: every one but the pad files."""
    pad = lt.file_storage.flag_pad_file
    return [index for index in range(layout.num_files()) if not layout.file_flags(index) & pad]


def _params_for(request: AddRequest) -> Any:  # noqa: ANN401 - libtorrent add_torrent_params
    """Start from the resume data (plus the .torrent's metadata), else the .torrent or magnet."""
    if request.resume_data:
        try:
            params = lt.read_resume_data(request.resume_data)
        except RuntimeError as err:
            msg = f"resume data unusable: {err}"
            raise TorrentDataError(msg) from None
        if params.ti is None and request.torrent:
            params.ti = _load_torrent(request.torrent).ti
        return params
    if request.torrent:
        return _load_torrent(request.torrent)
    return _parse_magnet(request.magnet)


def _parse_magnet(uri: str) -> Any:  # noqa: ANN401 - libtorrent add_torrent_params
    try:
        return lt.parse_magnet_uri(uri)
    except RuntimeError as err:
        msg = f"not a usable magnet link: {err}"
        raise TorrentDataError(msg) from None


def _load_torrent(data: bytes) -> Any:  # noqa: ANN401 - libtorrent add_torrent_params
    try:
        return lt.load_torrent_buffer(data)
    except RuntimeError as err:
        msg = f"not a usable .torrent file: {err}"
        raise TorrentDataError(msg) from None


def _hash_of(hashes: Any) -> str:  # noqa: ANN401 - libtorrent info_hash_t
    """Return the v1 info-hash when there is one, else the v2 hash cut to 40 hex characters."""
    if hashes.has_v1():
        return str(hashes.v1)
    return str(hashes.v2)[:40]


def _spellings(hashes: Any) -> list[str]:  # noqa: ANN401 - libtorrent info_hash_t
    """Every spelling a caller may use for a torrent: v1, full v2 and truncated v2."""
    spellings = []
    if hashes.has_v1():
        spellings.append(str(hashes.v1))
    if hashes.has_v2():
        spellings += [str(hashes.v2), str(hashes.v2)[:40]]
    return spellings


class TorrentSession:
    """A libtorrent session; handles stay inside and are reached by the hash they were added as.

    A torrent keeps that hash for life: a magnet whose `btih` is a hybrid torrent's v2 hash cut
    to 40 characters gains its v1 and full v2 hashes with the metadata, as further spellings.
    """

    def __init__(self, config: SessionConfig, alert_fd: int) -> None:
        """Start the session with config; alerts are signalled by writing to alert_fd."""
        self._handles: dict[str, Any] = {}
        self._aliases: dict[str, str] = {}
        self._files: dict[str, list[int]] = {}
        # libtorrent applies file priorities asynchronously: what was asked, until it shows
        self._asked_priorities: dict[str, list[int]] = {}
        self._pex = config.pex
        self._session = lt.session(self._settings(config))
        everyone = lt.ip_filter()
        # libtorrent exempts LAN peers from the limits; qBittorrent (and Haul) limit them too
        global_class = 1 << lt.session.global_peer_class_id
        everyone.add_rule("0.0.0.0", "255.255.255.255", global_class)  # noqa: S104 - a range, not a bind
        everyone.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", global_class)
        self._session.set_peer_class_filter(everyone)
        self._session.set_alert_fd(alert_fd)

    @staticmethod
    def _settings(config: SessionConfig) -> lt.settings_pack:
        if config.interface:
            listen = f"{config.interface}:{config.listen_port}"
        else:
            anywhere = "0.0.0.0"  # noqa: S104 - without a VPN interface peers connect from anywhere
            listen = f"{anywhere}:{config.listen_port},[::]:{config.listen_port}"
        policy = _ENCRYPTION_POLICY[config.encryption]
        # without queueing every torrent runs (qBittorrent sets the same unlimited values)
        downloads, seeds, active = (
            (config.max_active_downloads, config.max_active_uploads, config.max_active_torrents)
            if config.queueing
            else (-1, -1, -1)
        )
        # sized for a Raspberry Pi: what a queue or buffer may hold is held in RAM
        return {
            "alert_mask": _ALERT_MASK,
            # room for a resume-data alert per torrent when thousands are saved at shutdown (a
            # limit: the queue holds only what is pending)
            "alert_queue_size": 10_000,
            "user_agent": "Haul",
            "listen_interfaces": listen,
            "outgoing_interfaces": config.interface,
            "download_rate_limit": config.download_limit,
            "upload_rate_limit": config.upload_limit,
            "active_downloads": downloads,
            "active_seeds": seeds,
            "active_limit": active,
            "enable_dht": config.dht,
            "enable_lsd": config.lsd,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": config.utp,
            "enable_incoming_utp": config.utp,
            "in_enc_policy": policy,
            "out_enc_policy": policy,
            # an SD card or USB disk gains nothing from more parallel I/O; each thread costs a stack
            "aio_threads": 2,
            "hashing_threads": 1,
            # blocks waiting for the disk, in all (the write queue is where a fast download piles)
            "max_queued_disk_bytes": 8 * 1024 * 1024,
            # per uploading peer: qBittorrent's 500 KiB (libtorrent's own default), not MiBs each
            "send_buffer_watermark": 500 * 1024,
            "send_buffer_low_watermark": 10 * 1024,
            "send_buffer_watermark_factor": 50,
            "max_out_request_queue": 1500,
            "max_allowed_in_request_queue": 2000,
        }

    def configure(self, config: SessionConfig) -> None:
        """Apply a changed configuration (PeX to every torrent, as it is a torrent flag)."""
        self._session.apply_settings(self._settings(config))
        if config.pex != self._pex:
            self._pex = config.pex
            for handle in self._handles.values():
                if config.pex:
                    handle.unset_flags(lt.torrent_flags.disable_pex)
                else:
                    handle.set_flags(lt.torrent_flags.disable_pex)

    def set_rate_limits(self, download: int, upload: int) -> None:
        """Global limits in bytes/s (0 = none)."""
        self._session.apply_settings({"download_rate_limit": download, "upload_rate_limit": upload})

    def ban(self, addresses: Iterable[str]) -> None:
        """Refuse connections to and from these IP addresses (the list replaces the last one)."""
        rules = lt.ip_filter()
        for address in addresses:
            rules.add_rule(address, address, _BLOCKED)
        self._session.set_ip_filter(rules)

    def pause_all(self) -> None:
        """Stop every transfer without touching each torrent's own state."""
        self._session.pause()

    def resume_all(self, *, reopen_sockets: bool) -> None:
        """Undo pause_all, reopening the listen and outgoing sockets first when asked."""
        if reopen_sockets:
            self._session.reopen_network_sockets(0)
        self._session.resume()

    def listening(self) -> bool:
        """Whether the session has a listen socket."""
        return bool(self._session.is_listening())

    def post_stats(self) -> None:
        """Ask for a stats alert with the session counters in STATS."""
        self._session.post_session_stats()

    def close(self) -> None:
        """Stop every transfer; libtorrent finishes its disk work when this object is dropped."""
        self._session.pause()
        self._session.set_alert_fd(-1)
        self._handles.clear()

    def resolve(self, info_hash: str) -> str | None:
        """Return the canonical hash for any spelling (v1, v2, truncated v2), or None."""
        return self._aliases.get(info_hash.lower())

    def _key(self, hashes: Any) -> str | None:  # noqa: ANN401 - libtorrent info_hash_t
        """Return the canonical hash of a handle's hashes, learning spellings metadata added."""
        spellings = _spellings(hashes)
        key = next((self._aliases[s] for s in spellings if s in self._aliases), None)
        if key is not None:
            for spelling in spellings:
                self._aliases.setdefault(spelling, key)
        return key

    def __contains__(self, info_hash: str) -> bool:
        """Whether a torrent with this canonical hash is in the session."""
        return info_hash in self._handles

    def add(self, request: AddRequest, check: Callable[[list[str]], None] | None = None) -> str:
        """Add a torrent synchronously (it is listed at once) and return its hash.

        check sees the file paths (relative to the save path) first and may refuse them by
        raising. A torrent without metadata is added in upload mode: nothing is written until
        `release` is called once its paths have been checked.
        """
        params = _params_for(request)
        if request.recheck:
            # without a piece bitfield libtorrent hashes what is on disk before downloading
            params.have_pieces = []
            params.verified_pieces = []
        params.save_path = str(request.save_path)
        params.flags = self._flags(params, request)
        params.download_limit = request.download_limit or -1
        params.upload_limit = request.upload_limit or -1
        if params.ti is not None:
            layout = params.ti.layout()
            if not request.resume_data:  # resume data carries the files' paths as they are
                params.renamed_files = _relayout(layout, request.layout)
            if check is not None:
                renamed = dict(params.renamed_files)
                check(
                    [
                        renamed.get(index, layout.file_path(index)).replace("\\", "/")
                        for index in _real_files(layout)
                    ]
                )
        try:
            handle = self._session.add_torrent(params)
        except RuntimeError as err:
            msg = f"libtorrent refused the torrent: {err}"
            raise TorrentDataError(msg) from None
        hashes = handle.info_hashes()
        info_hash = _hash_of(hashes)
        self._handles[info_hash] = handle
        for spelling in _spellings(hashes):
            self._aliases[spelling] = info_hash
        if request.first_last_piece:
            self.prioritize_first_last(info_hash, enabled=True)
        return info_hash

    def _flags(self, params: Any, request: AddRequest) -> Any:  # noqa: ANN401 - libtorrent flags
        """Return the add flags: the request's choices, not what a resume blob remembered."""
        flags = params.flags | lt.torrent_flags.duplicate_is_error
        for flag in _CHOSEN_FLAGS:
            flags &= ~flag
        flags |= lt.torrent_flags.paused if request.stopped else lt.torrent_flags.auto_managed
        chosen = (
            (request.sequential, lt.torrent_flags.sequential_download),
            (request.super_seeding, lt.torrent_flags.super_seeding),
            (not self._pex, lt.torrent_flags.disable_pex),
            (params.ti is None, lt.torrent_flags.upload_mode),
        )
        for wanted, flag in chosen:
            if wanted:
                flags |= flag
        return flags

    def release(self, info_hash: str) -> None:
        """Let a torrent whose paths were checked write (leave the upload mode of `add`)."""
        self._handle(info_hash).unset_flags(lt.torrent_flags.upload_mode)

    def _handle(self, info_hash: str) -> Any:  # noqa: ANN401 - libtorrent torrent_handle
        return self._handles[info_hash]

    def remove(self, info_hash: str, *, delete_files: bool) -> None:
        """Remove a torrent, and its downloaded files when asked."""
        handle = self._handles.pop(info_hash)
        self._files.pop(info_hash, None)
        self._asked_priorities.pop(info_hash, None)
        for spelling in [key for key, value in self._aliases.items() if value == info_hash]:
            del self._aliases[spelling]
        self._session.remove_torrent(handle, lt.session.delete_files if delete_files else 0)

    def stop(self, info_hash: str) -> None:
        """Stop a torrent until start is called (not auto-managed, so the queue leaves it alone)."""
        handle = self._handle(info_hash)
        handle.unset_flags(lt.torrent_flags.auto_managed)
        handle.pause(lt.torrent_handle.graceful_pause)

    def start(self, info_hash: str, *, forced: bool = False) -> None:
        """Start a torrent: queued by the session unless forced."""
        handle = self._handle(info_hash)
        if forced:
            handle.unset_flags(lt.torrent_flags.auto_managed)
        else:
            handle.set_flags(lt.torrent_flags.auto_managed)
        handle.resume()

    def recheck(self, info_hash: str) -> None:
        """Hash every piece on disk again."""
        self._handle(info_hash).force_recheck()

    def reannounce(self, info_hash: str) -> None:
        """Announce to every tracker now (and to DHT when it is on)."""
        handle = self._handle(info_hash)
        handle.force_reannounce(0, -1, lt.torrent_handle.ignore_min_interval)
        handle.force_dht_announce()

    def queue(self, info_hash: str, move: QueueMove) -> None:
        """Move a torrent in the download queue."""
        handle = self._handle(info_hash)
        {
            "up": handle.queue_position_up,
            "down": handle.queue_position_down,
            "top": handle.queue_position_top,
            "bottom": handle.queue_position_bottom,
        }[move]()

    def set_flag(self, info_hash: str, name: str, *, enabled: bool) -> None:
        """Set or clear one torrent flag (sequential_download, super_seeding)."""
        handle = self._handle(info_hash)
        flag = getattr(lt.torrent_flags, name)
        if enabled:
            handle.set_flags(flag)
        else:
            handle.unset_flags(flag)

    def set_limits(self, info_hash: str, download: int, upload: int) -> None:
        """Per-torrent limits in bytes/s (0 = none)."""
        handle = self._handle(info_hash)
        handle.set_download_limit(download or -1)
        handle.set_upload_limit(upload or -1)

    def prioritize_first_last(self, info_hash: str, *, enabled: bool) -> None:
        """Raise (or lower again) the first and last piece of every wanted file (needs metadata)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is None:
            return
        if not enabled:
            handle.prioritize_files(
                self._file_priorities(info_hash)
            )  # piece priorities follow files
            return
        layout = info.layout()
        piece_length = info.piece_length()
        priorities = self._file_priorities(info_hash)
        for index in _real_files(layout):
            size = layout.file_size(index)
            if size == 0 or not priorities[index]:
                continue
            offset = layout.file_offset(index)
            for piece in {offset // piece_length, (offset + size - 1) // piece_length}:
                handle.piece_priority(piece, _HIGHEST_PIECE_PRIORITY)

    def relayout(self, info_hash: str, layout: str) -> None:
        """Apply a content layout (Original, Subfolder, NoSubfolder) once metadata arrived."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is not None:
            for index, path in _relayout(info.layout(), layout).items():
                handle.rename_file(index, path)

    def file_paths(self, info_hash: str) -> list[str]:
        """Each file's path relative to the save path, as it is now (empty without metadata)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is None:
            return []
        renamed = handle.get_renamed_files()
        layout = info.layout()
        return [
            str(renamed.file_path(layout, native)).replace("\\", "/")
            for native in self.native_files(info_hash)
        ]

    def native_files(self, info_hash: str) -> list[int]:
        """Libtorrent's index of each file qBittorrent shows (empty without metadata)."""
        indexes = self._files.get(info_hash)
        if indexes is None:
            info = self._handle(info_hash).torrent_file()
            if info is None:
                return []
            indexes = self._files[info_hash] = _real_files(info.layout())
        return indexes

    def files(self, info_hash: str) -> list[FileEntry]:
        """Return the torrent's files (empty until metadata arrives)."""
        paths = self.file_paths(info_hash)
        if not paths:
            return []
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        layout = info.layout()
        done = handle.file_progress(lt.torrent_handle.piece_granularity)
        priorities = self._file_priorities(info_hash)
        piece_length = info.piece_length()
        available = handle.piece_availability()
        have = handle.status(lt.torrent_handle.query_pieces).pieces
        entries = []
        for shown, (native, path) in enumerate(
            zip(self.native_files(info_hash), paths, strict=True)
        ):
            size = layout.file_size(native)
            offset = layout.file_offset(native)
            first = offset // piece_length
            last = max(offset + size - 1, offset) // piece_length
            pieces = range(first, last + 1)
            seen = sum(1 for piece in pieces if have[piece] or (available and available[piece]))
            availability = round(seen / len(pieces), 4) if available or any(have) else -1
            priority = _shown_priority(int(priorities[native]))
            entries.append(
                FileEntry(shown, path, size, done[native], priority, first, last, availability)
            )
        return entries

    def set_file_priorities(self, info_hash: str, priorities: dict[int, int]) -> None:
        """Give files (qBittorrent's indexes) qBittorrent's priorities.

        0 skip, 1 normal, 6 high, 7 maximum; normal is libtorrent's default, 4, so that a file
        set back to normal ranks as before.
        """
        native = self.native_files(info_hash)
        current = self._file_priorities(info_hash)
        for shown, priority in priorities.items():
            current[native[shown]] = _DEFAULT_PRIORITY if priority == 1 else priority
        self._handle(info_hash).prioritize_files(current)
        self._asked_priorities[info_hash] = current

    def _file_priorities(self, info_hash: str) -> list[int]:
        """Return the files' priorities, counting those asked for and not applied yet."""
        applied = [int(priority) for priority in self._handle(info_hash).get_file_priorities()]
        asked = self._asked_priorities.get(info_hash)
        if asked is None or asked == applied:
            self._asked_priorities.pop(info_hash, None)
            return applied
        return list(asked)

    def rename_file(self, info_hash: str, index: int, path: str) -> None:
        """Give a file (qBittorrent's index) a new path relative to the save path."""
        self._handle(info_hash).rename_file(self.native_files(info_hash)[index], path)

    def move(self, info_hash: str, folder: Path) -> None:
        """Move the torrent's data to folder (a `moved` or `move_failed` alert follows)."""
        self._handle(info_hash).move_storage(str(folder), lt.move_flags_t.always_replace_files)

    def metadata(self, info_hash: str) -> TorrentMeta:
        """Return what the torrent's metadata says."""
        handle = self._handle(info_hash)
        hashes = handle.info_hashes()
        v1 = str(hashes.v1) if hashes.has_v1() else ""
        v2 = str(hashes.v2) if hashes.has_v2() else ""
        info = handle.torrent_file()
        if info is None:
            return TorrentMeta(v1, v2, None, "", "", -1, -1, -1, -1)
        return TorrentMeta(
            v1,
            v2,
            bool(info.priv()),
            info.comment(),
            info.creator(),
            int(info.creation_date()) or -1,
            info.piece_length(),
            info.num_pieces(),
            sum(info.layout().file_size(index) for index in self.native_files(info_hash)),
        )

    def magnet(self, info_hash: str) -> str:
        """Return a magnet link for the torrent (with its trackers and name)."""
        return str(lt.make_magnet_uri(self._handle(info_hash)))

    def export(self, info_hash: str) -> bytes | None:
        """Write the torrent as .torrent bytes with its trackers and web seeds (None: no info)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is None:
            return None
        params = lt.add_torrent_params()
        params.ti = info
        tiers: list[list[str]] = []
        for tracker in handle.trackers():
            while len(tiers) <= tracker["tier"]:
                tiers.append([])
            tiers[tracker["tier"]].append(tracker["url"])
        params.trackers = [url for tier in tiers for url in tier]
        params.tracker_tiers = [tier for tier, urls in enumerate(tiers) for _ in urls]
        params.url_seeds = list(handle.url_seeds())
        entry: Any = lt.write_torrent_file(params, lt.write_flags.allow_missing_piece_layer)
        return bytes(lt.bencode(entry))

    def piece_states(self, info_hash: str) -> list[int]:
        """0 missing, 1 downloading, 2 have, for every piece."""
        handle = self._handle(info_hash)
        states = [2 if have else 0 for have in handle.status(lt.torrent_handle.query_pieces).pieces]
        for piece in handle.get_download_queue():
            states[piece["piece_index"]] = 1
        return states

    def piece_hashes(self, info_hash: str) -> list[str]:
        """Each piece's SHA-1 in hex (a v2-only torrent has none)."""
        info = self._handle(info_hash).torrent_file()
        if info is None or not info.info_hashes().has_v1():
            return []
        return [bytes(info.hash_for_piece(piece)).hex() for piece in range(info.num_pieces())]

    def trackers(self, info_hash: str) -> list[TrackerEntry]:
        """Return the torrent's trackers."""
        return [_tracker(entry) for entry in self._handle(info_hash).trackers()]

    def set_trackers(self, info_hash: str, trackers: list[tuple[str, int]]) -> None:
        """Replace the torrent's trackers with (url, tier) pairs."""
        self._handle(info_hash).replace_trackers(
            [{"url": url, "tier": tier} for url, tier in trackers]
        )

    def web_seeds(self, info_hash: str) -> list[str]:
        """Return the torrent's web seeds (BEP 19 URL seeds)."""
        return sorted(self._handle(info_hash).url_seeds())

    def peers(self, info_hash: str) -> list[PeerEntry]:
        """Return the peers the torrent is connected to."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        paths: dict[int, str] = {}
        if info is not None:
            renamed = handle.get_renamed_files()
            paths = {
                native: str(renamed.file_path(info.layout(), native)).replace("\\", "/")
                for native in self.native_files(info_hash)
            }
        entries = []
        for peer in handle.get_peer_info():
            if peer.flags & lt.peer_info.connecting or peer.flags & lt.peer_info.handshake:
                continue
            files = []
            if info is not None and peer.downloading_piece_index >= 0:
                piece = peer.downloading_piece_index
                first = info.layout().file_index_at_piece(piece)
                last = info.layout().last_file_index_at_piece(piece)
                files = [paths[native] for native in range(first, last + 1) if native in paths]
            entries.append(
                PeerEntry(
                    ip=str(peer.ip[0]),
                    port=int(peer.ip[1]),
                    client=_text(peer.client),
                    progress=round(float(peer.progress), 4),
                    download_rate=peer.payload_down_speed,
                    upload_rate=peer.payload_up_speed,
                    downloaded=peer.total_download,
                    uploaded=peer.total_upload,
                    connection="μTP" if peer.flags & _UTP_SOCKET else "BT",
                    flags=_peer_flags(peer),
                    files=files,
                )
            )
        return entries

    def connect_peer(self, info_hash: str, host: str, port: int) -> bool:
        """Connect to a peer we were told about; False when libtorrent refuses the address."""
        try:
            self._handle(info_hash).connect_peer((host, port))
        except RuntimeError as err:
            _LOGGER.warning("cannot connect %s to %s:%s: %s", info_hash, host, port, err)
            return False
        return True

    def request_resume_data(self, info_hash: str, *, only_if_modified: bool) -> bool:
        """Ask for a save_resume_data alert; False when nothing changed or the handle is gone.

        The resume data leaves the metadata out: the controller keeps the .torrent once, apart.
        """
        handle = self._handles.get(info_hash)
        if handle is None or not handle.is_valid():
            return False
        if only_if_modified and not handle.need_save_resume_data():
            return False
        handle.save_resume_data(0)
        return True

    def snapshot(self, info_hash: str) -> Snapshot:
        """Return the torrent's status now."""
        return _snapshot(self._handle(info_hash).status(), info_hash)

    def post_updates(self) -> None:
        """Ask for a statuses alert with every torrent that changed since the last one."""
        self._session.post_torrent_updates()

    def pop_alerts(self) -> list[TorrentAlert]:
        """Drain libtorrent's alert queue into typed alerts."""
        translated = []
        for alert in self._session.pop_alerts():
            converted = self._translate(alert)
            if converted is not None:
                translated.append(converted)
        return translated

    def _translate(self, alert: Any) -> TorrentAlert | None:  # noqa: ANN401, PLR0911 - libtorrent alert
        """Map one libtorrent alert to a TorrentAlert (None for those the engine ignores)."""
        if isinstance(alert, lt.state_update_alert):
            keyed = ((self._key(status.info_hashes), status) for status in alert.status)
            snapshots = [_snapshot(status, key) for key, status in keyed if key is not None]
            return TorrentAlert("statuses", snapshots=snapshots)
        if isinstance(alert, lt.session_stats_alert):
            values = alert.values
            return TorrentAlert("stats", stats={name: int(values[name]) for name in STATS})
        if isinstance(
            alert,
            (
                lt.listen_failed_alert,
                lt.fastresume_rejected_alert,
                lt.save_resume_data_failed_alert,
            ),
        ):
            _LOGGER.warning("libtorrent: %s", alert.message())
        if not isinstance(alert, lt.torrent_alert) or not alert.handle.is_valid():
            return None
        info_hash = self._key(alert.handle.info_hashes())
        if info_hash is None:
            return None
        if isinstance(alert, lt.save_resume_data_alert):
            return TorrentAlert(
                "resume", info_hash, resume_data=bytes(lt.write_resume_data_buf(alert.params))
            )
        if isinstance(alert, lt.storage_moved_alert):
            return TorrentAlert("moved", info_hash, str(alert.storage_path()))
        if isinstance(alert, lt.metadata_received_alert):
            self._files.pop(info_hash, None)
        kind = next((kind for type_, kind in _KINDS if isinstance(alert, type_)), None)
        if kind is None:
            return None
        message = alert.message() if kind in {"error", "move_failed"} else ""
        return TorrentAlert(kind, info_hash, message)


def root_folder(paths: list[str]) -> str:
    """Return the folder every path starts with, or "" (qBittorrent's findRootFolder)."""
    first = {path.partition("/")[0] if "/" in path else "" for path in paths}
    return first.pop() if len(first) == 1 else ""


def laid_out(paths: list[str], layout: str) -> list[str]:
    """Return paths as qBittorrent lays them out for a content layout.

    Subfolder adds a root folder named after the first file without its extension, NoSubfolder
    removes the root folder, Original keeps them.
    """
    root = root_folder(paths)
    if layout == "Original" or not paths or (layout == "Subfolder") == bool(root):
        return paths
    if layout == "NoSubfolder":
        return [path[len(root) + 1 :] for path in paths]
    stem = PurePosixPath(paths[0]).name.rsplit(".", 1)[0] or paths[0]
    return [f"{stem}/{path}" for path in paths]


def _relayout(layout: Any, content_layout: str) -> dict[int, str]:  # noqa: ANN401 - file_storage
    """Libtorrent's renamed_files for a content layout (pad files keep their paths)."""
    native = _real_files(layout)
    paths = [layout.file_path(index).replace("\\", "/") for index in native]
    return {
        index: wanted
        for index, path, wanted in zip(native, paths, laid_out(paths, content_layout), strict=True)
        if wanted != path
    }


def _tracker(entry: dict[str, Any]) -> TrackerEntry:
    """One announce entry in qBittorrent's terms."""
    results = [
        result
        for endpoint in entry.get("endpoints", [])
        for result in endpoint.get("info_hashes", [])
    ]
    messages = [str(result["message"]) for result in results if result.get("message")]
    if any(result.get("updating") for result in results):
        status = _UPDATING
    elif any(result.get("start_sent") and not result.get("fails") for result in results):
        status = _WORKING
    elif any(result.get("fails") for result in results):
        status = _NOT_WORKING
    else:
        status = _NOT_CONTACTED

    def most(key: str) -> int:
        return max((int(result.get(key, -1)) for result in results), default=-1)

    return TrackerEntry(
        str(entry["url"]),
        int(entry.get("tier", 0)),
        status,
        "; ".join(messages),
        -1,
        most("scrape_complete"),
        most("scrape_incomplete"),
        most("scrape_downloaded"),
    )


def _shown_priority(native: int) -> int:
    """Return libtorrent's file priority in qBittorrent's terms (0, 1 normal, 6 high, 7 max)."""
    return native if native in {0, 6, _HIGHEST_PIECE_PRIORITY} else 1


def _text(value: object) -> str:
    """Return a peer's client name (bytes or str from the bindings)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _peer_flags(peer: Any) -> str:  # noqa: ANN401 - libtorrent peer_info
    """Return qBittorrent's one-letter peer flags (D/d, U/u, K, ?, O, S, I, E, X H L, P)."""
    flags = peer.flags
    letters = []
    if flags & lt.peer_info.interesting:
        letters.append("d" if flags & lt.peer_info.remote_choked else "D")
    if flags & lt.peer_info.remote_interested:
        letters.append("u" if flags & lt.peer_info.choked else "U")
    if not flags & lt.peer_info.remote_choked and not flags & lt.peer_info.interesting:
        letters.append("K")
    if not flags & lt.peer_info.choked and not flags & lt.peer_info.remote_interested:
        letters.append("?")
    if flags & lt.peer_info.optimistic_unchoke:
        letters.append("O")
    if flags & lt.peer_info.snubbed:
        letters.append("S")
    if not flags & lt.peer_info.local_connection:
        letters.append("I")
    if flags & lt.peer_info.rc4_encrypted or flags & lt.peer_info.plaintext_encrypted:
        letters.append("E")
    letters += [letter for source, letter in _PEER_SOURCES if peer.source & source]
    if flags & _UTP_SOCKET:
        letters.append("P")
    return " ".join(letters)


def _snapshot(status: Any, info_hash: str) -> Snapshot:  # noqa: ANN401 - libtorrent torrent_status
    flags = status.flags
    now = int(time.time())
    last = max(_epoch(status.last_upload), _epoch(status.last_download))
    return Snapshot(
        info_hash=info_hash,
        name=status.name,
        save_path=status.save_path,
        state=str(status.state),
        paused=bool(flags & lt.torrent_flags.paused),
        auto_managed=bool(flags & lt.torrent_flags.auto_managed),
        has_metadata=status.has_metadata,
        finished=status.is_finished,
        progress=status.progress,
        total_size=status.total,
        total_done=status.total_wanted_done,
        wanted_size=status.total_wanted,
        downloaded=status.all_time_download,
        uploaded=status.all_time_upload,
        session_downloaded=status.total_payload_download,
        session_uploaded=status.total_payload_upload,
        download_rate=status.download_payload_rate,
        upload_rate=status.upload_payload_rate,
        num_seeds=status.num_seeds,
        num_peers=status.num_peers,
        num_complete=max(status.num_complete, 0),
        num_incomplete=max(status.num_incomplete, 0),
        connections=status.num_connections,
        connections_limit=status.connections_limit,
        seeding_seconds=int(status.seeding_duration.total_seconds()),
        active_seconds=int(status.active_duration.total_seconds()),
        last_activity=last or now,
        last_seen_complete=int(status.last_seen_complete) or -1,
        completed_time=int(status.completed_time),
        next_announce=max(int(status.next_announce.total_seconds()), 0),
        availability=round(status.distributed_copies, 4),
        current_tracker=status.current_tracker,
        sequential=bool(flags & lt.torrent_flags.sequential_download),
        super_seeding=bool(flags & lt.torrent_flags.super_seeding),
        moving=bool(status.moving_storage),
        upload_mode=bool(flags & lt.torrent_flags.upload_mode),
        queue_position=status.queue_position,
        pieces_have=status.num_pieces,
        error=status.errc.message() if status.errc.value() else "",
        need_save_resume=bool(status.need_save_resume),
    )


def _epoch(moment: Any) -> int:  # noqa: ANN401 - datetime or None from libtorrent
    return int(moment.timestamp()) if moment is not None else 0
