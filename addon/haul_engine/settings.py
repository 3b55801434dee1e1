"""Engine settings: defaults < options.json < HAUL_* environment < command line."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)
ENV_PREFIX = "HAUL_"
OPTIONS_FILE = "options.json"
DEFAULT_DATA_DIR = Path("/data")

Port = Annotated[int, Field(ge=1, le=65535)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CategoryFolder = Annotated[str, Field(pattern=r"^[^=\\/\s][^=\\]*=[^=\\]*$")]
TimeRange = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)?$")]
DATABASE_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class PostProcessRule(BaseModel):
    """What happens to a finished download of one category that no *arr handles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(min_length=1)
    action: Literal["move", "copy", "hardlink"] = Field(
        default="hardlink",
        description="copy and hardlink keep the torrent seeding where it is; move removes it",
    )
    folder: Path = Field(description="the media folder (absolute, inside the roots)")
    media: Literal["auto", "movie", "series"] = "auto"
    pattern: str = Field(default="", description="the naming pattern; empty: the media's default")

    @field_validator("folder")
    @classmethod
    def _absolute_folder(cls, folder: Path) -> Path:
        if not folder.is_absolute():
            msg = f"{str(folder)!r} is not an absolute path"
            raise ValueError(msg)
        return folder

    @field_validator("pattern")
    @classmethod
    def _known_fields(cls, pattern: str) -> str:
        from haul_engine.postprocessing.naming import check_pattern  # noqa: PLC0415 - settings load nothing else

        return check_pattern(pattern) if pattern else pattern


class SettingsError(Exception):
    """A setting is missing, unknown or out of range; the message names the key."""


class Settings(BaseModel):
    """Everything the engine can be told at start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "0.0.0.0"  # noqa: S104 - the add-on must be reachable from Home Assistant's container
    port: Port = 8765
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    database_url: str = ""
    heartbeat_interval: Annotated[float, Field(gt=0, le=3600)] = 30.0
    download_dir: Path | None = None
    incomplete_dir: Path | None = Field(
        default=None, description="where unfinished torrents are kept (qBittorrent's temp_path)"
    )
    extra_folders: list[Path] = Field(
        default_factory=list, description="more folders torrents may be saved in (absolute)"
    )
    listen_port: Port = 6881
    qbittorrent_username: str = "admin"
    qbittorrent_password: str = ""
    vpn_interface: str = Field(
        default="", description="the interface torrents use only (wg0 with wireguard_config)"
    )
    wireguard_config: Path | None = Field(
        default=None, description="a wg-quick file the engine brings up as its own tunnel"
    )
    vpn_public_ip_url: str = Field(
        default="https://api.ipify.org",
        description="answers the address it is called from (text or JSON with 'ip'); empty: off",
    )
    vpn_dns: bool = Field(
        default=True,
        description="name lookups through the tunnel, to the WireGuard file's DNS servers",
    )
    vpn_port_forwarding: bool = False
    vpn_port_forwarding_gateway: str = Field(
        default="", description="the NAT-PMP gateway; empty: the configuration's first DNS"
    )
    vpn_check_interval: Annotated[float, Field(gt=0, le=3600)] = 5.0
    max_active_downloads: Annotated[int, Field(ge=1, le=1000)] = 3
    max_active_uploads: Annotated[int, Field(ge=1, le=1000)] = 3
    download_limit: Annotated[int, Field(ge=0)] = 0
    upload_limit: Annotated[int, Field(ge=0)] = 0
    alt_download_limit: Annotated[int, Field(ge=0)] = 0
    alt_upload_limit: Annotated[int, Field(ge=0)] = 0
    seed_ratio_limit: Annotated[float, Field(ge=-1)] = -1
    seed_time_limit: Annotated[int, Field(ge=-1)] = -1
    min_free_space_mb: Annotated[int, Field(ge=0)] = 1024
    dht: bool = True
    pex: bool = True
    lsd: bool = True
    utp: bool = True
    encryption: Literal["prefer", "require", "disable"] = "prefer"
    categories: list[CategoryFolder] = Field(
        default_factory=list,
        description="name=folder (relative to download_dir), set at every start",
    )
    alt_schedule: TimeRange = Field(
        default="",
        description="HH:MM-HH:MM when the alternative limits apply; empty = as set at run time",
    )
    alt_schedule_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    post_processing: list[PostProcessRule] = Field(
        default_factory=list,
        description="per category: move, copy or hard-link into a media folder",
    )
    request_poll_interval: Annotated[float, Field(gt=0, le=3600)] = 15.0
    request_auto_pick_hours: Annotated[float, Field(ge=0)] = 0.0
    request_arr_wait_minutes: Annotated[float, Field(gt=0)] = 30.0
    request_search_attempts: Annotated[int, Field(ge=1, le=100)] = 4
    request_search_retry_minutes: Annotated[float, Field(gt=0)] = 60.0
    request_stall_minutes: Annotated[float, Field(gt=0)] = 60.0
    time_zone: str = Field(
        default="",
        description="the IANA zone library schedules and daily budgets follow; empty: the TZ "
        "environment variable (the Supervisor gives the add-on Home Assistant's), else UTC",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value and not value.startswith(DATABASE_SCHEMES):
            msg = f"must start with one of {', '.join(DATABASE_SCHEMES)}"
            raise ValueError(msg)
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            _zone(value)
        return value

    @field_validator("incomplete_dir", "wireguard_config", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="before")
    @classmethod
    def _tunnel_interface(cls, values: object) -> object:
        """Name a tunnel of the engine's own wg0 unless named."""
        if (
            isinstance(values, dict)
            and values.get("wireguard_config")
            and not values.get("vpn_interface")
        ):
            return {**values, "vpn_interface": "wg0"}
        return values

    @field_validator("incomplete_dir", "extra_folders", "wireguard_config")
    @classmethod
    def _absolute(cls, value: Path | list[Path] | None) -> Path | list[Path] | None:
        for folder in value if isinstance(value, list) else [value]:
            if folder is not None and not folder.is_absolute():
                msg = f"{str(folder)!r} is not an absolute path"
                raise ValueError(msg)
        return value

    @field_validator("categories")
    @classmethod
    def _folders_inside_downloads(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            folder = Path(entry.partition("=")[2])
            if folder.is_absolute() or ".." in folder.parts:
                msg = f"{entry!r}: the folder must be relative to download_dir, without '..'"
                raise ValueError(msg)
        return entries

    @field_validator("post_processing")
    @classmethod
    def _media_folders_inside_roots(
        cls, rules: list[PostProcessRule], info: ValidationInfo
    ) -> list[PostProcessRule]:
        data = info.data
        downloads = (
            data.get("download_dir") or Path(data.get("data_dir", DEFAULT_DATA_DIR)) / "downloads"
        )
        roots = [downloads, data.get("incomplete_dir"), *data.get("extra_folders", [])]
        for rule in rules:
            if not any(root and rule.folder.is_relative_to(root) for root in roots):
                msg = (
                    f"{rule.category!r}: {rule.folder} is outside the download folder and"
                    " extra_folders (add it to extra_folders)"
                )
                raise ValueError(msg)
        categories = [rule.category for rule in rules]
        if len(set(categories)) != len(categories):
            msg = "each category may have one rule"
            raise ValueError(msg)
        return rules

    def category_folders(self) -> dict[str, str]:
        """Map each category the options ask for to its folder."""
        return dict(entry.partition("=")[::2] for entry in self.categories)

    @property
    def zone(self) -> tzinfo:
        """The local time zone: time_zone, else TZ from the environment, else UTC."""
        name = self.time_zone or os.environ.get("TZ", "")
        try:
            return _zone(name) if name else UTC
        except ValueError:  # a TZ the container cannot read: said once at start, UTC meanwhile
            _LOGGER.warning("the time zone %r is unknown here; using UTC", name[:64])
            return UTC

    @property
    def effective_database_url(self) -> str:
        """The database to use: the configured one, else SQLite in the data folder."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'haul.db'}"

    @property
    def effective_download_dir(self) -> Path:
        """Where downloads land: the configured folder, else `downloads` in the data folder."""
        return self.download_dir or self.data_dir / "downloads"

    @property
    def download_roots(self) -> list[Path]:
        """Every folder torrents may write to: downloads, then the incomplete and extra ones."""
        extra = [self.incomplete_dir] if self.incomplete_dir else []
        return [self.effective_download_dir, *extra, *self.extra_folders]


def _zone(name: str) -> tzinfo:
    """Return the zone an IANA name names, or refuse it by name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"{name[:64]!r} is not a time zone this system knows (e.g. Europe/Paris)"
        raise ValueError(msg) from None


def load_settings(
    command_line: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Merge the four layers and validate them, naming the key and its source on error."""
    environ = os.environ if environ is None else environ
    env_values = {
        key.removeprefix(ENV_PREFIX).lower(): _env_value(value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX)
    }
    cli_values = {key: value for key, value in command_line.items() if value is not None}
    data_dir = Path(cli_values.get("data_dir") or env_values.get("data_dir") or DEFAULT_DATA_DIR)

    sources: dict[str, str] = {}
    merged: dict[str, Any] = {}
    for source, values in (
        (str(data_dir / OPTIONS_FILE), _read_options(data_dir / OPTIONS_FILE)),
        ("environment", env_values),
        ("command line", cli_values),
    ):
        for key, value in values.items():
            merged[key] = value
            sources[key] = source
    merged["data_dir"] = data_dir
    try:
        return Settings.model_validate(merged)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "settings"
        source = sources.get(str(first["loc"][0]) if first["loc"] else "", "defaults")
        where = f" ({ENV_PREFIX}{key.upper()})" if source == "environment" else ""
        msg = f"invalid setting '{key}' from {source}{where}: {first['msg']}"
        raise SettingsError(msg) from None


def _env_value(value: str) -> Any:  # noqa: ANN401 - a string, or the list a JSON array spells
    """Read lists from the environment as JSON arrays (HAUL_CATEGORIES='["tv=tv"]')."""
    if value.lstrip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _read_options(path: Path) -> dict[str, Any]:
    """Read the add-on's options file; absent means no options."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"invalid settings file {path}: not JSON ({err.msg} at line {err.lineno})"
        raise SettingsError(msg) from None
    if not isinstance(options, dict):
        msg = f"invalid settings file {path}: expected a JSON object"
        raise SettingsError(msg)
    return options
