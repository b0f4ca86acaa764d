"""Where the rest of Errata tells the mail feature that something happened.

Each hook only writes outbox rows in the caller's session, so a mail exists if and only if
its cause is committed; ``errata mail send`` delivers them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.mail.readers import queue_thanks
from service.models import Correction, Status


def on_status_changed(session: Session, correction: Correction, old: str, new: str) -> None:
    """Called by the queue after an editor changes a correction's status (same transaction).

    Marking a correction fixed thanks the readers who asked to be told (once: reopening and
    fixing again sends nothing more). "Not an error" and spam send nothing.
    """
    if new == Status.FIXED.value and old != Status.FIXED.value:
        queue_thanks(session, correction)
