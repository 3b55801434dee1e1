"""The VPN controller: keeps the engine's own WireGuard tunnel up, behind its kill switch."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from pydantic import BaseModel, Field

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.vpn.config import WireguardConfig, WireguardConfigError
from haul_engine.vpn.dns import DnsForwarder, Route
from haul_engine.vpn.natpmp import Gateway, NatPmpError, map_port
from haul_engine.vpn.resolvconf import ResolvConf, entries
from haul_engine.vpn.tunnel import Tunnel, TunnelError, hold_kill_switch

if TYPE_CHECKING:
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
PUBLIC_IP_EVERY_SECONDS = 600.0
PUBLIC_IP_TIMEOUT = aiohttp.ClientTimeout(total=15, sock_connect=10)
MAPPING_LIFETIME = 60  # seconds; renewed well before it ends, as the providers ask
MAPPING_EVERY_SECONDS = 45.0
# WireGuard's REJECT_AFTER_TIME: a session without a handshake this long carries nothing
SILENT_AFTER_SECONDS = 180.0
RESOLV_CONF = Path("/etc/resolv.conf")
DNS_HOST, DNS_PORT = "127.0.0.1", 53


class VpnStatus(BaseModel):
    """The engine's own tunnel now."""

    interface: str
    up: bool
    userspace: bool = Field(description="wireguard-go carries it (the kernel has no WireGuard)")
    public_ip: str = Field(description="the address the world sees, fetched through the tunnel")
    forwarded_port: int = Field(description="the port forwarded to the torrents (0: none)")
    handshake_age_seconds: float | None = Field(description="since the latest handshake")
    dns: list[str] = Field(
        description="the DNS servers lookups go to, through the tunnel (empty: the container's "
        "resolver, outside it)"
    )
    error: str = Field(description="why the tunnel is down, while it is")


class VpnController(Controller):
    """Brings the WireGuard configuration up at start and again whenever it falls.

    The kill switch is set first and stays, so nothing leaves outside the tunnel while it is
    down or being rebuilt (the torrent session is also bound to the interface and paused).
    """

    feature = "vpn"

    def __init__(self, engine: Engine) -> None:
        """Nothing runs until setup (and only with a wireguard_config)."""
        super().__init__(engine)
        self.tunnel: Tunnel | None = None
        self.error = ""
        self.public_ip = ""
        self.forwarded_port = 0
        self._public_ip_due = 0.0
        self._mapping_due = 0.0
        self._keeper: asyncio.Task[None] | None = None
        self._built = False
        self.silent = False  # up, but the server has not answered for SILENT_AFTER_SECONDS
        self._ip_failure = ""
        self.resolv_conf = RESOLV_CONF
        self.dns: DnsForwarder | None = None
        self.dns_error = ""

    @property
    def enabled(self) -> bool:
        """Whether the engine runs a tunnel of its own."""
        return self.engine.settings.wireguard_config is not None

    async def setup(self) -> None:
        """Hold the kill switch, then bring the tunnel up and keep it up."""
        path = self.engine.settings.wireguard_config
        if path is None:
            await asyncio.to_thread(self._resolver().restore)  # left by a crash with a tunnel
            return
        try:
            await hold_kill_switch()
            config = await asyncio.to_thread(WireguardConfig.read, path)
        except (TunnelError, WireguardConfigError) as err:
            self.error = str(err)
            _LOGGER.error("VPN: %s; torrents stay paused", err)  # noqa: TRY400 - the message says all
            await asyncio.to_thread(self._resolver().restore)  # no forwarder: left by a crash
            return
        self.tunnel = Tunnel(self.engine.settings.vpn_interface, config)
        await self._start_dns(self.tunnel)
        await self._keep_up(self.tunnel)
        self._keeper = asyncio.create_task(self._keep(self.tunnel), name="vpn tunnel")

    async def close(self) -> None:
        """Stop watching and remove the tunnel (the kill switch stays while the add-on runs)."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self.dns is not None:
            await asyncio.to_thread(self._resolver().restore)
            await self.dns.close()
        if self.tunnel is not None:
            await self.tunnel.down()

    def _resolver(self) -> ResolvConf:
        return ResolvConf(self.resolv_conf, self.engine.settings.data_dir / "resolv.conf.original")

    async def _start_dns(self, tunnel: Tunnel) -> None:
        """Answer the container's name lookups through the tunnel (the file's DNS servers)."""
        resolver = self._resolver()
        if not (tunnel.config.dns and self.engine.settings.vpn_dns):
            if not tunnel.config.dns:
                _LOGGER.info(
                    "VPN: the WireGuard file names no DNS: lookups go to the usual resolver"
                )
            await asyncio.to_thread(resolver.restore)
            return
        forwarder = None
        try:
            original = await asyncio.to_thread(resolver.original)
            home_assistant = [
                server for server in entries(original or "", "nameserver") if server != DNS_HOST
            ]
            forwarder = DnsForwarder(
                Route([(server, 53) for server in tunnel.config.dns], tunnel.interface),
                Route([(server, 53) for server in home_assistant]),
                DNS_HOST,
                DNS_PORT,
                search=entries(original or "", "search", "domain"),
                outside=tunnel.config.endpoint_names,  # `wg setconf` resolves them first
            )
            await forwarder.start()
            await asyncio.to_thread(resolver.point_at, DNS_HOST, original)
        except OSError as err:
            if forwarder is not None:
                await forwarder.close()
            where = err.filename or f"listening on {DNS_HOST}:{DNS_PORT}"
            self.dns_error = (
                f"no lookups through the tunnel ({where}: {err.strerror or err}); "
                "names go to the container's resolver, outside the tunnel"
            )
            _LOGGER.error("VPN DNS: %s", self.dns_error)  # noqa: TRY400 - the message says all
            await asyncio.to_thread(resolver.restore)
            return
        self.dns = forwarder
        _LOGGER.info(
            "VPN: name lookups go to %s through %s (names it does not know: %s)",
            ", ".join(tunnel.config.dns),
            tunnel.interface,
            ", ".join(home_assistant) or "nowhere",
        )

    async def _keep(self, tunnel: Tunnel) -> None:
        while True:
            await asyncio.sleep(self.engine.settings.vpn_check_interval)
            try:
                await self._keep_up(tunnel)
            except Exception:  # the keeper must outlive any one failure
                _LOGGER.exception("VPN: keeping the tunnel up failed")

    async def _keep_up(self, tunnel: Tunnel) -> None:
        """Rebuild a fallen tunnel; refresh the public address and the forwarded port when due."""
        if not tunnel.alive():
            if self._built and not self.error:
                _LOGGER.warning("VPN: tunnel %s is down: building it again", tunnel.interface)
            self._built = True
            try:
                await tunnel.up()
            except TunnelError as err:
                if str(err) != self.error:  # tried again every few seconds: said once
                    _LOGGER.warning("VPN: %s; torrents stay paused, trying again", err)
                self.error = str(err)
                return
            self.error, self.public_ip, self._public_ip_due, self._mapping_due = "", "", 0.0, 0.0
            self.silent = False
            _LOGGER.info(
                "VPN: tunnel %s is up%s",
                tunnel.interface,
                " (wireguard-go)" if tunnel.userspace is not None else "",
            )
        now = time.monotonic()
        if now >= self._public_ip_due and self.engine.settings.vpn_public_ip_url:
            self._public_ip_due = now + PUBLIC_IP_EVERY_SECONDS
            await self._fetch_public_ip(tunnel)
        if now >= self._mapping_due and self.engine.settings.vpn_port_forwarding:
            self._mapping_due = now + MAPPING_EVERY_SECONDS
            await self._forward_port()

    async def _fetch_public_ip(self, tunnel: Tunnel) -> None:
        """Ask the configured service which address it sees (the tunnel's routes carry the call).

        When that fails and WireGuard has had no handshake for SILENT_AFTER_SECONDS although the
        call sent packets into the tunnel, the VPN server does not answer: a problem until it does.
        """
        url = self.engine.settings.vpn_public_ip_url
        try:
            async with self.engine.http.session.get(url, timeout=PUBLIC_IP_TIMEOUT) as answer:
                answer.raise_for_status()
                text = (await answer.text()).strip()
            if text.startswith("{"):
                text = str(json.loads(text).get("ip", ""))
            self.public_ip = str(ipaddress.ip_address(text))
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            self._public_ip_due = time.monotonic() + self.engine.settings.vpn_check_interval * 6
            if str(err) != self._ip_failure:  # tried again every 30 s: said once
                _LOGGER.warning("VPN: the public address from %s is unknown: %s", url, err)
            self._ip_failure = str(err)
            if not isinstance(err, aiohttp.ClientConnectorDNSError):  # else nothing was sent
                await self._judge_server(tunnel)
            return
        self._ip_failure = ""
        if self.silent:
            _LOGGER.info("VPN: the server answers again")
        self.silent = False
        _LOGGER.info("VPN: public address %s", self.public_ip)

    async def _judge_server(self, tunnel: Tunnel) -> None:
        """Call the server silent when its latest handshake is too old (or there was none)."""
        try:
            age = await tunnel.handshake_age()
        except TunnelError:
            return
        silent = age is None or age > SILENT_AFTER_SECONDS
        if silent and not self.silent:
            _LOGGER.warning(
                "VPN: the server of %s does not answer (no handshake)", tunnel.interface
            )
        self.silent = silent

    def gateway(self) -> str:
        """Return the NAT-PMP gateway: as configured, else the configuration's first DNS server."""
        configured = self.engine.settings.vpn_port_forwarding_gateway
        dns = self.tunnel.config.dns if self.tunnel is not None else []
        return configured or (dns[0] if dns else "")

    async def _forward_port(self) -> None:
        """Map (or renew) the listening port through the VPN's NAT-PMP gateway; listen on it."""
        gateway = self.gateway()
        if not gateway:
            _LOGGER.warning("VPN: no NAT-PMP gateway (no DNS in the configuration): no forwarding")
            return
        internal = self.forwarded_port or self.engine.settings.listen_port
        try:
            for protocol in ("udp", "tcp"):
                mapping = await map_port(
                    Gateway(gateway), protocol, internal, self.forwarded_port, MAPPING_LIFETIME
                )
        except NatPmpError as err:
            self._mapping_due = time.monotonic() + self.engine.settings.vpn_check_interval
            _LOGGER.warning("VPN: port forwarding through %s failed: %s", gateway, err)
            return
        if mapping.external_port != self.forwarded_port:
            _LOGGER.info("VPN: port %d is forwarded to the torrents", mapping.external_port)
            self.forwarded_port = mapping.external_port
            self.engine.torrents.reconfigure()  # the session listens on the forwarded port

    @api_command("vpn/status", path="/vpn")
    async def status(self) -> VpnStatus | None:
        """Show the engine's own tunnel (null without a wireguard_config)."""
        return await self.view() if self.enabled else None

    async def view(self) -> VpnStatus:
        """Return the tunnel's state, address, forwarded port and handshake age."""
        tunnel = self.tunnel
        why = self.why_down()
        up = tunnel is not None and tunnel.alive() and not why
        age = None
        if tunnel is not None and tunnel.alive():
            with contextlib.suppress(TunnelError):
                age = await tunnel.handshake_age()
        return VpnStatus(
            interface=self.engine.settings.vpn_interface,
            up=up,
            userspace=tunnel is not None and tunnel.userspace is not None,
            public_ip=self.public_ip if up else "",
            forwarded_port=self.forwarded_port if up else 0,
            handshake_age_seconds=None if age is None else round(age, 1),
            dns=[server for server, _ in self.dns.tunnel.servers] if self.dns is not None else [],
            error=why,
        )

    def why_down(self) -> str:
        """Say why the tunnel carries nothing now ("" while it works)."""
        if self.error or not self.silent:
            return self.error
        interface = self.engine.settings.vpn_interface
        return f"the server of {interface} does not answer (no WireGuard handshake)"

    def problems(self) -> list[str]:
        """Say why the tunnel carries nothing, while so."""
        why = self.why_down()
        tunnel = [f"VPN tunnel: {why}"] if why else []
        return tunnel + ([f"VPN DNS: {self.dns_error}"] if self.dns_error else [])
