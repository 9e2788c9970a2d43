"""Which network addresses the ConnectWise client may connect to (PRODUCT §3.1).

An organisation types its own Base URL, so without this check any MSP user could make the
server call its own loopback, a cloud metadata service (169.254.169.254) or the internal
network, and read the answer back through Test Connection. The check runs where the socket is
opened (`transport.GuardedAdapter`): the host name is resolved once, every address it resolves
to is checked, and the connection goes to a checked address, so a name cannot resolve to a
public address for the check and to an internal one for the connection (DNS rebinding).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from cbcw.connectwise.api import errors

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(errors.ConnectWiseError):
    """The Base URL's host is (or resolves to) an address this server must not call."""

    default_message = ("The Base URL points at an address this server may not connect to (loopback, "
                       "link-local, private or reserved). Use the ConnectWise API address; the operator "
                       "can allow an on-premise ConnectWise with CW_ALLOWED_PRIVATE_NETWORKS.")


@dataclass(frozen=True)
class AddressPolicy:
    """`allow_loopback` is for development and tests (the simulator); `allowed_networks` lists the
    private networks an on-premise ConnectWise may live in."""

    allow_loopback: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls, config) -> "AddressPolicy":
        return cls(allow_loopback=bool(config.get("CW_ALLOW_LOOPBACK")),
                   allowed_networks=parse_networks(config.get("CW_ALLOWED_PRIVATE_NETWORKS", "")))

    def refusal(self, address: Address) -> str | None:
        """Why this address may not be called, or None when it may. An IPv6 address that carries an
        IPv4 address (mapped, 6to4, NAT64, SIIT, IPv4-compatible) is judged by the IPv4 address it
        reaches; tunnels whose destination cannot be read from the address are refused."""
        if isinstance(address, ipaddress.IPv6Address):
            if address.teredo or address in LOCAL_NAT64:
                return "an IPv4 address behind a tunnel or translator"
            address = embedded_ipv4(address) or address
        if address.is_unspecified or address.is_multicast:
            return "unspecified or multicast"
        if address.is_link_local:
            return "link-local"
        if address.is_loopback:
            return None if self.allow_loopback or self._listed(address) else "loopback"
        if not address.is_global:
            return None if self._listed(address) else "private or reserved"
        return None

    def _listed(self, address: Address) -> bool:
        return any(address.version == network.version and address in network for network in self.allowed_networks)


# Prefixes whose last 32 bits are the IPv4 address reached: NAT64's well-known prefix (RFC 6052),
# SIIT's IPv4-translated addresses (RFC 2765) and the deprecated IPv4-compatible ones (RFC 4291).
EMBEDDING_PREFIXES = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: the IPv4 part's place depends on the operator


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, or None (`::1` and `::` are themselves)."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.is_loopback or address.is_unspecified:
        return None
    if any(address in prefix for prefix in EMBEDDING_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, fd00::/8` → networks; a malformed entry stops start-up with its name."""
    networks = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise RuntimeError(f"CW_ALLOWED_PRIVATE_NETWORKS: {part!r} is not a network such as 10.0.0.0/8") from None
    return tuple(networks)


def checked_addresses(host: str, port: int, policy: AddressPolicy) -> list[tuple]:
    """Resolve `host` once and return its `getaddrinfo` entries, after checking EVERY address it
    resolves to: one refused address refuses the host (it could be the one a later lookup picks)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise errors.Unavailable(f"The host {host} could not be resolved: check the Base URL.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if policy.refusal(address):
            raise AddressRefused()
    if not infos:
        raise errors.Unavailable(f"The host {host} could not be resolved: check the Base URL.")
    return infos
