"""Channels: adding, listing and removing them, and how each kind puts a message on the wire.

A channel belongs to one site. Its secret (a webhook's signing secret, a Telegram bot token)
is stored to be used, shown once when a webhook is added, and never shown again anywhere:
pages, the CLI and the outbox name a channel by :func:`label`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import __version__
from service.channels.http import DeliveryError, Reply, check_target, post, raise_for_status
from service.errors import FieldErrors
from service.i18n import _, lazy_gettext, ngettext
from service.mail.messages import base_url
from service.models import Channel, Site

KINDS = ("webhook", "slack", "telegram")
KIND_LABELS = {"webhook": lazy_gettext("Webhook"), "slack": lazy_gettext("Slack or Mattermost"),
               "telegram": lazy_gettext("Telegram")}
MAX_URL = 2048
_CHAT_ID = re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}")
_BOT_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,100}")


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise FieldErrors({"url": _("The URL is required.")})
    if len(url) > MAX_URL:
        raise FieldErrors({"url": ngettext("The URL must be at most %(num)d character.",
                                            "The URL must be at most %(num)d characters.",
                                            MAX_URL)})
    if not url.isascii() or not url.isprintable() or " " in url:
        raise FieldErrors({"url": _("The URL must be a plain http(s) address without "
                                     "spaces; write a non-Latin host in its xn-- form.")})
    try:
        check_target(url)
    except DeliveryError:
        raise FieldErrors({"url": _("The URL must start with http:// or https:// and name "
                                     "a host.")}) from None
    return url


def add_channel(session: Session, site: Site, kind: str, *, url: str = "", chat_id: str = "",
                token: str = "") -> Channel:
    """Validate and add a channel; the caller commits. Bad values raise FieldErrors, each
    field's problem a whole sentence. A webhook gets a new signing secret
    (``channel.secret``), to be shown to the admin once."""
    if kind not in KINDS:
        raise FieldErrors({"kind": _("The kind must be one of: %(kinds)s.",
                                      kinds=", ".join(KINDS))})
    channel = Channel(site_id=site.id, kind=kind, url="", chat_id="", secret="")
    if kind in ("webhook", "slack"):
        channel.url = clean_url(url)
        if kind == "webhook":
            channel.secret = "whsec_" + secrets.token_urlsafe(32)
    else:
        chat_id, token = (chat_id or "").strip(), (token or "").strip()
        errors = {}
        if not _CHAT_ID.fullmatch(chat_id):
            errors["chat_id"] = _("The chat id must be a chat number (like -1001234567890) "
                                  "or @channelname.")
        if not _BOT_TOKEN.fullmatch(token):
            errors["token"] = _("The bot token must be one as @BotFather gives it "
                                "(123456:ABC…).")
        if errors:
            raise FieldErrors(errors)
        channel.chat_id, channel.secret = chat_id, token
    session.add(channel)
    session.flush()
    return channel


def site_channels(session: Session, site_id: int | None = None) -> list[Channel]:
    stmt = select(Channel).order_by(Channel.site_id, Channel.id)
    if site_id is not None:
        stmt = stmt.where(Channel.site_id == site_id)
    return list(session.scalars(stmt))


def label(channel: Channel) -> str:
    """How a channel is named on pages, in the CLI and in the outbox: no secret in it. A
    Slack URL is itself a credential, so only its host is shown."""
    if channel.kind == "webhook":
        return _("Webhook %(url)s", url=channel.url)
    if channel.kind == "slack":
        return _("Slack/Mattermost %(host)s", host=urlsplit(channel.url).hostname or "")
    return _("Telegram chat %(chat)s", chat=channel.chat_id)


# -- on the wire ------------------------------------------------------------------------------

def user_agent() -> str:
    return f"Errata/{__version__} (+{base_url()})"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (docs/integrations.md)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def telegram_url(token: str) -> str:
    return f"{current_app.config['ERRATA_TELEGRAM_API'].rstrip('/')}/bot{token}/sendMessage"


def _telegram_says(reply: Reply) -> str:
    try:
        return str(json.loads(reply.body).get("description", ""))
    except (ValueError, AttributeError):
        return ""


def send(channel: Channel, body: str, event_id: str | None = None) -> Reply:
    """Deliver one message (``body`` as the outbox holds it) to ``channel``. Raises
    DeliveryError; its text never contains the Telegram token."""
    data = body.encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": user_agent()}
    if channel.kind == "webhook":
        headers["Errata-Signature"] = signature(channel.secret, int(time.time()), data)
        if event_id:
            headers["Errata-Event-Id"] = event_id
        reply = post(channel.url, data, headers)
        raise_for_status(reply)
    elif channel.kind == "slack":
        reply = post(channel.url, data, headers)
        raise_for_status(reply)
    else:
        payload = {"chat_id": channel.chat_id, "text": body, "parse_mode": "HTML",
                   "link_preview_options": {"is_disabled": True}}
        try:
            reply = post(telegram_url(channel.secret),
                         json.dumps(payload, ensure_ascii=False).encode(), headers)
            raise_for_status(reply, _telegram_says(reply))
        except DeliveryError as exc:
            # Belt and braces: the token is in the URL, and must never reach a log or page.
            raise DeliveryError(str(exc).replace(channel.secret, "<bot token>"),
                                permanent=exc.permanent) from None
    return reply
