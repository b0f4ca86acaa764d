"""The site form (admins). Validation of the values themselves is ``sites.core.apply_changes``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from service.i18n import lazy_gettext
from service.sites.core import LANGS

LANG_LABELS = {"en": "English", "ru": "Russian (русский)"}


class SiteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the site a name."),
                                           Length(max=200)])
    origins = TextAreaField("Allowed origins, one per line",
                            validators=[DataRequired("Give at least one origin.")])
    notify_emails = TextAreaField("Notification addresses, one per line")
    default_lang = SelectField("Default language of the reader dialog",
                               choices=[SelectChoice(code, LANG_LABELS[code]) for code in LANGS],
                               default="en")
    active = BooleanField("Active (reports are accepted)", default=True)
    limit_reader = StringField("Limit per reader", validators=[Length(max=200)])
    limit_site = StringField("Limit for the whole site", validators=[Length(max=200)])
    public_log = BooleanField(lazy_gettext("Publish a public corrections log"), default=False)
    auto_close = BooleanField(lazy_gettext("Close automatically when the page no longer has "
                                           "the error"), default=False)

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in (getattr(self, name).data or "").splitlines()
                if line.strip()]
