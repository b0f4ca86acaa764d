"""The queue's forms. CSRFProtect checks every POST before a view runs; these forms only
validate the fields (so their own CSRF check is off, to avoid checking twice)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from service.i18n import lazy_gettext as _l
from service.i18n import lazy_ngettext
from service.queue.actions import BULK_ACTIONS, MAX_FIX, MAX_NOTE, STATUS_ACTIONS


class _Form(FlaskForm):
    class Meta:
        csrf = False


class StatusForm(_Form):
    action = SelectField(choices=list(STATUS_ACTIONS),
                         validators=[InputRequired(_l("Choose what to do."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=lazy_ngettext(
        "The note is too long (at most %(num)d character).",
        "The note is too long (at most %(num)d characters).", MAX_NOTE))])
    # Used by "fixed" only: the text now published, pre-filled with the suggestion.
    applied_fix = StringField(_l("Text now published"), validators=[Length(
        max=MAX_FIX, message=lazy_ngettext(
            "The published text is too long (at most %(num)d character).",
            "The published text is too long (at most %(num)d characters).", MAX_FIX))])
    next = HiddenField()


class AssignForm(_Form):
    # "me", "" (nobody) or an editor id; checked against who can see the site in the view.
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    next = HiddenField()


class NoteForm(_Form):
    note = TextAreaField(_l("Private note"), validators=[
        DataRequired(_l("Write something in the note first.")),
        Length(max=MAX_NOTE, message=lazy_ngettext(
            "The note is too long (at most %(num)d character).",
            "The note is too long (at most %(num)d characters).", MAX_NOTE)),
    ])


class BulkForm(_Form):
    action = SelectField(_l("With the selected"), choices=list(BULK_ACTIONS),
                         validators=[InputRequired(_l("Choose what to do with the selection."))])
    ids = SelectMultipleField(choices=[], validate_choice=False, coerce=int)
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    next = HiddenField()
