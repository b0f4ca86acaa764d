"""The public corrections log of a site (opt-in): what was fixed, in words an editor stands
behind.

Only corrections marked fixed. Each entry says what was published: the applied fix the
editor recorded or, where none was, the quote and the suggestion the editor accepted by
marking it fixed. The article is named by its title as its own page gives it (recorded by
a page check, service/pagecheck/title.py), or else by its link alone: the title a reader's
browser sent is not used (nothing a reader typed is published unreviewed). Never a
reader's name, address or comment, never anything marked not an error or spam.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Correction, Site, Status

PAGE_SIZE = 50
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Entry:
    id: int
    url: str
    title: str  # the page's own title from a page check, or "" (then the link stands alone)
    exact: str
    fix: str  # the applied fix, or the accepted suggestion ("" when neither)
    recorded: bool  # the fix is the one the editor recorded on "Fixed"
    fixed_at: datetime


@dataclass(frozen=True)
class LogPage:
    site: Site
    entries: list[Entry]
    page: int
    pages: int
    total: int
    updated: datetime | None


def public_site(session: Session, key: str) -> Site | None:
    site = session.scalar(select(Site).where(Site.key == key))
    return site if site is not None and site.public_log else None


def log_page(session: Session, site: Site, page: int) -> LogPage:
    fixed = (Correction.site_id == site.id, Correction.status == Status.FIXED.value)
    total, updated = session.execute(
        select(func.count(), func.max(Correction.resolved_at)).where(*fixed)).one()
    rows = session.scalars(
        select(Correction).where(*fixed)
        .order_by(Correction.resolved_at.desc(), Correction.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    entries = [Entry(id=c.id, url=c.url, title=c.page_title or "", exact=c.exact,
                     fix=c.applied_fix or c.suggestion or "", recorded=bool(c.applied_fix),
                     fixed_at=c.resolved_at or c.last_reported_at) for c in rows]
    return LogPage(site=site, entries=entries, page=page,
                   pages=max(1, -(-int(total) // PAGE_SIZE)), total=int(total), updated=updated)
