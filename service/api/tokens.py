"""API tokens: one site each, shown once, stored as a SHA-256 hash, revocable.

A token is 32 random bytes (``errata_`` + URL-safe base64), so a fast hash is as safe as a
slow one and lets each request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import FieldErrors
from service.i18n import _, ngettext
from service.models import ApiToken, Editor, Site, utcnow
from service.sanitize import clean_text

PREFIX = "errata_"
MAX_NAME = 100
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, site: Site, name: str,
                 created_by: Editor | None = None) -> tuple[ApiToken, str]:
    """A new token for ``site``; returns it and the secret, which is never stored."""
    name = clean_text(name or "")
    if not name:
        raise FieldErrors({"name": _("is required")})
    if len(name) > MAX_NAME:
        raise FieldErrors({"name": ngettext("must be at most %(num)d character",
                                            "must be at most %(num)d characters", MAX_NAME)})
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(site_id=site.id, name=name, token_hash=token_hash(raw),
                     hint=raw[:len(PREFIX) + 4], created_by_id=created_by.id if created_by
                     else None, created_at=utcnow())
    session.add(token)
    session.flush()
    return token, raw


def site_tokens(session: Session, site_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.site_id == site_id)
                                .order_by(ApiToken.id)))


def revoke(session: Session, token_id: int, site_id: int | None = None) -> ApiToken | None:
    """Delete a token (of ``site_id`` when given); the revoked token, or None if not found."""
    token = session.get(ApiToken, token_id)
    if token is None or (site_id is not None and token.site_id != site_id):
        return None
    session.delete(token)
    session.flush()
    return token


def authenticate(session: Session, raw: str) -> ApiToken | None:
    """The token ``raw`` names, its last use recorded; None for anything else. Commits."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
        session.commit()
    return token
