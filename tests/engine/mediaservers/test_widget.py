"""GET /api/v1/widget: a flat object of numbers for Homepage's customapi widget, from events."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from haul_engine.controller import Controller
from haul_engine.events import EventBus, EventName
from haul_engine.system import SystemController
from haul_engine.widget import Widget, WidgetController
from tests.engine.mediaservers.helpers import add

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from haul_engine.engine import Engine
    from tests.fakes.mediaservers import FakeJellyfin
    from tests.support.engine import EngineProcess

NUMBERS = {
    "problems", "active_downloads", "queued_downloads", "seeding", "torrents", "download_speed",
    "upload_speed", "pending_requests", "awaiting_selection", "missing", "upgrades",
    "search_queue", "searches_today", "indexers", "media_servers", "disk_free",
}  # fmt: skip


def widget_when(
    engine: EngineProcess, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Read the widget until condition(widget) holds (the counts follow events within 0.25 s)."""
    deadline = time.monotonic() + 10
    while True:
        status, widget = engine.request("GET", "/api/v1/widget")
        assert status == 200, widget
        if condition(widget) or time.monotonic() > deadline:
            return dict(widget)
        time.sleep(0.05)


def test_widget_is_flat_numbers_behind_the_token(
    engine: EngineProcess, jellyfin: FakeJellyfin
) -> None:
    add(engine, jellyfin)
    widget = widget_when(engine, lambda widget: widget["media_servers"] == 1)
    assert set(widget) == NUMBERS | {"status"}
    assert widget["status"] in {"ok", "degraded"}
    for key in NUMBERS:
        assert type(widget[key]) is int, key
        assert widget[key] >= 0, key
    assert widget["media_servers"] == 1
    assert widget["active_downloads"] == widget["torrents"] == 0
    assert widget["disk_free"] > 0
    engine.call("POST", "/torrents", {"magnet": f"magnet:?xt=urn:btih:{'d' * 40}&dn=widget"})
    widget = widget_when(engine, lambda widget: widget["torrents"] == 1)
    assert widget["torrents"] == widget["active_downloads"] == 1  # waiting for metadata
    assert engine.request("GET", "/api/v1/widget", token="")[0] == 401
    status, document = engine.request("GET", "/api/v1/openapi.json")
    assert status == 200
    assert "/api/v1/widget" in document["paths"]


class Counting(Controller):
    """A controller with fixed counts, or one whose counts fail."""

    feature = "counting"

    def __init__(self, counts: dict[str, Any] | None) -> None:
        self._counts = counts

    def counts(self) -> dict[str, int]:
        if self._counts is None:
            raise RuntimeError
        return self._counts


def status(counts: dict[str, Any], problems: list[str], disk_free: Any = 10) -> dict[str, Any]:  # noqa: ANN401
    """A system status as its events carry it."""
    return {"status": "degraded" if problems else "ok", "problems": problems,
            "counts": counts, "disk_free_bytes": disk_free}  # fmt: skip


async def test_widget_shows_the_latest_status_and_transfer_it_heard_of() -> None:
    bus = EventBus()

    async def now() -> SimpleNamespace:
        return SimpleNamespace(model_dump=lambda **_: status({"torrents": 2}, []))

    engine = SimpleNamespace(
        events=bus,
        system=SimpleNamespace(status=now),
        torrents=SimpleNamespace(
            transfer=lambda: SimpleNamespace(model_dump=lambda **_: {"download_rate": 7})
        ),
    )
    controller = WidgetController(cast("Engine", engine))
    await controller.setup()
    widget = await controller.widget()
    assert (widget.torrents, widget.download_speed, widget.status) == (2, 7, "ok")

    counts = {"requests_pending": 2, "requests_awaiting_selection": 1, "missing": 7.0,
              "upgradable": True, "torrents_active": "many"}  # fmt: skip
    bus.publish(EventName.SYSTEM_UPDATED, status(counts, ["one problem"], disk_free=None))
    bus.publish(EventName.TRANSFER_UPDATED, {"download_rate": 5_000_000, "upload_rate": 1.5})
    bus.publish(EventName.TORRENT_PROGRESS, {"hash": "a"}, "a")  # not followed
    assert await controller.widget() == Widget.model_validate({
        **dict.fromkeys(NUMBERS, 0), "status": "degraded", "problems": 1, "pending_requests": 2,
        "awaiting_selection": 1, "missing": 7, "download_speed": 5_000_000, "upload_speed": 1,
    })  # fmt: skip
    await controller.close()
    bus.publish(EventName.SYSTEM_HEARTBEAT, status({}, []))
    assert (await controller.widget()).status == "degraded"  # no longer listening


async def test_system_counts_leave_out_a_controller_that_fails(tmp_path: Path) -> None:
    async def no_tunnel() -> None:
        return None

    engine = SimpleNamespace(
        controllers=[Counting(None), Counting({"missing": 7}), Counting({"indexers": 2})],
        settings=SimpleNamespace(effective_download_dir=tmp_path),
        events=EventBus(),
        problems=list,
        vpn=SimpleNamespace(status=no_tunnel),
    )
    found = await SystemController(cast("Engine", engine)).status()
    assert found.counts == {"missing": 7, "indexers": 2}
    assert found.status == "ok"
