"""Who a client is, for every rate limit and block: an IPv4 address, or an IPv6 /64.

An IPv6 reader (or editor) is usually handed a whole /64 and may pick a new address in it at
will, so keying limits by the full address would let one person be anybody.
"""

from __future__ import annotations

import ipaddress

from flask import request


def reader_network(ip: str) -> str:
    """An IPv4 address as it is, an IPv6 address as its /64 network (``2001:db8::/64``), an
    IPv4-mapped IPv6 address as its IPv4 address; anything else unchanged."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def client_network() -> str:
    """The key of this request's client for Flask-Limiter (its ``key_func``)."""
    return reader_network(request.remote_addr or "127.0.0.1")
