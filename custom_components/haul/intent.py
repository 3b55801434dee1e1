"""Assist intents: ask for media, hear what downloads and what waits, approve, pause, by voice."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import probatio
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent

from .api import HaulCommandError, HaulError
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import HaulClient
    from .engine_api import RequestView, TorrentInfo

ONE_DAY = 86400
DOWNLOADING = {"downloading", "queued", "metadata", "stalled", "checking"}


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register Haul's intents (HA's intent component calls this for the integration)."""
    for handler in (
        RequestMediaIntent(),
        DownloadStatusIntent(),
        PendingRequestsIntent(),
        ApproveRequestIntent(),
        PauseDownloadsIntent(),
        ResumeDownloadsIntent(),
        LibraryGapsIntent(),
    ):
        intent.async_register(hass, handler)


class HaulIntent(intent.IntentHandler, ABC):
    """Common ground: find the engine, turn failures into a spoken sentence."""

    platforms = None
    slot_schema: ClassVar[dict[Any, Any]] = {}

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Answer with one short spoken sentence."""
        slots = self.async_validate_slots(intent_obj.slots)
        values = {name: slot["value"] for name, slot in slots.items()}
        entries = intent_obj.hass.config_entries.async_loaded_entries(DOMAIN)
        response = intent_obj.create_response()
        if not entries:
            response.async_set_speech("Haul is not connected.")
            return response
        try:
            speech = await self.answer(entries[0].runtime_data.client, values)
        except HaulCommandError as err:
            speech = f"Haul could not do that: {err}."
        except HaulError:
            speech = "I could not reach Haul."
        response.async_set_speech(speech)
        return response

    @abstractmethod
    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:
        """Do the work and say what happened."""


class RequestMediaIntent(HaulIntent):
    """Ask for a film or a series."""

    intent_type = "HaulRequestMedia"
    description = "Requests a film or a TV series so that Haul finds and downloads it."
    slot_schema: ClassVar[dict[Any, Any]] = {
        probatio.Required("title"): cv.string,
        probatio.Optional("media_type"): probatio.In(["movie", "tv"]),
    }

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:
        """Create the request in the engine."""
        media_type = slots.get("media_type", "movie")
        request = await client.requests_create(
            media_type=media_type, query=slots["title"], requested_by="voice"
        )
        kind = "series" if media_type == "tv" else "film"
        return f"I asked for the {kind} {_label(request)}; it is {_state(request['state'])}."


class DownloadStatusIntent(HaulIntent):
    """What is downloading, or how far one download is."""

    intent_type = "HaulDownloadStatus"
    description = "Tells what Haul is downloading, or how far the download of one title is."
    slot_schema: ClassVar[dict[Any, Any]] = {probatio.Optional("title"): cv.string}

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:
        """Read the torrents and describe the active ones."""
        active = [
            torrent
            for torrent in await client.torrents_list()
            if torrent["progress"] < 1 and not torrent["stopped"]
        ]
        if title := slots.get("title"):
            matches = [torrent for torrent in active if _contains(torrent["name"], title)]
            if not matches:
                return f"Nothing called {title} is downloading."
            torrent = matches[0]
            return f"{title} is {_percent(torrent)} done{_eta(torrent['eta'])}."
        if not active:
            return "Nothing is downloading."
        listed = ", ".join(f"{torrent['name']} at {_percent(torrent)}" for torrent in active[:3])
        more = f", and {len(active) - 3} more" if len(active) > 3 else ""  # noqa: PLR2004 - spoken lists stay short
        return f"{_count(len(active), 'download')}: {listed}{more}."


class PendingRequestsIntent(HaulIntent):
    """Which requests wait for someone."""

    intent_type = "HaulPendingRequests"
    description = "Tells which media requests wait for approval or for a release to be picked."

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:  # noqa: ARG002
        """Read pending and awaiting-selection requests."""
        pending = await client.requests_list(state="pending")
        choosing = await client.requests_list(state="awaiting_selection")
        if not pending and not choosing:
            return "No requests are waiting."
        parts = [
            f"{_count(len(requests), 'request')} waiting for {what}: {_titles(requests)}"
            for requests, what in ((pending, "approval"), (choosing, "a release pick"))
            if requests
        ]
        return ". ".join(parts) + "."


class ApproveRequestIntent(HaulIntent):
    """Approve the latest request, or the one named."""

    intent_type = "HaulApproveRequest"
    description = "Approves a pending media request: the one with the given title, else the latest."
    slot_schema: ClassVar[dict[Any, Any]] = {probatio.Optional("title"): cv.string}

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:
        """Approve it in the engine (which approves it in Overseerr too)."""
        pending = await client.requests_list(state="pending")
        if title := slots.get("title"):
            pending = [request for request in pending if _contains(request["title"], title)]
        if not pending:
            return (
                f"No pending request for {title}."
                if title
                else "No request is waiting for approval."
            )
        latest = max(pending, key=lambda request: request["created_at"])
        await client.requests_approve(latest["id"], actor="voice")
        return f"Approved {_label(latest)}."


class PauseDownloadsIntent(HaulIntent):
    """Pause every download."""

    intent_type = "HaulPauseDownloads"
    description = "Pauses all of Haul's downloads."
    pause = True

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:  # noqa: ARG002
        """Pause (or resume) the unfinished downloads that are not already so, in one command."""
        chosen = [
            torrent["hash"]
            for torrent in await client.torrents_list()
            if torrent["progress"] < 1 and torrent["stopped"] != self.pause
        ]
        if not chosen:
            return "Nothing was downloading." if self.pause else "No download was paused."
        command = client.torrents_pause_all if self.pause else client.torrents_resume_all
        await command(hashes=chosen)
        return f"{'Paused' if self.pause else 'Resumed'} {_count(len(chosen), 'download')}."


class ResumeDownloadsIntent(PauseDownloadsIntent):
    """Resume every paused download."""

    intent_type = "HaulResumeDownloads"
    description = "Resumes all of Haul's paused downloads."
    pause = False


class LibraryGapsIntent(HaulIntent):
    """How much is missing from the libraries."""

    intent_type = "HaulLibraryGaps"
    description = "Tells how many episodes, films or albums are missing or could be upgraded."

    async def answer(self, client: HaulClient, slots: dict[str, Any]) -> str:  # noqa: ARG002
        """Sum the library summary over every connector."""
        connectors = (await client.library_summary())["connectors"]
        if not connectors:
            return "No library is connected to Haul."
        missing = sum(connector["missing"] for connector in connectors)
        upgradable = sum(connector["cutoff_unmet"] for connector in connectors)
        return f"{_count(missing, 'item')} missing and {upgradable} that could be upgraded."


def _label(request: RequestView) -> str:
    """Say a title with its year."""
    return f"{request['title']} ({request['year']})" if request["year"] else request["title"]


def _state(state: str) -> str:
    """Say a request state."""
    return {
        "pending": "waiting for approval",
        "approved": "approved, and Haul is looking for releases",
        "awaiting_selection": "waiting for a release pick",
        "available": "already available",
    }.get(state, state.replace("_", " "))


def _titles(requests: list[RequestView]) -> str:
    """Say up to three titles."""
    return ", ".join(_label(request) for request in requests[:3])


def _contains(name: str, title: str) -> bool:
    """Whether a spoken title matches a name, ignoring case and punctuation."""

    def words(text: str) -> str:
        return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())

    return words(title) in words(name)


def _percent(torrent: TorrentInfo) -> str:
    """Say progress as a percentage."""
    return f"{round(torrent['progress'] * 100)} percent"


def _eta(seconds: int) -> str:
    """Say the time left, if known."""
    if seconds <= 0 or seconds >= ONE_DAY * 100:
        return ""
    if seconds < 3600:  # noqa: PLR2004 - an hour
        return f", about {_count(max(1, round(seconds / 60)), 'minute')} left"
    return f", about {_count(round(seconds / 3600), 'hour')} left"


def _count(number: int, noun: str) -> str:
    """Say a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
