"""Mail to readers: one thank-you when their report is fixed, and a way out of it.

A reader's address is kept only because they asked to hear about the fix; unsubscribing
therefore erases it from every report they sent, and from the outbox.
"""

from __future__ import annotations

from sqlalchemy import delete, func, update
from sqlalchemy.orm import Session

from service.mail.messages import enqueue, link, render
from service.mail.tokens import unsubscribe_token
from service.models import Correction, OutboxMail, Report, utcnow

READER_TEMPLATES = ("reader_thanks_en", "reader_thanks_ru")


def reader_lang(report: Report, default: str = "en") -> str:
    """``ru`` or ``en``: the language of the page the report came from."""
    lang = (report.lang or default or "en").lower()
    return "ru" if lang.startswith("ru") else "en"


def unsubscribe_url(email: str) -> str:
    return link("mail.unsubscribe", token=unsubscribe_token(email))


def queue_thanks(session: Session, correction: Correction) -> int:
    """Write a thank-you for every reader of ``correction`` who asked for one and hasn't
    had it. One mail per address, however many times that reader reported the spot."""
    site = correction.site
    reply_to = site.notify_emails[0] if site.notify_emails else None
    now = utcnow()
    by_address: dict[str, list[Report]] = {}
    for report in correction.reports:
        if report.notify and report.email and report.thanked_at is None:
            by_address.setdefault(report.email.strip().lower(), []).append(report)
    for address, reports in by_address.items():
        first = reports[0]
        lang = reader_lang(first, site.default_lang)
        message = render(
            f"reader_thanks_{lang}", address, reply_to=reply_to,
            unsubscribe_url=unsubscribe_url(address),
            site=site, correction=correction, report=first,
            fix=correction.suggestion or first.suggestion, html_lang=lang,
        )
        enqueue(session, message)
        for report in reports:
            report.thanked_at = now
    return len(by_address)


def unsubscribe(session: Session, email: str) -> int:
    """Stop all mail to a reader: erase the address from their reports and from the outbox.
    Returns how many reports held it. The caller commits."""
    address = email.strip().lower()
    result = session.execute(
        update(Report)
        .where(func.lower(Report.email) == address)
        .values(email=None, notify=False)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(OutboxMail)
        .where(func.lower(OutboxMail.recipient) == address,
               OutboxMail.template.in_(READER_TEMPLATES))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
