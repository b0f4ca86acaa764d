"""A per-process cache of the few site facts ingest needs on every report.

A news site can send hundreds of reports a minute; looking its row up each time costs a
query per report for data that changes a few times a year. Entries live
``ERRATA_SITE_CACHE_SECONDS``, so an edit made on another process or host takes effect within
that time; edits in this process call :func:`forget` and take effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.caches import TTLCache, app_cache
from service.models import Site


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


def _cache() -> TTLCache[SiteInfo | None]:
    return app_cache("errata_sites", current_app.config["ERRATA_SITE_CACHE_SECONDS"])


def _load(session: Session, key: str) -> SiteInfo | None:
    row = session.execute(
        select(Site.id, Site.key, Site.origins, Site.active, Site.limit_reader, Site.limit_site)
        .where(Site.key == key)
    ).first()
    return None if row is None else SiteInfo(
        id=row.id, key=row.key, origins=frozenset(row.origins or ()), active=row.active,
        limit_reader=row.limit_reader, limit_site=row.limit_site,
    )


def get_site(session: Session, key: str) -> SiteInfo | None:
    """The site with this key (None if there is none), from the cache when fresh."""
    return _cache().get(key, lambda: _load(session, key))


def forget(key: str) -> None:
    """Drop one site from this process's cache, after an edit."""
    _cache().forget(key)
