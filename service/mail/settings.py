"""The mail feature's tunables: app config first, then the environment, then a default.

They live here rather than in ``service/config.py`` so the whole feature stays in one
folder; each is documented in ``docs/mail.md``.
"""

from __future__ import annotations

import os

from flask import current_app

DEFAULTS: dict[str, int] = {
    # At most one notification per recipient per site in this many minutes.
    "ERRATA_MAIL_WINDOW_MINUTES": 10,
    # A burst of reports is mailed once it has been quiet this long (never later than the window).
    "ERRATA_MAIL_SETTLE_SECONDS": 60,
    # A reader's thank-you waits this long, so an editor's mis-click on "Fixed" can be undone.
    "ERRATA_MAIL_THANKS_DELAY_SECONDS": 120,
    # Sent mail is kept this long (the Outbox counts), then deleted: it holds reader addresses.
    "ERRATA_MAIL_KEEP_DAYS": 30,
    # Delivery: attempts before a mail is marked failed, first retry delay (doubling), its cap.
    "ERRATA_MAIL_MAX_ATTEMPTS": 10,
    "ERRATA_MAIL_RETRY_SECONDS": 60,
    "ERRATA_MAIL_RETRY_MAX_SECONDS": 3600,
    # A claim older than this belongs to a sender that died; the rows are handed out again.
    "ERRATA_MAIL_LEASE_SECONDS": 600,
    # Rows claimed per round trip, SMTP socket timeout, corrections listed in one mail.
    "ERRATA_MAIL_BATCH": 50,
    "ERRATA_MAIL_TIMEOUT_SECONDS": 30,
    "ERRATA_MAIL_LIST_LIMIT": 100,
}


def setting(name: str) -> int:
    """An integer tunable. A bad environment value names the variable."""
    value = current_app.config.get(name)
    if value is None or value == "":
        raw = os.environ.get(name, "")
        if raw == "":
            return DEFAULTS[name]
        try:
            return int(raw)
        except ValueError as exc:
            raise RuntimeError(f"{name}={raw!r} is not a whole number") from exc
    return int(value)
