"""Serve the Lovelace card's JavaScript and load it on every dashboard."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig

from .card_api import async_setup_card_api

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

CARD_FILE = Path(__file__).parent / "frontend" / "haul-card.js"
URL_BASE = "/haul_frontend"
CARD_URL = f"{URL_BASE}/{CARD_FILE.name}"


def _fingerprint() -> str:
    """Name the card's current contents, so browsers fetch a changed card at once."""
    return hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:12]


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the card (cached by browsers) and add it to the frontend's extra modules."""
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL_BASE, str(CARD_FILE.parent), cache_headers=True)]
    )
    add_extra_js_url(hass, f"{CARD_URL}?v={await hass.async_add_executor_job(_fingerprint)}")
    async_setup_card_api(hass)
