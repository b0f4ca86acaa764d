"""Telling editors about new corrections, without flooding them.

``collect_new`` turns corrections that editors haven't been told about (``notified_at`` NULL)
into at most one mail per recipient per site per window, listing every one of them; the
mails, the window cursors and ``notified_at`` are written in one transaction, so a
correction is announced exactly once even if the sender dies or two senders run. A burst
(fifty readers on one popular article) is mailed once it has settled for a minute, and
never later than the window.

``collect_digests`` writes the daily digest for editors who chose it, at their hour in their
own time zone. Every mail speaks its recipient's language: an editor's own, else the site's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytz
from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from service.extensions import begin_write
from service.i18n import _, valid_time_zone
from service.mail.messages import absolute, enqueue, link, render
from service.mail.tokens import notify_stop_token
from service.models import OPEN_STATUSES, Correction, Editor, MailCursor, Site

IMMEDIATE = "immediate"
DIGEST = "digest"


@dataclass(frozen=True)
class SiteSection:
    """One site's part of a mail: what to list, how many more there are, the queue link."""

    site: Site
    items: list[Correction]
    more: int
    open_count: int
    queue_url: str


def stop_url(recipient: str, site_id: int | None) -> str:
    return link("mail.stop_notifications", token=notify_stop_token(recipient, site_id))


def stop_notifications(session: Session, email: str, site_id: int | None) -> list[str]:
    """One click from a notification mail: no more of them for this address. An editor's
    own choice becomes "off" (they can turn it back on in their settings); an address on
    the site's notification list is taken off it. Returns what was done, as sentences."""
    address = email.strip().lower()
    done: list[str] = []
    editor = session.scalar(select(Editor).where(func.lower(Editor.email) == address))
    if editor is not None and editor.notify_mode != "off":
        editor.notify_mode = "off"
        done.append(_("Your Errata settings now say: never mail me about new reports."))
    sites = ([session.get(Site, site_id)] if site_id is not None
             else list(session.scalars(select(Site))))
    for site in sites:
        if site is not None and address in [a.strip().lower() for a in site.notify_emails]:
            site.notify_emails = [a for a in site.notify_emails if a.strip().lower() != address]
            done.append(_("The address is no longer on the notification list of %(site)s.",
                          site=site.name))
    return done


def correction_url(correction: Correction) -> str:
    return absolute(f"/queue/{correction.id}")


def site_queue_url(site: Site) -> str:
    return absolute(f"/queue?site={site.id}")


def exclusive(session: Session, name: str) -> None:
    """Serialise collectors. PostgreSQL: a transaction advisory lock; SQLite: take the
    database write lock now (BEGIN IMMEDIATE) rather than on the first write."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})
    else:
        begin_write(session)


def _cursor(session: Session, recipient: str, site_id: int, kind: str) -> MailCursor | None:
    return session.scalar(select(MailCursor).where(
        MailCursor.recipient == recipient, MailCursor.site_id == site_id, MailCursor.kind == kind))


def _advance(session: Session, recipient: str, site_id: int, kind: str, now: datetime,
             last_id: int) -> None:
    cursor = _cursor(session, recipient, site_id, kind)
    if cursor is None:
        session.add(MailCursor(recipient=recipient, site_id=site_id, kind=kind,
                               last_sent_at=now, last_correction_id=last_id))
    else:
        cursor.last_sent_at = now
        cursor.last_correction_id = max(cursor.last_correction_id, last_id)


def immediate_recipients(session: Session, site: Site) -> list[str]:
    """The site's notification addresses and its editors who want mail as it happens."""
    addresses = [a.strip().lower() for a in site.notify_emails if a and a.strip()]
    addresses += [e.email.lower() for e in site.editors
                  if e.active and e.password_hash and e.notify_mode == IMMEDIATE]
    # An editor's own choice (digest, off) wins even where their address is a site address;
    # someone invited who has not accepted yet gets no reader text at all.
    opted_out = set(session.scalars(select(func.lower(Editor.email)).where(
        func.lower(Editor.email).in_(addresses),
        (Editor.notify_mode != IMMEDIATE) | (Editor.password_hash == ""))))
    return [a for a in dict.fromkeys(addresses) if a not in opted_out]


def _section(session: Session, site: Site, ids: list[int]) -> SiteSection:
    """The part of a mail for ``site``: the first ERRATA_MAIL_LIST_LIMIT of ``ids`` in full,
    the rest counted (a busy day must not become a megabyte mail)."""
    limit = current_app.config["ERRATA_MAIL_LIST_LIMIT"]
    items = list(session.scalars(
        select(Correction).where(Correction.id.in_(ids[:limit])).order_by(Correction.id)))
    open_count = session.scalar(select(func.count()).select_from(Correction).where(
        Correction.site_id == site.id, Correction.status.in_(OPEN_STATUSES))) or 0
    return SiteSection(site=site, items=items, more=max(0, len(ids) - len(items)),
                       open_count=open_count, queue_url=site_queue_url(site))


def _mark_notified(session: Session, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), 500):
        session.execute(
            update(Correction).where(Correction.id.in_(ids[start:start + 500]))
            # Telling editors is bookkeeping, not a change of the correction: keep updated_at.
            .values(notified_at=now, updated_at=Correction.updated_at)
            .execution_options(synchronize_session=False))


def collect_new(session: Session, now: datetime) -> int:
    """Write the due notification mails; returns how many. Commits.

    Only ids and statuses are read for the whole backlog, and exactly those ids are marked,
    so a correction committed meanwhile waits for the next round instead of being skipped.
    """
    window = timedelta(minutes=current_app.config["ERRATA_MAIL_WINDOW_MINUTES"])
    settle = timedelta(seconds=current_app.config["ERRATA_MAIL_SETTLE_SECONDS"])
    exclusive(session, "errata.mail.collect_new")
    site_ids = list(session.scalars(
        select(Correction.site_id).where(Correction.notified_at.is_(None)).distinct()))
    written = 0
    for site_id in site_ids:
        site = session.get(Site, site_id)
        if site is None:
            continue
        pending = session.execute(
            select(Correction.id, Correction.status, Correction.first_reported_at)
            .where(Correction.site_id == site_id, Correction.notified_at.is_(None),
                   Correction.first_reported_at <= now)
            .order_by(Correction.id)).all()
        if not pending:
            continue
        news = [row for row in pending if row.status in OPEN_STATUSES]
        recipients = immediate_recipients(session, site) if news else []
        if recipients:
            newest = max(row.first_reported_at for row in news)
            oldest = min(row.first_reported_at for row in news)
            if now - newest < settle and now - oldest < window:
                continue  # still arriving: wait for the burst to settle
            cursors = [_cursor(session, r, site_id, IMMEDIATE) for r in recipients]
            if any(c is not None and now - c.last_sent_at < window for c in cursors):
                continue  # someone here was mailed within the window: hold the batch
            section = _section(session, site, [row.id for row in news])
            editors = {e.email.lower(): e for e in session.scalars(
                select(Editor).where(func.lower(Editor.email).in_(recipients)))}
            for recipient in recipients:
                editor = editors.get(recipient)
                message = render("new_corrections", recipient, site=site, section=section,
                                 language=(editor.language if editor else "")
                                 or site.default_lang,
                                 timezone=editor.timezone if editor else None,
                                 count=len(news), correction_url=correction_url,
                                 unsubscribe_url=stop_url(recipient, site_id),
                                 settings_url=absolute("/account/settings"))
                enqueue(session, message, due=now)
                _advance(session, recipient, site_id, IMMEDIATE, now, pending[-1].id)
                written += 1
        # Closed before anyone was told (fixed, spam, not an error): nothing to announce.
        _mark_notified(session, [row.id for row in pending], now)
    session.commit()
    return written


def last_digest_time(now: datetime, hour: int, zone: str | None = None) -> datetime:
    """The most recent moment at ``hour``:00 in ``zone`` (UTC when unset) not after ``now``,
    in UTC. On a day whose clock skips that hour (daylight saving), the first moment after."""
    tz = pytz.timezone(zone) if zone and valid_time_zone(zone) else pytz.utc
    day = now.astimezone(tz).date()
    for back in (0, 1, 2):
        local = datetime.combine(day - timedelta(days=back), datetime.min.time())
        moment = tz.normalize(tz.localize(local.replace(hour=max(0, min(23, hour)))))
        moment = moment.astimezone(UTC)
        if moment <= now:
            return moment
    return moment  # unreachable: two days back is always in the past


def collect_digests(session: Session, now: datetime) -> int:
    """Write the daily digests that are due; returns how many. Commits.

    An editor's first digest comes at their next digest hour (no surprise mail the moment
    they switch); each digest lists the corrections opened since the previous one that are
    still open, one section per site.
    """
    exclusive(session, "errata.mail.collect_digests")
    editors = session.scalars(
        select(Editor).where(Editor.notify_mode == DIGEST, Editor.active.is_(True),
                             Editor.password_hash != "")  # invited, not yet accepted: none
        .order_by(Editor.id))
    written = 0
    for editor in editors:
        boundary = last_digest_time(now, editor.digest_hour, editor.timezone)
        recipient = editor.email.lower()
        sections: list[SiteSection] = []
        for site in editor.sites:
            cursor = _cursor(session, recipient, site.id, DIGEST)
            if cursor is None:
                _advance(session, recipient, site.id, DIGEST, boundary, 0)
                continue
            if cursor.last_sent_at >= boundary:
                continue
            ids = list(session.scalars(
                select(Correction.id)
                .where(Correction.site_id == site.id, Correction.status.in_(OPEN_STATUSES),
                       Correction.first_reported_at > cursor.last_sent_at,
                       Correction.first_reported_at <= now)
                .order_by(Correction.id)))
            _advance(session, recipient, site.id, DIGEST, now, max(ids, default=0))
            if ids:
                sections.append(_section(session, site, ids))
        if sections:
            message = render("digest", recipient, editor=editor, sections=sections,
                             language=editor.language, timezone=editor.timezone,
                             digest_time=f"{editor.digest_hour:02d}:00",
                             digest_zone=editor.timezone
                             or current_app.config["ERRATA_DEFAULT_TIMEZONE"],
                             count=sum(len(s.items) + s.more for s in sections),
                             correction_url=correction_url,
                             unsubscribe_url=stop_url(recipient, None),
                             settings_url=absolute("/account/settings"))
            enqueue(session, message, due=now)
            written += 1
    session.commit()
    return written
