"""A wg-quick configuration file (what VPN providers hand out), read and checked."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from haul_engine.logs import SecretFilter

if TYPE_CHECKING:
    from pathlib import Path

# the keys `wg setconf` takes; wg-quick's own (Address, DNS, MTU, Table, hooks) are read apart
_INTERFACE_KEYS = {"privatekey", "listenport", "fwmark"}
_PEER_KEYS = {"publickey", "presharedkey", "endpoint", "allowedips", "persistentkeepalive"}
_QUICK_KEYS = {"address", "dns", "mtu", "table", "saveconfig"}
_HOOKS = {"preup", "postup", "predown", "postdown"}
_KEY_BYTES = 32


class WireguardConfigError(ValueError):
    """The file cannot bring a tunnel up; the message names the line and what is wrong."""


@dataclass
class WireguardConfig:
    """The tunnel's addresses, DNS and MTU, and the `wg setconf` text (keys and peers)."""

    addresses: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    mtu: int = 1420
    wg_lines: list[str] = field(default_factory=list)
    peers: int = 0
    endpoint_names: list[str] = field(default_factory=list)  # host names `wg setconf` resolves

    def setconf(self) -> str:
        """Return what `wg setconf` reads (it holds the private key: pipe it, never log it)."""
        return "\n".join(self.wg_lines) + "\n"

    @classmethod
    def read(cls, path: Path) -> WireguardConfig:
        """Read the file; WireguardConfigError when it is missing or cannot work."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            msg = f"cannot read the WireGuard configuration {path}: {err.strerror}"
            raise WireguardConfigError(msg) from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str = "configuration") -> WireguardConfig:
        """Parse wg-quick's format: [Interface] once, then one [Peer] section or more."""
        config = cls()
        section = ""
        private_key = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"{name}, line {number}"
            if line.startswith("["):
                section = line.lower()
                if section not in {"[interface]", "[peer]"}:
                    msg = f"{where}: unknown section {line} (expected [Interface] or [Peer])"
                    raise WireguardConfigError(msg)
                if section == "[peer]":
                    config.peers += 1
                config.wg_lines.append("[Interface]" if section == "[interface]" else "[Peer]")
                continue
            private_key |= config.setting(section, line, where) == "privatekey"
        missing = [
            what
            for what, absent in (
                ("[Interface] PrivateKey", not private_key),
                ("[Interface] Address", not config.addresses),
                ("a [Peer]", not config.peers),
            )
            if absent
        ]
        if missing:
            msg = f"{name}: missing {', '.join(missing)}"
            raise WireguardConfigError(msg)
        return config

    def setting(self, section: str, line: str, where: str) -> str:
        """Keep one `Key = value` line of a section; return the key, lower case."""
        key, equals, value = (part.strip() for part in line.partition("="))
        if not equals or not section:
            msg = f"{where}: expected 'Key = value' inside [Interface] or [Peer]"
            raise WireguardConfigError(msg)
        lowered = key.lower()
        if section == "[interface]" and lowered in _HOOKS:
            msg = f"{where}: {key} runs commands; Haul brings the tunnel up itself, remove it"
            raise WireguardConfigError(msg)
        if section == "[interface]" and lowered in _QUICK_KEYS:
            self.quick_setting(lowered, value, where)
        elif lowered in (_INTERFACE_KEYS if section == "[interface]" else _PEER_KEYS):
            if lowered in {"privatekey", "publickey", "presharedkey"}:
                _check_key(value, key, where)
            if lowered in {"privatekey", "presharedkey"}:
                SecretFilter.register(value)
            host = value.rpartition(":")[0]
            if lowered == "endpoint" and host and not _is_address(host):
                self.endpoint_names.append(host)
            self.wg_lines.append(f"{key} = {value}")
        else:
            msg = f"{where}: unknown key {key} in {section}"
            raise WireguardConfigError(msg)
        return lowered

    def quick_setting(self, key: str, value: str, where: str) -> None:
        """Keep one of wg-quick's own settings (Table and SaveConfig are ignored)."""
        items = [item.strip() for item in value.split(",") if item.strip()]
        try:
            if key == "address":
                self.addresses += [ipaddress.ip_interface(item) for item in items]
            elif key == "dns":
                self.dns += [str(ipaddress.ip_address(item)) for item in items]
            elif key == "mtu":
                self.mtu = int(value)
        except ValueError as err:
            msg = f"{where}: {err}"
            raise WireguardConfigError(msg) from None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _check_key(value: str, key: str, where: str) -> None:
    try:
        if len(base64.b64decode(value, validate=True)) == _KEY_BYTES:
            return
    except binascii.Error:
        pass
    msg = f"{where}: {key} is not a WireGuard key (44 characters of base64)"
    raise WireguardConfigError(msg)
