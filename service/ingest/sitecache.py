"""A per-process cache of the few site facts ingest needs on every report.

A news site can send hundreds of reports a minute; looking its row up each time costs a
query per report for data that changes a few times a year. Entries live ``TTL`` seconds,
so an edit made on another process or host takes effect within that time; edits in this
process call :func:`forget` and take effect at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Site

TTL = 10.0


@dataclass(frozen=True)
class SiteInfo:
    id: int
    key: str
    origins: frozenset[str]
    active: bool
    limit_reader: str | None
    limit_site: str | None

    def allows_origin(self, origin: str) -> bool:
        return origin in self.origins


_cache: dict[str, tuple[float, SiteInfo | None]] = {}
_lock = threading.Lock()


def get_site(session: Session, key: str) -> SiteInfo | None:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = session.execute(
        select(Site.id, Site.key, Site.origins, Site.active, Site.limit_reader, Site.limit_site)
        .where(Site.key == key)
    ).first()
    info = None if row is None else SiteInfo(
        id=row.id, key=row.key, origins=frozenset(row.origins or ()), active=row.active,
        limit_reader=row.limit_reader, limit_site=row.limit_site,
    )
    with _lock:
        if len(_cache) > 10_000:  # keys are attacker-chosen: keep the cache bounded
            _cache.clear()
        _cache[key] = (now + TTL, info)
    return info


def forget(key: str | None = None) -> None:
    """Drop one site (or all) from this process's cache, after an edit."""
    with _lock:
        if key is None:
            _cache.clear()
        else:
            _cache.pop(key, None)
