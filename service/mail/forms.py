"""Forms of the mail pages (Flask-WTF: each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from service.accounts.core import MIN_PASSWORD
from service.accounts.forms import (
    ROLE_CHOICES,
    MultiCheckboxField,
    email_limit,
    password_limit,
)


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[
        password_limit(),
        DataRequired("Choose a password."),
        Length(min=MIN_PASSWORD,
               message=f"The password must be at least {MIN_PASSWORD} characters."),
    ])
    confirm = PasswordField("New password again", validators=[
        password_limit(),
        DataRequired("Type the password again."),
        EqualTo("password", message="The two passwords are not the same."),
    ])


class ResetRequestForm(FlaskForm):
    email = EmailField("Your email", validators=[email_limit(),
                                                 DataRequired("Enter your email address.")])


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[email_limit(),
                                            DataRequired("Enter an email address.")])
    display_name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")
    sites = MultiCheckboxField("Sites this editor sees", coerce=int, choices=[])
