"""Pure planning units: batching thresholds, throttle arithmetic, cooldown and exhaustion."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haul_engine.arr.kinds import ArrSettings, ThrottleLimits
from haul_engine.library.planner import Candidate, SeasonFacts, after_attempt, allowance, plan
from tests.fakes.arr import NOW

SETTINGS = ArrSettings(throttle="custom", custom_throttle=ThrottleLimits(searches_per_minute=10,
                       batch_size=5))  # fmt: skip


def episodes(
    series: int, season: int, count: int, start: int = 0, reason: str = "missing"
) -> list[Candidate]:
    return [
        Candidate(
            series * 1000 + season * 100 + n,
            series * 1000 + season * 100 + n,
            reason,
            parent_arr_id=series,
            season_number=season,
        )
        for n in range(start, start + count)
    ]


def test_mostly_missing_aired_season_is_one_season_search() -> None:
    batches = plan(episodes(1, 1, 8), {(1, 1): SeasonFacts(10, fully_aired=True)}, SETTINGS,
                   "series", 100)  # fmt: skip
    assert [(b.command, b.body, b.cost) for b in batches] == [
        ("SeasonSearch", {"seriesId": 1, "seasonNumber": 1}, 1)
    ]
    assert len(batches[0].item_ids) == 8


def test_few_missing_or_airing_season_is_episode_searches() -> None:
    few = plan(episodes(1, 1, 3), {(1, 1): SeasonFacts(10, fully_aired=True)}, SETTINGS,
               "series", 100)  # fmt: skip
    assert [(b.command, b.body) for b in few] == [
        ("EpisodeSearch", {"episodeIds": [1100, 1101, 1102]})
    ]
    airing = plan(episodes(1, 1, 9), {(1, 1): SeasonFacts(9, fully_aired=False)}, SETTINGS,
                  "series", 100)  # fmt: skip
    assert [b.command for b in airing] == ["EpisodeSearch"] * 3
    assert [b.cost for b in airing] == [4, 4, 1]  # episode_search_max


def test_many_seasons_of_one_series_is_one_series_search() -> None:
    candidates = [c for season in (1, 2, 3) for c in episodes(7, season, 10)]
    facts = {(7, season): SeasonFacts(10, fully_aired=True) for season in (1, 2, 3)}
    batches = plan(candidates, facts, SETTINGS, "series", 100)
    assert [(b.command, b.body, b.cost, len(b.item_ids)) for b in batches] == [
        ("SeriesSearch", {"seriesId": 7}, 3, 30)
    ]
    two_seasons = plan(candidates[:20], facts, SETTINGS, "series", 100)
    assert [b.command for b in two_seasons] == ["SeasonSearch", "SeasonSearch"]


def test_an_unmonitored_season_s_hand_picked_episodes_are_searched_by_id() -> None:
    # Sonarr's SeriesSearch passes over an unmonitored season: its episodes are never packed
    candidates = [c for season in (1, 2, 3) for c in episodes(7, season, 10)]
    facts = {(7, season): SeasonFacts(10, fully_aired=True, monitored=season != 2)
             for season in (1, 2, 3)}  # fmt: skip
    batches = plan(candidates, facts, SETTINGS, "series", 100)
    packed = [b.body for b in batches if b.command != "EpisodeSearch"]
    by_id = [i for b in batches if b.command == "EpisodeSearch" for i in b.body["episodeIds"]]
    assert packed == [{"seriesId": 7, "seasonNumber": 1}, {"seriesId": 7, "seasonNumber": 3}]
    assert sorted(by_id) == [c.arr_id for c in candidates if c.season_number == 2]


def test_a_season_with_episodes_unmonitored_by_hand_is_searched_by_id() -> None:
    # a pack Sonarr grabs for a season search holds them all: what the user unmonitored too
    facts = {(7, 1): SeasonFacts(10, fully_aired=True, unwanted=1)}
    batches = plan(episodes(7, 1, 10), facts, SETTINGS, "series", 100)
    assert {b.command for b in batches} == {"EpisodeSearch"}


def test_specials_are_searched_by_id() -> None:
    # Sonarr searches specials one by one by their titles, also for a season search: no pack
    batches = plan(episodes(7, 0, 8), {(7, 0): SeasonFacts(8, fully_aired=True)}, SETTINGS,
                   "series", 100)  # fmt: skip
    assert {b.command for b in batches} == {"EpisodeSearch"}
    assert sum(b.cost for b in batches) == 8


def test_a_series_search_only_when_it_searches_no_other_season() -> None:
    # Sonarr's SeriesSearch searches every monitored season (a special's each by itself): one
    # with few gaps, none or episodes unmonitored by hand would be searched, and a pack grabbed
    candidates = [c for season in (1, 2, 3) for c in episodes(7, season, 10)]
    facts = {(7, season): SeasonFacts(10, fully_aired=True) for season in (0, 1, 2, 3)}
    batches = plan(candidates, facts, SETTINGS, "series", 100)
    assert [(b.command, b.body) for b in batches] == [
        ("SeasonSearch", {"seriesId": 7, "seasonNumber": season}) for season in (1, 2, 3)
    ]
    facts[7, 0] = SeasonFacts(0, fully_aired=True, monitored=False)  # specials not monitored
    batches = plan(candidates, facts, SETTINGS, "series", 100)
    assert [(b.command, b.cost) for b in batches] == [("SeriesSearch", 3)]  # a query a season


def test_movies_and_albums_go_in_small_groups_gaps_first() -> None:
    movies = [Candidate(i, 500 + i, "upgrade" if i % 2 else "missing") for i in range(12)]
    batches = plan(movies, {}, SETTINGS, "movie", 100)
    assert [b.command for b in batches] == ["MoviesSearch"] * 4
    assert [b.reason for b in batches] == ["missing", "missing", "upgrade", "upgrade"]
    assert batches[0].body == {"movieIds": [500, 502, 504, 506, 508]}
    upgrades_first = SETTINGS.model_copy(update={"upgrades_first": True})
    assert plan(movies, {}, upgrades_first, "movie", 100)[0].reason == "upgrade"
    albums = plan([Candidate(1, 41, "missing")], {}, SETTINGS, "music", 100)
    assert [(b.command, b.body) for b in albums] == [("AlbumSearch", {"albumIds": [41]})]


def test_plan_respects_budget_and_priority() -> None:
    old = Candidate(1, 1, "missing", released_at=NOW - timedelta(days=900))
    new = Candidate(2, 2, "missing", released_at=NOW - timedelta(days=1))
    tried = Candidate(3, 3, "missing", released_at=NOW, attempts=3)
    boosted = Candidate(4, 4, "missing", released_at=NOW - timedelta(days=2000), boost=5)
    one_each = SETTINGS.model_copy(update={"custom_throttle": ThrottleLimits(batch_size=1)})
    batches = plan([old, new, tried, boosted], {}, one_each, "movie", 3)
    assert [b.body["movieIds"] for b in batches] == [[4], [2], [1]]


@given(
    costs=st.lists(st.tuples(st.integers(0, 86_399 * 2), st.integers(1, 5)), max_size=40),
    per_minute=st.integers(1, 10),
    per_day=st.integers(1, 100),
)
def test_allowance_never_lets_a_window_overflow(
    costs: list[tuple[int, int]], per_minute: int, per_day: int
) -> None:
    limits = ThrottleLimits(searches_per_minute=per_minute, searches_per_day=per_day)
    spent: list[tuple[datetime, int]] = []
    start = NOW.replace(hour=0, minute=0)
    for offset, cost in sorted(costs):
        now = start + timedelta(seconds=offset)
        if allowance(limits, spent, now) >= cost:
            spent.append((now, cost))
    for at, _ in spent:
        window = sum(c for t, c in spent if at - timedelta(minutes=1) < t <= at)
        day = sum(c for t, c in spent if t.date() == at.date())
        assert window <= per_minute
        assert day <= per_day


def test_cooldown_doubles_until_exhausted() -> None:
    limits = ThrottleLimits(cooldown_minutes=60, max_attempts=3)
    assert after_attempt(limits, 1, NOW) == ("cooldown", NOW + timedelta(hours=1))
    assert after_attempt(limits, 2, NOW) == ("cooldown", NOW + timedelta(hours=2))
    assert after_attempt(limits, 3, NOW) == ("exhausted", None)
