"""Pages of the mail feature: the links in mail that stop it (readers unsubscribing, editors
stopping notifications) and the admins' Outbox. Thin views over the plain functions of this
package. Invitations and password resets are the accounts feature's pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from service.accounts.access import admin_required
from service.extensions import csrf, db
from service.i18n import _, fall_back_to, ngettext
from service.mail import notify, readers, sender
from service.mail.tokens import read_notify_stop_token, read_unsubscribe_token
from service.models import OutboxMail, Site, utcnow

bp = Blueprint("mail", __name__)


def mask(address: str) -> str:
    """``r***@example.com``: enough to recognise one's own address, no more."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# -- readers: unsubscribe ----------------------------------------------------------------------

def _broken_unsubscribe_link():
    return render_template("link_problem.html",
                           problem=_("This unsubscribe link is not valid; it may have been "
                                     "cut off. Copy the whole link from the mail.")), 400


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; mail clients POST here (RFC 8058)
def unsubscribe(token: str):
    address = read_unsubscribe_token(token)
    if address is None:
        return _broken_unsubscribe_link()
    if request.method == "POST":
        count = readers.unsubscribe(db.session, address)
        db.session.commit()
        return render_template("mail_pages/unsubscribed.html", address=mask(address),
                               count=count)
    return render_template("mail_pages/unsubscribe.html", address=mask(address))


@bp.route("/unsubscribe/notifications/<token>", methods=["GET", "POST"])
@csrf.exempt  # as above: the token is the credential, and mail clients POST here
def stop_notifications(token: str):
    decoded = read_notify_stop_token(token)
    if decoded is None:
        return _broken_unsubscribe_link()
    address, site_id = decoded
    site = db.session.get(Site, site_id) if site_id is not None else None
    if site is not None:
        fall_back_to(site.default_lang)
    if request.method == "POST":
        done = notify.stop_notifications(db.session, address, site_id)
        db.session.commit()
        return render_template("mail_pages/notifications_stopped.html", address=mask(address),
                               done=done)
    return render_template("mail_pages/stop_notifications.html", address=mask(address),
                           site=site)


# -- admins: the outbox ------------------------------------------------------------------------

@bp.get("/outbox")
@admin_required
def outbox():
    rows = db.session.scalars(
        select(OutboxMail).where(OutboxMail.status.in_(("failed", "pending", "sending")))
        .order_by(OutboxMail.status, OutboxMail.next_attempt_at, OutboxMail.id).limit(500)).all()
    counts = dict(db.session.execute(
        select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    return render_template("mail_pages/outbox.html", rows=rows, counts=counts, now=utcnow(),
                           nav_section="outbox")


@bp.post("/outbox/<int:mail_id>/retry")
@admin_required
def outbox_retry(mail_id: int):
    if sender.retry(db.session, mail_id):
        db.session.commit()
        flash(_("Mail #%(id)s will be sent again in the next round of the sender.", id=mail_id),
              "success")
    else:
        flash(_("Mail #%(id)s is no longer waiting or failed.", id=mail_id), "info")
    return redirect(url_for("mail.outbox"))


@bp.post("/outbox/retry-failed")
@admin_required
def outbox_retry_failed():
    ids = db.session.scalars(select(OutboxMail.id).where(OutboxMail.status == "failed")).all()
    for mail_id in ids:
        sender.retry(db.session, mail_id)
    db.session.commit()
    flash(ngettext("%(num)d failed mail will be sent again in the next round of the sender.",
                   "%(num)d failed mails will be sent again in the next round of the sender.",
                   len(ids)), "success")
    return redirect(url_for("mail.outbox"))
