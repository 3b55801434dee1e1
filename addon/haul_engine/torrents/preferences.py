"""The download client's options a user may change at run time (qBittorrent's preferences).

They start from the add-on options; a change made through the API is kept in
`<data>/torrents/preferences.json` with the option value it replaced, so that whichever was
changed last wins: a later change of the add-on option drops the API's value. `server_context`
reads the certificate and key the WebUI's `use_https` names.
"""

from __future__ import annotations

import json
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from haul_engine.errors import InvalidInput
from haul_engine.files import write_atomic

if TYPE_CHECKING:
    from haul_engine.settings import Settings

_LOGGER = logging.getLogger(__name__)
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=-1, le=1_000_000, description="-1 = unlimited")]
Minutes = Annotated[int, Field(ge=-1, le=525_600_000, description="minutes, -1 = none")]
Seconds = Annotated[int, Field(ge=0, le=31_536_000)]
ContentLayout = Literal["Original", "Subfolder", "NoSubfolder"]


class Preferences(BaseModel):
    """What the download client runs with."""

    listen_port: Port
    utp: bool
    dht: bool
    pex: bool
    lsd: bool
    encryption: Literal["prefer", "require", "disable"]
    queueing: bool = True
    max_active_downloads: Count
    max_active_uploads: Count
    max_active_torrents: Count
    max_ratio: Annotated[float, Field(ge=-1, le=1_000_000, description="-1 = none")]
    max_seeding_time: Minutes
    max_inactive_seeding_time: Minutes = -1
    incomplete_enabled: bool
    incomplete_folder: str
    add_stopped: bool = False
    content_layout: ContentLayout = "Original"
    banned_ips: list[str] = Field(default_factory=list)
    max_auth_failures: Annotated[int, Field(ge=0, le=1_000_000)] = 5
    ban_seconds: Seconds = 300
    session_seconds: Annotated[int, Field(ge=30, le=31_536_000)] = 3600
    csrf_protection: bool = False
    use_https: bool = False  # the WebUI's TLS, on the engine's port beside plain HTTP
    https_cert_path: str = ""
    https_key_path: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Preferences:
        """Return the values the add-on options give."""
        return cls(
            listen_port=settings.listen_port,
            utp=settings.utp,
            dht=settings.dht,
            pex=settings.pex,
            lsd=settings.lsd,
            encryption=settings.encryption,
            max_active_downloads=settings.max_active_downloads,
            max_active_uploads=settings.max_active_uploads,
            max_active_torrents=settings.max_active_downloads + settings.max_active_uploads,
            max_ratio=settings.seed_ratio_limit,
            max_seeding_time=settings.seed_time_limit,
            incomplete_enabled=settings.incomplete_dir is not None,
            incomplete_folder=str(settings.incomplete_dir or ""),
        )

    @classmethod
    def load(cls, path: Path, settings: Settings) -> Preferences:
        """Return the options' values with the API's changes made since they last changed."""
        base = cls.from_settings(settings)
        try:
            stored = json.loads(path.read_bytes())
            changed, replaced = dict(stored["values"]), dict(stored["replaced"])
        except FileNotFoundError:
            return base
        except (ValueError, KeyError, TypeError) as err:
            _LOGGER.warning("ignoring unreadable %s: %s", path, err)
            return base
        defaults = base.model_dump()
        kept = {
            key: value
            for key, value in changed.items()
            if key in defaults and replaced.get(key) == defaults[key]
        }
        try:
            return base.model_copy(update=cls.model_validate(defaults | kept).model_dump())
        except ValidationError as err:
            _LOGGER.warning("ignoring unusable %s: %s", path, err)
            return base

    def save(self, path: Path, settings: Settings) -> None:
        """Keep what differs from the options, with the option value it replaced (atomically)."""
        defaults = Preferences.from_settings(settings).model_dump()
        values = self.model_dump()
        changed = {key: value for key, value in values.items() if value != defaults[key]}
        replaced = {key: defaults[key] for key in changed}
        document: dict[str, Any] = {"values": changed, "replaced": replaced}
        write_atomic(path, json.dumps(document, indent=2).encode())


def server_context(cert_path: str, key_path: str) -> ssl.SSLContext:
    """Return a TLS server context with the PEM certificate (or chain) and key at the paths.

    InvalidInput, saying what is wrong with which file, when they cannot serve.
    """
    for what, path in (("certificate", cert_path), ("key", key_path)):
        if not Path(path).is_file():
            msg = f"HTTPS stays off: the {what} {path or '(no path)'} is not a file"
            raise InvalidInput(msg)
        try:
            Path(path).open("rb").close()
        except OSError as err:
            msg = f"HTTPS stays off: cannot read the {what} {path}: {err.strerror}"
            raise InvalidInput(msg) from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:  # an encrypted key gets the empty password (OpenSSL would prompt on a terminal)
        context.load_cert_chain(cert_path, key_path, password=lambda: b"")
    except ssl.SSLError as err:
        problem = (
            "the key does not belong to the certificate"
            if err.reason == "KEY_VALUES_MISMATCH"
            else "they are not a PEM certificate and its unencrypted private key"
        )
        msg = f"HTTPS stays off: {cert_path} and {key_path}: {problem}"
        raise InvalidInput(msg) from None
    return context
