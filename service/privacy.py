"""What we keep about readers, and how little of it."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request


def ip_hash(ip: str | None = None) -> str:
    """A salted hash of the reader's IP: enough to rate-limit and block, never the address.

    The salt lives in the instance config (``ERRATA_IP_SALT``); rotating it unlinks every
    stored hash from future ones.
    """
    ip = ip if ip is not None else (request.remote_addr or "")
    salt = current_app.config["ERRATA_IP_SALT"].encode()
    return hmac.new(salt, ip.encode(), hashlib.sha256).hexdigest()[:32]
