"""Webhook bodies and the lifecycle table, checked in process."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haul_engine.errors import Conflict, InvalidInput
from haul_engine.requests.overseerr import from_details, parse_webhook
from haul_engine.requests.states import TRANSITIONS, State, check_transition
from tests.fakes.overseerr import OverseerrRequest

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)
SEVERANCE = OverseerrRequest(
    id=3, media_type="tv", title="Severance", year=2022, tmdb_id=95396, tvdb_id=371980,
    seasons=[1, 2], user="bob",
)  # fmt: skip


def test_the_default_template_is_read_with_its_string_values() -> None:
    """Ids arrive as strings, seasons only in `extra`, the title with its year in `subject`."""
    note = parse_webhook(SEVERANCE.webhook("MEDIA_AUTO_APPROVED"))
    assert (note.kind, note.request_id, note.media_type) == ("MEDIA_AUTO_APPROVED", "3", "tv")
    assert (note.tmdb_id, note.tvdb_id, note.seasons) == (95396, 371980, [1, 2])
    assert (note.title, note.year, note.requested_by) == ("Severance", 2022, "bob")


def test_a_request_read_back_matches_its_webhook() -> None:
    """GET /request/{id} and the webhook describe the same request."""
    details = from_details("MEDIA_PENDING", SEVERANCE.resource())
    webhook = parse_webhook(SEVERANCE.webhook("MEDIA_PENDING"))
    assert (details.request_id, details.tvdb_id, details.seasons, details.requested_by) == (
        webhook.request_id, webhook.tvdb_id, webhook.seasons, webhook.requested_by,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("image", "poster"),
    [
        ("https://image.tmdb.org/t/p/w600_and_h900_bestv2/a.jpg",
         "https://image.tmdb.org/t/p/w600_and_h900_bestv2/a.jpg"),
        ("/a.jpg", "https://image.tmdb.org/t/p/w600_and_h900_bestv2/a.jpg"),
        ("", None),
        ("javascript:alert(1)", None),
        (42, None),
        ("https://x/" + "a" * 3000, None),
    ],
)  # fmt: skip
def test_the_poster_is_an_image_url_or_nothing(image: object, poster: str | None) -> None:
    """The webhook's image and the API's TMDB poster path become a URL; anything else is dropped."""
    assert parse_webhook(SEVERANCE.webhook("MEDIA_PENDING") | {"image": image}).poster_url == poster
    resource = SEVERANCE.resource()
    resource["media"]["posterPath"] = image
    assert from_details("MEDIA_PENDING", resource).poster_url == poster


@given(JSON)
def test_any_json_is_read_or_refused_clearly(body: object) -> None:
    """Whatever a custom template sends, the answer is a notification or InvalidInput."""
    try:
        note = parse_webhook(body)
    except InvalidInput as err:
        message = str(err)
    else:
        message = note.kind
    assert message


@given(st.sampled_from(State), st.sampled_from(State))
def test_only_listed_transitions_are_allowed(current: State, target: State) -> None:
    """A move outside the table is a Conflict naming both states."""
    if target in TRANSITIONS[current]:
        check_transition(1, current, target)
        return
    with pytest.raises(Conflict, match=f"is {current}: it cannot become {target}"):
        check_transition(1, current, target)


def test_final_states_allow_nothing_but_failed_may_search_again() -> None:
    """Available, declined and cancelled are final; failed can be searched again."""
    final = (State.AVAILABLE, State.DECLINED, State.CANCELLED)
    assert [TRANSITIONS[state] for state in final] == [frozenset()] * 3
    assert State.SEARCHING in TRANSITIONS[State.FAILED]
