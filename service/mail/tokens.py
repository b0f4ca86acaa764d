"""Signed links that need no login: unsubscribing, invitations and password resets.

Tokens are signed with ``SECRET_KEY`` (itsdangerous) and carry only what they must.
Invitation and reset tokens are one-time: they embed a fingerprint of the editor's current
password hash, so the moment a password is set with one, that token (and every other
outstanding one) stops working. They also expire.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from service.i18n import _
from service.models import Editor

INVITE_MAX_AGE = 7 * 24 * 3600  # an invitation may wait over a holiday
RESET_MAX_AGE = 2 * 3600  # a reset link is used right away or not at all
MAX_AGES = {"invite": INVITE_MAX_AGE, "reset": RESET_MAX_AGE}


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def unsubscribe_token(email: str) -> str:
    """Never expires: an unsubscribe link in an old mail must still work."""
    return URLSafeSerializer(_secret(), salt="errata.unsubscribe").dumps(email.strip().lower())


def read_unsubscribe_token(token: str) -> str | None:
    try:
        email = URLSafeSerializer(_secret(), salt="errata.unsubscribe").loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) and "@" in email else None


def notify_stop_token(email: str, site_id: int | None) -> str:
    """For editors' notification mail: stop it for this address (``site_id``: the site the
    mail was about; None for a digest). Never expires either."""
    return URLSafeSerializer(_secret(), salt="errata.notify-stop").dumps(
        {"e": email.strip().lower(), "s": site_id})


def read_notify_stop_token(token: str) -> tuple[str, int | None] | None:
    try:
        data = URLSafeSerializer(_secret(), salt="errata.notify-stop").loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or "@" not in str(data.get("e", "")):
        return None
    site_id = data.get("s")
    return str(data["e"]), site_id if isinstance(site_id, int) else None


def _fingerprint(password_hash: str) -> str:
    digest = hmac.new(_secret().encode(), password_hash.encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def account_token(editor: Editor, purpose: str) -> str:
    """A link token for ``purpose`` (invite / reset), valid until used or expired."""
    serializer = URLSafeTimedSerializer(_secret(), salt=f"errata.{purpose}")
    return serializer.dumps({"id": editor.id, "pw": _fingerprint(editor.password_hash or "")})


class TokenProblem(Exception):
    """Why a link can't be used, as a sentence for the person who clicked it."""


def read_account_token(session: Session, token: str, purpose: str) -> Editor:
    serializer = URLSafeTimedSerializer(_secret(), salt=f"errata.{purpose}")
    try:
        data = serializer.loads(token, max_age=MAX_AGES[purpose])
    except SignatureExpired as exc:
        raise TokenProblem(_("This link has expired.")) from exc
    except BadSignature as exc:
        raise TokenProblem(_("This link is not valid; it may have been cut off.")) from exc
    editor = session.get(Editor, data.get("id")) if isinstance(data, dict) else None
    if editor is None or not editor.active:
        raise TokenProblem(_("This link is no longer valid."))
    if not hmac.compare_digest(str(data.get("pw", "")),
                               _fingerprint(editor.password_hash or "")):
        raise TokenProblem(_("This link has already been used."))
    return editor
