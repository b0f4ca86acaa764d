"""Rate limits on report intake, keyed by site and salted IP hash.

The limits are Flask-Limiter's (its configured storage and strategy, so Redis makes them
shared across processes and hosts); they are checked here rather than with a route
decorator because the limits depend on the site named in the body, and only reports that
passed validation and the origin check should count. When the storage is unreachable,
intake goes on with per-process memory limits and says so in the log: losing a reader's
report is worse than a looser limit for a minute.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from service.extensions import limiter
from service.ingest.sitecache import SiteInfo

log = logging.getLogger(__name__)

RETRY_BACKEND_AFTER = 30.0


class _Fallback:
    """Per-process limits used while the shared storage is unreachable (one per app)."""

    def __init__(self) -> None:
        self.limiter: RateLimiter = FixedWindowRateLimiter(MemoryStorage())
        self.down_until = 0.0


def _fallback() -> _Fallback:
    return current_app.extensions.setdefault("errata_limits_fallback", _Fallback())


@dataclass(frozen=True)
class Breach:
    retry_after: int
    scope: str  # reader / site / ip


def limits_for(site: SiteInfo) -> list[tuple[str, str, str]]:
    """(scope, limit string, key) for one report. Per-site overrides win over the defaults."""
    cfg = current_app.config
    return [
        ("reader", site.limit_reader or cfg["ERRATA_LIMIT_READER"], "reader"),
        ("site", site.limit_site or cfg["ERRATA_LIMIT_SITE"], "site"),
        ("ip", cfg["ERRATA_LIMIT_IP"], "ip"),
    ]


def _strategy(fallback: _Fallback) -> RateLimiter:
    if fallback.down_until and time.monotonic() < fallback.down_until:
        return fallback.limiter
    fallback.down_until = 0.0
    return limiter.limiter


@lru_cache(maxsize=256)
def _parsed(spec: str):
    return tuple(parse_many(spec))


def check(site: SiteInfo, ip_hash: str) -> Breach | None:
    """Count this report against every limit; the first one exceeded, if any."""
    # Site keys, not row ids: ids repeat across installations that share one Redis.
    keys = {"reader": f"{site.key}:{ip_hash}", "site": site.key, "ip": ip_hash}
    fallback = _fallback()
    for scope, spec, key in limits_for(site):
        for item in _parsed(spec):
            strategy = _strategy(fallback)
            try:
                allowed = strategy.hit(item, "errata-ingest", scope, keys[key])
            except Exception:  # noqa: BLE001 - any storage failure: keep taking reports
                log.warning("rate-limit storage unreachable; using per-process limits for %ss",
                            RETRY_BACKEND_AFTER, exc_info=True)
                fallback.down_until = time.monotonic() + RETRY_BACKEND_AFTER
                strategy = fallback.limiter
                allowed = strategy.hit(item, "errata-ingest", scope, keys[key])
            if not allowed:
                try:
                    reset = strategy.get_window_stats(
                        item, "errata-ingest", scope, keys[key]).reset_time
                except Exception:  # noqa: BLE001 - storage gone between the two calls
                    reset = time.time() + item.get_expiry()
                return Breach(retry_after=max(1, int(reset - time.time()) + 1), scope=scope)
    return None


def valid_limit(spec: str) -> bool:
    """Whether ``spec`` is a limit in Flask-Limiter's notation (``"300/hour;10/minute"``)."""
    try:
        return bool(parse_many(spec))
    except ValueError:
        return False
