"""Events for channels: written to the outbox in the transaction of their cause, batched
for chat channels by the sender, like editor mail.

- ``correction.created``: a reader's report opened a correction (not spam);
- ``correction.status_changed``: an editor, the API or a page check changed its status.

Each event gets a random id that stays with it across retries. A webhook gets one outbox
row per event, due at once. For Slack and Telegram the event waits in the outbox as
``held``; :func:`collect_batches` (run by ``errata mail send``) turns a channel's held
events into one message when the burst has settled and the channel's window has passed
(``ERRATA_MAIL_SETTLE_SECONDS``, ``ERRATA_MAIL_WINDOW_MINUTES``, as for mail).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from service.api.serialize import correction_json, iso
from service.channels.core import label
from service.channels.messages import chat_message
from service.i18n import speaking
from service.mail.notify import exclusive
from service.models import Channel, Correction, OutboxMail, Site, Status, utcnow

CREATED = "correction.created"
STATUS_CHANGED = "correction.status_changed"


def envelope(event_id: str, kind: str, when: datetime,
             correction: dict[str, Any] | None) -> str:
    """A webhook's body, exactly as it is sent and signed."""
    return json.dumps({"id": event_id, "type": kind, "created_at": iso(when),
                       "correction": correction}, ensure_ascii=False, separators=(",", ":"))


def _emit(session: Session, channels: Iterable[Channel], kind: str,
          correction: Correction) -> None:
    now = utcnow()
    event_id = str(uuid.uuid4())
    body = envelope(event_id, kind, now, correction_json(correction))
    for channel in channels:
        session.add(OutboxMail(
            channel_id=channel.id, event_id=event_id, template=channel.kind,
            recipient=label(channel)[:254], subject=f"{kind} #{correction.id}",
            body_text=body, body_html="", headers={},
            status="pending" if channel.kind == "webhook" else "held",
            attempts=0, next_attempt_at=now, created_at=now))


def status_changed(session: Session, correction: Correction, old: str, new: str) -> None:
    """Called (same transaction) whenever a correction's status changes."""
    channels = session.scalars(select(Channel).where(Channel.site_id == correction.site_id))
    _emit(session, list(channels), STATUS_CHANGED, correction)


def corrections_created(session: Session, ids: Iterable[tuple[int, int]]) -> None:
    """Called by ingest (same transaction) with (site id, correction id) of each correction
    the batch opened. One query when no site of them has a channel."""
    by_site: dict[int, list[int]] = defaultdict(list)
    for site_id, correction_id in ids:
        by_site[site_id].append(correction_id)
    if not by_site:
        return
    channels: dict[int, list[Channel]] = defaultdict(list)
    for channel in session.scalars(select(Channel).where(Channel.site_id.in_(sorted(by_site)))):
        channels[channel.site_id].append(channel)
    if not channels:
        return
    wanted = [cid for site_id in channels for cid in by_site[site_id]]
    corrections = session.scalars(select(Correction).options(joinedload(Correction.site))
                                  .where(Correction.id.in_(wanted)).order_by(Correction.id))
    for correction in corrections:
        if correction.status != Status.SPAM.value:
            _emit(session, channels[correction.site_id], CREATED, correction)


def collect_batches(session: Session, now: datetime) -> int:
    """Turn held chat events into one message per channel when due; returns how many
    messages were written. Commits."""
    window = timedelta(minutes=current_app.config["ERRATA_MAIL_WINDOW_MINUTES"])
    settle = timedelta(seconds=current_app.config["ERRATA_MAIL_SETTLE_SECONDS"])
    exclusive(session, "errata.channels.collect")
    channel_ids = list(session.scalars(
        select(OutboxMail.channel_id).where(OutboxMail.status == "held").distinct()))
    written = 0
    for channel_id in sorted(i for i in channel_ids if i is not None):
        channel = session.get(Channel, channel_id)
        if channel is None:
            continue
        held = list(session.scalars(select(OutboxMail).where(
            OutboxMail.channel_id == channel_id, OutboxMail.status == "held",
            OutboxMail.created_at <= now).order_by(OutboxMail.id)))
        if not held:
            continue
        newest = max(r.created_at for r in held)
        oldest = min(r.created_at for r in held)
        if now - newest < settle and now - oldest < window:
            continue  # still arriving: wait for the burst to settle
        if channel.last_sent_at is not None and now - channel.last_sent_at < window:
            continue  # this channel had a message within the window: hold the batch
        site = session.get(Site, channel.site_id)
        events = [json.loads(r.body_text) for r in held]
        with speaking(site.default_lang if site is not None else None):
            subject, body = chat_message(channel.kind, site, events)
        session.add(OutboxMail(
            channel_id=channel.id, event_id=str(uuid.uuid4()), template=channel.kind,
            recipient=label(channel)[:254], subject=subject[:300], body_text=body,
            body_html="", headers={}, status="pending", attempts=0, next_attempt_at=now,
            created_at=now))
        session.execute(delete(OutboxMail).where(OutboxMail.id.in_([r.id for r in held]))
                        .execution_options(synchronize_session=False))
        channel.last_sent_at = now
        written += 1
    session.commit()
    return written


def test_message(channel: Channel, site: Site) -> str:
    """The body of "send a test message" for ``channel``."""
    if channel.kind == "webhook":
        return envelope(str(uuid.uuid4()), "test", utcnow(), None)
    with speaking(site.default_lang):
        return chat_message(channel.kind, site, [], test=True)[1]
