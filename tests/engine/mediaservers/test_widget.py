"""GET /api/v1/widget: a flat object of numbers for Homepage's customapi widget."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from haul_engine.commands import CommandRegistry, api_command
from haul_engine.controller import Controller
from haul_engine.widget import Widget, WidgetController
from tests.engine.mediaservers.helpers import add

if TYPE_CHECKING:
    from haul_engine.engine import Engine
    from tests.fakes.mediaservers import FakeJellyfin
    from tests.support.engine import EngineProcess

NUMBERS = {
    "problems", "active_downloads", "queued_downloads", "seeding", "torrents", "download_speed",
    "upload_speed", "pending_requests", "awaiting_selection", "missing", "upgrades",
    "search_queue", "searches_today", "indexers", "media_servers", "disk_free",
}  # fmt: skip


def test_widget_is_flat_numbers_behind_the_token(
    engine: EngineProcess, jellyfin: FakeJellyfin
) -> None:
    add(engine, jellyfin)
    status, widget = engine.request("GET", "/api/v1/widget")
    assert status == 200, widget
    assert set(widget) == NUMBERS | {"status"}
    assert widget["status"] in {"ok", "degraded"}
    for key in NUMBERS:
        assert type(widget[key]) is int, key
        assert widget[key] >= 0, key
    assert widget["media_servers"] == 1
    assert widget["active_downloads"] == widget["torrents"] == 0
    assert widget["disk_free"] > 0
    assert engine.request("GET", "/api/v1/widget", token="")[0] == 401
    assert "no request counts" not in engine.log  # the real requests/list answered
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

    def problems(self) -> list[str]:
        return ["one problem"] if self._counts and self._counts.get("missing") else []


class Requests:
    """The requests/list command, as the requests capability serves it."""

    states: ClassVar = ["pending", "awaiting_selection", "pending", "available"]

    @api_command("requests/list", path="/requests")
    async def list_requests(self, state: str | None = None) -> list[dict[str, str]]:
        return [{"state": s} for s in self.states if state in {None, s}]


async def test_widget_gathers_what_it_can_and_shows_zero_for_the_rest(tmp_path: Path) -> None:
    commands = CommandRegistry()
    commands.register(Requests())
    torrents = SimpleNamespace(transfer=lambda: SimpleNamespace(download_rate=5_000_000))
    engine = SimpleNamespace(
        controllers=[Counting(None), Counting({"missing": 7.0}), Counting({"upgradable": True})],
        torrents=torrents,
        commands=commands,
        settings=SimpleNamespace(effective_download_dir=tmp_path / "missing-folder"),
    )
    widget = await WidgetController(cast("Engine", engine)).widget()
    assert widget == Widget.model_validate({
        **dict.fromkeys(NUMBERS, 0), "status": "degraded", "problems": 1, "pending_requests": 2,
        "awaiting_selection": 1, "missing": 7, "download_speed": 5_000_000,
    })  # fmt: skip

    engine.torrents = SimpleNamespace(transfer=Path.cwd)  # not a transfer report
    engine.controllers = []
    engine.commands = CommandRegistry()  # no requests capability
    widget = await WidgetController(cast("Engine", engine)).widget()
    assert widget.status == "ok"
    assert widget.download_speed == widget.upload_speed == 0
    assert widget.pending_requests == widget.awaiting_selection == 0
