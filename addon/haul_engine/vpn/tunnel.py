"""The WireGuard interface inside the add-on's network namespace, and the kill switch around it.

The kill switch is policy routing, set before the tunnel and never removed: every packet that is
not WireGuard's own (marked) and not for a directly connected network (Home Assistant, the LAN)
is routed by a table whose default is the tunnel, or a blackhole while the tunnel is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from haul_engine.vpn.config import WireguardConfig

_LOGGER = logging.getLogger(__name__)
TABLE = "51820"  # the tunnel's routing table, and the mark of WireGuard's own packets
RULE_PRIORITY = 31820  # before the main table's rule (32766)
FAMILIES = ("-4", "-6")
USERSPACE_WAIT_SECONDS = 5.0


class TunnelError(Exception):
    """A step of bringing the tunnel up failed; the message says which."""


async def run(*command: str, stdin: str | None = None) -> str:
    """Run a program; TunnelError with its stderr when it fails."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        msg = f"{command[0]} is not installed"
        raise TunnelError(msg) from None
    out, err = await process.communicate(stdin.encode() if stdin is not None else None)
    if process.returncode:
        shown = " ".join(command[:4])
        msg = f"{shown} failed: {err.decode(errors='replace').strip() or process.returncode}"
        raise TunnelError(msg)
    return out.decode()


async def hold_kill_switch() -> None:
    """Route everything but WireGuard and connected networks by the tunnel's table (idempotent).

    The table's blackhole default stays when the tunnel's own default goes with its interface.
    """
    for family in FAMILIES:
        try:
            await _rules(family)
        except TunnelError:
            if family == "-4":
                raise
            _LOGGER.debug("no IPv6 in this container: nothing to route for it")


async def _rules(family: str) -> None:
    rules = await run("ip", family, "rule", "list")
    if f"lookup {TABLE}" not in rules:
        await run(
            "ip", family, "rule", "add", "priority", str(RULE_PRIORITY),
            "table", "main", "suppress_prefixlength", "0",
        )  # fmt: skip
        await run(
            "ip", family, "rule", "add", "priority", str(RULE_PRIORITY + 1),
            "not", "fwmark", TABLE, "table", TABLE,
        )  # fmt: skip
    await run(
        "ip", family, "route", "replace", "blackhole", "default", "metric", "4294967295",
        "table", TABLE,
    )  # fmt: skip


def interface_exists(name: str) -> bool:
    """Whether a network interface of that name exists."""
    return (Path("/sys/class/net") / name).exists()


class Tunnel:
    """One WireGuard interface: the kernel's when it has WireGuard, else wireguard-go's."""

    def __init__(self, interface: str, config: WireguardConfig) -> None:
        """Prepare (nothing changes until up)."""
        self.interface = interface
        self.config = config
        self.userspace: asyncio.subprocess.Process | None = None

    def alive(self) -> bool:
        """Whether the interface is there (and its wireguard-go, when it has one, runs)."""
        running = self.userspace is None or self.userspace.returncode is None
        return running and interface_exists(self.interface)

    async def up(self) -> None:
        """Create the interface, configure keys and peers, address and route it."""
        await self.down()
        await self._create()
        name = self.interface
        await run("wg", "setconf", name, "/dev/stdin", stdin=self.config.setconf())
        await run("wg", "set", name, "fwmark", TABLE)
        for address in self.config.addresses:
            await run("ip", "address", "add", str(address), "dev", name)
        await run("ip", "link", "set", name, "mtu", str(self.config.mtu), "up")
        for family in {"-4" if address.version == 4 else "-6" for address in self.config.addresses}:  # noqa: PLR2004
            await run("ip", family, "route", "replace", "default", "dev", name, "table", TABLE)

    async def _create(self) -> None:
        try:
            await run("ip", "link", "add", self.interface, "type", "wireguard")
        except TunnelError as err:
            program = shutil.which("wireguard-go")
            if program is None:
                msg = f"the kernel has no WireGuard ({err}) and wireguard-go is not installed"
                raise TunnelError(msg) from None
            _LOGGER.info("the kernel has no WireGuard: %s runs wireguard-go", self.interface)
            await self._start_userspace(program)

    async def _start_userspace(self, program: str) -> None:
        environment = {**os.environ, "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"}
        self.userspace = await asyncio.create_subprocess_exec(
            program, "--foreground", self.interface,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL, env=environment,
        )  # fmt: skip
        deadline = asyncio.get_running_loop().time() + USERSPACE_WAIT_SECONDS
        while not interface_exists(self.interface):
            if (
                self.userspace.returncode is not None
                or asyncio.get_running_loop().time() > deadline
            ):
                msg = f"wireguard-go could not create {self.interface} (/dev/net/tun missing?)"
                raise TunnelError(msg)
            await asyncio.sleep(0.05)

    async def down(self) -> None:
        """Remove the interface (the kill switch stays) and stop its wireguard-go."""
        if interface_exists(self.interface):
            with contextlib.suppress(TunnelError):
                await run("ip", "link", "del", self.interface)
        process, self.userspace = self.userspace, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()

    async def handshake_age(self) -> float | None:
        """Seconds since the newest handshake with a peer (None: none yet)."""
        latest = 0
        for line in (await run("wg", "show", self.interface, "latest-handshakes")).splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[1].isdigit():  # noqa: PLR2004 - key and time
                latest = max(latest, int(fields[1]))
        return time.time() - latest if latest else None
