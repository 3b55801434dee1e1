"""Config flow: user, add-on discovery, reauth and reconfigure against the real engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from custom_components.haul import api
from custom_components.haul.const import DOMAIN
from tests.integration.conftest import server_id
from tests.integration.test_api import lying_engine
from tests.support.programs import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.support.engine import EngineProcess


def discovery(port: int, token: str) -> HassioServiceInfo:
    """What the add-on posts to the Supervisor."""
    return HassioServiceInfo(
        config={CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_TOKEN: token},
        name="Haul",
        slug="haul",
        uuid="1234",
    )


async def test_user_flow(hass: HomeAssistant, engine: EngineProcess) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Haul"
    assert result["data"] == {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    assert result["result"].unique_id == server_id(engine)
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("unreachable", "cannot_connect"),
        ("wrong_token", "invalid_auth"),
        ("bad_url", "cannot_connect"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant, engine: EngineProcess, case: str, error: str
) -> None:
    user_input = {
        "unreachable": {CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_TOKEN: engine.token},
        "wrong_token": {CONF_URL: engine.url, CONF_TOKEN: "wrong-token"},
        "bad_url": {CONF_URL: "not a url", CONF_TOKEN: engine.token},
    }[case]
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_incompatible_and_unknown(
    hass: HomeAssistant,
    engine: EngineProcess,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_input = {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with monkeypatch.context() as patched:
        patched.setattr(api, "SCHEMA_VERSION", 99)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["errors"] == {"base": "incompatible"}

    # The address of another web app, which answers every path with its page, or with JSON of
    # its own (no Haul engine's identity in it).
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>Sonarr</title>", content_type="text/html")

    async def other_json(_request: web.Request) -> web.Response:
        return web.json_response({"appName": "Sonarr", "version": "4.0.15"})

    for other_app in (page, other_json):
        async with lying_engine({"/{path:.*}": other_app}) as url:
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_URL: url, CONF_TOKEN: engine.token}
            )
        assert result["errors"] == {"base": "unknown"}, other_app.__name__
    assert f"{url} does not answer as a Haul engine (KeyError('schema_version'))" in caplog.text
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_already_configured(
    hass: HomeAssistant, engine: EngineProcess, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_discovery_adds_the_engine(hass: HomeAssistant, engine: EngineProcess) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(engine.port, engine.token)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Haul"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    assert result["result"].unique_id == server_id(engine)


async def test_discovery_updates_the_existing_entry(
    hass: HomeAssistant, engine: EngineProcess, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={CONF_URL: "http://old-host:8765", CONF_TOKEN: "old-token"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(engine.port, engine.token)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data == {CONF_URL: engine.url, CONF_TOKEN: engine.token}


async def test_discovery_of_an_unreachable_engine_aborts(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(free_port(), "token")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_reauth(
    hass: HomeAssistant, engine: EngineProcess, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_TOKEN: "old-token"}
    )
    result = await config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["url"] == engine.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: engine.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_TOKEN] == engine.token
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED


async def test_reauth_refuses_another_engine(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    config_entry: MockConfigEntry,
) -> None:
    other = own_engine
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={CONF_URL: other.url, CONF_TOKEN: "old-token"}
    )
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: other.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_engine"


async def test_reconfigure(
    hass: HomeAssistant, engine: EngineProcess, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={CONF_URL: "http://old-host:8765", CONF_TOKEN: "old-token"}
    )
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_TOKEN: engine.token}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: engine.url, CONF_TOKEN: engine.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data == {CONF_URL: engine.url, CONF_TOKEN: engine.token}


async def test_reconfigure_refuses_another_engine(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    config_entry: MockConfigEntry,
) -> None:
    other = own_engine
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: other.url, CONF_TOKEN: other.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_engine"
