"""app/*: versions, preferences (what Haul has, applied at once) and the host's folders."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import ipaddress
import os
import signal
import socket
import struct
from datetime import time
from pathlib import Path
from typing import Any, TypeGuard

from pydantic import ValidationError

from haul_engine.api.jsonio import loads
from haul_engine.api.qbittorrent.params import (
    ApiError,
    Params,
    Scope,
    action,
    bad_params,
    invalid,
)
from haul_engine.errors import InvalidInput
from haul_engine.torrents.transfer import AltSchedule

APP_VERSION = "v5.0.0"
WEBAPI_VERSION = "2.11.2"
_ENCRYPTION = {"prefer": 0, "require": 1, "disable": 2}
# qBittorrent's scheduler_days: every day, weekdays, weekends, then Monday (3) to Sunday (9)
_DAY_SETS = {0: list(range(7)), 1: list(range(5)), 2: [5, 6]} | {3 + day: [day] for day in range(7)}
_SIOCGIFADDR = 0x8915
_HTTPS_KEYS = {"use_https", "web_ui_https_cert_path", "web_ui_https_key_path"}


class AppApi(Scope):
    """The app/ scope."""

    @action("version")
    async def version(self, _params: Params) -> str:
        """Return the qBittorrent version Haul answers as."""
        return APP_VERSION

    @action("webapiVersion")
    async def webapi_version(self, _params: Params) -> str:
        """Return the WebAPI version Haul implements (qBittorrent 5.0's)."""
        return WEBAPI_VERSION

    @action("buildInfo")
    async def build_info(self, _params: Params) -> dict[str, Any]:
        """Library versions (as far as callers care)."""
        return {
            "qt": "",
            "libtorrent": "2.1.1.0",
            "boost": "",
            "openssl": "",
            "zlib": "",
            "bitness": 64,
            "platform": "linux",
        }

    @action("defaultSavePath")
    async def default_save_path(self, _params: Params) -> str:
        """Return the download folder."""
        return str(self.torrents.folders.downloads)

    @action("shutdown", changes=True)
    async def shutdown(self, _params: Params) -> None:
        """Stop the engine cleanly after answering (the add-on's watchdog starts it again)."""
        asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)

    @action("sendTestEmail", changes=True)
    async def send_test_email(self, _params: Params) -> None:
        """Nothing to send: Haul has no mail notifications (qBittorrent does nothing then too)."""

    @action("networkInterfaceList")
    async def network_interfaces(self, _params: Params) -> list[dict[str, str]]:
        """List the host's network interfaces."""
        return [{"name": name, "value": name} for _index, name in socket.if_nameindex()]

    @action("networkInterfaceAddressList")
    async def interface_addresses(self, params: Params) -> list[str]:
        """List the addresses of one interface (of every one when `iface` is empty)."""
        wanted = params.text("iface")
        names = [wanted] if wanted else [name for _index, name in socket.if_nameindex()]
        return [address for name in names for address in _addresses(name)]

    @action("getDirectoryContent")
    async def directory_content(self, params: Params) -> list[str]:
        """List a folder's entries as full paths.

        Inside the allowed folders everything the mode asks for; above them only the folders
        leading to them.
        """
        params.require("dirPath")
        folder = params.text("dirPath")
        mode = params.text("mode", "all")
        if mode not in {"all", "dirs", "files"}:
            msg = "Invalid mode, allowed values: all, dirs, files"
            raise bad_params(msg)
        if not folder or "\x00" in folder or not Path(folder).is_absolute():
            msg = "Invalid directory path"
            raise bad_params(msg)
        return await asyncio.to_thread(self._list, Path(folder), mode)

    def _list(self, folder: Path, mode: str) -> list[str]:
        if not folder.is_dir():
            raise ApiError(404, "Directory does not exist")
        resolved = folder.resolve()
        if self.torrents.folders.inside(resolved):
            return [
                str(entry)
                for entry in sorted(resolved.iterdir())
                if mode == "all" or (entry.is_dir() if mode == "dirs" else entry.is_file())
            ]
        roots = [root.resolve() for root in self.torrents.roots]
        leading = {
            resolved / root.relative_to(resolved).parts[0]
            for root in roots
            if root.is_relative_to(resolved) and root != resolved
        }
        return [] if mode == "files" else sorted(str(entry) for entry in leading)

    # ----- preferences

    @action("preferences")
    async def preferences(self, _params: Params) -> dict[str, Any]:
        """Return the preferences: Haul's own values, fixed ones for what Haul does not have."""
        torrents, settings = self.torrents, self.settings
        preferences = torrents.preferences
        limits = torrents.limits
        schedule = limits.alt_schedule
        days = next(
            (code for code, day_set in _DAY_SETS.items() if day_set == sorted(schedule.days)), 0
        )
        return {
            "locale": "en",
            "save_path": str(torrents.folders.downloads),
            "temp_path_enabled": preferences.incomplete_enabled,
            "temp_path": preferences.incomplete_folder,
            "auto_tmm_enabled": False,
            "use_category_paths_in_manual_mode": True,
            "torrent_content_layout": preferences.content_layout,
            "add_stopped_enabled": preferences.add_stopped,
            "add_to_top_of_queue": False,
            "preallocate_all": False,
            "incomplete_files_ext": False,
            "listen_port": preferences.listen_port,
            "random_port": False,
            "upnp": False,
            "bittorrent_protocol": 0 if preferences.utp else 1,
            "limit_utp_rate": True,
            "limit_tcp_overhead": False,
            "limit_lan_peers": True,
            "dl_limit": limits.download_limit * 1024,
            "up_limit": limits.upload_limit * 1024,
            "alt_dl_limit": limits.alt_download_limit * 1024,
            "alt_up_limit": limits.alt_upload_limit * 1024,
            "scheduler_enabled": schedule.enabled,
            "schedule_from_hour": schedule.start.hour,
            "schedule_from_min": schedule.start.minute,
            "schedule_to_hour": schedule.end.hour,
            "schedule_to_min": schedule.end.minute,
            "scheduler_days": days,
            # Sonarr refuses tracker-less magnets when DHT is off: the truth, so it knows
            "dht": preferences.dht,
            "pex": preferences.pex,
            "lsd": preferences.lsd,
            "encryption": _ENCRYPTION[preferences.encryption],
            "anonymous_mode": False,
            "proxy_type": "None",
            "queueing_enabled": preferences.queueing,
            "max_active_downloads": preferences.max_active_downloads,
            "max_active_uploads": preferences.max_active_uploads,
            "max_active_torrents": preferences.max_active_torrents,
            "max_ratio_enabled": preferences.max_ratio >= 0,
            "max_ratio": preferences.max_ratio,
            "max_seeding_time_enabled": preferences.max_seeding_time >= 0,
            "max_seeding_time": preferences.max_seeding_time,
            "max_inactive_seeding_time_enabled": preferences.max_inactive_seeding_time >= 0,
            "max_inactive_seeding_time": preferences.max_inactive_seeding_time,
            "max_ratio_act": 0,  # Haul stops a torrent at its share limit, never removes it
            "banned_IPs": "\n".join(preferences.banned_ips),
            "ip_filter_enabled": False,
            "current_network_interface": settings.vpn_interface,
            "current_interface_name": settings.vpn_interface,
            "current_interface_address": "",
            "web_ui_address": settings.host,
            "web_ui_port": settings.port,
            "web_ui_username": settings.qbittorrent_username,
            "web_ui_max_auth_fail_count": preferences.max_auth_failures,
            "web_ui_ban_duration": preferences.ban_seconds,
            "web_ui_session_timeout": preferences.session_seconds,
            "web_ui_csrf_protection_enabled": preferences.csrf_protection,
            "web_ui_host_header_validation_enabled": False,
            "web_ui_clickjacking_protection_enabled": False,
            "bypass_local_auth": False,
            "bypass_auth_subnet_whitelist_enabled": False,
            "use_https": preferences.use_https,
            "web_ui_https_cert_path": preferences.https_cert_path,
            "web_ui_https_key_path": preferences.https_key_path,
            "mail_notification_enabled": False,
            "rss_processing_enabled": False,
            "rss_auto_downloading_enabled": False,
        }

    @action("setPreferences", changes=True)
    async def set_preferences(self, params: Params) -> None:
        """Apply the keys Haul has (at once, kept across restarts); others change nothing."""
        params.require("json")
        try:
            wanted = loads(params.text("json"))
        except ValueError:  # orjson's JSONDecodeError: not JSON, too deep, a number out of range
            msg = "json"
            raise invalid(msg) from None
        if not isinstance(wanted, dict):
            msg = "json"
            raise invalid(msg)
        torrents = self.torrents
        changes = _preference_changes(wanted, torrents.preferences.model_dump())
        limits = _limit_changes(wanted, torrents.limits.model_dump(mode="json"))
        try:
            preferences = type(torrents.preferences).model_validate(
                torrents.preferences.model_dump() | changes
            )
            new_limits = type(torrents.limits).model_validate(limits)
        except ValidationError as err:
            location = err.errors()[0]["loc"]
            raise invalid(str(location[0]) if location else "json") from None
        if preferences.incomplete_folder:
            try:
                torrents.folders.confine(preferences.incomplete_folder)
            except InvalidInput as err:
                msg = f"'temp_path': {err}"
                raise bad_params(msg) from None
        reread_https = not _HTTPS_KEYS.isdisjoint(wanted)
        if preferences != torrents.preferences or reread_https:
            await torrents.set_preferences(preferences, reread_https=reread_https)
        if new_limits != torrents.limits:
            await torrents.set_limits(new_limits)


def _preference_changes(wanted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Haul's preference fields named by qBittorrent's keys in wanted."""
    direct = {
        "listen_port": "listen_port",
        "dht": "dht",
        "pex": "pex",
        "lsd": "lsd",
        "queueing_enabled": "queueing",
        "max_active_downloads": "max_active_downloads",
        "max_active_uploads": "max_active_uploads",
        "max_active_torrents": "max_active_torrents",
        "add_stopped_enabled": "add_stopped",
        "torrent_content_layout": "content_layout",
        "temp_path_enabled": "incomplete_enabled",
        "temp_path": "incomplete_folder",
        "web_ui_max_auth_fail_count": "max_auth_failures",
        "web_ui_ban_duration": "ban_seconds",
        "web_ui_session_timeout": "session_seconds",
        "web_ui_csrf_protection_enabled": "csrf_protection",
        "use_https": "use_https",
        "web_ui_https_cert_path": "https_cert_path",
        "web_ui_https_key_path": "https_key_path",
    }
    changes = {field: wanted[key] for key, field in direct.items() if key in wanted}
    if wanted.get("listen_port") == 0:  # qBittorrent's "random port": Haul keeps its port
        changes.pop("listen_port")
    if "encryption" in wanted:
        names = {number: name for name, number in _ENCRYPTION.items()}
        given = wanted["encryption"]
        changes["encryption"] = names.get(given, given) if _whole(given) else given
    if "bittorrent_protocol" in wanted:
        protocol = wanted["bittorrent_protocol"]
        if not _whole(protocol):
            msg = "bittorrent_protocol"
            raise invalid(msg)
        if protocol in {0, 1}:  # 2 (uTP only) Haul does not offer
            changes["utp"] = protocol == 0
    for enabled, value, field in (
        ("max_ratio_enabled", "max_ratio", "max_ratio"),
        ("max_seeding_time_enabled", "max_seeding_time", "max_seeding_time"),
        (
            "max_inactive_seeding_time_enabled",
            "max_inactive_seeding_time",
            "max_inactive_seeding_time",
        ),
    ):
        if enabled in wanted:
            given = wanted.get(value, current[field]) if wanted[enabled] else -1
            changes[field] = given if not isinstance(given, int | float) or given >= 0 else -1
    if "banned_IPs" in wanted:
        listed = str(wanted["banned_IPs"]).split("\n")
        changes["banned_ips"] = list(dict.fromkeys(_ip(item) for item in listed if _ip(item)))
    return changes


def _limit_changes(wanted: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    """Return the transfer limits (KiB/s, rounded up from bytes/s) and schedule in wanted."""
    for key, field in (
        ("dl_limit", "download_limit"),
        ("up_limit", "upload_limit"),
        ("alt_dl_limit", "alt_download_limit"),
        ("alt_up_limit", "alt_upload_limit"),
    ):
        if key in wanted:
            limits[field] = _kib(wanted[key])
    schedule = dict(limits["alt_schedule"])
    if "scheduler_enabled" in wanted:
        schedule["enabled"] = wanted["scheduler_enabled"]
    for prefix, field in (("schedule_from", "start"), ("schedule_to", "end")):
        if f"{prefix}_hour" in wanted and f"{prefix}_min" in wanted:
            hour, minute = wanted[f"{prefix}_hour"], wanted[f"{prefix}_min"]
            if not (_whole(hour) and _whole(minute) and 0 <= hour < 24 and 0 <= minute < 60):  # noqa: PLR2004 - a clock's
                msg = f"{prefix}_hour"
                raise invalid(msg)
            schedule[field] = time(hour, minute)
    if "scheduler_days" in wanted:
        days = wanted["scheduler_days"]
        if not _whole(days):
            msg = "scheduler_days"
            raise invalid(msg)
        schedule["days"] = _DAY_SETS.get(days, schedule["days"])
    limits["alt_schedule"] = AltSchedule.model_validate(schedule)
    return limits


def _kib(value: object) -> object:
    """bytes/s to whole KiB/s, rounded up (0 and below mean no limit); others left to validation."""
    return max(-(-value // 1024), 0) if _whole(value) else value


def _whole(value: object) -> TypeGuard[int]:
    """Whether a JSON value is a whole number (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _ip(text: str) -> str:
    """Return a valid IP address written canonically, else ""."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(text.strip()))
    return ""


def _addresses(interface: str) -> list[str]:
    """Return the interface's IPv4 address (ioctl) and IPv6 ones (/proc/net/if_inet6)."""
    found = []
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
    ):
        packed = struct.pack("256s", interface.encode()[:15])
        answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, packed)
        found.append(socket.inet_ntoa(answer[20:24]))
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            fields = line.split()
            if len(fields) == 6 and fields[5] == interface:  # noqa: PLR2004 - the file's columns
                found.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
    return found
