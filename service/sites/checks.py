"""What the site pages show an admin: open corrections, and whether the snippet is live.

Plain functions over the session, so the numbers are tested without HTTP.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.counters import totals
from service.i18n import lazy_gettext
from service.models import OPEN_STATUSES, Correction, Report, utcnow

CHECK_DAYS = 7
# Counter names (service/counters.py, bumped by ingest) and what they mean to an admin.
TURNED_AWAY = (
    ("honeypot", lazy_gettext("Caught by the hidden field (bots)")),
    ("too_fast", lazy_gettext("Sent faster than a person can (bots)")),
    ("rate_limited", lazy_gettext("Refused by the rate limits")),
    ("blocked", lazy_gettext("From a blocked reader or origin")),
)


def open_counts(session: Session) -> dict[int, int]:
    """Open corrections (new + in progress) per site id."""
    rows = session.execute(
        select(Correction.site_id, func.count())
        .where(Correction.status.in_(OPEN_STATUSES))
        .group_by(Correction.site_id)
    )
    return {site_id: count for site_id, count in rows}


def recent_reports(session: Session, site_id: int,
                   days: int = CHECK_DAYS) -> list[tuple[str, int, datetime]]:
    """(origin, reports, last report time) over the last ``days`` days, busiest first."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(Report.origin, func.count(), func.max(Report.created_at))
        .where(Report.site_id == site_id, Report.created_at >= since)
        .group_by(Report.origin)
        .order_by(func.count().desc(), Report.origin)
    )
    # max() keeps the column's type, so the time comes back timezone-aware on every backend.
    return [(origin, count, last) for origin, count, last in rows]


def turned_away(session: Session, site_id: int, days: int = CHECK_DAYS) -> list[tuple[str, int]]:
    """(label, count) of reports discarded or refused in the last ``days`` days (counted daily,
    so the window is today and the ``days - 1`` days before)."""
    since_day = (utcnow() - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    counts = totals(session, site_id, since_day)
    return [(label, counts.get(name, 0)) for name, label in TURNED_AWAY]
