"""Storing a reader's report: group it with repeats or open a new correction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.ingest.grouping import best_match, find_candidates, lock_page
from service.ingest.links import jump_link
from service.ingest.validation import ReportInput
from service.models import Correction, Event, Report, Site, Status, utcnow

_LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_SPAM_WORDS = re.compile(
    r"\b(viagra|cialis|casino|porn|crypto ?airdrop|betting|loan offer|seo services)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Outcome:
    report: Report
    correction: Correction
    created: bool  # a new correction was opened


def looks_like_spam(data: ReportInput) -> bool:
    """Two or more links in the comment or suggestion, or the usual spam vocabulary."""
    text = f"{data.comment} {data.suggestion}"
    return len(_LINK.findall(text)) >= 2 or bool(_SPAM_WORDS.search(text))


def submit_report(
    session: Session,
    site: Site,
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
    lock_page(session, site.id, data.group_url)
    spam = looks_like_spam(data)
    match = None if spam else best_match(
        find_candidates(session, site.id, data.group_url), data.exact, data.prefix, data.suffix
    )
    created = match is None
    if match is None:
        status = Status.SPAM.value if spam else Status.NEW.value
        correction = Correction(
            site_id=site.id,
            url=data.group_url,
            title=data.title,
            exact=data.exact,
            prefix=data.prefix,
            suffix=data.suffix,
            suggestion=data.suggestion,
            link=jump_link(data.url, data.exact, data.prefix, data.suffix),
            lang=data.lang,
            kind=data.kind,
            status=status,
            report_count=1,
            first_reported_at=now,
            last_reported_at=now,
            # Spam is never announced to editors.
            notified_at=now if spam else None,
        )
        session.add(correction)
        session.flush()
        if spam:
            session.add(Event(correction_id=correction.id, action="auto_spam",
                              from_status=None, to_status=status,
                              note="Marked as spam on arrival (links or spam words)."))
    else:
        correction = match
        correction.report_count += 1
        correction.last_reported_at = now
        if not correction.suggestion and data.suggestion:
            correction.suggestion = data.suggestion
        if data.title and not correction.title:
            correction.title = data.title
    report = Report(
        correction_id=correction.id,
        site_id=site.id,
        url=data.url,
        origin=origin,
        title=data.title,
        lang=data.lang,
        exact=data.exact,
        prefix=data.prefix,
        suffix=data.suffix,
        start=data.start,
        end=data.end,
        kind=data.kind,
        suggestion=data.suggestion,
        comment=data.comment,
        email=data.email,
        notify=data.notify,
        ip_hash=ip_hash,
        user_agent=(user_agent or "")[:400] or None,
        client=data.client,
        elapsed_ms=data.elapsed_ms,
        created_at=now,
    )
    session.add(report)
    session.flush()
    return Outcome(report=report, correction=correction, created=created)
