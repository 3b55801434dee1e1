"""Assist intents: ask for media, hear what downloads and what waits, approve, pause, by voice."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import probatio
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent
from homeassistant.util.hass_dict import HassKey

from .api import HaulCommandError, HaulError
from .const import DOMAIN
from .errors import title_and_year
from .users import DEFAULT_ACTOR, caller_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import HaulClient
    from .engine_api import RequestView, TorrentInfo

ONE_DAY = 86400
DOWNLOADING = {"downloading", "queued", "metadata", "stalled", "checking"}
QUESTION_SECONDS = 300  # how long an answer to "which one?" is awaited
QUESTIONS: HassKey[dict[str | None, Question]] = HassKey(f"{DOMAIN}_questions")
YEAR = probatio.All(probatio.Coerce(int), probatio.Range(min=1870, max=2200))


@dataclass(frozen=True, slots=True)
class Question:
    """Haul asked which of several works was meant; the answer names one by year or place."""

    media_type: str
    candidates: list[dict[str, Any]]
    asked_at: float


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register Haul's intents (HA's intent component calls this for the integration)."""
    for handler in (
        RequestMediaIntent(),
        ChooseTitleIntent(),
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
            speech = await self.answer(entries[0].runtime_data.client, values, intent_obj)
        except HaulCommandError as err:  # the engine's words, not its error code
            speech = f"Haul could not do that: {err.message}."
        except HaulError:
            speech = "I could not reach Haul."
        except HomeAssistantError as err:
            speech = f"Haul could not do that: {err}."
        response.async_set_speech(speech)
        return response

    @abstractmethod
    async def answer(self, client: HaulClient, slots: dict[str, Any], turn: intent.Intent) -> str:
        """Do the work and say what happened (turn: who asked, and where)."""


class RequestMediaIntent(HaulIntent):
    """Ask for a film or a series; a title that names several works is asked back."""

    intent_type = "HaulRequestMedia"
    description = (
        "Requests a film or a TV series so that Haul finds and downloads it. When several works "
        "have the title, it asks which one: call it again with the year."
    )
    slot_schema: ClassVar[dict[Any, Any]] = {
        probatio.Required("title"): cv.string,
        probatio.Optional("media_type"): probatio.In(["movie", "tv"]),
        probatio.Optional("year"): YEAR,
    }

    async def answer(self, client: HaulClient, slots: dict[str, Any], turn: intent.Intent) -> str:
        """Create the request in the engine, or ask which of the works was meant."""
        body = {"media_type": slots.get("media_type", "movie"), "query": slots["title"]}
        if "year" in slots:
            body["year"] = slots["year"]
        return await _request(client, body, turn)


class ChooseTitleIntent(HaulIntent):
    """The answer to "Dune from 1984 or from 2021?": a year, or the first, second... one."""

    intent_type = "HaulChooseTitle"
    description = (
        "Answers Haul's question which of several works with the same title to request: "
        "the year, or the position in the list Haul said."
    )
    slot_schema: ClassVar[dict[Any, Any]] = {
        probatio.Optional("year"): YEAR,
        probatio.Optional("position"): probatio.All(probatio.Coerce(int), probatio.Range(min=1)),
    }

    async def answer(self, client: HaulClient, slots: dict[str, Any], turn: intent.Intent) -> str:
        """Request the work the answer names."""
        question = turn.hass.data.setdefault(QUESTIONS, {}).get(_asker(turn))
        if question is None or time.monotonic() - question.asked_at > QUESTION_SECONDS:
            return "I did not ask which title you meant; say what to download."
        candidates = question.candidates
        if "position" in slots:
            chosen = candidates[slots["position"] - 1 : slots["position"]]
        else:
            chosen = [c for c in candidates if c.get("year") == slots.get("year")]
        if len(chosen) != 1:
            return f"That is none of them. {_which(candidates)}"
        work = chosen[0]
        body: dict[str, Any] = {"media_type": question.media_type}
        id_field = "tmdb_id" if question.media_type == "movie" else "tvdb_id"
        if work.get(id_field):
            body[id_field] = work[id_field]
        else:
            body |= {"query": work["title"], "year": work["year"]}
        return await _request(client, body, turn)


async def _request(client: HaulClient, body: dict[str, Any], turn: intent.Intent) -> str:
    """Create a request for whoever spoke; several works named: remember them and ask which."""
    caller = await caller_of(turn.hass, turn.context)
    questions = turn.hass.data.setdefault(QUESTIONS, {})
    asker = _asker(turn)
    try:
        request = await client.requests_create(**body, requested_by=_voice(caller.name))
    except HaulCommandError as err:
        candidates = list(err.details.get("candidates") or [])
        if err.code != "ambiguous" or not candidates:
            raise
        questions[asker] = Question(str(body["media_type"]), candidates, time.monotonic())
        return _which(candidates)
    questions.pop(asker, None)
    kind = "series" if body["media_type"] == "tv" else "film"
    return f"I asked for the {kind} {title_and_year(request)}; it is {_state(request['state'])}."


def _asker(turn: intent.Intent) -> str | None:
    """Who is answering a question: the satellite or device spoken to, else the user."""
    return turn.satellite_id or turn.device_id or turn.context.user_id


def _voice(name: str) -> str:
    """Name the speaker in the audit trail: the Home Assistant user, else the voice."""
    return "voice" if name == DEFAULT_ACTOR else name


def _which(candidates: list[dict[str, Any]]) -> str:
    """Ask which work: "Dune from 2021 or from 1984?" (one title), else each with its year."""
    titles = {str(c.get("title")) for c in candidates}
    if len(titles) == 1 and all(c.get("year") for c in candidates):
        years = " or from ".join(str(c["year"]) for c in candidates)
        return f"{titles.pop()} from {years}?"
    named = [title_and_year(c) for c in candidates]
    return f"Which one: {', '.join(named[:-1])} or {named[-1]}?"


class DownloadStatusIntent(HaulIntent):
    """What is downloading, or how far one download is."""

    intent_type = "HaulDownloadStatus"
    description = "Tells what Haul is downloading, or how far the download of one title is."
    slot_schema: ClassVar[dict[Any, Any]] = {probatio.Optional("title"): cv.string}

    async def answer(
        self,
        client: HaulClient,
        slots: dict[str, Any],
        turn: intent.Intent,  # noqa: ARG002
    ) -> str:
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

    async def answer(
        self,
        client: HaulClient,
        slots: dict[str, Any],  # noqa: ARG002
        turn: intent.Intent,  # noqa: ARG002
    ) -> str:
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

    async def answer(self, client: HaulClient, slots: dict[str, Any], turn: intent.Intent) -> str:
        """Approve it in the engine (which approves it in Overseerr too), naming the speaker."""
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
        actor = _voice((await caller_of(turn.hass, turn.context)).name)
        await client.requests_approve(latest["id"], actor=actor)
        return f"Approved {title_and_year(latest)}."


class PauseDownloadsIntent(HaulIntent):
    """Pause every download."""

    intent_type = "HaulPauseDownloads"
    description = "Pauses all of Haul's downloads."
    pause = True

    async def answer(
        self,
        client: HaulClient,
        slots: dict[str, Any],  # noqa: ARG002
        turn: intent.Intent,  # noqa: ARG002
    ) -> str:
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
    description = (
        "Tells how many episodes, films or albums are missing, could be upgraded or are upcoming."
    )

    async def answer(
        self,
        client: HaulClient,
        slots: dict[str, Any],  # noqa: ARG002
        turn: intent.Intent,  # noqa: ARG002
    ) -> str:
        """Sum the library summary over every connector; what is upcoming too, if anything."""
        connectors = (await client.library_summary())["connectors"]
        if not connectors:
            return "No library is connected to Haul."
        missing = sum(connector["missing"] for connector in connectors)
        upgradable = sum(connector["cutoff_unmet"] for connector in connectors)
        # an engine built before the upcoming figure has none
        upcoming = sum(connector.get("upcoming", 0) for connector in connectors)
        later = f"; {upcoming} more {'is' if upcoming == 1 else 'are'} upcoming" if upcoming else ""
        return f"{_count(missing, 'item')} missing and {upgradable} that could be upgraded{later}."


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
    return ", ".join(title_and_year(request) for request in requests[:3])


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
