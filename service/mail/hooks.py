"""Where the rest of Errata tells the mail feature that something happened.

Each hook only writes outbox rows in the caller's session, so a mail exists if and only if
its cause is committed; ``errata mail send`` delivers them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.models import Correction


def on_status_changed(session: Session, correction: Correction, old: str, new: str) -> None:
    """Called by the queue after an editor changes a correction's status (same transaction)."""
