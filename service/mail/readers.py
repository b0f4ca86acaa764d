"""Mail to readers: one thank-you when their report is fixed, and a way out of it.

A reader's address is kept only because they asked to hear about the fix; unsubscribing
therefore erases it from every report they sent, and from the outbox.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service.i18n import normalise_language
from service.mail.messages import enqueue, link, render
from service.mail.tokens import unsubscribe_token
from service.models import Correction, OutboxMail, Report, utcnow

# "reader_thanks" speaks the reader's language; the other two names are rows an older
# release may have left in the outbox.
READER_TEMPLATES = ("reader_thanks", "reader_thanks_en", "reader_thanks_ru")


def reader_lang(report: Report, default: str = "en") -> str:
    """One of our languages: the page's the report came from, else the site's default,
    else English."""
    return normalise_language(report.lang) or normalise_language(default) or "en"


def unsubscribe_url(email: str) -> str:
    return link("mail.unsubscribe", token=unsubscribe_token(email))


def queue_thanks(session: Session, correction: Correction) -> int:
    """Write a thank-you for every reader of ``correction`` who asked for one and hasn't
    had it. One mail per address, however many times that reader reported the spot.

    The mail is due after ERRATA_MAIL_THANKS_DELAY_SECONDS: reopening within that time
    withdraws it (:func:`cancel_thanks`), so a mis-click never tells a reader "fixed".
    """
    site = correction.site
    reply_to = site.notify_emails[0] if site.notify_emails else None
    now = utcnow()
    due = now + timedelta(seconds=current_app.config["ERRATA_MAIL_THANKS_DELAY_SECONDS"])
    by_address: dict[str, list[Report]] = {}
    for report in correction.reports:
        if report.notify and report.email and report.thanked_at is None:
            by_address.setdefault(report.email.strip().lower(), []).append(report)
    for address, reports in by_address.items():
        first = reports[0]
        lang = reader_lang(first, site.default_lang)
        message = render(
            "reader_thanks", address, reply_to=reply_to, language=lang,
            unsubscribe_url=unsubscribe_url(address),
            site=site, correction=correction, report=first,
            # What the editor says was published; never the reader's guess.
            fix=correction.applied_fix,
        )
        enqueue(session, message, due=due).correction_id = correction.id
        for report in reports:
            report.thanked_at = now
    return len(by_address)


def _pending_thanks(session: Session, correction: Correction, *,
                    lock: bool = False) -> list[OutboxMail]:
    """The thank-yous for ``correction`` still waiting in the outbox (their undo window)."""
    stmt = (select(OutboxMail)
            .where(OutboxMail.correction_id == correction.id, OutboxMail.status == "pending",
                   OutboxMail.template.in_(READER_TEMPLATES)))
    if lock:
        # A sender claiming one of these right now either wins (the row is no longer
        # pending when we look again) or waits for us.
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def pending_thanks(session: Session, correction: Correction) -> int:
    """How many readers' thank-yous for ``correction`` can still be withdrawn."""
    return len(_pending_thanks(session, correction))


def cancel_thanks(session: Session, correction: Correction) -> int:
    """A fix undone before its thank-yous left: withdraw them, so the next fix thanks again.
    Mail already being sent or sent stays sent. Returns how many were withdrawn."""
    withdrawn = set()
    for row in _pending_thanks(session, correction, lock=True):
        withdrawn.add(row.recipient)
        session.delete(row)
    for report in correction.reports:
        if report.email and report.email.strip().lower() in withdrawn:
            report.thanked_at = None
    return len(withdrawn)


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
