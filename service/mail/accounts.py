"""Mail for editors' accounts: invitations and password resets (one-time signed links)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.core import create_editor, editor_by_email
from service.mail.messages import enqueue, link, render
from service.mail.tokens import INVITE_MAX_AGE, RESET_MAX_AGE, account_token
from service.models import Editor, OutboxMail, Site, utcnow

RESET_PAUSE = timedelta(minutes=5)


def queue_invitation(session: Session, editor: Editor, inviter: Editor | None = None) -> None:
    """Mail ``editor`` a link to choose their password. The caller commits."""
    url = link("mail.accept_invite", token=account_token(editor, "invite"))
    # A new editor has no language yet: the mail speaks the inviting admin's page language.
    enqueue(session, render("invite", editor.email, reply_to=inviter.email if inviter else None,
                            language=editor.language, timezone=editor.timezone,
                            editor=editor, inviter=inviter, link=url,
                            days=INVITE_MAX_AGE // 86400))


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
    url = link("mail.reset_password", token=account_token(editor, "reset"))
    enqueue(session, render("password_reset", editor.email, editor=editor, link=url,
                            language=editor.language, timezone=editor.timezone,
                            hours=RESET_MAX_AGE // 3600))
    return True
