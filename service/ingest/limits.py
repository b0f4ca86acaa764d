"""Rate limits on report intake, keyed by site and salted IP hash.

The limits are Flask-Limiter's (its configured storage and strategy, so Redis makes them
shared across processes and hosts); they are checked here rather than with a route
decorator because the per-reader and per-site limits depend on the site named in the body,
and only reports that passed validation and the origin check count toward those. The per-IP
budget is different: every request to the endpoint counts toward it first, valid or not,
before its body is parsed (:func:`check_ip`), so a flood of garbage meets 429 as well.
When the storage is unreachable,
intake goes on with per-process memory limits and says so in the log: losing a reader's
report is worse than a looser limit for a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import STRATEGIES, FixedWindowRateLimiter, RateLimiter

from service.caches import TTLCache, app_cache
from service.extensions import app_state, limiter
from service.ingest.sitecache import SiteInfo

log = logging.getLogger(__name__)

RETRY_BACKEND_AFTER = 30.0
_T = TypeVar("_T")


def _fallback() -> RateLimiter:
    """Per-process limits used while the shared storage is unreachable (one per app)."""
    return app_state("errata_limits_fallback", lambda: FixedWindowRateLimiter(MemoryStorage()))


def _storage_down() -> TTLCache[bool]:
    """Remembers for ``RETRY_BACKEND_AFTER`` seconds that the shared storage failed."""
    return app_cache("errata_limits_down", RETRY_BACKEND_AFTER)


@dataclass(frozen=True)
class Breach:
    retry_after: int
    scope: str  # reader / site / ip


def limits_for(site: SiteInfo) -> list[tuple[str, str, str]]:
    """(scope, limit string, key) for one report. Per-site overrides win over the defaults.

    The per-IP budget is not among them: :func:`check_ip` counted it already."""
    cfg = current_app.config
    return [
        ("reader", site.limit_reader or cfg["ERRATA_LIMIT_READER"], "reader"),
        ("site", site.limit_site or cfg["ERRATA_LIMIT_SITE"], "site"),
    ]


def _strategy() -> RateLimiter:
    if _storage_down().peek("down"):
        return _fallback()
    # Over Flask-Limiter's storage itself, not ``limiter.limiter``: that one switches to
    # Flask-Limiter's own memory fallback when a login request found the storage down, and
    # only switches back in a hook ingest skips. Ingest has its fallback and retry above.
    ext = current_app.extensions
    shared = ext.get("errata_limits_shared")
    if shared is None or shared.storage is not limiter.storage:
        name = current_app.config.get("RATELIMIT_STRATEGY") or "fixed-window"
        shared = ext["errata_limits_shared"] = STRATEGIES[name](limiter.storage)
    return shared


@lru_cache(maxsize=256)
def _parsed(spec: str):
    return tuple(parse_many(spec))


# Counts every limit of every report in a batch in one round trip: INCRBY each key (setting
# its expiry when the window starts, as the ``limits`` library's fixed window does), and stop
# at a report's first exceeded limit, so a refused report does not use up its later limits.
# KEYS: the keys, report by report. ARGV: how many limits each report has, then (expiry,
# amount) per key. Returns, per report, 0 when allowed or the 1-based place of the breached limit,
# then that key's time to live.
_BATCH_SCRIPT = """
local n_reports = tonumber(ARGV[1])
local arg, key = 2 + n_reports, 1
local out = {}
for r = 1, n_reports do
  local n = tonumber(ARGV[1 + r])
  local breached, ttl = 0, 0
  for i = 1, n do
    if breached == 0 then
      local expiry, amount = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1])
      local current = redis.call("incrby", KEYS[key], 1)
      if current == 1 then redis.call("expire", KEYS[key], expiry) end
      if current > amount then
        breached, ttl = i, redis.call("ttl", KEYS[key])
      end
    end
    arg, key = arg + 2, key + 1
  end
  out[#out + 1] = breached
  out[#out + 1] = ttl
end
return out
"""


Limits = list[tuple[str, RateLimitItem, tuple[str, str, str]]]


def _items(site: SiteInfo, ip_hash: str) -> Limits:
    """(scope, parsed limit, identifiers) for one report, in the order they are checked."""
    # Site keys, not row ids: ids repeat across installations that share one Redis.
    keys = {"reader": f"{site.key}:{ip_hash}", "site": site.key}
    return [(scope, item, ("errata-ingest", scope, keys[key]))
            for scope, spec, key in limits_for(site) for item in _parsed(spec)]


def _check_one_by_one(strategy: RateLimiter, items: Limits) -> Breach | None:
    for scope, item, ident in items:
        if not strategy.hit(item, *ident):
            reset = strategy.get_window_stats(item, *ident).reset_time
            return Breach(retry_after=max(1, int(reset - time.time()) + 1), scope=scope)
    return None


def _check_in_redis(storage: RedisStorage, batch: list[Limits]) -> list[Breach | None]:
    script = app_state("errata_limits_script",
                       lambda: storage.get_connection().register_script(_BATCH_SCRIPT))
    keys = [storage.prefixed_key(item.key_for(*ident)) for items in batch
            for _, item, ident in items]
    args: list[int] = [len(batch), *(len(items) for items in batch)]
    for items in batch:
        for _, item, _ in items:
            args += [item.get_expiry(), item.amount]
    answer = script(keys=keys, args=args)
    out: list[Breach | None] = []
    for items, breached, ttl in zip(batch, answer[::2], answer[1::2], strict=True):
        if breached:
            out.append(Breach(retry_after=max(1, int(ttl) + 1), scope=items[breached - 1][0]))
        else:
            out.append(None)
    return out


def _counted(count: Callable[[RateLimiter], _T]) -> _T:
    """``count`` with the shared storage's strategy, or with the per-process fallback while
    that storage is unreachable."""
    strategy = _strategy()
    try:
        return count(strategy)
    except Exception:  # noqa: BLE001 - any storage failure: keep taking reports
        if strategy is _fallback():
            raise
        log.warning("rate-limit storage unreachable; using per-process limits for %ss",
                    RETRY_BACKEND_AFTER, exc_info=True)
        _storage_down().put("down", True)
        return count(_fallback())


def check_ip(ip_hash: str) -> Breach | None:
    """Count one request against the per-IP budget (``ERRATA_LIMIT_IP``); the breach, if any.

    Called for every request to the ingest endpoint before its body is parsed."""
    items: Limits = [("ip", item, ("errata-ingest", "ip", ip_hash))
                     for item in _parsed(current_app.config["ERRATA_LIMIT_IP"])]
    return _counted(lambda strategy: _check_one_by_one(strategy, items))


def check_many(reports: list[tuple[SiteInfo, str]]) -> list[Breach | None]:
    """Count each (site, IP hash) report against the per-reader and per-site limits, in
    order; for each report the first limit it exceeded, or None. One round trip to Redis for
    the whole list."""
    batch = [_items(site, ip_hash) for site, ip_hash in reports]

    def count(strategy: RateLimiter) -> list[Breach | None]:
        if type(strategy) is FixedWindowRateLimiter and type(strategy.storage) is RedisStorage:
            return _check_in_redis(strategy.storage, batch)
        return [_check_one_by_one(strategy, items) for items in batch]

    return _counted(count)


def valid_limit(spec: str) -> bool:
    """Whether ``spec`` is a limit in Flask-Limiter's notation (``"300/hour;10/minute"``)."""
    try:
        return bool(parse_many(spec))
    except ValueError:
        return False
