"""Engine settings: defaults < options.json < HAUL_* environment < command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from collections.abc import Mapping

ENV_PREFIX = "HAUL_"
OPTIONS_FILE = "options.json"
DEFAULT_DATA_DIR = Path("/data")

Port = Annotated[int, Field(ge=1, le=65535)]
DATABASE_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


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

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value and not value.startswith(DATABASE_SCHEMES):
            msg = f"must start with one of {', '.join(DATABASE_SCHEMES)}"
            raise ValueError(msg)
        return value

    @property
    def effective_database_url(self) -> str:
        """The database to use: the configured one, else SQLite in the data folder."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'haul.db'}"

    @property
    def effective_download_dir(self) -> Path:
        """Where downloads land: the configured folder, else `downloads` in the data folder."""
        return self.download_dir or self.data_dir / "downloads"


def load_settings(
    command_line: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Merge the four layers and validate them, naming the key and its source on error."""
    environ = os.environ if environ is None else environ
    env_values = {
        key.removeprefix(ENV_PREFIX).lower(): value
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
