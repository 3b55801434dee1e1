"""The one module that touches libtorrent: a typed wrapper around its session and handles."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import libtorrent as lt

if TYPE_CHECKING:
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)
Encryption = Literal["prefer", "require", "disable"]
AlertKind = Literal["metadata", "finished", "error", "state", "resume", "statuses"]
_ENCRYPTION_POLICY = {"prefer": 1, "require": 0, "disable": 2}  # pe_enabled, pe_forced, pe_disabled
_ALERT_MASK = (
    lt.alert.category_t.status_notification
    | lt.alert.category_t.error_notification
    | lt.alert.category_t.storage_notification
)
_HIGHEST_PIECE_PRIORITY = 7


class TorrentDataError(ValueError):
    """A magnet, .torrent or resume blob that libtorrent refuses."""


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything the session is configured with; applied at start and on every change."""

    listen_port: int
    interface: str
    download_limit: int
    upload_limit: int
    max_active_downloads: int
    max_active_uploads: int
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
    downloaded: int
    uploaded: int
    download_rate: int
    upload_rate: int
    num_seeds: int
    num_peers: int
    num_complete: int
    num_incomplete: int
    seeding_seconds: int
    active_seconds: int
    last_activity: int
    completed_time: int
    sequential: bool
    queue_position: int
    error: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of a torrent: relative path with `/`, size and bytes done."""

    index: int
    path: str
    size: int
    done: int
    priority: int


@dataclass(frozen=True, slots=True)
class TrackerEntry:
    """One tracker and what it last said."""

    url: str
    tier: int
    working: bool
    message: str


@dataclass(frozen=True, slots=True)
class TorrentAlert:
    """A libtorrent alert reduced to what the controller acts on."""

    kind: AlertKind
    info_hash: str = ""
    message: str = ""
    resume_data: bytes = b""
    snapshots: list[Snapshot] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a .torrent or magnet says before it is added."""

    info_hash: str
    name: str
    multi_file: bool
    file_paths: list[str]


@dataclass(slots=True)
class AddRequest:
    """How to add one torrent: exactly one of magnet, torrent or resume_data."""

    save_path: Path
    magnet: str = ""
    torrent: bytes = b""
    resume_data: bytes = b""
    stopped: bool = False
    sequential: bool = False
    first_last_piece: bool = False
    subfolder: str = ""
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
    paths = [layout.file_path(index).replace("\\", "/") for index in range(layout.num_files())]
    return Metadata(_hash_of(params.ti.info_hashes()), params.ti.name(), "/" in paths[0], paths)


def _params_for(request: AddRequest) -> Any:  # noqa: ANN401 - libtorrent add_torrent_params
    """Start from the resume data, else the .torrent, else the magnet."""
    if request.resume_data:
        try:
            return lt.read_resume_data(request.resume_data)
        except RuntimeError as err:
            msg = f"resume data unusable: {err}"
            raise TorrentDataError(msg) from None
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


def _full_hashes(hashes: Any) -> list[str]:  # noqa: ANN401 - libtorrent info_hash_t
    """Every spelling a caller may use for a torrent: v1, full v2 and truncated v2."""
    spellings = []
    if hashes.has_v1():
        spellings.append(str(hashes.v1))
    if hashes.has_v2():
        spellings += [str(hashes.v2), str(hashes.v2)[:40]]
    return spellings


class TorrentSession:
    """A libtorrent session; handles stay inside and are reached by info-hash."""

    def __init__(self, config: SessionConfig, alert_fd: int) -> None:
        """Start the session with config; alerts are signalled by writing to alert_fd."""
        self._handles: dict[str, Any] = {}
        self._aliases: dict[str, str] = {}
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
        return {
            "alert_mask": _ALERT_MASK,
            # room for one resume-data alert per torrent when thousands are saved at once
            "alert_queue_size": 20_000,
            "user_agent": "Haul",
            "listen_interfaces": listen,
            "outgoing_interfaces": config.interface,
            "download_rate_limit": config.download_limit,
            "upload_rate_limit": config.upload_limit,
            "active_downloads": config.max_active_downloads,
            "active_seeds": config.max_active_uploads,
            "active_limit": config.max_active_downloads + config.max_active_uploads,
            "enable_dht": config.dht,
            "enable_lsd": config.lsd,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": config.utp,
            "enable_incoming_utp": config.utp,
            "in_enc_policy": policy,
            "out_enc_policy": policy,
            "aio_threads": 4,
            "hashing_threads": 2,
            "max_queued_disk_bytes": 64 * 1024 * 1024,
            "send_buffer_watermark": 3 * 1024 * 1024,
            "send_buffer_low_watermark": 1024 * 1024,
            "max_out_request_queue": 1500,
            "max_allowed_in_request_queue": 2000,
        }

    def configure(self, config: SessionConfig) -> None:
        """Apply a changed configuration."""
        self._session.apply_settings(self._settings(config))

    def set_rate_limits(self, download: int, upload: int) -> None:
        """Global limits in bytes/s (0 = none)."""
        self._session.apply_settings({"download_rate_limit": download, "upload_rate_limit": upload})

    def pause_all(self) -> None:
        """Stop every transfer without touching each torrent's own state."""
        self._session.pause()

    def resume_all(self, *, reopen_sockets: bool) -> None:
        """Undo pause_all, reopening the listen and outgoing sockets first when asked."""
        if reopen_sockets:
            self._session.reopen_network_sockets(0)
        self._session.resume()

    def close(self) -> None:
        """Stop every transfer; libtorrent finishes its disk work when this object is dropped."""
        self._session.pause()
        self._session.set_alert_fd(-1)
        self._handles.clear()

    def resolve(self, info_hash: str) -> str | None:
        """Return the canonical hash for any spelling (v1, v2, truncated v2), or None."""
        return self._aliases.get(info_hash.lower())

    def __contains__(self, info_hash: str) -> bool:
        """Whether a torrent with this canonical hash is in the session."""
        return info_hash in self._handles

    def add(self, request: AddRequest) -> str:
        """Add a torrent synchronously (it is listed at once) and return its hash."""
        params = _params_for(request)
        if request.recheck:
            # without a piece bitfield libtorrent hashes what is on disk before downloading
            params.have_pieces = []
            params.verified_pieces = []
        params.save_path = str(request.save_path)
        flags = params.flags | lt.torrent_flags.duplicate_is_error
        flags &= ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
        flags &= ~lt.torrent_flags.sequential_download
        if request.stopped:
            flags |= lt.torrent_flags.paused
        else:
            flags |= lt.torrent_flags.auto_managed
        if request.sequential:
            flags |= lt.torrent_flags.sequential_download
        params.flags = flags
        params.download_limit = request.download_limit or -1
        params.upload_limit = request.upload_limit or -1
        if request.subfolder and params.ti is not None and params.ti.layout().num_files() == 1:
            params.renamed_files = {0: f"{request.subfolder}/{params.ti.layout().file_path(0)}"}
        try:
            handle = self._session.add_torrent(params)
        except RuntimeError as err:
            msg = f"libtorrent refused the torrent: {err}"
            raise TorrentDataError(msg) from None
        hashes = handle.info_hashes()
        info_hash = _hash_of(hashes)
        self._handles[info_hash] = handle
        for spelling in _full_hashes(hashes):
            self._aliases[spelling] = info_hash
        if request.first_last_piece:
            self.prioritize_first_last(info_hash)
        return info_hash

    def _handle(self, info_hash: str) -> Any:  # noqa: ANN401 - libtorrent torrent_handle
        return self._handles[info_hash]

    def remove(self, info_hash: str, *, delete_files: bool) -> None:
        """Remove a torrent, and its downloaded files when asked."""
        handle = self._handles.pop(info_hash)
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

    def queue_top(self, info_hash: str) -> None:
        """Move a torrent to the top of the queue."""
        self._handle(info_hash).queue_position_top()

    def set_sequential(self, info_hash: str, *, enabled: bool) -> None:
        """Download pieces in order (or not)."""
        handle = self._handle(info_hash)
        if enabled:
            handle.set_flags(lt.torrent_flags.sequential_download)
        else:
            handle.unset_flags(lt.torrent_flags.sequential_download)

    def set_limits(self, info_hash: str, download: int, upload: int) -> None:
        """Per-torrent limits in bytes/s (0 = none)."""
        handle = self._handle(info_hash)
        handle.set_download_limit(download or -1)
        handle.set_upload_limit(upload or -1)

    def prioritize_first_last(self, info_hash: str) -> None:
        """Raise the first and last piece of every file to the top priority (needs metadata)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is None:
            return
        layout = info.layout()
        piece_length = info.piece_length()
        for index in range(layout.num_files()):
            size = layout.file_size(index)
            if size == 0:
                continue
            offset = layout.file_offset(index)
            for piece in {offset // piece_length, (offset + size - 1) // piece_length}:
                handle.piece_priority(piece, _HIGHEST_PIECE_PRIORITY)

    def nest_single_file(self, info_hash: str, folder: str) -> None:
        """Put a single-file torrent's file into folder (the Subfolder content layout)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is not None and info.layout().num_files() == 1:
            handle.rename_file(0, f"{folder}/{info.layout().file_path(0)}")

    def connect_peer(self, info_hash: str, host: str, port: int) -> None:
        """Connect to a peer we were told about (tests, trackerless setups)."""
        self._handle(info_hash).connect_peer((host, port))

    def request_resume_data(self, info_hash: str, *, only_if_modified: bool) -> bool:
        """Ask for a save_resume_data alert; False when nothing changed or the handle is gone."""
        handle = self._handles.get(info_hash)
        if handle is None or not handle.is_valid():
            return False
        if only_if_modified and not handle.need_save_resume_data():
            return False
        handle.save_resume_data(lt.torrent_handle.save_info_dict)
        return True

    def snapshot(self, info_hash: str) -> Snapshot:
        """Return the torrent's status now."""
        return _snapshot(self._handle(info_hash).status())

    def snapshots(self) -> list[Snapshot]:
        """Every torrent's status now."""
        return [_snapshot(handle.status()) for handle in self._handles.values()]

    def post_updates(self) -> None:
        """Ask for a statuses alert with every torrent that changed since the last one."""
        self._session.post_torrent_updates()

    def files(self, info_hash: str) -> list[FileEntry]:
        """Return the torrent's files (empty until metadata arrives)."""
        handle = self._handle(info_hash)
        info = handle.torrent_file()
        if info is None:
            return []
        layout = info.layout()
        done = handle.file_progress(lt.torrent_handle.piece_granularity)
        priorities = handle.get_file_priorities()
        renamed = handle.get_renamed_files()
        return [
            FileEntry(
                index,
                str(renamed.file_path(layout, index)).replace("\\", "/"),
                layout.file_size(index),
                done[index],
                int(priorities[index]),
            )
            for index in range(layout.num_files())
        ]

    def trackers(self, info_hash: str) -> list[TrackerEntry]:
        """Return the torrent's trackers."""
        entries = []
        for tracker in self._handle(info_hash).trackers():
            endpoints = tracker.get("endpoints", [])
            messages = [
                str(info.get("message", ""))
                for endpoint in endpoints
                for info in endpoint.get("info_hashes", [])
                if info.get("message")
            ]
            entries.append(
                TrackerEntry(
                    str(tracker["url"]),
                    int(tracker.get("tier", 0)),
                    bool(tracker.get("verified")),
                    "; ".join(messages),
                )
            )
        return entries

    def pop_alerts(self) -> list[TorrentAlert]:
        """Drain libtorrent's alert queue into typed alerts."""
        translated = []
        for alert in self._session.pop_alerts():
            converted = _translate(alert)
            if converted is not None:
                translated.append(converted)
        return translated


def _translate(alert: Any) -> TorrentAlert | None:  # noqa: ANN401, PLR0911 - libtorrent alert
    """Map one libtorrent alert to a TorrentAlert (None for those the engine ignores)."""
    if isinstance(alert, lt.state_update_alert):
        return TorrentAlert("statuses", snapshots=[_snapshot(status) for status in alert.status])
    if isinstance(
        alert,
        (lt.listen_failed_alert, lt.fastresume_rejected_alert, lt.save_resume_data_failed_alert),
    ):
        _LOGGER.warning("libtorrent: %s", alert.message())
    if not isinstance(alert, lt.torrent_alert) or not alert.handle.is_valid():
        return None
    info_hash = _hash_of(alert.handle.info_hashes())
    if isinstance(alert, lt.save_resume_data_alert):
        return TorrentAlert(
            "resume", info_hash, resume_data=bytes(lt.write_resume_data_buf(alert.params))
        )
    if isinstance(alert, lt.metadata_received_alert):
        return TorrentAlert("metadata", info_hash)
    if isinstance(alert, lt.torrent_finished_alert):
        return TorrentAlert("finished", info_hash)
    if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
        return TorrentAlert("error", info_hash, alert.message())
    if isinstance(
        alert, (lt.state_changed_alert, lt.torrent_paused_alert, lt.torrent_resumed_alert)
    ):
        return TorrentAlert("state", info_hash)
    return None


def _snapshot(status: Any) -> Snapshot:  # noqa: ANN401 - libtorrent torrent_status
    flags = status.flags
    now = int(time.time())
    last = max(_epoch(status.last_upload), _epoch(status.last_download))
    return Snapshot(
        info_hash=_hash_of(status.info_hashes),
        name=status.name,
        save_path=status.save_path,
        state=str(status.state),
        paused=bool(flags & lt.torrent_flags.paused),
        auto_managed=bool(flags & lt.torrent_flags.auto_managed),
        has_metadata=status.has_metadata,
        finished=status.is_finished,
        progress=status.progress,
        total_size=status.total_wanted,
        total_done=status.total_wanted_done,
        downloaded=status.all_time_download,
        uploaded=status.all_time_upload,
        download_rate=status.download_payload_rate,
        upload_rate=status.upload_payload_rate,
        num_seeds=status.num_seeds,
        num_peers=status.num_peers,
        num_complete=max(status.num_complete, 0),
        num_incomplete=max(status.num_incomplete, 0),
        seeding_seconds=int(status.seeding_duration.total_seconds()),
        active_seconds=int(status.active_duration.total_seconds()),
        last_activity=last or now,
        completed_time=int(status.completed_time),
        sequential=bool(flags & lt.torrent_flags.sequential_download),
        queue_position=status.queue_position,
        error=status.errc.message() if status.errc.value() else "",
    )


def _epoch(moment: Any) -> int:  # noqa: ANN401 - datetime or None from libtorrent
    return int(moment.timestamp()) if moment is not None else 0
