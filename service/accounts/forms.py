"""The account forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
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
from service.i18n import lazy_gettext

ROLE_CHOICES = [SelectChoice("editor", "Editor: sees the queue of their sites"),
                SelectChoice("admin", "Admin: sees every site, manages sites and people")]
NOTIFY_CHOICES = [SelectChoice("immediate", "Soon after new reports arrive (batched)"),
                  SelectChoice("digest", "Once a day, a digest"),
                  SelectChoice("off", "Never (I check the queue myself)")]


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
    return AtMost(MAX_EMAIL, lazy_gettext("An email address has at most %(num)s characters.",
                                          num=MAX_EMAIL))


def password_limit() -> AtMost:
    return AtMost(MAX_PASSWORD, lazy_gettext("A password has at most %(num)s characters.",
                                             num=MAX_PASSWORD))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier to use than a multi-select, on a phone too)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[email_limit(),
                                            DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[password_limit(),
                                                     DataRequired("Enter your password.")])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        password_limit(), DataRequired("Enter your current password.")])
    new = PasswordField("New password", validators=[
        password_limit(),
        DataRequired("Enter a new password."),
        Length(min=MIN_PASSWORD,
               message=f"The new password must be at least {MIN_PASSWORD} characters."),
    ])
    confirm = PasswordField("New password again", validators=[
        password_limit(),
        DataRequired("Type the new password again."),
        EqualTo("new", message="The two new passwords are not the same."),
    ])


class SettingsForm(FlaskForm):
    display_name = StringField("Your name", validators=[Length(max=120)])
    notify_mode = RadioField("Mail me about new reports", choices=NOTIFY_CHOICES,
                             validators=[InputRequired("Choose when to get mail.")])
    digest_hour = IntegerField("Digest hour (UTC, 0–23)", default=8, validators=[
        InputRequired("Give an hour from 0 to 23."),
        NumberRange(0, 23, "Give an hour from 0 to 23."),
    ])


class EditorForm(FlaskForm):
    """Edit an editor (admins only). A password given here replaces theirs."""

    display_name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")
    sites = MultiCheckboxField("Sites this editor sees", coerce=int, choices=[])
    active = BooleanField("Active (can log in)", default=True)
    password = PasswordField("New password", validators=[password_limit()])


class EditorAddForm(EditorForm):
    """Add an editor. Until invitations by mail exist, the admin sets the first password."""

    email = EmailField("Email", validators=[email_limit(),
                                            DataRequired("Enter an email address.")])
    password = PasswordField("Initial password", validators=[password_limit()])
