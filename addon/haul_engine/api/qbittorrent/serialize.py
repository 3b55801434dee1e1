"""A torrent in qBittorrent's words: the torrents/info item and torrents/properties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from haul_engine.torrents.views import UNKNOWN_ETA

if TYPE_CHECKING:
    from haul_engine.torrents.controller import TorrentsController
    from haul_engine.torrents.models import TorrentRecord
    from haul_engine.torrents.views import TorrentView


class Serializer:
    """Builds torrent items; what changes only with the record or metadata is kept until then."""

    def __init__(self, torrents: TorrentsController) -> None:
        """Serve the given controller."""
        self.torrents = torrents
        self._parts: dict[str, tuple[tuple[int, bool], dict[str, Any]]] = {}

    def item(self, view: TorrentView) -> dict[str, Any]:
        """One torrents/info entry (the keys of qBittorrent 5.0's serialize())."""
        status = view.status
        ratio_limit, seeding_limit, inactive_limit = self.torrents.share_limits(view.record)
        now_state = view.state
        return self._part(view) | {
            "amount_left": max(status.wanted_size - status.total_done, 0),
            "availability": status.availability if status.has_metadata else -1,
            "completed": status.total_done,
            "content_path": view.content_path,
            "dlspeed": status.download_rate,
            "downloaded": status.downloaded,
            "downloaded_session": status.session_downloaded,
            "eta": view.eta,
            "force_start": view.record.forced and not view.record.stopped,
            "last_activity": status.last_activity,
            "max_inactive_seeding_time": inactive_limit,
            "max_ratio": ratio_limit,
            "max_seeding_time": seeding_limit,
            "name": view.name,
            "num_complete": status.num_complete,
            "num_incomplete": status.num_incomplete,
            "num_leechs": status.num_peers - status.num_seeds,
            "num_seeds": status.num_seeds,
            "popularity": 0,
            "priority": (
                status.queue_position + 1
                if status.queue_position >= 0 and self.torrents.preferences.queueing
                else 0
            ),
            "progress": status.progress,
            "ratio": view.ratio,
            "reannounce": status.next_announce,
            "root_path": view.root_path,
            "save_path": view.record.save_path,
            "seeding_time": status.seeding_seconds,
            "seen_complete": status.last_seen_complete,
            "seq_dl": status.sequential,
            "size": status.wanted_size,
            "state": now_state,
            "super_seeding": status.super_seeding,
            "time_active": status.active_seconds,
            "total_size": status.total_size,
            "tracker": status.current_tracker,
            "uploaded": status.uploaded,
            "uploaded_session": status.session_uploaded,
            "upspeed": status.upload_rate,
        }

    def _part(self, view: TorrentView) -> dict[str, Any]:
        """Return the fields that change only with the record or when metadata arrives."""
        record = view.record
        key = (self.torrents.revision(record.info_hash), view.status.has_metadata)
        cached = self._parts.get(record.info_hash)
        if cached is not None and cached[0] == key:
            return cached[1]
        torrents = self.torrents
        meta = torrents.metadata(record.info_hash)
        part = {
            "added_on": int(record.added_on.timestamp()),
            "auto_tmm": record.auto_tmm,
            "category": record.category,
            "comment": meta.comment,
            "completion_on": _epoch(record),
            "dl_limit": record.download_limit or -1,
            "download_path": record.download_path,
            "f_l_piece_prio": record.first_last_piece,
            "has_metadata": view.status.has_metadata,
            "hash": record.info_hash,
            "inactive_seeding_time_limit": record.inactive_seeding_time_limit,
            "infohash_v1": meta.v1,
            "infohash_v2": meta.v2,
            "magnet_uri": torrents.magnet(record.info_hash),
            "private": meta.private,
            "ratio_limit": record.ratio_limit,
            "seeding_time_limit": record.seeding_time_limit,
            "tags": ", ".join(record.tags),
            "trackers_count": len(torrents.trackers(record.info_hash)),
            "up_limit": record.upload_limit or -1,
        }
        self._parts[record.info_hash] = (key, part)
        hashes = torrents.hashes()
        if len(self._parts) > 2 * len(hashes):  # forget removed torrents
            self._parts = {h: kept for h, kept in self._parts.items() if h in set(hashes)}
        return part

    def properties(self, view: TorrentView) -> dict[str, Any]:
        """torrents/properties."""
        record, status = view.record, view.status
        meta = self.torrents.metadata(record.info_hash)
        downloading_seconds = status.active_seconds - status.seeding_seconds
        ratio = view.ratio
        return {
            "infohash_v1": meta.v1,
            "infohash_v2": meta.v2,
            "name": view.name,
            "hash": record.info_hash,
            "time_elapsed": status.active_seconds,
            "seeding_time": status.seeding_seconds,
            "eta": view.eta if view.eta != UNKNOWN_ETA else UNKNOWN_ETA,
            "nb_connections": status.connections,
            "nb_connections_limit": status.connections_limit,
            "total_downloaded": status.downloaded,
            "total_downloaded_session": status.session_downloaded,
            "total_uploaded": status.uploaded,
            "total_uploaded_session": status.session_uploaded,
            "dl_speed": status.download_rate,
            "dl_speed_avg": (
                status.downloaded // downloading_seconds if downloading_seconds > 0 else -1
            ),
            "up_speed": status.upload_rate,
            "up_speed_avg": (
                status.uploaded // status.active_seconds if status.active_seconds > 0 else -1
            ),
            "dl_limit": record.download_limit or -1,
            "up_limit": record.upload_limit or -1,
            "total_wasted": 0,
            "seeds": status.num_seeds,
            "seeds_total": status.num_complete,
            "peers": status.num_peers - status.num_seeds,
            "peers_total": status.num_incomplete,
            "share_ratio": ratio,
            "popularity": 0,
            "reannounce": status.next_announce,
            "total_size": meta.total_size,
            "pieces_num": meta.pieces,
            "piece_size": meta.piece_size,
            "pieces_have": status.pieces_have,
            "created_by": meta.creator,
            "is_private": bool(meta.private),
            "private": meta.private,
            "addition_date": int(record.added_on.timestamp()),
            "last_seen": status.last_seen_complete,
            "completion_date": _epoch(record),
            "creation_date": meta.creation_date,
            "save_path": record.save_path,
            "download_path": record.download_path,
            "comment": meta.comment,
            "has_metadata": status.has_metadata,
        }


def _epoch(record: TorrentRecord) -> int:
    return int(record.completed_on.timestamp()) if record.completed_on else -1
