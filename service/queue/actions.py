"""What editors do to corrections. Each function writes an ``Event`` for the audit trail.

The functions take the session and leave committing to the caller, so a status change, its
event and the mail the hook queues are stored together or not at all. Permission checks
(``can_see``) are the caller's job; these functions trust the correction they are given.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.access import can_see_site, restrict
from service.i18n import _, ngettext
from service.mail.hooks import on_status_changed
from service.models import (
    OPEN_STATUSES,
    Correction,
    Editor,
    Event,
    Status,
    utcnow,
)
from service.sanitize import clean_text

MAX_NOTE = 2000
MAX_FIX = 500  # the same bound as the quote and the suggestion

# Status actions as editors name them -> the status they set.
STATUS_ACTIONS = {
    "fixed": Status.FIXED.value,
    "rejected": Status.REJECTED.value,
    "spam": Status.SPAM.value,
    "reopen": Status.NEW.value,
}
BULK_ACTIONS = ("fixed", "rejected", "spam", "assign")


class ActionError(ValueError):
    """An action that can't be done; the message is for the editor."""


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ActionError(ngettext("The note is too long (at most %(num)d character).",
                                   "The note is too long (at most %(num)d characters).", MAX_NOTE))
    return note


def _applied_fix(correction: Correction, text: str | None) -> str | None:
    """The published text as stored: clean, one line; None when it says nothing (empty, or
    the quote itself unchanged)."""
    text = clean_text(text or "")
    if len(text) > MAX_FIX:
        raise ActionError(ngettext("The published text is too long (at most %(num)d character).",
                                   "The published text is too long (at most %(num)d characters).",
                                   MAX_FIX))
    if not text or text == correction.exact:
        return None
    return text


def change_status(
    session: Session, correction: Correction, editor: Editor | None, action: str,
    note: str = "", applied_fix: str | None = None, *, actor: str = "",
    reopen_as: str | None = None,
) -> Event | None:
    """Apply ``fixed``/``rejected``/``spam``/``reopen``; None when nothing changes.

    ``applied_fix`` is what the editor says was published, recorded with "fixed" only (the
    readers' thank-you quotes it). Reopening an assigned correction puts it back "in
    progress" with its assignee, unless ``reopen_as`` names the open status wanted (the API
    does); that also moves an open correction between "new" and "in progress".

    ``editor`` is None when no person did it; ``actor`` then names who did ("page check",
    an API token's name) in the history.
    """
    if action not in STATUS_ACTIONS:
        raise ActionError(_("“%(action)s” is not something that can be done to a correction.",
                            action=action))
    note = _note(note)
    applied_fix = _applied_fix(correction, applied_fix) if action == "fixed" else None
    old = correction.status
    new = STATUS_ACTIONS[action]
    if action == "reopen":
        if reopen_as is not None and reopen_as not in OPEN_STATUSES:
            raise ActionError(_("“%(status)s” is not an open status.", status=reopen_as))
        if reopen_as is None and old in OPEN_STATUSES:
            return None
        new = reopen_as or (Status.IN_PROGRESS.value if correction.assignee_id
                            else Status.NEW.value)
        if new == old:
            return None
    elif old == new:
        return None
    now = utcnow()
    correction.status = new
    if new in OPEN_STATUSES:
        correction.resolved_at = None
        correction.resolved_by_id = None
        correction.resolution_note = ""
    else:
        correction.resolved_at = now
        correction.resolved_by_id = editor.id if editor else None
        correction.resolution_note = note
    correction.applied_fix = applied_fix
    event = Event(correction_id=correction.id, editor_id=editor.id if editor else None,
                  actor="" if editor else actor, action=action, from_status=old,
                  to_status=new, note=note, applied_fix=applied_fix, created_at=now)
    session.add(event)
    session.flush()
    on_status_changed(session, correction, old, new)
    return event


def assign(
    session: Session, correction: Correction, editor: Editor, assignee: Editor | None
) -> Event | None:
    """Give the correction to ``assignee`` (None: nobody). A new one becomes "in progress"."""
    if assignee is not None and not (assignee.active and can_see_site(assignee,
                                                                      correction.site_id)):
        raise ActionError(_("%(name)s can't see this site's corrections.", name=assignee.label))
    new_id = assignee.id if assignee else None
    if correction.assignee_id == new_id:
        return None
    correction.assignee_id = new_id
    old = correction.status
    new = Status.IN_PROGRESS.value if (assignee and old == Status.NEW.value) else old
    correction.status = new
    note = f"Assigned to {assignee.label}" if assignee else "Unassigned"
    event = Event(correction_id=correction.id, editor_id=editor.id,
                  action="assign" if assignee else "unassign",
                  from_status=old if new != old else None,
                  to_status=new if new != old else None, note=note)
    session.add(event)
    session.flush()
    if new != old:
        on_status_changed(session, correction, old, new)
    return event


def add_note(session: Session, correction: Correction, editor: Editor, note: str) -> Event:
    """A private note for other editors; never shown to readers."""
    note = _note(note)
    if not note:
        raise ActionError(_("Write something in the note first."))
    event = Event(correction_id=correction.id, editor_id=editor.id, action="note", note=note)
    session.add(event)
    session.flush()
    return event


def bulk(
    session: Session,
    editor: Editor,
    ids: Iterable[int],
    action: str,
    assignee: Editor | None = None,
    note: str = "",
) -> int:
    """Apply one action to many corrections ``editor`` may see; returns how many changed.

    Ids the editor can't see are ignored, the same as ids that don't exist.
    """
    if action not in BULK_ACTIONS:
        raise ActionError(_("“%(action)s” is not a bulk action.", action=action))
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise ActionError(_("Select at least one correction first."))
    stmt = restrict(select(Correction).where(Correction.id.in_(wanted)), editor)
    changed = 0
    for correction in session.scalars(stmt.order_by(Correction.id)).all():
        if action == "assign":
            event = assign(session, correction, editor, assignee)
        else:
            event = change_status(session, correction, editor, action, note)
        changed += event is not None
    return changed
