"""The sonarr, radarr, whisparr and lidarr connector kinds: settings schema and connection test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from haul_engine.arr.apps import APPS, AppClient
from haul_engine.arr.client import ArrError, RetryPolicy
from haul_engine.connectors.kinds import ConnectorConfig, ConnectorKind, TestResult, register_kind
from haul_engine.cron import validate_cron

if TYPE_CHECKING:
    import aiohttp

CronExpression = Annotated[str, AfterValidator(validate_cron)]
Positive = Annotated[int, Field(ge=1)]
TEST_RETRY = RetryPolicy(attempts=1, timeout=10.0)


class ThrottleLimits(BaseModel):
    """Search pacing: rates, batch size, cooldowns and when an item is given up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    searches_per_minute: Positive = 2
    searches_per_day: Positive = 200
    batch_size: Annotated[int, Field(ge=1, le=50)] = 5
    cooldown_minutes: Positive = 360
    max_attempts: Positive = 6


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


class ArrSettings(BaseModel):
    """Per-connector library settings of an *arr."""

    model_config = ConfigDict(extra="forbid")

    sync_schedule: CronExpression = "*/30 * * * *"
    sweep_schedule: CronExpression = "5 * * * *"
    scheduled_sweeps: bool = True  # False: sweep only when asked (POST /connectors/{id}/sweep)
    search_upgrades: bool = True
    upgrades_first: bool = False
    throttle: Literal["conservative", "moderate", "aggressive", "custom"] = "moderate"
    custom_throttle: ThrottleLimits = ThrottleLimits()
    queue_limit: Annotated[int, Field(ge=0)] = 20
    season_search_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    episode_search_max: Positive = 4
    series_search_min_seasons: Annotated[int, Field(ge=2)] = 3
    webhook_secret: SecretStr | None = None

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


ARR_KINDS = frozenset(APPS)
for _name in ARR_KINDS:
    register_kind(ConnectorKind(_name, "arr", ArrSettings, test_arr))
