"""What we keep about readers, and how little of it (see docs/privacy.md).

IPs only as a salted hash; emails only with consent; and after ``ERRATA_PURGE_DAYS`` (or
``errata purge --older-than``) not even those: :func:`purge_reader_data`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import datetime, timedelta

from flask import Flask, current_app, request
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from service.mail.sender import purge_mail
from service.models import Report, utcnow
from service.network import reader_network


def _hash(value: str) -> str:
    salt = current_app.config["ERRATA_IP_SALT"].encode()
    return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:32]


def ip_hash(ip: str | None = None) -> str:
    """A salted hash of the reader (:func:`reader_network` of the IP): enough to rate-limit
    and block, never the address.

    The salt lives in the instance config (``ERRATA_IP_SALT``); rotating it unlinks every
    stored hash from future ones.
    """
    ip = ip if ip is not None else (request.remote_addr or "")
    return _hash(reader_network(ip))


def ip_hashes(ip: str | None = None) -> tuple[str, ...]:
    """Every hash a block of this reader may be stored under: :func:`ip_hash`, and for an
    IPv6 reader also the hash of the full address, which blocks set before readers were
    keyed by /64 hold."""
    ip = ip if ip is not None else (request.remote_addr or "")
    keyed = ip_hash(ip)
    legacy = _hash(ip)
    return (keyed,) if legacy == keyed else (keyed, legacy)


# -- purging old reports ----------------------------------------------------------------------

_AGE = re.compile(r"^\s*(\d{1,5})\s*([dhw]?)\s*$", re.IGNORECASE)
_UNITS = {"": "days", "d": "days", "h": "hours", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``"90d"``, ``"12w"``, ``"36h"`` or a plain number of days, as a timedelta."""
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not an age like 90d, 12w or 36h")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def purge_reader_data(session: Session, older_than: timedelta) -> int:
    """Forget the reader behind every report older than ``older_than``.

    Their email (and with it the promise to tell them about the fix), IP hash and user
    agent are set to NULL; the report itself, its quote and suggestion, the correction and
    its count stay, so the queue and the figures are unchanged. Returns how many reports
    were changed. The caller commits.
    """
    cutoff = utcnow() - older_than
    result = session.execute(
        update(Report)
        .where(Report.created_at < cutoff)
        .where(or_(Report.email.is_not(None), Report.ip_hash.is_not(None),
                   Report.user_agent.is_not(None), Report.notify.is_(True)))
        .values(email=None, notify=False, ip_hash=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def purge_if_due(session: Session, app: Flask, now: datetime | None = None) -> int | None:
    """Run :func:`purge_reader_data` at most once a day, if ``ERRATA_PURGE_DAYS`` is set.

    For the mail sender loop (``errata mail send --loop``): call it on every pass; it does
    the work once per UTC day per process and returns the number of reports purged, or
    None when it was not due (or purging is off). Several senders purging the same day is
    harmless: the second finds nothing left to change. Commits its own work. ``now`` is the
    time that says which day it is (the clock's by default).
    """
    days = app.config["ERRATA_PURGE_DAYS"]
    if days <= 0:
        return None
    today = (now or utcnow()).date()
    if app.extensions.get("errata_purged_on") == today:
        return None
    purged = purge_reader_data(session, timedelta(days=days))
    purge_mail(session, utcnow() - timedelta(days=days), ("sent", "failed"))
    session.commit()
    app.extensions["errata_purged_on"] = today
    logging.getLogger(__name__).info(
        "purged reader data from %d reports older than %d days", purged, days)
    return purged
