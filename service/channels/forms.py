"""The "add a channel" form on the site page. Values are checked by ``core.add_channel``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from service.channels.core import KIND_LABELS, KINDS
from service.i18n import lazy_gettext


class ChannelForm(FlaskForm):
    kind = SelectField(lazy_gettext("Kind"),
                       choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
                       default="webhook")
    url = StringField(lazy_gettext("URL to post to"), validators=[Length(max=2048)])
    chat_id = StringField(lazy_gettext("Telegram chat id"), validators=[Length(max=64)])
    # Never sent back to the browser: a PasswordField renders empty.
    token = PasswordField(lazy_gettext("Telegram bot token"), validators=[Length(max=255)])
