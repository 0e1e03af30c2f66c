"""The client's address: the socket's, unless the request came through a trusted proxy.

Behind Cloudflare (and Render's load balancer) every connection comes from a proxy; the client
is named in ``CF-Connecting-IP`` or ``X-Forwarded-For``. Anyone can send those headers, so they
count only when the socket peer is one of ``VARIOSYNC_TRUSTED_PROXIES``; from anyone else they
change nothing (a client cannot pick the address its rate limits are counted under).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from variosync.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(text: str) -> tuple[Network, ...]:
    """``VARIOSYNC_TRUSTED_PROXIES`` (comma-separated addresses or CIDR ranges) parsed;
    ConfigError naming the bad entry otherwise."""
    found: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(
                f"VARIOSYNC_TRUSTED_PROXIES: {entry!r} is not an address or CIDR range",
                hint="e.g. VARIOSYNC_TRUSTED_PROXIES=10.0.0.0/8,173.245.48.0/20",
            ) from None
    return tuple(found)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(
    peer: str | None, headers: Iterable[tuple[bytes, bytes]], networks: tuple[Network, ...]
) -> str | None:
    """The client of a request from socket ``peer`` with (ASGI) ``headers``.

    From a trusted proxy: the right-most address of ``X-Forwarded-For`` that is not itself a
    trusted proxy (left of it, anything could be forged). Only when every hop is a trusted
    proxy — the request came through Cloudflare — does ``CF-Connecting-IP`` name the client:
    someone reaching the load balancer directly cannot pick an address with it. Otherwise,
    or when the headers hold no valid address: the peer.
    """
    if peer is None or not networks:
        return peer
    address = _address(peer)
    if address is None or not _trusted(address, networks):
        return peer
    connecting: str | None = None
    forwarded: list[str] = []
    for name, value in headers:
        if name == b"cf-connecting-ip":
            connecting = value.decode("latin-1")
        elif name == b"x-forwarded-for":
            forwarded += value.decode("latin-1").split(",")
    hops: list[Address] = []
    for hop in reversed(forwarded):
        found = _address(hop)
        if found is None:
            return peer  # a malformed chain: trust none of it
        if not _trusted(found, networks):
            return str(found)
        hops.append(found)
    if connecting is not None and (named := _address(connecting)) is not None:
        return str(named)
    return str(hops[-1]) if hops else peer
