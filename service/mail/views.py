"""Pages of the mail feature: unsubscribing (readers), invitations and password resets
(editors), and the admins' Outbox. Thin views over the plain functions of this package."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from service.accounts import sessions
from service.accounts.access import admin_required
from service.accounts.core import set_password
from service.errors import FieldErrors
from service.extensions import csrf, db, limiter
from service.forms import put_errors
from service.i18n import _, fall_back_to, field_error, first_defaults, lazy_gettext, ngettext
from service.mail import notify, readers, sender
from service.mail.accounts import invite_editor, queue_invitation, queue_password_reset
from service.mail.forms import InviteForm, ResetRequestForm, SetPasswordForm
from service.mail.tokens import (
    TokenProblem,
    read_account_token,
    read_notify_stop_token,
    read_unsubscribe_token,
)
from service.models import Editor, OutboxMail, Site, utcnow
from service.network import client_network

bp = Blueprint("mail", __name__)

RESET_SENT = lazy_gettext("If an Errata account uses that address, a link to choose a new "
                          "password is on its way. It works once, for two hours.")


def _home() -> str:
    from service.accounts.views import home_url

    return home_url()


def mask(address: str) -> str:
    """``r***@example.com``: enough to recognise one's own address, no more."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# -- readers: unsubscribe ----------------------------------------------------------------------

def _broken_unsubscribe_link():
    return render_template("mail_pages/link_problem.html",
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


# -- editors: invitation and password reset ----------------------------------------------------

def _set_password_page(token: str, purpose: str):
    try:
        editor = read_account_token(db.session, token, purpose)
    except TokenProblem as exc:
        return render_template("mail_pages/link_problem.html", problem=str(exc),
                               offer_reset=True), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(editor, form.password.data or "")
        except FieldErrors as exc:
            form.password.errors = [*form.password.errors, field_error(
                str(form.password.label.text), exc.fields.get("password", str(exc)))]
        else:
            # Whoever was signed in here, it is this editor now; after a reset, every other
            # session of theirs ends (a reset is what someone does who fears a stolen one).
            if purpose == "reset":
                sessions.end_all(db.session, editor)
            first_defaults(editor, form.timezone.data)
            sessions.sign_in(db.session, editor)
            db.session.commit()
            flash(_("Your password is set. Welcome to Errata.") if purpose == "invite"
                  else _("Your new password is set; other sessions are logged out."), "success")
            return redirect(_home())
    return render_template("mail_pages/set_password.html", form=form, editor=editor,
                           purpose=purpose), _form_status(form)


def _form_status(form) -> int:
    """400 for a form sent back with errors (a size limit, a missing field), else 200."""
    return 400 if request.method == "POST" and form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    return _set_password_page(token, "invite")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(token, "reset")


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10/15 minutes", key_func=client_network, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        queue_password_reset(db.session, form.email.data or "")
        db.session.commit()
        # The same answer whether or not the address has an account.
        return render_template("mail_pages/reset_sent.html", message=RESET_SENT)
    return render_template("mail_pages/reset_request.html", form=form), _form_status(form)


# -- admins: inviting people -------------------------------------------------------------------

@bp.route("/people/invite", methods=["GET", "POST"])
@admin_required
def invite_new():
    form = InviteForm()
    form.sites.choices = [SelectChoice(s.id, s.name) for s in
                          db.session.scalars(select(Site).order_by(Site.name))]
    if form.validate_on_submit():
        sites = list(db.session.scalars(select(Site).where(Site.id.in_(form.sites.data or []))))
        try:
            editor = invite_editor(db.session, form.email.data or "", role=form.role.data,
                                   sites=sites, display_name=form.display_name.data or "",
                                   inviter=current_user._get_current_object())
        except FieldErrors as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
        else:
            if not editor.is_admin and not sites and not request.form.get("no_sites_ok"):
                # All is valid, but an editor with no sites sees an empty queue: ask first.
                db.session.rollback()
                return render_template("mail_pages/invite.html", form=form, no_sites=True)
            db.session.commit()
            flash(_("Invitation sent to %(email)s. The link works once, for 7 days.",
                    email=editor.email), "success")
            return redirect(url_for("accounts.people"))
    return render_template("mail_pages/invite.html", form=form), _form_status(form)


@bp.post("/people/<int:editor_id>/invite")
@admin_required
def invite_again(editor_id: int):
    editor = db.session.get(Editor, editor_id)
    if editor is None:
        abort(404, _("There is no such editor."))
    if editor.password_hash:
        flash(_("%(email)s has already chosen a password; they can use “Forgot your "
                "password?” on the login page.", email=editor.email), "info")
    elif not editor.active:
        flash(_("%(email)s is deactivated; activate them first.", email=editor.email), "error")
    else:
        queue_invitation(db.session, editor, current_user._get_current_object())
        db.session.commit()
        flash(_("A new invitation is on its way to %(email)s.", email=editor.email), "success")
    return redirect(url_for("accounts.people"))


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
