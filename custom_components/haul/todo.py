"""To-do list "Media requests": requests waiting for someone; checking one off approves it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.todo import TodoItem, TodoListEntity
from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .entity import HaulEntity, HaulEntityDescription, add_engine_entities, has_feature
from .errors import call_engine, title_and_year
from .users import caller_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry
    from .views import MediaRequest

# Each change is one engine call; the engine serialises them.
PARALLEL_UPDATES = 0

LISTED_STATES = ("pending", "awaiting_selection")
REQUESTS = HaulEntityDescription(
    key="requests_todo", translation_key="requests", exists_fn=has_feature("requests")
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the list when the engine has the request gate."""
    add_engine_entities(entry, async_add_entities, (REQUESTS,), HaulRequestsList)


def _item(request: MediaRequest) -> TodoItem:
    state = (
        "waits for a release to be picked" if request.state != "pending" else "waits for approval"
    )
    return TodoItem(
        uid=str(request.id),
        summary=title_and_year({"title": request.title, "year": request.year}),
        status=TodoItemStatus.NEEDS_ACTION,
        description=f"{request.media_type}, requested by {request.requested_by}: {state}",
    )


class HaulRequestsList(HaulEntity, TodoListEntity):
    """The requests waiting for someone: approve by checking off, decline by deleting."""

    _attr_supported_features = (
        TodoListEntityFeature.UPDATE_TODO_ITEM | TodoListEntityFeature.DELETE_TODO_ITEM
    )

    def shown(self) -> tuple[Any, ...]:
        """Return what the list shows, its items too (a rename keeps their number)."""
        return (*super().shown(), tuple(self.todo_items))

    @property
    def todo_items(self) -> list[TodoItem]:
        """Pending requests first, then those awaiting a release."""
        views = self.coordinator.data.views
        return [_item(request) for state in LISTED_STATES for request in views.requests_in(state)]

    def _request(self, uid: str | None) -> MediaRequest:
        for request in self.coordinator.data.views.requests.values():
            if str(request.id) == uid and request.state in LISTED_STATES:
                return request
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_such_item",
            translation_placeholders={"uid": str(uid)},
        )

    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Approve a checked-off pending request, or take the best release of one awaiting it."""
        request = self._request(item.uid)
        if item.status != TodoItemStatus.COMPLETED:
            return
        client = self.coordinator.client
        caller = await caller_of(self.hass, self._context)
        if request.state == "pending":
            await call_engine(client.requests_approve(request.id, actor=caller.name))
            return
        detail = await call_engine(client.requests_get(request.id))
        usable = [c for c in detail["candidates"] if not c["failed"]]
        if not usable:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_candidate",
                translation_placeholders={
                    "title": title_and_year({"title": request.title, "year": request.year})
                },
            )
        best = min(usable, key=lambda candidate: candidate["position"])
        await call_engine(
            client.requests_select(request.id, candidate_id=best["id"], actor=caller.name)
        )

    async def async_delete_todo_items(self, uids: list[str]) -> None:
        """Decline each deleted request (administrators only)."""
        caller = await caller_of(self.hass, self._context)
        caller.require_admin("todo.remove_item")
        for uid in uids:
            request = self._request(uid)
            reason = "declined from the Home Assistant to-do list"
            client = self.coordinator.client
            await call_engine(client.requests_decline(request.id, actor=caller.name, reason=reason))
