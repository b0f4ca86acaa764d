"""Forms of the mail pages (Flask-WTF: each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from service.accounts.core import MIN_PASSWORD
from service.accounts.forms import (
    ROLE_CHOICES,
    MultiCheckboxField,
    email_limit,
    password_limit,
)
from service.i18n import lazy_gettext as _l


class SetPasswordForm(FlaskForm):
    # The zone the browser reports (static/app/app.js): an invited editor's first sign-in.
    timezone = HiddenField()
    password = PasswordField(_l("New password"), validators=[
        password_limit(),
        DataRequired(_l("Choose a password.")),
        Length(min=MIN_PASSWORD,
               message=_l("The password must be at least %(num)d characters.",
                          num=MIN_PASSWORD)),
    ])
    confirm = PasswordField(_l("New password again"), validators=[
        password_limit(),
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Your email"), validators=[
        email_limit(), DataRequired(_l("Enter your email address."))])


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[email_limit(),
                                                DataRequired(_l("Enter an email address."))])
    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    sites = MultiCheckboxField(_l("Sites this editor sees"), coerce=int, choices=[])
