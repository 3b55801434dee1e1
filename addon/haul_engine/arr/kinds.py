"""The sonarr, radarr, whisparr and lidarr connector kinds: settings schema and connection test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from haul_engine.arr.apps import APPS, AppClient
from haul_engine.arr.client import ArrError, RetryPolicy
from haul_engine.connectors.kinds import (
    CONNECTOR_CHOICES,
    MIN_WEBHOOK_SECRET,
    ConnectorConfig,
    ConnectorKind,
    TestResult,
    Webhook,
    WebhookSecret,
    register_kind,
    titled_choices,
)
from haul_engine.cron import validate_cron

if TYPE_CHECKING:
    import aiohttp

# Five fields of digits, `*`, `,`, `-` and `/`; validate_cron checks each field's range.
CRON_PATTERN = r"^\s*[0-9*,/-]+(\s+[0-9*,/-]+){4}\s*$"
CronExpression = Annotated[
    str, AfterValidator(validate_cron), Field(json_schema_extra={"pattern": CRON_PATTERN})
]
Positive = Annotated[int, Field(ge=1)]
TEST_RETRY = RetryPolicy(attempts=1, timeout=10.0)
WEBHOOK_PATH = "/api/v1/webhooks/arr/{connector_id}"
# The batching thresholds of series-like libraries (season and series searches).
SERIES_SETTINGS = frozenset(
    {"season_search_ratio", "episode_search_max", "series_search_min_seasons"}
)
# Where the request gate sends requests: only apps it adds titles to; 4K and Overseerr's servers
# only where Overseerr sends requests (movies and series, not music).
REQUEST_SETTINGS = frozenset({"request_default", "request_quality_profile", "request_root_folder"})
OVERSEERR_SETTINGS = frozenset({"request_4k", "request_servers"})
REQUEST_KINDS = {"radarr": "movie", "sonarr": "tv", "lidarr": "music"}


class ThrottleLimits(BaseModel):
    """Search pacing: rates, batch size, cooldowns and when an item is given up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    searches_per_minute: Annotated[
        Positive,
        Field(
            title="Searches a minute", description="At most this many searches start in a minute."
        ),
    ] = 2
    searches_per_day: Annotated[
        Positive,
        Field(
            title="Searches a day",
            description="At most this many searches in a day, from midnight in Home Assistant's "
            "time zone.",
        ),
    ] = 200
    batch_size: Annotated[
        int,
        Field(
            ge=1,
            le=50,
            title="Items per search",
            description="How many missing or upgradable items one search asks the app for.",
        ),
    ] = 5
    cooldown_minutes: Annotated[
        Positive,
        Field(
            title="Cooldown (minutes)",
            description="How long an item waits after a search that found nothing before the next "
            "one; multiplied by the backoff after each further attempt.",
        ),
    ] = 360
    backoff_multiplier: Annotated[
        float,
        Field(
            ge=1,
            le=10,
            title="Cooldown backoff",
            description="Each further search of an item waits this many times longer than the "
            "one before (1: always the cooldown, 2: doubled each time).",
        ),
    ] = 2.0
    max_attempts: Annotated[
        Positive,
        Field(
            title="Attempts per item",
            description="After this many searches that found nothing, an item is left alone.",
        ),
    ] = 6


THROTTLE_PROFILES = {
    "conservative": ThrottleLimits(
        searches_per_minute=1, searches_per_day=50, batch_size=3, cooldown_minutes=720,
        max_attempts=4,
    ),
    "moderate": ThrottleLimits(),
    "aggressive": ThrottleLimits(
        searches_per_minute=6, searches_per_day=1000, batch_size=10, cooldown_minutes=120,
        max_attempts=10,
    ),
}  # fmt: skip
THROTTLE_TITLES = {
    **{
        name: f"{name.title()}: {limits.searches_per_minute} a minute, "
        f"{limits.searches_per_day} a day"
        for name, limits in THROTTLE_PROFILES.items()
    },
    "custom": "Custom: the limits of the custom search pace",
}


class ArrSettings(BaseModel):
    """Per-connector library settings of an *arr."""

    model_config = ConfigDict(extra="forbid")

    sync_schedule: Annotated[
        CronExpression,
        Field(
            title="Library sync schedule",
            description="When Haul reads the library from the app again, as a cron expression: "
            "minute hour day month weekday (`*/30 * * * *` is every half hour).",
        ),
    ] = "*/30 * * * *"
    sweep_schedule: Annotated[
        CronExpression,
        Field(
            title="Sweep schedule",
            description="When Haul searches for missing and upgradable items, as a cron "
            "expression: minute hour day month weekday (`5 * * * *` is hourly at :05).",
        ),
    ] = "5 * * * *"
    scheduled_sweeps: Annotated[
        bool,
        Field(
            title="Scheduled sweeps",
            description="Off: Haul sweeps only when asked (the Sweep now button or the "
            "run_sweep action).",
        ),
    ] = True
    search_upgrades: Annotated[
        bool,
        Field(
            title="Search upgrades", description="Also search for items below the quality cutoff."
        ),
    ] = True
    upgrades_first: Annotated[
        bool,
        Field(title="Upgrades first", description="Search for upgrades before missing items."),
    ] = False
    throttle: Annotated[
        Literal["conservative", "moderate", "aggressive", "custom"],
        Field(
            title="Search pace",
            description="How hard sweeps use the app and its indexers: a preset, or Custom for "
            "the limits of the custom search pace.",
            json_schema_extra=titled_choices(THROTTLE_TITLES),
        ),
    ] = "moderate"
    custom_throttle: Annotated[
        ThrottleLimits,
        Field(title="Custom search pace", description="The limits a Custom search pace uses."),
    ] = ThrottleLimits()
    exhausted_retention_days: Annotated[
        int,
        Field(
            ge=0,
            le=3650,
            title="Retry given-up items after (days)",
            description="An item given up after its attempts is searched again from scratch after "
            "this many days (0: never; reset it by hand).",
        ),
    ] = 30
    queue_limit: Annotated[
        int,
        Field(
            ge=0,
            title="Queue limit",
            description="Sweeps wait while the app's download queue holds more than this many "
            "items.",
        ),
    ] = 20
    season_search_ratio: Annotated[
        float,
        Field(
            gt=0,
            le=1,
            title="Season search share",
            description="Search a whole aired season at once when at least this share of its "
            "episodes is wanted (0.5: half of them).",
        ),
    ] = 0.5
    episode_search_max: Annotated[
        Positive,
        Field(
            title="Episodes per search",
            description="At most this many episodes in one episode search.",
        ),
    ] = 4
    series_search_min_seasons: Annotated[
        int,
        Field(
            ge=2,
            title="Seasons for a series search",
            description="Search the whole series at once when at least this many of its seasons "
            "would be searched whole.",
        ),
    ] = 3
    webhook_secret: Annotated[
        WebhookSecret,
        Field(
            title="Webhook secret",
            description="The password the app sends with its webhook (user name haul), at "
            f"least {MIN_WEBHOOK_SECRET} characters. Empty when adding: Haul makes one; empty "
            "when changing: the current one stays.",
        ),
    ] = None
    request_default: Annotated[
        bool,
        Field(
            title="Default for requests",
            description="Requests made in Haul, and Overseerr's that no other connector of this "
            "app claims, go here.",
        ),
    ] = False
    request_4k: Annotated[
        bool,
        Field(
            title="Serves 4K requests",
            description="Overseerr's 4K requests go here (and its other requests elsewhere).",
        ),
    ] = False
    request_servers: Annotated[
        list[Annotated[int, Field(ge=0)]],
        Field(
            title="Overseerr server ids",
            description="The ids this app has among Overseerr's servers (Settings → Services, 0 "
            "for the first): requests Overseerr sends to them come here.",
        ),
    ] = []
    request_quality_profile: Annotated[
        int | None,
        Field(
            ge=1,
            title="Quality profile for requests",
            description="The app's quality profile of titles Haul adds for a request that names "
            "none; empty: the app's first.",
            json_schema_extra={CONNECTOR_CHOICES: "requests/arr_profiles"},
        ),
    ] = None
    request_root_folder: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=1000,
            title="Root folder for requests",
            description="Where the app puts titles Haul adds for a request that names none; "
            "empty: the app's first root folder.",
            json_schema_extra={CONNECTOR_CHOICES: "requests/arr_folders"},
        ),
    ] = None

    @property
    def limits(self) -> ThrottleLimits:
        """The throttle limits of the chosen profile."""
        return (
            self.custom_throttle if self.throttle == "custom" else THROTTLE_PROFILES[self.throttle]
        )


async def test_arr(config: ConnectorConfig, session: aiohttp.ClientSession) -> TestResult:
    """Reach system/status and check the app and version are ones Haul supports."""
    client = AppClient(config, session=session, retry=TEST_RETRY)
    error = None
    try:
        await client.detect()
    except ArrError as err:
        error = str(err)
    info = client.info
    return TestResult(
        ok=error is None, app=info.app if info else None, version=info.version if info else None,
        error=error,
    )  # fmt: skip


def _unused(kind: str, *, series_like: bool) -> frozenset[str]:
    """Name the settings an app's connectors do not use: series batching, request routing."""
    unused = set() if series_like else set(SERIES_SETTINGS)
    if kind not in REQUEST_KINDS:
        unused |= REQUEST_SETTINGS | OVERSEERR_SETTINGS
    elif REQUEST_KINDS[kind] == "music":
        unused |= OVERSEERR_SETTINGS
    return frozenset(unused)


ARR_KINDS = frozenset(APPS)
for _app in APPS.values():
    _series_like = any(library.flavor == "series" for library in _app.versions.values())
    register_kind(
        ConnectorKind(
            _app.kind, "arr", ArrSettings, test_arr, title=_app.title,
            default_url=_app.default_url,
            webhook=Webhook(WEBHOOK_PATH, events=_app.webhook_events),
            unused_settings=_unused(_app.kind, series_like=_series_like),
        )
    )  # fmt: skip
