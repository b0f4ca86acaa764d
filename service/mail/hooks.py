"""Where the rest of Errata tells the mail feature that something happened.

Each hook only writes outbox rows in the caller's session, so a mail exists if and only if
its cause is committed; ``errata mail send`` delivers them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.mail.readers import cancel_thanks, queue_thanks
from service.models import Correction, Status


def on_status_changed(session: Session, correction: Correction, old: str, new: str) -> None:
    """Called by the queue after an editor changes a correction's status (same transaction).

    Marking a correction fixed thanks the readers who asked to be told, once. The thank-you
    waits a couple of minutes: reopening in that time withdraws it (an undone mis-click);
    after it has gone, reopening and fixing again sends nothing more. "Not an error" and spam
    send nothing. Every change is an event for the site's channels (webhooks, chats).
    """
    from service.channels.events import status_changed

    status_changed(session, correction, old, new)
    fixed = Status.FIXED.value
    if new == fixed and old != fixed:
        queue_thanks(session, correction)
    elif old == fixed and new != fixed:
        cancel_thanks(session, correction)
