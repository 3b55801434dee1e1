"""The add-on without Docker: its s6 scripts, a fake Supervisor, and Home Assistant discovery."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_HASSIO, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from custom_components.haul.const import DOMAIN
from tests.fakes.supervisor import FakeSupervisor
from tests.support.engine import ENGINE_BIN
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).parents[2]
S6 = ROOT / "addon" / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
BASHIO = ROOT / "tests" / "fakes" / "bashio.sh"
SUPERVISOR_TOKEN = "supervisor-token-for-this-add-on"  # noqa: S105 - a test value


class AddonContainer:
    """What the container's environment gives the s6 scripts: /data, the port, the Supervisor."""

    def __init__(self, data_dir: Path, supervisor_url: str | None) -> None:
        """Lay out /data as the Supervisor would."""
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            "PATH": f"{ENGINE_BIN}:/usr/bin:/bin",
            "HAUL_DATA_DIR": str(data_dir),
            "HAUL_PORT": str(self.port),
            "HAUL_HOST": "127.0.0.1",
            "HAUL_HEARTBEAT_INTERVAL": "1",
        }
        if supervisor_url is not None:
            self.env |= {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN, "SUPERVISOR_URL": supervisor_url}
        data_dir.mkdir(parents=True)

    def write_options(self, options: dict[str, object]) -> None:
        """Write /data/options.json as the Supervisor does from the add-on's configuration."""
        (self.data_dir / "options.json").write_text(json.dumps(options))

    async def start(self, service: str) -> asyncio.subprocess.Process:
        """Start a service's run script the way with-contenv bashio would."""
        return await asyncio.create_subprocess_exec(
            "bash", "-c", f'source "{BASHIO}"; source "$0"', str(S6 / service / "run"),
            env=self.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip

    async def run(self, service: str) -> tuple[int, str]:
        """Run a oneshot to its end; returns its exit code and output."""
        process = await self.start(service)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, output.decode()


@pytest.fixture
async def supervisor() -> AsyncIterator[tuple[FakeSupervisor, str]]:
    """The fake Supervisor on a loopback port."""
    fake = FakeSupervisor(SUPERVISOR_TOKEN)
    runner = web.AppRunner(fake.app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_addon_start_announces_the_engine_and_home_assistant_connects(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    supervisor: tuple[FakeSupervisor, str],
    tmp_path: Path,
) -> None:
    fake, url = supervisor
    container = AddonContainer(tmp_path / "data", url)
    container.write_options({"log_level": "debug", "download_dir": str(tmp_path / "media")})

    code, output = await container.run("haul-init")
    assert code == 0, output
    assert (container.data_dir / "haul.db").exists()

    engine = await container.start("haul")
    try:
        code, output = await container.run("haul-discovery")
        assert code == 0, output
        assert "Home Assistant was told where the Haul engine is" in output
        token = json.loads((container.data_dir / "secrets.json").read_text())["api_token"]
        [message] = fake.messages
        assert message["service"] == "haul"
        assert message["config"] == {"host": "127.0.0.1", "port": container.port, "token": token}

        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_HASSIO},
            data=HassioServiceInfo(
                config=message["config"], name="Haul", slug="haul", uuid=message["uuid"]
            ),
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "hassio_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        connectivity = [
            registry_entry.entity_id
            for registry_entry in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
            if registry_entry.domain == "binary_sensor"
        ]
        assert connectivity
        assert hass.states.get(connectivity[0]).state == "on"
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        engine.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(engine.wait(), 15) == 0


async def test_standalone_container_skips_discovery(tmp_path: Path) -> None:
    container = AddonContainer(tmp_path / "data", None)
    code, output = await container.run("haul-discovery")
    assert code == 0
    assert "skipping discovery" in output


async def test_a_bad_option_stops_the_start_with_its_name(tmp_path: Path) -> None:
    container = AddonContainer(tmp_path / "data", None)
    container.write_options({"log_level": "debug", "max_active_downloads": 0})
    code, output = await container.run("haul-init")
    assert code == 1
    assert "invalid setting 'max_active_downloads'" in output
    assert "Haul cannot start" in output
