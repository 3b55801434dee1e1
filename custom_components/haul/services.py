"""Actions: each one engine REST command on the config entry it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import probatio
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .engine_api import EngineCommands
from .errors import AmbiguousTitle, call_engine
from .users import Caller, caller_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

    from homeassistant.core import HomeAssistant

    from .coordinator import HaulConfigEntry
    from .engine_api import LimitsPatch, RequestView, TorrentInfo

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
POSITIVE = probatio.All(probatio.Coerce(int), probatio.Range(min=1))
YEAR = probatio.All(probatio.Coerce(int), probatio.Range(min=1870, max=2200))
KIBS = probatio.All(probatio.Coerce(int), probatio.Range(min=0, max=10_000_000))
REQUEST_ID = {probatio.Required("request_id"): POSITIVE}
REASON = probatio.All(cv.string, probatio.Length(max=500))
INFO_HASH = {probatio.Required("info_hash"): probatio.All(cv.string, probatio.Lower)}
CONNECTOR = {probatio.Optional("connector_id"): cv.string}
LIMITS = ("download_limit", "upload_limit", "alt_download_limit", "alt_upload_limit")
FILE_PRIORITIES: dict[str, Literal[0, 1, 6, 7]] = {"skip": 0, "normal": 1, "high": 6, "maximum": 7}


@dataclass(frozen=True, slots=True)
class Action:
    """An action: its fields, what it does, whether it answers, and when it is for admins only."""

    fields: dict[Any, Any]
    run: Callable[[HaulConfigEntry, dict[str, Any], Caller], Awaitable[dict[str, Any]]]
    response: SupportsResponse = SupportsResponse.OPTIONAL
    # destructive with these data: only Home Assistant administrators may run it
    admin_only: Callable[[dict[str, Any]], bool] = lambda _data: False


def _given(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data}


async def _request_media(
    entry: HaulConfigEntry, data: dict[str, Any], caller: Caller
) -> dict[str, Any]:
    """Create the request; a title matching several works answers them to choose from."""
    if not any(key in data for key in ("query", "tmdb_id", "tvdb_id", "musicbrainz_id")):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="what_to_request")
    body = _given(
        data, "media_type", "query", "year", "tmdb_id", "tvdb_id", "musicbrainz_id", "seasons",
        "connector_id", "quality_profile_id", "root_folder",
    )  # fmt: skip
    created = entry.runtime_data.client.requests_create(**body, requested_by=caller.name)
    try:
        return {"request": await call_engine(created), "candidates": []}
    except AmbiguousTitle as err:
        if not caller.wants_answer:
            raise
        return {"request": None, "candidates": err.candidates}


def _request_command(
    command: Callable[..., Awaitable[RequestView]], *extra: str
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Run a command on the request the call names; command is an unbound `HaulClient` method."""

    async def run(entry: HaulConfigEntry, data: dict[str, Any], caller: Caller) -> dict[str, Any]:
        client = entry.runtime_data.client
        answer = command(client, data["request_id"], actor=caller.name, **_given(data, *extra))
        return {"request": await call_engine(answer)}

    return run


async def _search_releases(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    fields = ("query", "type", "imdb_id", "tmdb_id", "tvdb_id", "season", "episode", "year")
    query = _given(data, *fields, "profile", "limit")
    answer = await call_engine(entry.runtime_data.client.releases_search(**query))
    return {
        "profile": answer["profile"],
        "accepted": answer["accepted"],
        "rejected": answer["rejected"],
        "candidates": [
            {
                "id": result["id"],
                "title": result["title"],
                "indexer": result["indexer"],
                "quality": result["quality"],
                "score": result["score"],
                "accepted": result["accepted"],
                "reasons": [
                    f"{part['reason']} ({part['points']:+d})" for part in result["breakdown"]
                ],
                "rejections": result["rejections"],
                "size": result["size"],
                "seeders": result["seeders"],
            }
            for result in answer["results"]
        ],
    }


async def _grab_release(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    sources = _given(data, "magnet", "url", "release_id")
    if len(sources) != 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="one_source")
    body = {"id" if key == "release_id" else key: value for key, value in sources.items()}
    client = entry.runtime_data.client
    return dict(await call_engine(client.releases_grab(**body, **_given(data, "category"))))


def _torrent_command(
    command: Callable[..., Awaitable[TorrentInfo | None]], *extra: str
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Run a command on the download the call names; command is an unbound `HaulClient` method."""

    async def run(entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        client = entry.runtime_data.client
        answer = command(client, data["info_hash"], **_given(data, *extra))
        return {"download": await call_engine(answer)}

    return run


async def _set_file_priority(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    answer = entry.runtime_data.client.torrents_file_priority(
        data["info_hash"], indexes=data["files"], priority=FILE_PRIORITIES[data["priority"]]
    )
    return {"files": await call_engine(answer)}


async def _set_speed_limits(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    limits = cast("LimitsPatch", _given(data, *LIMITS, "alt_mode"))  # the fields are the patch's
    answer = await call_engine(entry.runtime_data.client.transfer_update(limits=limits))
    entry.runtime_data.coordinator.take_answer("transfer_updated", "transfer", answer)
    return {"transfer": answer}


def _arr_targets(entry: HaulConfigEntry, data: dict[str, Any]) -> list[str]:
    """List the connector the call names, else every enabled *arr connector."""
    if "connector_id" in data:
        return [data["connector_id"]]
    views = entry.runtime_data.coordinator.data.views
    return [c.id for c in views.connectors.values() if c.category == "arr" and c.enabled]


def _connector_command(
    command: Callable[..., Awaitable[dict[str, Any]]],
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Run a command on the connector the call names, else on every enabled *arr."""

    async def run(entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        return {
            "connectors": {
                target: await call_engine(command(entry.runtime_data.client, target))
                for target in _arr_targets(entry, data)
            }
        }

    return run


async def _reset_gaps(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    client, scope = entry.runtime_data.client, _given(data, "series_id", "item_id")
    reset = {
        target: (await call_engine(client.library_gaps_reset(connector_id=target, **scope)))[
            "reset"
        ]
        for target in _arr_targets(entry, data)
    }
    return {"reset": reset, "total": sum(reset.values())}


async def _search_gap(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    return {
        "search": await call_engine(entry.runtime_data.client.library_gaps_search(data["item_id"]))
    }


async def _boost_gap(
    entry: HaulConfigEntry, data: dict[str, Any], _caller: Caller
) -> dict[str, Any]:
    """Boost one gap (item_id) or every episode of a series (series_id)."""
    client, boost = entry.runtime_data.client, data["boost"]
    if ("item_id" in data) == ("series_id" in data):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="one_gap_or_series")
    if "item_id" in data:
        return {"boost": await call_engine(client.library_gaps_boost(data["item_id"], boost=boost))}
    return {"boost": await call_engine(client.library_series_boost(data["series_id"], boost=boost))}


ACTIONS: dict[str, Action] = {
    "request_media": Action(
        {
            probatio.Required("media_type"): probatio.In(["movie", "tv", "album", "artist"]),
            probatio.Optional("query"): probatio.All(cv.string, probatio.Length(min=1, max=300)),
            probatio.Optional("year"): YEAR,
            probatio.Optional("tmdb_id"): POSITIVE,
            probatio.Optional("tvdb_id"): POSITIVE,
            probatio.Optional("musicbrainz_id"): probatio.All(
                cv.string, probatio.Match(r"^[0-9A-Za-z-]{1,64}$")
            ),
            probatio.Optional("seasons"): [
                probatio.All(probatio.Coerce(int), probatio.Range(min=0))
            ],
            probatio.Optional("connector_id"): probatio.All(
                cv.string, probatio.Length(min=1, max=32)
            ),
            probatio.Optional("quality_profile_id"): POSITIVE,
            probatio.Optional("root_folder"): probatio.All(
                cv.string, probatio.Length(min=1, max=1000)
            ),
        },
        _request_media,
    ),
    "approve_request": Action(REQUEST_ID, _request_command(EngineCommands.requests_approve)),
    "decline_request": Action(
        {**REQUEST_ID, probatio.Optional("reason"): REASON},
        _request_command(EngineCommands.requests_decline, "reason"),
        admin_only=lambda _data: True,
    ),
    "select_release": Action(
        {**REQUEST_ID, probatio.Required("candidate_id"): POSITIVE},
        _request_command(EngineCommands.requests_select, "candidate_id"),
    ),
    "search_again": Action(REQUEST_ID, _request_command(EngineCommands.requests_search)),
    "cancel_request": Action(REQUEST_ID, _request_command(EngineCommands.requests_cancel)),
    "blocklist_release": Action(
        {
            **REQUEST_ID,
            probatio.Optional("reason"): REASON,
            probatio.Optional("candidate_id"): POSITIVE,
        },
        _request_command(EngineCommands.requests_blocklist, "reason", "candidate_id"),
        admin_only=lambda _data: True,
    ),
    "search_releases": Action(
        {
            probatio.Optional("query"): probatio.All(cv.string, probatio.Length(max=300)),
            probatio.Optional("type", default="search"): probatio.In(
                ["search", "movie", "tv", "music"]
            ),
            probatio.Optional("imdb_id"): cv.string,
            probatio.Optional("tmdb_id"): POSITIVE,
            probatio.Optional("tvdb_id"): POSITIVE,
            probatio.Optional("season"): probatio.All(probatio.Coerce(int), probatio.Range(min=0)),
            probatio.Optional("episode"): probatio.All(probatio.Coerce(int), probatio.Range(min=0)),
            probatio.Optional("year"): YEAR,
            probatio.Optional("profile"): cv.string,
            probatio.Optional("limit", default=10): probatio.All(
                probatio.Coerce(int), probatio.Range(min=1, max=100)
            ),
        },
        _search_releases,
        SupportsResponse.ONLY,
    ),
    "grab_release": Action(
        {
            probatio.Optional("magnet"): probatio.All(cv.string, probatio.Match(r"^magnet:\?")),
            probatio.Optional("url"): cv.url,
            probatio.Optional("release_id"): cv.string,
            probatio.Optional("category"): cv.string,
        },
        _grab_release,
    ),
    "pause_download": Action(INFO_HASH, _torrent_command(EngineCommands.torrents_pause)),
    "resume_download": Action(INFO_HASH, _torrent_command(EngineCommands.torrents_resume)),
    "remove_download": Action(
        {**INFO_HASH, probatio.Optional("delete_files", default=False): cv.boolean},
        _torrent_command(EngineCommands.torrents_remove, "delete_files"),
        admin_only=lambda data: bool(data["delete_files"]),
    ),
    "set_file_priority": Action(
        {
            **INFO_HASH,
            probatio.Required("files"): probatio.All(
                [probatio.All(probatio.Coerce(int), probatio.Range(min=0))],
                probatio.Length(min=1),
            ),
            probatio.Required("priority"): probatio.In(list(FILE_PRIORITIES)),
        },
        _set_file_priority,
    ),
    "set_speed_limits": Action(
        {
            **{probatio.Optional(name): KIBS for name in LIMITS},
            probatio.Optional("alt_mode"): cv.boolean,
        },
        _set_speed_limits,
    ),
    "run_sweep": Action(CONNECTOR, _connector_command(EngineCommands.connectors_sweep)),
    "sync_library": Action(CONNECTOR, _connector_command(EngineCommands.connectors_sync)),
    "reset_gaps": Action(
        {
            **CONNECTOR,
            probatio.Optional("series_id"): POSITIVE,
            probatio.Optional("item_id"): POSITIVE,
        },
        _reset_gaps,
    ),
    "search_gap": Action({probatio.Required("item_id"): POSITIVE}, _search_gap),
    "boost_gap": Action(
        {
            probatio.Optional("item_id"): POSITIVE,
            probatio.Optional("series_id"): POSITIVE,
            probatio.Optional("boost", default=10): probatio.All(
                probatio.Coerce(int), probatio.Range(min=-100, max=100)
            ),
        },
        _boost_gap,
    ),
}


def _entry(hass: HomeAssistant, entry_id: str) -> HaulConfigEntry:
    """Find the loaded Haul entry the call names."""
    entry: HaulConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _handler(
    hass: HomeAssistant, action: Action
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        data = dict(call.data)
        entry = _entry(hass, data.pop(ATTR_CONFIG_ENTRY_ID))
        caller = await caller_of(hass, call.context, wants_answer=call.return_response)
        if action.admin_only(data):
            caller.require_admin(f"{DOMAIN}.{call.service}")
        result = await action.run(entry, data, caller)
        return result if call.return_response else None

    return handle


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action (once, for all entries)."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _handler(hass, action),
            schema=probatio.Schema(
                {probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string, **action.fields}
            ),
            supports_response=action.response,
        )
