"""The add-on folder, checked against the Supervisor's rules and the engine's settings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from haul_engine import __version__
from haul_engine.settings import Settings
from tests.support.programs import require_program

ROOT = Path(__file__).parents[2]
ADDON = ROOT / "addon"
CONFIG = yaml.safe_load((ADDON / "config.yaml").read_text())
TRANSLATIONS = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text())
S6 = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
SCRIPTS = sorted(path for path in S6.glob("*/*") if path.name in {"run", "finish"})
SCHEMA_TYPE = re.compile(
    r"^(str|bool|email|url|password|port|int(\(-?\d*,-?\d*\))?|float(\(-?[\d.]*,-?[\d.]*\))?"
    r"|match\(.+\)|list\(.+\))\??$"
)


def test_required_keys_and_identity() -> None:
    for key in ("name", "version", "slug", "description", "arch"):
        assert CONFIG[key], key
    assert CONFIG["slug"] == "haul"
    assert CONFIG["version"] == __version__
    assert set(CONFIG["arch"]) == {"aarch64", "amd64"}
    assert CONFIG["init"] is False
    assert CONFIG["discovery"] == ["haul"]
    assert CONFIG["watchdog"] == "http://[HOST]:[PORT:8765]/health"
    assert {entry["type"] for entry in CONFIG["map"]} >= {"media", "share", "addon_config"}


def test_options_are_engine_settings_with_valid_types() -> None:
    schema, options = CONFIG["schema"], CONFIG["options"]
    assert set(options) <= set(schema)
    assert set(schema) <= set(Settings.model_fields), "the engine refuses unknown options"
    for key, kind in schema.items():
        kinds = kind if isinstance(kind, list) else [kind]  # a list holds its element's type
        assert len(kinds) == 1, key
        fields = kinds[0] if isinstance(kinds[0], dict) else {key: kinds[0]}  # a list of objects
        for name, field in fields.items():
            assert SCHEMA_TYPE.match(field), f"{key}.{name}: {field}"
    Settings.model_validate({**options, "data_dir": "/data"})


def test_every_option_and_port_is_translated() -> None:
    for key in CONFIG["schema"]:
        assert TRANSLATIONS["configuration"][key]["name"], key
        assert TRANSLATIONS["configuration"][key]["description"], key
    assert set(CONFIG["ports"]) == set(CONFIG["ports_description"]) == set(TRANSLATIONS["network"])


def test_no_other_file_is_named_config_yaml() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert [name for name in tracked if Path(name).name in {"config.yaml", "config.json"}] == [
        "addon/config.yaml"
    ]


def test_dockerfile_uses_the_pinned_base_and_the_shared_requirements() -> None:
    dockerfile = (ADDON / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM ghcr.io/home-assistant/base-python:3.13-alpine3.24\n")
    assert "requirements.txt" in dockerfile
    for label in ("io.hass.version", "io.hass.type", "io.hass.arch"):
        assert label in dockerfile


def test_s6_services_are_complete() -> None:
    assert (S6 / "haul" / "type").read_text().strip() == "longrun"
    assert (S6 / "haul-init" / "type").read_text().strip() == "oneshot"
    assert (S6 / "haul-discovery" / "type").read_text().strip() == "oneshot"
    assert (S6 / "haul" / "dependencies.d" / "haul-init").exists()
    assert (S6 / "haul-discovery" / "dependencies.d" / "haul").exists()
    for oneshot in ("haul-init", "haul-discovery"):
        assert (S6 / oneshot / "up").read_text().strip() == f"/etc/s6-overlay/s6-rc.d/{oneshot}/run"
    assert {path.name for path in (S6 / "user" / "contents.d").iterdir()} == {
        "haul",
        "haul-init",
        "haul-discovery",
    }
    assert 'bashio::discovery "haul"' in (S6 / "haul-discovery" / "run").read_text()
    for script in SCRIPTS:
        assert script.read_text().startswith("#!/command/with-contenv bashio\n"), script
        assert script.stat().st_mode & 0o111, f"{script} must be executable"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_s6_scripts_pass_shellcheck(script: Path) -> None:
    shellcheck = require_program("shellcheck")
    done = subprocess.run(
        [shellcheck, "-s", "bash", str(script)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_dockerfile_passes_hadolint() -> None:
    hadolint = require_program("hadolint")
    done = subprocess.run(
        [hadolint, str(ADDON / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_apparmor_profile_and_images() -> None:
    profile = (ADDON / "apparmor.txt").read_text()
    assert "profile haul " in profile
    for path in ("/data/**", "/media/**", "/share/**"):
        assert path in profile
    # the VPN's DNS forwarder: port 53 and the resolver it points at itself
    assert "capability net_bind_service," in profile
    assert "/etc/resolv.conf rw," in profile
    for image in ("icon.png", "logo.png"):
        assert (ADDON / image).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_web_ui_is_the_engine_page() -> None:
    assert CONFIG["webui"] == "http://[HOST]:[PORT:8765]/"
