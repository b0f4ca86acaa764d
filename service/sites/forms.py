"""The site form (admins). Validation of the values themselves is ``sites.core.apply_changes``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from service.i18n import language_choices
from service.i18n import lazy_gettext as _l


class SiteForm(FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(_l("Give the site a name.")),
                                               Length(max=200)])
    origins = TextAreaField(_l("Allowed origins, one per line"),
                            validators=[DataRequired(_l("Give at least one origin."))])
    notify_emails = TextAreaField(_l("Notification addresses, one per line"))
    # Choices are the languages with a catalog, filled in per request (language_choices).
    default_lang = SelectField(_l("Default language of the reader dialog"), choices=[],
                               default="en")
    active = BooleanField(_l("Active (reports are accepted)"), default=True)
    limit_reader = StringField(_l("Limit per reader"), validators=[Length(max=200)])
    limit_site = StringField(_l("Limit for the whole site"), validators=[Length(max=200)])
    public_log = BooleanField(_l("Publish a public corrections log"), default=False)
    auto_close = BooleanField(_l("Close automatically when the page no longer has "
                                 "the error"), default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_lang.choices = [SelectChoice(code, label)
                                     for code, label in language_choices()]

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in (getattr(self, name).data or "").splitlines()
                if line.strip()]
