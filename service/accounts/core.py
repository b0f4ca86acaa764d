"""Editors: creating them, passwords, and which sites they see."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.models import ROLES, Editor, Site, utcnow

MIN_PASSWORD = 10
# Computed once so that a login for an unknown email costs as much as a real check.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k} {v}" for k, v in fields.items()))
        self.fields = fields


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError({"email": "is not a valid email address"}) from exc


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError({"password": f"must be at least {MIN_PASSWORD} characters"})


def set_password(editor: Editor, password: str) -> None:
    check_password_strength(password)
    editor.password_hash = generate_password_hash(password)


def editor_by_email(session: Session, email: str) -> Editor | None:
    return session.scalar(select(Editor).where(func.lower(Editor.email) == email.strip().lower()))


def create_editor(session: Session, email: str, *, role: str = "editor", password: str | None,
                  display_name: str = "", sites: list[Site] | None = None) -> Editor:
    if role not in ROLES:
        raise AccountError({"role": "must be admin or editor"})
    email = normalize_email(email)
    if editor_by_email(session, email) is not None:
        raise AccountError({"email": "is already used by another editor"})
    editor = Editor(email=email, role=role, display_name=" ".join(display_name.split())[:120],
                    sites=list(sites or []))
    if password is not None:
        set_password(editor, password)
    session.add(editor)
    session.flush()
    return editor


def authenticate(session: Session, email: str, password: str) -> Editor | None:
    """The active editor with this email and password, or None (same cost either way)."""
    editor = editor_by_email(session, email)
    if editor is None or not editor.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(editor.password_hash, password) or not editor.active:
        return None
    editor.last_login_at = utcnow()
    return editor
