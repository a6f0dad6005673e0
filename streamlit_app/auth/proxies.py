"""Who the client is behind reverse proxies (TWEEKTREND_TRUSTED_PROXIES: IPs or CIDRs).

Each proxy appends the address it was connected from to `X-Forwarded-For`, so the header reads
"what the client wrote, …, what our proxies added". Only the hops our own proxies added can be
believed: the client is the right-most hop that is not itself a trusted proxy, and only when
the direct peer is a trusted proxy. A header from any other peer is ignored, so a client
cannot mint new addresses by writing the header itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The trusted proxies as networks; ValueError naming the entry that is no IP or CIDR."""
    networks = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"TWEEKTREND_TRUSTED_PROXIES: {text!r} is not an IP address or CIDR"
            ) from exc
    return tuple(networks)


def parse_address(text: str | None) -> Address | None:
    """An address as a proxy writes it ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::ffff:1.2.3.4"),
    IPv4-mapped IPv6 made IPv4; None when it is none of these."""
    if not text:
        return None
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def forwarded_hops(headers: Iterable[str]) -> list[str]:
    """Every X-Forwarded-For hop, left to right, over all the header's lines in order."""
    return [hop.strip() for line in headers for hop in line.split(",") if hop.strip()]


def client_address(
    peer: str | None, forwarded: Iterable[str], networks: Sequence[Network]
) -> str:
    """The client's address: the direct peer, unless it is a trusted proxy; then the
    right-most X-Forwarded-For hop that is not a trusted proxy (a hop that is no address ends
    the walk at the proxy that passed it on). "unknown" when there is no peer at all."""
    current = parse_address(peer)
    if current is None:
        return peer or UNKNOWN
    if not _trusted(current, networks):
        return str(current)  # not our proxy: whatever header it sent is the client's own
    for hop in reversed(forwarded_hops(forwarded)):
        address = parse_address(hop)
        if address is None:
            break  # garbage our proxy passed on: stay with the proxy that reported it
        current = address
        if not _trusted(address, networks):
            break
    return str(current)
