"""One-time links by mail for editors' accounts: invitations and password resets.

A link's token is signed with ``SECRET_KEY`` (itsdangerous) and carries only the editor's id
and a keyed fingerprint of their current password hash, so the moment a password is set with
one, that token (and every other outstanding one) stops working. They also expire. The mail
feature only renders and sends the mails (templates/mail/invite/, password_reset/).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.core import create_editor, editor_by_email
from service.i18n import _
from service.mail.messages import enqueue, link, render
from service.models import Editor, OutboxMail, Site, utcnow
from service.signing import secret_key, timed_serializer

# Pages and mails say how long a link works: they read these (ngettext), never a number of
# their own (tests/test_accounts_links.py fails when a page and the constant disagree).
INVITE_DAYS = 7  # an invitation may wait over a holiday
RESET_HOURS = 2  # a reset link is used right away or not at all
INVITE_MAX_AGE = INVITE_DAYS * 24 * 3600
RESET_MAX_AGE = RESET_HOURS * 3600
MAX_AGES = {"invite": INVITE_MAX_AGE, "reset": RESET_MAX_AGE}
RESET_PAUSE = timedelta(minutes=5)


# -- the tokens --------------------------------------------------------------------------------

def _fingerprint(password_hash: str) -> str:
    digest = hmac.new(secret_key().encode(), password_hash.encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def account_token(editor: Editor, purpose: str) -> str:
    """A link token for ``purpose`` (invite / reset), valid until used or expired."""
    return timed_serializer(purpose).dumps({"id": editor.id,
                                            "pw": _fingerprint(editor.password_hash or "")})


class TokenProblem(Exception):
    """Why a link can't be used, as a sentence for the person who clicked it."""


def read_account_token(session: Session, token: str, purpose: str) -> Editor:
    try:
        data = timed_serializer(purpose).loads(token, max_age=MAX_AGES[purpose])
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


# -- the mails ---------------------------------------------------------------------------------

def queue_invitation(session: Session, editor: Editor, inviter: Editor | None = None) -> None:
    """Mail ``editor`` a link to choose their password. The caller commits."""
    url = link("accounts.accept_invite", token=account_token(editor, "invite"))
    # A new editor has no language yet: the mail speaks the inviting admin's page language.
    enqueue(session, render("invite", editor.email, reply_to=inviter.email if inviter else None,
                            language=editor.language, timezone=editor.timezone,
                            editor=editor, inviter=inviter, link=url,
                            days=INVITE_DAYS))


def invite_editor(session: Session, email: str, *, role: str = "editor",
                  sites: list[Site] | None = None, display_name: str = "",
                  inviter: Editor | None = None) -> Editor:
    """Create an editor without a password and mail them an invitation (same transaction).
    Raises ``FieldErrors`` for a bad or taken address."""
    editor = create_editor(session, email, role=role, password=None,
                           display_name=display_name, sites=sites)
    queue_invitation(session, editor, inviter)
    return editor


def queue_password_reset(session: Session, email: str) -> bool:
    """Mail a reset link if ``email`` belongs to an active editor. The caller answers the
    same either way, so the form can't be used to find out who has an account."""
    editor = editor_by_email(session, email)
    if editor is None or not editor.active:
        return False
    recent = session.scalar(select(OutboxMail.id).where(
        OutboxMail.recipient == editor.email, OutboxMail.template == "password_reset",
        OutboxMail.created_at > utcnow() - RESET_PAUSE).limit(1))
    if recent is not None:
        return False  # one link per few minutes: the form can't flood an inbox
    url = link("accounts.reset_password", token=account_token(editor, "reset"))
    enqueue(session, render("password_reset", editor.email, editor=editor, link=url,
                            language=editor.language, timezone=editor.timezone,
                            hours=RESET_HOURS))
    return True
