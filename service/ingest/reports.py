"""Storing a reader's report: group it with repeats or open a new correction.

This is the hot path of the public endpoint, so it uses Core statements (a handful of
columns, no identity map) rather than ORM objects; the queue uses the ORM models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from service.ingest.grouping import GROUPABLE, best_match, lock_page
from service.ingest.links import jump_link
from service.ingest.validation import ReportInput
from service.models import Correction, Event, Report, Status, utcnow

_LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_SPAM_WORDS = re.compile(
    r"\b(viagra|cialis|casino|porn|crypto ?airdrop|betting|loan offer|seo services)\b",
    re.IGNORECASE,
)
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Outcome:
    report_id: int
    correction_id: int
    created: bool  # a new correction was opened
    count: int  # reports on the correction, this one included
    status: str  # the correction's status


def looks_like_spam(data: ReportInput) -> bool:
    """Two or more links in the comment or suggestion, or the usual spam vocabulary."""
    text = f"{data.comment} {data.suggestion}"
    return len(_LINK.findall(text)) >= 2 or bool(_SPAM_WORDS.search(text))


def _candidates(session: Session, site_id: int, url: str):
    c = Correction.__table__.c
    return session.execute(
        select(c.id, c.exact, c.prefix, c.suffix, c.status, c.last_reported_at,
               c.report_count, c.suggestion, c.title)
        .where(c.site_id == site_id, c.url == url, c.status.in_(GROUPABLE))
        .order_by(c.last_reported_at.desc())
        .limit(MAX_CANDIDATES)
    ).all()


def submit_report(
    session: Session,
    site_id: int,
    data: ReportInput,
    *,
    origin: str,
    ip_hash: str | None,
    user_agent: str | None,
) -> Outcome:
    """Store ``data`` as a report, grouped into an existing correction or a new one.

    The caller commits. The page is locked for the rest of the transaction, so two readers
    reporting the same spot at once end up in one correction.
    """
    now = utcnow()
    lock_page(session, site_id, data.group_url)
    spam = looks_like_spam(data)
    match = None if spam else best_match(
        _candidates(session, site_id, data.group_url), data.exact, data.prefix, data.suffix
    )
    corrections = Correction.__table__
    if match is None:
        status = Status.SPAM.value if spam else Status.NEW.value
        correction_id = session.execute(
            insert(corrections).returning(corrections.c.id),
            dict(
                site_id=site_id, url=data.group_url, title=data.title, exact=data.exact,
                prefix=data.prefix, suffix=data.suffix, suggestion=data.suggestion,
                link=jump_link(data.url, data.exact, data.prefix, data.suffix),
                lang=data.lang, kind=data.kind, status=status, report_count=1,
                first_reported_at=now, last_reported_at=now, resolution_note="",
                # Spam is never announced to editors.
                notified_at=now if spam else None,
            ),
        ).scalar_one()
        count = 1
        if spam:
            session.execute(insert(Event.__table__), dict(
                correction_id=correction_id, action="auto_spam", to_status=status,
                note="Marked as spam on arrival (links or spam words).", created_at=now))
    else:
        correction_id, status, count = match.id, match.status, match.report_count + 1
        changes = {"report_count": corrections.c.report_count + 1, "last_reported_at": now}
        if not match.suggestion and data.suggestion:
            changes["suggestion"] = data.suggestion
        if data.title and not match.title:
            changes["title"] = data.title
        session.execute(update(corrections).where(corrections.c.id == match.id).values(changes))
    reports = Report.__table__
    report_id = session.execute(
        insert(reports).returning(reports.c.id),
        dict(
            correction_id=correction_id, site_id=site_id, url=data.url, origin=origin,
            title=data.title, lang=data.lang, exact=data.exact, prefix=data.prefix,
            suffix=data.suffix, start=data.start, end=data.end, kind=data.kind,
            suggestion=data.suggestion, comment=data.comment, email=data.email,
            notify=data.notify, ip_hash=ip_hash, user_agent=(user_agent or "")[:400] or None,
            client=data.client, elapsed_ms=data.elapsed_ms, created_at=now,
        ),
    ).scalar_one()
    return Outcome(report_id=report_id, correction_id=correction_id, created=match is None,
                   count=count, status=status)
