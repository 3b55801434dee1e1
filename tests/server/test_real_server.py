"""The newest Home Assistant as users run it: Haul added and changed over its REST API, a quiet log.

Home Assistant reports what an integration does that it deprecates only in its log (a warning or
an error naming the integration), so the log of a real server is the check.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest_socket

from tests.fakes.torznab import API_KEY as TORZNAB_KEY
from tests.fakes.torznab import FakeTorznab
from tests.support.browser import SERVER_HASS, HomeAssistantProcess
from tests.support.peers import engine_env

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess

FLOWS = "/api/config/config_entries"
# Home Assistant says this of every custom integration it loads.
UNTESTED_NOTICE = "We found a custom integration haul which has not been tested"


def _flow(home_assistant: HomeAssistantProcess, kind: str, start: dict[str, Any]) -> str:
    """Start a flow of a kind (flow, options/flow, subentries/flow); return its id at the form."""
    shown = home_assistant.call("POST", f"{FLOWS}/{kind}", start)
    assert shown["type"] == "form", shown
    return str(shown["flow_id"])


def _haul_states(home_assistant: HomeAssistantProcess) -> dict[str, str]:
    """The state of every entity of the Haul integration that is enabled (has a state)."""
    ours = set(
        home_assistant.call(
            "POST", "/api/template", {"template": "{{ integration_entities('haul') | tojson }}"}
        )
    )
    states = home_assistant.call("GET", "/api/states")
    return {state["entity_id"]: state["state"] for state in states if state["entity_id"] in ours}


def _entry_state(home_assistant: HomeAssistantProcess) -> str:
    """The state of Haul's config entry."""
    (entry,) = home_assistant.call("GET", f"{FLOWS}/entry?domain=haul")
    return str(entry["state"])


def _until(condition: Callable[[], Any], timeout: float = 30.0) -> Any:  # noqa: ANN401 - truthy
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return value


def test_the_newest_home_assistant_runs_haul_without_a_warning(
    engine_factory: Callable[..., EngineProcess], tmp_path: Path
) -> None:
    pytest_socket.enable_socket()
    engine = engine_factory(env=engine_env()).start()
    home_assistant = HomeAssistantProcess(tmp_path / "homeassistant", hass=SERVER_HASS)
    with FakeTorznab() as torznab:
        try:
            home_assistant.start()
            entry_id = home_assistant.add_haul(engine.url, engine.token)

            # Reconfigure (a reload), then the options (kept by the engine).
            flow = _flow(home_assistant, "flow", {"handler": "haul", "entry_id": entry_id})
            done = home_assistant.call(
                "POST", f"{FLOWS}/flow/{flow}", {"url": engine.url + "/", "token": engine.token}
            )
            assert done["reason"] == "reconfigure_successful", done
            _until(lambda: _entry_state(home_assistant) == "loaded")  # the reload is done
            flow = _flow(home_assistant, "options/flow", {"handler": entry_id})
            limits = {"download_limit": 900, "upload_limit": 90, "alt_download_limit": 9,
                      "alt_upload_limit": 1, "schedule_enabled": False,
                      "schedule_start": "01:00:00", "schedule_end": "07:00:00",
                      "schedule_days": ["0", "6"]}  # fmt: skip
            done = home_assistant.call("POST", f"{FLOWS}/options/flow/{flow}", limits)
            assert done["type"] == "create_entry", done
            assert engine.call("GET", "/transfer")["limits"]["download_limit"] == 900

            # A connector sub-entry: its own device and entities.
            flow = _flow(home_assistant, "subentries/flow", {"handler": [entry_id, "torznab"]})
            indexer = {"name": "Indexer", "url": f"{torznab.url}/api", "api_key": TORZNAB_KEY,
                       "verify_ssl": True, "timeout": 10, "concurrency": 2}  # fmt: skip
            done = home_assistant.call("POST", f"{FLOWS}/subentries/flow/{flow}", indexer)
            assert done["type"] == "create_entry", done

            states = _until(
                lambda: (
                    (s := _haul_states(home_assistant))
                    and "sensor.indexer_failures" in s
                    and "unavailable" not in s.values()
                    and s
                )
            )
            assert {"sensor.haul_download_speed", "switch.haul_pause_all_downloads"} <= set(states)
        finally:
            home_assistant.stop()
    said = [
        line
        for line in home_assistant.log.splitlines()
        if ("WARNING" in line or "ERROR" in line) and UNTESTED_NOTICE not in line
    ]
    assert not [line for line in said if "haul" in line.lower()], said
