"""The account forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from service.accounts.core import MAX_EMAIL, MAX_PASSWORD, MIN_PASSWORD
from service.i18n import lazy_gettext as _l
from service.i18n import lazy_ngettext

ROLE_CHOICES = [SelectChoice("editor", _l("Editor: sees the queue of their sites")),
                SelectChoice("admin", _l("Admin: sees every site, manages sites and people"))]
NOTIFY_CHOICES = [SelectChoice("immediate", _l("Soon after new reports arrive (batched)")),
                  SelectChoice("digest", _l("Once a day, a digest")),
                  SelectChoice("off", _l("Never (I check the queue myself)"))]


class AtMost:
    """Refuse a value longer than ``limit`` and forget it, so the page never echoes it back.

    First in a field's validators: nothing else (an email check, a hash) sees the value.
    """

    def __init__(self, limit: int, message: str):
        self.limit = limit
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is not None and len(field.data) > self.limit:
            field.data = ""
            field.raw_data = []
            raise StopValidation(self.message)


def email_limit() -> AtMost:
    return AtMost(MAX_EMAIL, lazy_ngettext(
        "An email address has at most %(num)d character.",
        "An email address has at most %(num)d characters.", MAX_EMAIL))


def password_limit() -> AtMost:
    return AtMost(MAX_PASSWORD, lazy_ngettext(
        "A password has at most %(num)d character.",
        "A password has at most %(num)d characters.", MAX_PASSWORD))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier to use than a multi-select, on a phone too)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[email_limit(),
                                                DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[
        password_limit(), DataRequired(_l("Enter your password."))])
    # The zone the browser reports (static/app/app.js fills it in); kept at the first login.
    timezone = HiddenField()


class _NewPasswordFields(FlaskForm):
    """A new password, typed twice: what choosing one from a link and changing one share."""

    new = PasswordField(_l("New password"), validators=[
        password_limit(),
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_PASSWORD,
               message=lazy_ngettext("The new password must be at least %(num)d character.",
                                     "The new password must be at least %(num)d characters.",
                                     MIN_PASSWORD)),
    ])
    confirm = PasswordField(_l("New password again"), validators=[
        password_limit(),
        DataRequired(_l("Type the new password again.")),
        EqualTo("new", message=_l("The two new passwords are not the same.")),
    ])


class NewPasswordForm(_NewPasswordFields):
    """A password chosen from an invitation's or a reset's link."""

    # The zone the browser reports (static/app/app.js): a link's page is an invited editor's
    # first sign-in.
    timezone = HiddenField()


class PasswordForm(_NewPasswordFields):
    """Change my password (My settings): the current one first."""

    current = PasswordField(_l("Current password"), validators=[
        password_limit(), DataRequired(_l("Enter your current password."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Your email"), validators=[
        email_limit(), DataRequired(_l("Enter your email address."))])


class SettingsForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[Length(max=120)])
    # Choices are set by the view (the languages with a catalog, the IANA zones). A post
    # without these fields keeps what the person has.
    language = SelectField(_l("Language"), choices=[],
                           validators=[DataRequired(_l("Choose a language."))])
    timezone = SelectField(_l("Time zone"), choices=[],
                           validators=[DataRequired(_l("Choose a time zone."))])
    notify_mode = RadioField(_l("Mail me about new reports"), choices=NOTIFY_CHOICES,
                             validators=[InputRequired(_l("Choose when to get mail."))])
    digest_hour = IntegerField(_l("Digest hour (0–23, in your time zone)"), default=8,
                               validators=[
        InputRequired(_l("Give an hour from 0 to 23.")),
        NumberRange(0, 23, _l("Give an hour from 0 to 23.")),
    ])


class PersonForm(FlaskForm):
    """Who an editor is and what they see: what inviting, adding and editing one share."""

    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    sites = MultiCheckboxField(_l("Sites this editor sees"), coerce=int, choices=[])


class InviteForm(PersonForm):
    """Invite an editor by mail: they choose their own password from the link."""

    email = EmailField(_l("Email"), validators=[email_limit(),
                                                DataRequired(_l("Enter an email address."))])


class EditorForm(PersonForm):
    """Edit an editor (admins only). A password given here replaces theirs."""

    active = BooleanField(_l("Active (can log in)"), default=True)
    password = PasswordField(_l("New password"), validators=[password_limit()])


class EditorAddForm(EditorForm, InviteForm):
    """Add an editor with a first password the admin tells them (when mail is not set up)."""

    password = PasswordField(_l("Initial password"), validators=[password_limit()])
