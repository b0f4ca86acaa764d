"""The "add a channel" form on the site page. Values are checked by ``core.add_channel``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from service.channels.core import KIND_LABELS, KINDS


class ChannelForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
                       default="webhook")
    url = StringField("URL to post to", validators=[Length(max=2048)])
    chat_id = StringField("Telegram chat id", validators=[Length(max=64)])
    # Never sent back to the browser: a PasswordField renders empty.
    token = PasswordField("Telegram bot token", validators=[Length(max=255)])
