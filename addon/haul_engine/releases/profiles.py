"""Quality profiles: the built-in presets and the custom profiles kept in the database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from haul_engine.db.database import get_or_not_found, unique
from haul_engine.db.values import utcnow
from haul_engine.errors import Conflict, InvalidInput, NotFound
from haul_engine.releases.models import QUALITY_PROFILES, QualityProfileRow
from haul_engine.releases.rules import Profile, ProfileRules

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from haul_engine.db.database import Database
    from haul_engine.db.sql import Transaction

DEFAULT_PROFILE = "any"


PRESETS: dict[str, Profile] = {
    profile.id: profile
    for profile in (
        Profile(
            id="any",
            name="Any",
            builtin=True,
            rules=ProfileRules(min_seeders=1),
        ),
        Profile(
            id="1080p-compact",
            name="1080p compact",
            builtin=True,
            rules=ProfileRules(
                media="video",
                min_resolution=720,
                max_resolution=1080,
                min_source="tv",
                allow_remux=False,
                preferred_codecs=["x265", "av1", "x264"],
                min_mb_per_minute=2,
                max_mb_per_minute=80,
                preferred_mb_per_minute=20,
                min_seeders=2,
            ),
        ),
        Profile(
            id="2160p-hdr",
            name="2160p HDR",
            builtin=True,
            rules=ProfileRules(
                media="video",
                min_resolution=2160,
                max_resolution=2160,
                min_source="webrip",
                hdr="required",
                preferred_codecs=["x265", "av1"],
                preferred_audio=["truehd", "atmos", "dts-hd", "dts-x", "eac3", "ddp"],
                min_mb_per_minute=15,
                max_mb_per_minute=700,
                preferred_mb_per_minute=150,
            ),
        ),
        Profile(
            id="lossless-music",
            name="Lossless music",
            builtin=True,
            rules=ProfileRules(
                media="music",
                audio_formats=["flac", "alac", "ape", "wavpack", "wav"],
            ),
        ),
    )
}


class ProfileStore:
    """The built-in presets plus the custom profiles kept in the database."""

    def __init__(self, database: Database) -> None:
        """Use the engine's database."""
        self.database = database

    async def all(self) -> list[Profile]:
        """Presets first, then custom profiles by name."""
        async with self.database.session() as tx:
            rows = await QUALITY_PROFILES.all(tx, "ORDER BY name")
        return [*PRESETS.values(), *(_profile(row) for row in rows)]

    async def get(self, id_or_name: str) -> Profile:
        """Find a profile by id or (case-insensitive) name."""
        if id_or_name in PRESETS:
            return PRESETS[id_or_name]
        for profile in await self.all():
            if (
                id_or_name in {profile.id, profile.name}
                or profile.name.lower() == id_or_name.lower()
            ):
                return profile
        msg = f"no quality profile {id_or_name!r}"
        raise NotFound(msg)

    async def create(self, name: str, rules: ProfileRules) -> Profile:
        """Store a new custom profile; its id is derived from the name."""
        name = name.strip()
        await self._check_name_free(name, None)
        profile_id = await self._free_id(_slug(name))
        row = QualityProfileRow(id=profile_id, name=name, rules=rules.model_dump(mode="json"))
        row.created_at = row.updated_at = utcnow()
        async with self.database.session() as tx:
            with _unique(name):
                await QUALITY_PROFILES.insert(tx, row)
        return _profile(row)

    async def update(
        self, profile_id: str, name: str | None, rules: ProfileRules | None
    ) -> Profile:
        """Rename a custom profile or replace its rules."""
        _refuse_preset(profile_id)
        async with self.database.session() as tx:
            row = await _row(tx, profile_id)
            if name is not None:
                await self._check_name_free(name.strip(), profile_id)
                row.name = name.strip()
            if rules is not None:
                row.rules = rules.model_dump(mode="json")
            row.updated_at = utcnow()
            with _unique(row.name):
                await QUALITY_PROFILES.update(tx, row, "name", "rules", "updated_at")
        return _profile(row)

    async def delete(self, profile_id: str) -> None:
        """Remove a custom profile."""
        _refuse_preset(profile_id)
        async with self.database.session() as tx:
            await QUALITY_PROFILES.delete(tx, (await _row(tx, profile_id)).id)

    async def _check_name_free(self, name: str, own_id: str | None) -> None:
        if not name:
            msg = "name: must not be empty"
            raise InvalidInput(msg)
        for profile in await self.all():
            if profile.name.lower() == name.lower() and profile.id != own_id:
                msg = f"a quality profile named {profile.name!r} already exists"
                raise Conflict(msg)

    async def _free_id(self, base: str) -> str:
        taken = {profile.id for profile in await self.all()}
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        return candidate


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "profile"


def _refuse_preset(profile_id: str) -> None:
    if profile_id in PRESETS:
        msg = f"{profile_id!r} is a built-in profile; create a custom one with its rules instead"
        raise Conflict(msg)


async def _row(tx: Transaction, profile_id: str) -> QualityProfileRow:
    return await get_or_not_found(
        QUALITY_PROFILES, tx, profile_id, f"no custom quality profile with id {profile_id!r}"
    )


def _unique(name: str) -> AbstractContextManager[None]:
    return unique(f"a quality profile named {name!r} already exists")


def _profile(row: QualityProfileRow) -> Profile:
    return Profile(
        id=row.id,
        name=row.name,
        builtin=False,
        rules=ProfileRules.model_validate(row.rules),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
