"""The block confirmation form. CSRFProtect checks the POST before the view runs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from service.i18n import lazy_gettext, lazy_ngettext
from service.moderation.blocks import DEFAULT_HOURS, MAX_REASON

DURATION_CHOICES = [
    SelectChoice(1, lazy_gettext("1 hour")),
    SelectChoice(24, lazy_gettext("24 hours")),
    SelectChoice(24 * 7, lazy_gettext("7 days")),
    SelectChoice(24 * 30, lazy_gettext("30 days")),
]


class BlockForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has checked it already

    hours = SelectField(lazy_gettext("For how long"), choices=DURATION_CHOICES, coerce=int,
                        default=DEFAULT_HOURS,
                        validators=[InputRequired(lazy_gettext("Choose how long."))])
    reason = StringField(lazy_gettext("Why (optional, for other admins)"), validators=[
        Length(max=MAX_REASON, message=lazy_ngettext(
            "The reason is too long (at most %(num)d character).",
            "The reason is too long (at most %(num)d characters).", MAX_REASON))])
