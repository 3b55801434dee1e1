"""Repair issues: an engine of another API schema, a connector failing, syncs failing, VPN down."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import HaulCoordinator, HaulData

FAILING = frozenset({"unhealthy", "offline"})
AUTH_WORDS = ("401", "403", "unauthorized", "api key")
VPN_PREFIX = "VPN "  # the VPN interface is gone, or the engine's own tunnel is down
# a library sync failing now and then is the *arr restarting; this many in a row is a problem
SYNC_FAILURES_FOR_ISSUE = 3


@callback
def async_follow_issues(hass: HomeAssistant, coordinator: HaulCoordinator) -> None:
    """Raise and clear the entry's issues with every update of the coordinator."""
    entry_id = coordinator.config_entry.entry_id
    raised: set[str] = set()

    def show(issue_id: str, key: str, placeholders: dict[str, str]) -> None:
        raised.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    @callback
    def update() -> None:
        error = coordinator.last_exception
        if isinstance(error, UpdateFailed) and error.translation_key == "incompatible":
            # Kept through setup retries (not `raised`): the entry retries until the versions match.
            ir.async_create_issue(
                hass,
                DOMAIN,
                incompatible_issue(entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="incompatible",
                translation_placeholders={"error": str(error.__cause__ or error)},
            )
        if coordinator.data is None or not coordinator.last_update_success:
            return  # what the engine has is unknown while disconnected
        ir.async_delete_issue(hass, DOMAIN, incompatible_issue(entry_id))
        wanted = _issues(coordinator.data, entry_id)
        for issue_id, (key, placeholders) in wanted.items():
            show(issue_id, key, placeholders)
        for issue_id in raised - set(wanted):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
        raised.intersection_update(wanted)

    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(update))
    coordinator.config_entry.async_on_unload(lambda: _clear(hass, raised))


def _issues(data: HaulData, entry_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Map each issue the engine's state calls for to its translation key and placeholders."""
    issues: dict[str, tuple[str, dict[str, str]]] = {}
    for problem in data.system.problems:
        if problem.startswith(VPN_PREFIX):
            issues[f"vpn_down_{entry_id}"] = ("vpn_down", {"problem": problem})
    connectors = data.views.connectors
    for connector in connectors.values():
        if connector.enabled and connector.health in FAILING:
            error_text = connector.last_error or connector.health
            auth = any(word in error_text.lower() for word in AUTH_WORDS)
            issues[f"connector_{connector.id}"] = (
                "connector_auth" if auth else "connector_failing",
                {"name": connector.name, "kind": connector.kind, "error": error_text},
            )
    for connector_id, library in data.views.library.items():
        named = connectors.get(connector_id)
        if named is not None and library.sync_failures >= SYNC_FAILURES_FOR_ISSUE:
            issues[f"sync_failing_{connector_id}"] = (
                "sync_failing",
                {"name": named.name, "failures": str(library.sync_failures),
                 "error": library.sync_error or ""},
            )  # fmt: skip
    return issues


def incompatible_issue(entry_id: str) -> str:
    """Name the issue of an engine that speaks another API version; gone with the entry."""
    return f"incompatible_{entry_id}"


def _clear(hass: HomeAssistant, raised: set[str]) -> None:
    """Take the entry's issues away with it."""
    for issue_id in raised:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
