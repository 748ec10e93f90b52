"""The address of the client behind a request, for rate limits.

`X-Forwarded-For` is believed only when the direct peer is one of our trusted proxies
(`MUISTOT_TRUSTED_PROXIES`); anyone else could write any address there and dodge a limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: Request, trusted: Sequence[Network]) -> str:
    """The client's IP: the peer, or, behind trusted proxies, the last untrusted hop of X-Forwarded-For.

    Hops are read right to left (each proxy appends the address it saw), skipping our own proxies;
    an unparsable hop ends the walk, since what lies left of it cannot be trusted either.
    """
    peer = request.client.host if request.client else ""
    peer_address = _parse(peer)
    if peer_address is None or not _trusted(peer_address, trusted):
        return peer or "unknown"
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    candidate = str(peer_address)
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        candidate = str(address)
        if not _trusted(address, trusted):
            break
    return candidate
