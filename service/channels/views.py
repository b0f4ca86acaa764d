"""Channels on the site page (admins): add, send a test message, remove."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for

from service.accounts.access import admin_required
from service.channels.core import add_channel, label, send
from service.channels.events import test_message
from service.channels.forms import ChannelForm
from service.channels.http import DeliveryError
from service.errors import FieldErrors
from service.extensions import db
from service.i18n import _
from service.models import Channel, Site

bp = Blueprint("channels", __name__)
bp.add_app_template_global(label, "channel_label")


def _site_page(site: Site) -> str:
    return url_for("sites.show", site_id=site.id, _anchor="channels-title")


def _channel_or_404(site_id: int, channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.site_id != site_id:
        abort(404, _("There is no such channel on this site."))
    return channel


@bp.post("/sites/<int:site_id>/channels")
@admin_required
def add(site_id: int):
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, _("There is no such site."))
    form = ChannelForm()
    if not form.validate():
        abort(400, " ".join(m for ms in form.errors.values() for m in ms))
    try:
        channel = add_channel(db.session, site, form.kind.data or "", url=form.url.data or "",
                              chat_id=form.chat_id.data or "", token=form.token.data or "")
    except FieldErrors as exc:
        db.session.rollback()
        for message in exc.fields.values():
            flash(message, "error")
        return redirect(_site_page(site))
    db.session.commit()
    if channel.kind != "webhook":
        flash(_("Channel added: %(channel)s. Send a test message to check it.",
                channel=label(channel)), "success")
        return redirect(_site_page(site))
    # The secret is shown in this answer only: not in a flash (the session cookie), not in
    # any later page; the answer itself is not cached.
    resp = make_response(render_template("channels/added.html", site=site, channel=channel,
                                         label=label(channel), nav_section="sites"))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/sites/<int:site_id>/channels/<int:channel_id>/test")
@admin_required
def test(site_id: int, channel_id: int):
    channel = _channel_or_404(site_id, channel_id)
    try:
        reply = send(channel, test_message(channel, channel.site))
    except DeliveryError as exc:
        flash(_("The test message to %(channel)s failed: %(error)s", channel=label(channel),
                error=str(exc)), "error")
    else:
        flash(_("Test message delivered to %(channel)s (HTTP %(status)d).",
                channel=label(channel), status=reply.status), "success")
    return redirect(_site_page(channel.site))


@bp.post("/sites/<int:site_id>/channels/<int:channel_id>/remove")
@admin_required
def remove(site_id: int, channel_id: int):
    channel = _channel_or_404(site_id, channel_id)
    site, name = channel.site, label(channel)
    db.session.delete(channel)
    db.session.commit()
    flash(_("Channel removed: %(channel)s.", channel=name), "success")
    return redirect(_site_page(site))
