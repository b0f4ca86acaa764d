"""Editors: creating them, passwords, and which sites they see."""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from service.accounts import sessions
from service.errors import FieldErrors
from service.i18n import _, ngettext
from service.models import ROLES, Editor, Site, utcnow

MIN_PASSWORD = 10
HASH_METHOD = "scrypt"


def _hash_method() -> str:
    """werkzeug's scrypt, unless the app config's ``PASSWORD_HASH_METHOD`` says otherwise.

    Only the test suite changes it (to a cheap hash: scrypt costs 0.15 s a hash), through the
    app's mapping; it is not read from the environment, so no deployment can weaken it.
    """
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or HASH_METHOD
    return HASH_METHOD


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Made once per method, so a login for an unknown email costs as much as a real check."""
    return generate_password_hash("not a real password", method=method)
# Longer input is refused before anything is hashed, looked up, keyed or echoed: a password
# hash of a megabyte costs real CPU, and an email of one would become a rate-limit key.
MAX_EMAIL = 254  # RFC 5321's limit on a path
MAX_PASSWORD = 1024


def normalize_email(email: str) -> str:
    email = email.strip()
    if len(email) > MAX_EMAIL:
        raise FieldErrors({"email": ngettext("must be at most %(num)d character",
                                             "must be at most %(num)d characters", MAX_EMAIL)})
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise FieldErrors({"email": _("is not a valid email address")}) from exc


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise FieldErrors({"password": ngettext("must be at least %(num)d character",
                                                  "must be at least %(num)d characters",
                                                  MIN_PASSWORD)})
    if len(password) > MAX_PASSWORD:
        raise FieldErrors({"password": ngettext("must be at most %(num)d character",
                                                "must be at most %(num)d characters",
                                                MAX_PASSWORD)})


def set_password(editor: Editor, password: str) -> None:
    check_password_strength(password)
    editor.password_hash = generate_password_hash(password, method=_hash_method())


def editor_by_email(session: Session, email: str) -> Editor | None:
    return session.scalar(select(Editor).where(func.lower(Editor.email) == email.strip().lower()))


def create_editor(session: Session, email: str, *, role: str = "editor", password: str | None,
                  display_name: str = "", sites: list[Site] | None = None) -> Editor:
    if role not in ROLES:
        raise FieldErrors({"role": _("must be admin or editor")})
    email = normalize_email(email)
    if editor_by_email(session, email) is not None:
        raise FieldErrors({"email": _("is already used by another editor")})
    editor = Editor(email=email, role=role, display_name=" ".join(display_name.split())[:120],
                    sites=list(sites or []))
    if password is not None:
        set_password(editor, password)
    session.add(editor)
    session.flush()
    return editor


def authenticate(session: Session, email: str, password: str) -> Editor | None:
    """The active editor with this email and password, or None (same cost either way).

    Oversized input is no one's: it is refused before the lookup and the hashing."""
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        return None
    editor = editor_by_email(session, email)
    if editor is None or not editor.password_hash:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(editor.password_hash, password) or not editor.active:
        return None
    editor.last_login_at = utcnow()
    return editor


def clean_name(name: str) -> str:
    return " ".join(name.split())[:120]


def update_editor(editor: Editor, *, actor: Editor, display_name: str, role: str, active: bool,
                  sites: list[Site], password: str = "", keep_session: str | None = None
                  ) -> Editor:
    """An admin's changes to someone's account, all or nothing.

    Admins can't demote or deactivate themselves, so an Errata always keeps one admin.
    Deactivating a person ends all of their sessions (reactivating them later does not bring
    one back); a new password ends all of them but ``keep_session`` (the admin's own, when
    they change their own password here).
    """
    errors: dict[str, str] = {}
    if role not in ROLES:
        errors["role"] = _("must be admin or editor")
    # Whole sentences: these are about the person, not the field.
    if editor.id == actor.id and role != "admin":
        errors["role"] = _("You can't take away your own admin role.")
    if editor.id == actor.id and not active:
        errors["active"] = _("You can't deactivate yourself.")
    if password:
        try:
            check_password_strength(password)
        except FieldErrors as exc:
            errors.update(exc.fields)
    if errors:
        raise FieldErrors(errors)
    editor.display_name = clean_name(display_name)
    editor.role = role
    editor.active = active
    editor.sites = list(sites)
    if password:
        set_password(editor, password)
    if password or not active:
        sessions.end_all(_session_of(editor), editor, keep=keep_session if active else None)
    return editor


def _session_of(editor: Editor) -> Session:
    session = object_session(editor)
    if session is None:
        raise RuntimeError("the editor must belong to a database session")
    return session


def change_own_password(editor: Editor, current: str, new: str,
                        keep_session: str | None = None) -> None:
    """Change a password after checking the current one; every other session ends."""
    if not editor.password_hash or not check_password_hash(editor.password_hash, current):
        raise FieldErrors({"current": _("is not your current password")})
    set_password(editor, new)
    sessions.end_all(_session_of(editor), editor, keep=keep_session)
