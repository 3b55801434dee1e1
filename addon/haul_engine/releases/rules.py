"""Quality profile rules: what a release must be and what earns it points."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The parser's vocabulary (releases.parser), repeated as runtime Literals for validation.
type Resolution = Literal[480, 576, 720, 1080, 2160]
type Source = Literal[
    "cam", "telesync", "telecine", "workprint", "dvd", "tv", "webrip", "webdl", "bluray"
]
type Codec = Literal["x264", "x265", "av1", "xvid", "mpeg2", "vc1"]
type AudioFormat = Literal[
    "flac", "alac", "mp3", "aac", "vorbis", "opus", "ape", "wavpack", "wma", "wav"
]
SOURCE_ORDER: tuple[str, ...] = (
    "cam",
    "telesync",
    "telecine",
    "workprint",
    "dvd",
    "tv",
    "webrip",
    "webdl",
    "bluray",
)
Word = Annotated[str, Field(min_length=1, max_length=100)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
MbPerMinute = Annotated[float, Field(gt=0, le=10_000)]


def _orders(schema: dict[str, Any]) -> None:
    """State in JSON Schema what `_bounds_in_order` checks of the ordered choices.

    Each minimum (given, or its default when left out) allows only maxima at or above it; a left
    out maximum is the highest, as its default is.
    """
    properties = schema["properties"]
    rules = []
    for low, high, order in (
        ("min_resolution", "max_resolution", get_args(Resolution.__value__)),
        ("min_source", "max_source", SOURCE_ORDER),
    ):
        pairs = [
            {
                "required": [low],
                "properties": {low: {"const": value}, high: {"enum": list(order[index:])}},
            }
            for index, value in enumerate(order)
        ]
        least = order.index(properties[low]["default"])
        pairs.append({"properties": {low: False, high: {"enum": list(order[least:])}}})
        rules.append({"anyOf": pairs})
    schema["allOf"] = rules


class ProfileRules(BaseModel):
    """What a release must be (hard rules) and what earns it points (preferences).

    Each minimum is at most its maximum, and min_mb_per_minute <= preferred_mb_per_minute <=
    max_mb_per_minute where given (else 400).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_orders)

    media: Literal["any", "video", "music"] = "any"
    min_resolution: Resolution = 480
    max_resolution: Resolution = 2160
    min_source: Source = "dvd"
    max_source: Source = "bluray"
    allow_remux: bool = True
    preferred_codecs: list[Codec] = Field(default_factory=list, max_length=6)
    hdr: Literal["required", "wanted", "allowed", "refused"] = "allowed"
    preferred_audio: list[Word] = Field(default_factory=list, max_length=20)
    audio_formats: list[AudioFormat] = Field(default_factory=list)
    min_bitrate: Annotated[int, Field(ge=0, le=10_000)] = 0
    min_mb_per_minute: MbPerMinute | None = None
    max_mb_per_minute: MbPerMinute | None = None
    preferred_mb_per_minute: MbPerMinute | None = None
    min_seeders: Annotated[int, Field(ge=0, le=100_000)] = 1
    required_words: list[Word] = Field(default_factory=list, max_length=100)
    blocked_words: list[Word] = Field(default_factory=list, max_length=100)
    group_tiers: list[list[Word]] = Field(default_factory=list, max_length=5)
    blocked_groups: list[Word] = Field(default_factory=list, max_length=500)
    languages: list[Language] = Field(default_factory=list)
    prefer_freeleech: bool = True

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Self:
        if self.min_resolution > self.max_resolution:
            msg = "min_resolution is above max_resolution"
            raise ValueError(msg)
        if SOURCE_ORDER.index(self.min_source) > SOURCE_ORDER.index(self.max_source):
            msg = "min_source is above max_source"
            raise ValueError(msg)
        low, high, preferred = (
            self.min_mb_per_minute,
            self.max_mb_per_minute,
            self.preferred_mb_per_minute,
        )
        if low is not None and high is not None and low > high:
            msg = "min_mb_per_minute is above max_mb_per_minute"
            raise ValueError(msg)
        if preferred is not None and not (low or 0) <= preferred <= (high or preferred):
            msg = "preferred_mb_per_minute is outside the min/max bounds"
            raise ValueError(msg)
        return self


class Profile(BaseModel):
    """A quality profile as the API shows it."""

    id: str
    name: str
    builtin: bool
    rules: ProfileRules
    created_at: datetime | None = None
    updated_at: datetime | None = None
