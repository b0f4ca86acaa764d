"""Sessions the server knows: one row per signed-in browser, checked on every request.

The session cookie (Flask's signed cookie) carries a random id; the ``editor_sessions``
table holds its SHA-256. Logging out deletes that row, so a copy of the cookie opens
nothing afterwards; deactivating a person, a new password or "Sign out everywhere" deletes
all of their rows. A row is also dropped once it has gone unused for ``IDLE``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import request
from flask import session as cookie
from flask_login import login_user, logout_user
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from service.models import Editor, EditorSession, utcnow

IDLE = timedelta(days=30)
# How stale "last used" may get before a request writes it again: one write per session
# per minute, not one per page.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, editor: Editor, user_agent: str = "") -> str:
    """Open a session for ``editor``; returns the id for the cookie. The caller commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(EditorSession).where(EditorSession.editor_id == editor.id,
                                                EditorSession.last_seen_at < now - IDLE))
    session.add(EditorSession(token_hash=_digest(token), editor_id=editor.id,
                              user_agent=(user_agent or "")[:400], created_at=now,
                              last_seen_at=now))
    session.flush()
    return token


def find(session: Session, token: object) -> EditorSession | None:
    """The live session with this cookie id, or None (unknown, ended, idle too long)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = session.scalar(select(EditorSession).where(EditorSession.token_hash == _digest(token)))
    if row is None or row.last_seen_at < utcnow() - IDLE:
        return None
    return row


def touch(session: Session, row: EditorSession) -> bool:
    """Record that the session was used now (at most once per ``TOUCH_EVERY``)."""
    now = utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    session.execute(update(EditorSession).where(EditorSession.id == row.id)
                    .values(last_seen_at=now))
    row.last_seen_at = now
    return True


def end(session: Session, token: object) -> None:
    """End the session with this cookie id (logging out). The caller commits."""
    if isinstance(token, str):
        session.execute(delete(EditorSession).where(EditorSession.token_hash == _digest(token)))


def end_one(session: Session, editor: Editor, session_id: int) -> bool:
    """End one of ``editor``'s own sessions by its row id; False if it is not theirs."""
    done = session.execute(delete(EditorSession).where(EditorSession.id == session_id,
                                                       EditorSession.editor_id == editor.id))
    return bool(done.rowcount)


def end_all(session: Session, editor: Editor, keep: object = None) -> int:
    """End every session of ``editor`` (but the one with cookie id ``keep``, if given)."""
    stmt = delete(EditorSession).where(EditorSession.editor_id == editor.id)
    if isinstance(keep, str):
        stmt = stmt.where(EditorSession.token_hash != _digest(keep))
    return session.execute(stmt).rowcount or 0


@dataclass(frozen=True)
class SessionInfo:
    id: int
    device: str
    started: datetime
    last_used: datetime
    current: bool


def listing(session: Session, editor: Editor, current: object = None) -> list[SessionInfo]:
    """``editor``'s live sessions for the Settings page, the current one first."""
    current_hash = _digest(current) if isinstance(current, str) else None
    rows = session.scalars(select(EditorSession).where(
        EditorSession.editor_id == editor.id, EditorSession.last_seen_at >= utcnow() - IDLE)
        .order_by(EditorSession.last_seen_at.desc(), EditorSession.id.desc()))
    out = [SessionInfo(id=r.id, device=device_name(r.user_agent), started=r.created_at,
                       last_used=r.last_seen_at, current=r.token_hash == current_hash)
           for r in rows]
    return sorted(out, key=lambda s: not s.current)


@lru_cache(maxsize=256)
def device_name(user_agent: str) -> str:
    """"Firefox on Windows", "Mobile Safari on iOS (iPhone)": what a person recognises."""
    if not user_agent:
        return "Unknown device"
    result = parse_user_agent(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    system = result.os.family if result.os else "Other"
    device = result.device.family if result.device else "Other"
    if browser == "Other" and system == "Other":
        return "Unknown browser"
    name = browser if system == "Other" else f"{browser} on {system}"
    if device not in ("Other", "Generic Smartphone", "Generic Feature Phone", "Spider",
                      "Mac", ""):
        name += f" ({device})"
    return name


# -- the browser's side ---------------------------------------------------------------------

COOKIE_KEY = "sid"  # the key in Flask's signed session cookie


def sign_in(db_session: Session, editor: Editor) -> None:
    """Give this browser a new session of ``editor`` (login, accepted invitation, reset).

    Whatever the cookie held before is dropped (no session fixation). The caller commits.
    """
    end(db_session, cookie.get(COOKIE_KEY))
    cookie.clear()
    cookie[COOKIE_KEY] = start(db_session, editor, request.headers.get("User-Agent", ""))
    login_user(editor)


def sign_out(db_session: Session) -> None:
    """End this browser's session, on the server and in the cookie. The caller commits."""
    end(db_session, cookie.get(COOKIE_KEY))
    logout_user()
    cookie.clear()


def current_token() -> str | None:
    token = cookie.get(COOKIE_KEY)
    return token if isinstance(token, str) else None
