"""The Lovelace card in headless Chromium: HA with its real frontend, Haul, and the engine."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket

from tests.engine.requests.conftest import DUNES
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import NOW, QUALITIES, Library
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.fakes.overseerr import API_KEY as OVERSEERR_KEY
from tests.fakes.overseerr import FakeOverseerr, OverseerrRequest
from tests.support.browser import Browser, HomeAssistantProcess
from tests.support.engine import EngineProcess
from tests.support.peers import PIECE_SIZE, engine_env, make_torrent
from tests.support.programs import require_program
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "card"
SECRET = "card-hook-secret-4f0a9c2e71"  # noqa: S105 - a test value
GOOD = "The.Matrix.1999.1080p.AMZN.WEB-DL.DDP5.1.H.264-FLUX"
UHD = "The.Matrix.1999.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT"
CAM = "The.Matrix.1999.CAM.x264-NOGRP"
MATRIX_ID = 99
MATRIX = {
    "id": MATRIX_ID, "title": "The Matrix", "year": 1999, "monitored": True, "hasFile": False,
    "isAvailable": True, "tmdbId": 603, "quality": QUALITIES[1], "cutoffNotMet": False,
    "released": NOW,
}  # fmt: skip
DASHBOARD = {"title": "Haul", "views": [
    {"title": "Haul", "path": "haul", "type": "panel", "cards": [{"type": "custom:haul-card"}]},
]}  # fmt: skip
MODES = [("light", 1100, 900, False), ("dark", 1100, 900, True),
         ("phone-light", 390, 844, False), ("phone-dark", 390, 844, True)]  # fmt: skip
CARD = "deepQuery('haul-card').shadowRoot"
SELECT = f"{CARD}.querySelector('[data-action=select]')"
ROWS = f"[...{CARD}.querySelectorAll('tbody tr')]"
GOOD_HASH = "a" * 40
HALF = "Big.Buck.Bunny.2008.1080p.BluRay.x264-HAUL"


def _magnet(letter: str, title: str) -> str:
    return f"magnet:?xt=urn:btih:{letter * 40}&dn={title}"


@dataclass
class World:
    """Home Assistant with Haul, the engine, and the services the engine talks to."""

    home_assistant: HomeAssistantProcess
    engine: EngineProcess
    radarr: ReleaseArr
    sonarr: ReleaseArr
    sonarr_id: str
    overseerr: FakeOverseerr
    hook: str  # Overseerr's webhook URL
    request_id: int
    hackers_id: int
    poster: str  # a poster served here (a browser test reaches nothing beyond 127.0.0.1)


def _wait(condition: Any, timeout: float = 20.0) -> Any:  # noqa: ANN401 - any truthy value
    """Poll a blocking condition until it holds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def _request_ids(world: World) -> dict[int, int]:
    """Both requests' ids by TMDB id, once the engine has both (else nothing)."""
    ids = {request["tmdb_id"]: request["id"] for request in world.engine.call("GET", "/requests")}
    return ids if len(ids) == 2 else {}


def _on_disk(engine: EngineProcess, name: str, category: str, *, half: bool) -> str:
    """Add a torrent whose files are on disk already, whole or only its first half (no peers:
    it stays at 50 %); its info-hash.
    """
    downloads = engine.data_dir / "downloads"
    made = make_torrent(downloads, name, {"movie.mkv": 16 * PIECE_SIZE, "movie.nfo": 2_000})
    if half:
        with (downloads / name / "movie.mkv").open("r+b") as movie:
            movie.seek(8 * PIECE_SIZE)
            movie.write(bytes(8 * PIECE_SIZE))
    status, answer = engine.request(
        "POST", "/api/v1/torrents", {"torrent_base64": made.base64, "category": category}
    )
    assert status == 200, answer
    return made.info_hash


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The engine with Overseerr, Radarr and Sonarr, one request awaiting selection, and HA."""
    pytest_socket.enable_socket()
    root = tmp_path_factory.mktemp("card")
    env = engine_env(HAUL_REQUEST_POLL_INTERVAL="0.2", HAUL_REQUEST_SEARCH_RETRY_MINUTES="0.005")
    engine = EngineProcess(root / "engine", env=env).start()
    overseerr = FakeOverseerr().start()
    radarr = ReleaseArr("radarr", root / "movies", Library.generate(3, movies=40))
    radarr.start()
    shows = Library.generate(5, series=4, seasons=3, episodes_per_season=4)
    # the finale of Series 1 airs next week: upcoming (monitored, not out yet)
    shows.episodes[12].update(airDateUtc=datetime.now(UTC) + timedelta(days=7), hasFile=False)
    sonarr = ReleaseArr("sonarr", root / "tv", shows)
    sonarr.start()
    home_assistant = HomeAssistantProcess(root / "homeassistant", DASHBOARD)
    try:
        for arr in (radarr, sonarr):
            arr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
        radarr.library.movies[MATRIX_ID] = MATRIX
        radarr.offers[MATRIX_ID] = [
            Offer(title=GOOD, magnet=_magnet("a", GOOD), size=6_200_000_000, seeders=140,
                  info_hash=GOOD_HASH, custom_formats=["AMZN"], custom_format_score=30),
            Offer(title=UHD, magnet=_magnet("c", UHD), size=41_800_000_000, seeders=12,
                  info_hash="c" * 40, quality="Bluray-1080p", approved=False,
                  rejections=["Maximum size for Bluray-1080p exceeded"]),
            Offer(title=CAM, magnet=_magnet("b", CAM), size=1_400_000_000, seeders=410,
                  info_hash="b" * 40, quality="HDTV-720p", approved=False,
                  rejections=["CAM is not wanted"]),
        ]  # fmt: skip
        overseerr_id = engine.add_connector(
            "overseerr", overseerr.url, OVERSEERR_KEY, webhook_secret=SECRET, reconcile=False,
            auto_pick_users=["carol"],
        )  # fmt: skip
        hook = f"/api/v1/webhooks/overseerr/{overseerr_id}"
        engine.add_connector("radarr", radarr.url, ARR_KEY)
        sonarr_id = engine.add_connector("sonarr", sonarr.url, ARR_KEY)
        for request in (
            OverseerrRequest(id=1, media_type="movie", title="The Matrix", year=1999, tmdb_id=603,
                             image=overseerr.poster_url()),
            OverseerrRequest(id=2, media_type="movie", title="Hackers", year=1995, tmdb_id=10428,
                             user="bob", image=overseerr.poster_url()),
        ):  # fmt: skip
            body = overseerr.add(request).webhook("MEDIA_PENDING")
            assert send_webhook(f"{engine.url}{hook}", body, SECRET)[0] == 200
        world = World(
            home_assistant,
            engine,
            radarr,
            sonarr,
            sonarr_id,
            overseerr,
            f"{engine.url}{hook}",
            request_id=0,
            hackers_id=0,
            poster=overseerr.poster_url(),
        )
        ids = _wait(lambda: _request_ids(world))
        world.request_id, world.hackers_id = ids[603], ids[10428]
        world.engine.call("POST", f"/requests/{world.request_id}/approve")
        _wait(lambda: world.engine.call("GET", f"/requests/{world.request_id}")["state"]
              == "awaiting_selection")  # fmt: skip
        _on_disk(engine, HALF, "movies", half=True)
        home_assistant.start()
        home_assistant.add_haul(engine.url, engine.token)
        yield world
    finally:
        home_assistant.stop()
        for server in (sonarr, radarr, overseerr):
            server.stop()
        engine.kill()


async def _show(browser: Browser, view: str) -> None:
    """Switch the card to a view and wait until it shows data."""
    await browser.click(f"{CARD}.querySelector('.tab[data-view={view}]')")
    await browser.wait_for(f"!{CARD}.querySelector('.body').textContent.includes('Loading')")


async def _open_the_dialog_in_every_mode(browser: Browser) -> None:
    """Screenshot the requests and the release dialog in each mode; the dialog stays open."""
    for name, width, height, dark in MODES:
        await browser.emulate(width, height, dark=dark)
        await asyncio.sleep(0.5)  # the layout settles
        await browser.screenshot(ARTIFACTS / f"requests-{name}.png")
        await browser.click(SELECT)
        await browser.wait_for(f"{ROWS}.length === 3")
        # The best release the profile accepts is chosen already.
        chosen = f"{CARD}.querySelector('tr.chosen .cell-title').textContent"
        assert (await browser.evaluate(chosen)).startswith(GOOD)
        await browser.screenshot(ARTIFACTS / f"select-release-{name}.png")
        if name != MODES[-1][0]:
            await browser.click(f"{CARD}.querySelector('.dialog-foot [data-action=close]')")
            await browser.wait_for(f"!{CARD}.querySelector('dialog').open")


async def _sort_choose_and_grab(browser: Browser, world: World) -> None:
    """Sort by seeders (the CAM has most), pick another row and back, grab; Radarr grabs it."""
    titles = f"{ROWS}.map(row => row.querySelector('.cell-title').firstChild.textContent.trim())"
    await browser.click(f"{CARD}.querySelector('th.seeders button')")
    assert await browser.evaluate(titles) == [CAM, GOOD, UHD]
    await browser.click(f"{CARD}.querySelector('th.seeders button')")
    assert await browser.evaluate(titles) == [UHD, GOOD, CAM]
    assert await browser.evaluate(f"{CARD}.querySelector('th.seeders').ariaSort") == "ascending"
    await browser.click(f"{ROWS}.find(row => row.textContent.includes('{UHD}'))")
    await browser.click(f"{ROWS}.find(row => row.textContent.includes('{GOOD}'))")
    await browser.click(f"{CARD}.querySelector('[data-action=grab]')")
    await browser.wait_for(f"!{CARD}.querySelector('dialog').open")
    detail = await asyncio.to_thread(world.engine.call, "GET", f"/requests/{world.request_id}")
    assert detail["state"] in {"grabbed", "downloading"}
    selected = next(c for c in detail["candidates"] if c["id"] == detail["selected_candidate_id"])
    assert (selected["title"], world.radarr.grabbed) == (GOOD, [GOOD])
    await browser.wait_for(f"!{SELECT}")


async def _pause_resume_and_sweep(browser: Browser, world: World) -> None:
    """Pause and resume the grabbed download, then sweep Sonarr, from the card."""
    await _show(browser, "downloads")
    pause = f"{CARD}.querySelector('[data-action=pause][data-hash=\"{GOOD_HASH}\"]')"
    resume = f"{CARD}.querySelector('[data-action=resume]')"
    await browser.wait_for(f"{CARD}.querySelector('.downloads .bar[aria-valuenow=\"50\"]')")
    await browser.click(pause)
    await browser.wait_for(resume)
    torrent = await asyncio.to_thread(world.engine.call, "GET", f"/torrents/{GOOD_HASH}")
    assert torrent["stopped"] is True
    await browser.click(resume)
    await browser.wait_for(pause)

    await _show(browser, "library")
    await browser.wait_for(f"{CARD}.querySelectorAll('.library li').length === 2")
    sweeps = world.engine.log.count("event sweep_started")
    sweep = f'[data-action=sweep][data-connector="{world.sonarr_id}"]'
    await browser.click(f"{CARD}.querySelector('{sweep}')")
    await asyncio.to_thread(_wait, lambda: world.engine.log.count("event sweep_started") > sweeps)


def _sonarr(world: World) -> dict[str, Any]:
    """Sonarr's library as the engine sums it up."""
    summary = world.engine.call("GET", "/library/summary")["connectors"]
    return next(connector for connector in summary if connector["id"] == world.sonarr_id)


async def _set(browser: Browser, name: str, value: str, event: str) -> None:
    """Set a field of the gap browser as a person would, and let the card hear of it."""
    await browser.evaluate(f"""(() => {{
        const field = {CARD}.querySelector('[name={name}]');
        field.value = {value!r};
        field.dispatchEvent(new Event('{event}', {{bubbles: true}}));
    }})()""")


async def _browse_gaps(browser: Browser, world: World) -> None:
    """Sonarr's gaps from the card: search by title, sort, filter, search one now, boost, reset."""
    await asyncio.to_thread(_wait, lambda: _sonarr(world)["last_sync"])
    await _show(browser, "library")
    shown = f"{CARD}.querySelector('li[data-connector=\"{world.sonarr_id}\"] .upcoming')"
    await browser.wait_for(f"{shown}?.textContent === '1 upcoming'")
    await browser.click(
        f"{CARD}.querySelector('[data-action=gaps][data-connector=\"{world.sonarr_id}\"]')"
    )
    rows = f"[...{CARD}.querySelectorAll('tr[data-gap]')]"
    gaps = f"/gaps?connector_id={world.sonarr_id}"
    total = world.engine.call("GET", gaps)["total"]
    await browser.wait_for(f"{rows}.length === {total}")
    counts = f"{CARD}.querySelector('.gap-counts').textContent"
    library = _sonarr(world)
    assert library["upcoming"] == 1
    assert (await browser.evaluate(counts)).startswith(
        f"{library['missing']} missing · 1 upcoming · {library['cutoff_unmet']} upgradable"
    )

    await _set(browser, "gap-query", "series 2", "input")
    wanted = world.engine.call("GET", f"{gaps}&query=series%202")["total"]
    await browser.wait_for(
        f"{rows}.length === {wanted} && {rows}.every(row => row.textContent.includes('Series 2'))"
    )
    await _set(browser, "gap-sort", "title", "change")
    titles = f"{rows}.map(row => row.querySelector('.cell-title').textContent.split(' · ').pop())"
    await browser.wait_for(f"{titles}.join() === [...{titles}].sort().join()")
    await browser.screenshot(ARTIFACTS / "gaps.png")

    first = int(await browser.evaluate(f"{rows}[0].dataset.gap"))
    row = f"{CARD}.querySelector('tr[data-gap=\"{first}\"]')"
    sent = len(world.sonarr.commands)
    await browser.click(f"{row}.querySelector('[data-action=gap-search]')")
    await asyncio.to_thread(_wait, lambda: len(world.sonarr.commands) > sent)
    assert [c["name"] for c in world.sonarr.commands[sent:]] == ["EpisodeSearch"]
    await browser.wait_for(f"{row}?.textContent.includes('Cooling down')")  # its end, live

    await browser.click(f"{row}.querySelector('[data-action=gap-boost]')")
    await browser.wait_for(
        f"{row}?.querySelector('[data-action=gap-boost]').ariaPressed === 'true'"
    )
    await browser.click(f"{row}.querySelector('[data-action=gap-reset]')")
    await browser.wait_for(f"{row}?.textContent.includes('Waiting')")
    shown = world.engine.call("GET", f"{gaps}&query=series%202&state=pending")["records"]
    assert next(g for g in shown if g["id"] == first)["boost"] == 10
    await browser.wait_for(f"{counts}.includes('{_sonarr(world)['queued']} queued')")

    await _set(browser, "gap-state", "cooldown", "change")
    await browser.wait_for(
        f"{CARD}.querySelector('.gap-table').textContent.includes('No gaps match')"
    )
    # upcoming: the finale airing next week, with its date and nothing to act on; the state
    # filter chosen before (cooldown) is set aside: upcoming items are never searched
    await _set(browser, "gap-query", "", "input")
    await _set(browser, "gap-reason", "upcoming", "change")
    await browser.wait_for(f"{rows}.length === 1 && {rows}[0].textContent.includes('Out ')")
    assert await browser.evaluate(f"{CARD}.querySelector('[name=gap-state]').disabled")
    assert await browser.evaluate(f"{CARD}.querySelector('dialog .message').textContent") == ""
    finale = f"{rows}[0]"
    assert "Series 1 S03E04" in await browser.evaluate(f"{finale}.textContent")
    assert await browser.evaluate(f"{finale}.querySelectorAll('button').length") == 0
    await browser.click(f"{CARD}.querySelector('.dialog-foot [data-action=close]')")
    await browser.wait_for(f"!{CARD}.querySelector('dialog').open")


async def _choose_files(browser: Browser, world: World) -> None:
    """Leave a file of a download out from the card: the engine skips it; then take it back."""
    await _show(browser, "downloads")
    half = next(t for t in world.engine.call("GET", "/torrents") if t["name"] == HALF)["hash"]
    files = f"[...{CARD}.querySelectorAll('table.files tbody tr')]"
    nfo = f"{files}.find(row => row.textContent.includes('movie.nfo')).querySelector('input')"
    for keep in (False, True):
        await browser.click(f"{CARD}.querySelector('[data-action=files][data-hash=\"{half}\"]')")
        await browser.wait_for(f"{files}.length === 2")
        assert await browser.evaluate(f"{nfo}.checked") is not keep
        if not keep:
            await browser.screenshot(ARTIFACTS / "files.png")
        await browser.click(nfo)
        await browser.click(f"{CARD}.querySelector('[data-action=save-files]')")
        await browser.wait_for(f"!{CARD}.querySelector('dialog').open")
        listed = await asyncio.to_thread(world.engine.call, "GET", f"/torrents/{half}/files")
        assert {file["path"].rsplit("/", 1)[-1]: file["priority"] for file in listed} == {
            "movie.mkv": 1, "movie.nfo": 1 if keep else 0,
        }  # fmt: skip


async def _edit_the_options(browser: Browser) -> None:
    """The visual editor shows HA's own form and reports a changed option."""
    changed = await browser.evaluate("""(async () => {
        const editor = customElements.get('haul-card').getConfigElement();
        editor.hass = document.querySelector('home-assistant').hass;
        editor.setConfig({type: 'custom:haul-card', title: 'Media'});
        editor.style.cssText = 'position: fixed; inset: 0 auto auto 0; width: 360px; z-index: 9;'
            + 'padding: 16px; background: var(--card-background-color)';
        document.body.appendChild(editor);
        const seen = new Promise((resolve) => editor.addEventListener(
            'config-changed', (event) => resolve(event.detail.config)));
        editor.querySelector('ha-form').dispatchEvent(new CustomEvent('value-changed',
            {detail: {value: {title: 'Media', view: 'library'}}}));
        return await seen;
    })()""")
    assert changed == {"type": "custom:haul-card", "title": "Media", "view": "library"}
    fields = "document.body.lastChild.querySelector('ha-form').shadowRoot"
    await browser.wait_for(f"{fields}.querySelectorAll('ha-selector').length === 4")
    await asyncio.sleep(0.5)  # the selectors render
    await browser.screenshot(ARTIFACTS / "editor.png")
    await browser.evaluate("document.body.lastChild.remove()")
    assert await browser.evaluate(
        "window.customCards.some(card => card.type === 'haul-card' && card.preview)"
    )


async def test_card_selects_and_grabs_a_release(world: World, tmp_path: Path) -> None:
    chromium = require_program("chromium")
    home_assistant = world.home_assistant
    (ARTIFACTS / "failure.png").unlink(missing_ok=True)
    async with Browser.launch(chromium, tmp_path / "profile") as browser:
        browser.artifacts = ARTIFACTS
        await browser.emulate(1100, 900, dark=False)
        await browser.open(f"{home_assistant.url}/lovelace/haul", home_assistant.local_storage())
        await browser.wait_for(SELECT, within=30)
        titles = f"[...{CARD}.querySelectorAll('.requests .name')].map(name => name.textContent)"
        assert sorted(await browser.evaluate(titles)) == ["Hackers (1995)", "The Matrix (1999)"]

        await _open_the_dialog_in_every_mode(browser)
        await _sort_choose_and_grab(browser, world)
        await _browse_gaps(browser, world)
        await _pause_resume_and_sweep(browser, world)
        await _choose_files(browser, world)
        for name, width, height, dark in MODES:
            await browser.emulate(width, height, dark=dark)
            for view in ("downloads", "library", "requests"):
                await _show(browser, view)
                await asyncio.sleep(0.3)  # the layout settles
                await browser.screenshot(ARTIFACTS / f"{view}-{name}.png")
        await _edit_the_options(browser)

        # Approving a pending request from the card approves it in the engine.
        hackers = f'[data-request="{world.hackers_id}"] [data-action=approve]'
        await browser.click(f"{CARD}.querySelector('{hackers}')")
        await asyncio.to_thread(
            _wait,
            lambda: world.engine.call("GET", f"/requests/{world.hackers_id}")["state"] != "pending",
        )
        assert not browser.errors


async def _choose_a_work(browser: Browser, world: World) -> None:
    """Ask for "Dune": the card offers both films with their years; the 1984 one is requested."""
    world.radarr.metadata.extend({**dune, "remotePoster": world.poster} for dune in DUNES)
    added_as = max(world.radarr.library.movies) + 1
    world.radarr.offers[added_as] = [
        Offer(title="Dune.1984.1080p.BluRay.x264-GRP", magnet=_magnet("d", "Dune"), size=10**9,
              info_hash="d" * 40),
    ]  # fmt: skip
    form = f"{CARD}.querySelector('form.ask')"
    await browser.evaluate(f"{form}.querySelector('input').value = 'Dune'")
    await browser.click(f"{form}.querySelector('button')")
    works = f"[...{CARD}.querySelectorAll('ul.works li')]"
    await browser.wait_for(f"{works}.length === 2")
    names = f"{works}.map(work => work.querySelector('.name').textContent)"
    assert await browser.evaluate(names) == ["Dune (2021)", "Dune (1984)"]
    assert not world.radarr.library.movies.get(added_as)
    await browser.screenshot(ARTIFACTS / "which-one.png")
    await browser.click(f"{works}[1].querySelector('[data-action=request-work]')")
    await browser.wait_for(f"!{CARD}.querySelector('dialog').open")
    requests = await asyncio.to_thread(world.engine.call, "GET", "/requests")
    dune = next(request for request in requests if request["tmdb_id"] == 841)
    assert (dune["title"], dune["year"], dune["requested_by"]) == ("Dune", 1984, "Owner")
    # the year next to the title: Haul's own requests have it apart
    await browser.wait_for(
        f"[...{CARD}.querySelectorAll('.requests .name')]"
        ".some(name => name.textContent === 'Dune (1984)')"
    )


async def _replace_a_release(browser: Browser, world: World) -> None:
    """Pick another release for the grabbed Matrix: its grab fails and says why in the dialog."""
    releases = f'[data-request="{world.request_id}"] [data-action=releases]'
    await browser.click(f"{CARD}.querySelector('{releases}')")
    await browser.wait_for(f"{ROWS}.length === 3")
    grabbed = await browser.evaluate(f"{CARD}.querySelector('tr.grabbed .cell-title').textContent")
    assert grabbed.startswith(GOOD)
    world.radarr.offers[MATRIX_ID] = [o for o in world.radarr.offers[MATRIX_ID] if o.title != UHD]
    world.radarr.expire_cache()  # the arr no longer has the UHD release
    await browser.click(f"{ROWS}.find(row => row.textContent.includes('{UHD}'))")
    await browser.click(f"{CARD}.querySelector('.dialog-foot [data-action=replace]')")
    message = f"{CARD}.querySelector('.dialog-foot .message').textContent"
    await browser.wait_for(f"{message}.startsWith('The grab failed')")
    await browser.wait_for(f"{CARD}.querySelector('.failures')")
    failures = await browser.evaluate(f"{CARD}.querySelector('.failures').textContent")
    assert f"{GOOD}: blocklisted by Owner" in " ".join(failures.split())
    assert world.radarr.blocklisted == [GOOD]
    await browser.screenshot(ARTIFACTS / "failed-grab.png")
    # the grabbed release is blocklisted: the request awaits a pick, the dialog grabs
    await browser.click(f"{ROWS}.find(row => row.textContent.includes('{CAM}'))")
    await browser.click(f"{CARD}.querySelector('.dialog-foot [data-action=grab]')")
    await browser.wait_for(f"!{CARD}.querySelector('dialog').open")
    assert world.radarr.grabbed[-1] == CAM
    cancel = f'[data-request="{world.request_id}"] [data-action=cancel]'
    await browser.click(f"{CARD}.querySelector('{cancel}')")
    await asyncio.to_thread(
        _wait,
        lambda: world.engine.call("GET", f"/requests/{world.request_id}")["state"] == "cancelled",
    )


def _series_request(world: World) -> int:
    """Carol's request (auto-picked) of Series 1's three seasons: the first season's pack is in
    the engine whole, the second's half (it stays at 50 %), the third's waits for a pick; its id.
    """
    engine, sonarr = world.engine, world.sonarr
    offers = []
    for season in (1, 2, 3):
        name = f"Series.1.S0{season}.1080p.WEB-DL.H.264-GRP"
        info_hash = (
            _on_disk(engine, name, sonarr.category, half=season == 2) if season < 3 else "e" * 40
        )
        magnet = f"magnet:?xt=urn:btih:{info_hash}&dn={name}"
        offers.append(Offer(title=name, magnet=magnet, size=16 * PIECE_SIZE, season=season,
                            info_hash=info_hash))  # fmt: skip
    sonarr.offers[1] = offers
    request = world.overseerr.add(OverseerrRequest(
        id=3, media_type="tv", title="Series 1", year=2024, tmdb_id=70001, tvdb_id=70001,
        seasons=[1, 2, 3], user="carol", status=2, image=world.poster,
    ))  # fmt: skip
    assert send_webhook(world.hook, request.webhook("MEDIA_APPROVED"), SECRET)[0] == 200

    def season_one() -> int:
        found = [r for r in engine.call("GET", "/requests") if r["tmdb_id"] == 70001]
        fetched = found and found[0]["season_states"].get("1") in {
            "downloading", "importing", "available"}  # fmt: skip
        return found[0]["id"] if fetched else 0

    return int(_wait(season_one, timeout=30))


async def _follow_the_seasons(browser: Browser, world: World) -> None:
    """A series request's row shows each season: the first in, the second at 50 %, the third
    waiting for a pick; readable in every mode.
    """
    request_id = await asyncio.to_thread(_series_request, world)
    chips = f"[...{CARD}.querySelectorAll('[data-request=\"{request_id}\"] .season')]"
    shown = f"{chips}.map(chip => chip.textContent).join(' | ')"
    await browser.wait_for(f"{shown} === 'S1 ✓ | S2 50 % | S3 to pick'", within=30)
    title = await browser.evaluate(f"{chips}[2].title")
    assert title == "Season 3: Awaiting selection"
    for name, width, height, dark in MODES:
        await browser.emulate(width, height, dark=dark)
        await asyncio.sleep(0.3)  # the layout settles
        await browser.screenshot(ARTIFACTS / f"seasons-{name}.png")
    await browser.emulate(1100, 900, dark=False)


async def test_card_offers_the_works_of_a_title_and_controls_a_request(
    world: World, tmp_path: Path
) -> None:
    chromium = require_program("chromium")
    async with Browser.launch(chromium, tmp_path / "profile") as browser:
        browser.artifacts = ARTIFACTS
        await browser.emulate(1100, 900, dark=False)
        await browser.open(f"{world.home_assistant.url}/lovelace/haul",
                           world.home_assistant.local_storage())  # fmt: skip
        await browser.wait_for(f"{CARD}.querySelector('.requests')", within=30)
        # Home Assistant's launch screen fades out over the page first
        await browser.wait_for("!document.getElementById('ha-launch-screen')")
        await _choose_a_work(browser, world)
        await _replace_a_release(browser, world)
        await _follow_the_seasons(browser, world)

        # The engine stops: the card keeps what it showed and says it is stale, until it is back.
        stale = f"{CARD}.querySelector('.stale')"
        await asyncio.to_thread(world.engine.stop)
        await browser.wait_for(f"!{stale}.hidden", within=30)
        assert (await browser.evaluate(f"{stale}.textContent")).startswith(
            "The Haul engine has been unavailable since "
        )
        await browser.screenshot(ARTIFACTS / "stale.png")
        await asyncio.to_thread(world.engine.start)
        await browser.wait_for(f"{stale}.hidden", within=30)
        assert not browser.errors


async def test_card_leaves_destructive_actions_to_administrators(
    world: World, tmp_path: Path
) -> None:
    """A household member who is no administrator sees Approve but no Decline, cannot blocklist
    a grabbed release from its dialog, and the engine refuses the decline they call anyway.
    """
    chromium = require_program("chromium")
    pending = world.overseerr.add(OverseerrRequest(
        id=5, media_type="movie", title="Sneakers", year=1992, tmdb_id=2322, user="bob",
        image=world.poster,
    ))  # fmt: skip
    assert send_webhook(world.hook, pending.webhook("MEDIA_PENDING"), SECRET)[0] == 200

    def listed() -> dict[int, int]:
        found = {r["tmdb_id"]: r["id"] for r in world.engine.call("GET", "/requests")}
        return found if 2322 in found else {}

    requests = await asyncio.to_thread(_wait, listed)
    tokens = await world.home_assistant.add_user("Guest", "guest", "guest-password-0c1d")
    async with Browser.launch(chromium, tmp_path / "profile") as browser:
        browser.artifacts = ARTIFACTS
        await browser.emulate(1100, 900, dark=False)
        await browser.open(f"{world.home_assistant.url}/lovelace/haul",
                           world.home_assistant.local_storage(tokens))  # fmt: skip
        row = f"{CARD}.querySelector('[data-request=\"{requests[2322]}\"]')"
        await browser.wait_for(f"{row}?.querySelector('[data-action=approve]')", within=30)
        await browser.wait_for("!document.getElementById('ha-launch-screen')")
        assert not await browser.evaluate(f"{row}.querySelector('[data-action=decline]')")

        series = f'[data-request="{requests[70001]}"] [data-action=releases]'
        await browser.click(f"{CARD}.querySelector('{series}')")
        foot = f"{CARD}.querySelector('.dialog-foot')"
        await browser.wait_for(f"{CARD}.querySelector('tr.grabbed')")  # the second season's
        assert await browser.evaluate(f"{foot}.querySelector('.message').textContent") == (
            "Only administrators can blocklist a release."
        )
        buttons = "['replace', 'blocklist'].map(a => "
        assert await browser.evaluate(
            f"{buttons}{foot}.querySelector(`[data-action=${{a}}]`).disabled)"
        ) == [True, True]
        await browser.screenshot(ARTIFACTS / "not-an-administrator.png")

        refused = await browser.evaluate(f"""document.querySelector('home-assistant').hass
            .callService('haul', 'decline_request',
                {{config_entry_id: deepQuery('haul-card')._entryId, request_id: {requests[2322]}}})
            .then(() => 'declined', (err) => err.message)""")
        # the translated refusal, as the frontend words a validation error
        assert (
            "Only Home Assistant administrators may run haul.decline_request; Guest is not one"
            in (refused)
        )
        detail = await asyncio.to_thread(world.engine.call, "GET", f"/requests/{requests[2322]}")
        assert detail["state"] == "pending"
        assert not browser.errors
