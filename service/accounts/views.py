"""Log in and out, my password and mail settings, the pages of invitation and password-reset
links, and the admins' People pages (adding, inviting and editing editors)."""

from __future__ import annotations

import math
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from wtforms import SelectChoice

from service.accounts import sessions
from service.accounts.access import admin_required
from service.accounts.core import (
    MAX_EMAIL,
    MIN_PASSWORD,
    authenticate,
    change_own_password,
    clean_name,
    create_editor,
    set_password,
    update_editor,
)
from service.accounts.forms import (
    EditorAddForm,
    EditorForm,
    InviteForm,
    LoginForm,
    NewPasswordForm,
    PasswordForm,
    PersonForm,
    ResetRequestForm,
    SettingsForm,
)
from service.accounts.links import (
    INVITE_DAYS,
    RESET_HOURS,
    TokenProblem,
    invite_editor,
    queue_invitation,
    queue_password_reset,
    read_account_token,
)
from service.errors import FieldErrors
from service.extensions import db, limiter
from service.forms import put_errors
from service.i18n import (
    _,
    current_language,
    first_defaults,
    languages,
    lazy_gettext,
    lazy_ngettext,
    ngettext,
    time_zones,
)
from service.models import Editor, Site
from service.network import client_network
from service.web import error_page

bp = Blueprint("accounts", __name__)

WRONG_LOGIN = lazy_gettext("That email and password don't match an active account.")
RESET_SENT = lazy_ngettext("If an Errata account uses that address, a link to choose a new "
                           "password is on its way. It works once, for %(num)d hour.",
                           "If an Errata account uses that address, a link to choose a new "
                           "password is on its way. It works once, for %(num)d hours.",
                           RESET_HOURS)


# -- shared page helpers -----------------------------------------------------------------------

def home_url() -> str:
    """Where a logged-in editor starts: the queue; anyone else: the login page."""
    if not current_user.is_authenticated:
        return url_for("accounts.login")
    return url_for("queue.index")


@bp.app_context_processor
def _page_helpers() -> dict:
    return {"home_url": home_url}


# The numbers pages state (a link's lifetime, a password's length, a session's idle time)
# come from the constants that enforce them, through ngettext. Globals, not context: the
# form macros (accounts/_form.html) are imported without context.
bp.add_app_template_global(INVITE_DAYS, "invite_days")
bp.add_app_template_global(MIN_PASSWORD, "min_password")
bp.add_app_template_global(sessions.IDLE.days, "session_idle_days")


@bp.app_errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    exc.description = _("This form has expired or did not come from an Errata page. "
                        "Go back, reload the page and try again.")
    return render_template("error.html", error=exc), 400


def safe_next(target: str | None) -> str | None:
    """A local path to go to after login, or None: never another host (open redirect).

    Browsers treat ``\\`` like ``/`` and drop tabs and newlines, so ``/\\evil`` and
    ``/\\t/evil`` would leave the site; anything with a scheme, a host, a backslash or a
    control character is refused.
    """
    if not target:
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _form_status(form) -> int:
    """400 for a form sent back with errors (a size limit, a missing field), else 200."""
    return 400 if request.method == "POST" and form.errors else 200


# -- login and logout --------------------------------------------------------------------------

def _login_limit_ip() -> str:
    return current_app.config["ERRATA_LOGIN_LIMIT_IP"]


def _login_limit_account() -> str:
    return current_app.config["ERRATA_LOGIN_LIMIT_ACCOUNT"]


def _account_key() -> str:
    """The per-account limit's key; none for an address no account can have (the form
    refuses it), so an oversized email never becomes a key in the limiter's storage."""
    email = request.form.get("email", "").strip().lower()
    return f"account:{email}" if email and len(email) <= MAX_EMAIL else ""


def _login_failed(_response) -> bool:
    """Only failed attempts count against the limits."""
    return bool(g.get("login_failed"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit_ip, key_func=client_network, methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(_login_limit_account, key_func=_account_key, methods=["POST"],
               deduct_when=_login_failed)
def login():
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or home_url())
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        editor = authenticate(db.session, form.email.data or "", form.password.data or "")
        if editor is None:
            g.login_failed = True
            error = WRONG_LOGIN
        else:
            first_defaults(editor, form.timezone.data)
            sessions.sign_in(db.session, editor)  # a fresh session: nothing carried over
            db.session.commit()
            return redirect(target or home_url())
    status = 401 if error else _form_status(form)
    return render_template("accounts/login.html", form=form, error=error, next=target), status


@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests):
    """Throttled logins and reset requests see their page again, with a sentence in the
    person's language instead of an error code."""
    wait = _seconds_until_allowed()
    minutes = max(1, round(wait / 60))
    if request.endpoint == "accounts.login":
        form = LoginForm()
        form.password.data = ""
        error = ngettext("Too many failed logins for this account or from this network. Wait "
                         "%(num)d minute and try again, or ask an admin to set a new password.",
                         "Too many failed logins for this account or from this network. Wait "
                         "%(num)d minutes and try again, or ask an admin to set a new password.",
                         minutes)
        page = render_template("accounts/login.html", form=form, error=error,
                               next=safe_next(request.values.get("next")))
    elif request.endpoint == "accounts.reset_request":
        error = ngettext("Too many requests for a link from this network. Wait %(num)d minute "
                         "and try again.",
                         "Too many requests for a link from this network. Wait %(num)d minutes "
                         "and try again.", minutes)
        page = render_template("accounts/reset_request.html", form=ResetRequestForm(),
                               error=error)
    else:
        return error_page(exc)
    resp = make_response(page, 429)
    resp.headers["Retry-After"] = str(wait)
    return resp


def _seconds_until_allowed() -> int:
    breached = [lim for lim in limiter.current_limits if lim.breached] or [limiter.current_limit]
    resets = [lim.reset_at for lim in breached if lim is not None]
    return max(1, math.ceil(max(resets) - time.time())) if resets else 900


@bp.route("/logout", methods=["POST"])
def logout():
    """End this browser's session only; the person's other devices stay signed in."""
    sessions.sign_out(db.session)
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


# -- my account --------------------------------------------------------------------------------

@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        editor: Editor = current_user._get_current_object()
        try:
            change_own_password(editor, form.current.data or "", form.new.data or "",
                                keep_session=sessions.current_token())
        except FieldErrors as exc:
            if "current" in exc.fields:
                form.current.errors.append(_("That is not your current password."))
            else:
                put_errors(form, {"new": exc.fields.get("password", str(exc))})
        else:
            db.session.commit()
            flash(_("Your password is changed. Other sessions have been logged out."), "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def settings():
    editor: Editor = current_user._get_current_object()
    # Language and zone show what the pages use now, even before the person chose them.
    current = SimpleNamespace(
        display_name=editor.display_name, notify_mode=editor.notify_mode,
        digest_hour=editor.digest_hour, language=editor.language or current_language(),
        timezone=editor.timezone or current_app.config["ERRATA_DEFAULT_TIMEZONE"])
    form = SettingsForm(obj=current)
    form.language.choices = [SelectChoice(code, name) for code, name in languages()]
    form.timezone.choices = [SelectChoice(name, name.replace("_", " "))
                             for name in time_zones(current.timezone)]
    if form.validate_on_submit():
        editor.display_name = clean_name(form.display_name.data or "")
        editor.notify_mode = form.notify_mode.data
        editor.digest_hour = form.digest_hour.data
        editor.language = form.language.data
        editor.timezone = form.timezone.data
        db.session.commit()
        refresh()  # the flash below is already in the newly chosen language
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form, editor=editor,
                           signed_in=sessions.listing(db.session, editor,
                                                      sessions.current_token()))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign out one of my devices (from the list in Settings)."""
    editor: Editor = current_user._get_current_object()
    current = sessions.find(db.session, sessions.current_token())
    if current is not None and current.id == session_id:
        return logout()
    if sessions.end_one(db.session, editor, session_id):
        db.session.commit()
        flash(_("That device is signed out."), "success")
    else:
        flash(_("That device was already signed out."), "info")
    return redirect(url_for("accounts.settings", _anchor="sessions"))


@bp.post("/account/sessions/end-all")
@login_required
def end_all_sessions():
    """Sign out everywhere: every session of mine ends, this one too."""
    editor: Editor = current_user._get_current_object()
    sessions.end_all(db.session, editor)
    sessions.sign_out(db.session)
    db.session.commit()
    flash(_("You are signed out on every device, this one too."), "success")
    return redirect(url_for("accounts.login"))


# -- links from mail: an invitation, a password reset -------------------------------------------

def _set_password_page(token: str, purpose: str):
    try:
        editor = read_account_token(db.session, token, purpose)
    except TokenProblem as exc:
        return render_template("link_problem.html", problem=str(exc), offer_reset=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(editor, form.new.data or "")
        except FieldErrors as exc:
            put_errors(form, {"new": exc.fields.get("password", str(exc))})
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
            return redirect(home_url())
    return render_template("accounts/set_password.html", form=form, editor=editor,
                           purpose=purpose), _form_status(form)


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
        return render_template("accounts/reset_sent.html", message=RESET_SENT)
    return render_template("accounts/reset_request.html", form=form), _form_status(form)


# -- people (admins) ---------------------------------------------------------------------------

def _site_choices(form: PersonForm) -> None:
    sites = db.session.scalars(select(Site).order_by(Site.name)).all()
    form.sites.choices = [SelectChoice(s.id, s.name) for s in sites]


def _chosen_sites(ids: list[int] | None) -> list[Site]:
    if not ids:
        return []
    return list(db.session.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name)))


def _editor_or_404(editor_id: int) -> Editor:
    editor = db.session.get(Editor, editor_id)
    if editor is None:
        abort(404, _("There is no such editor."))
    return editor


def _ask_first_if_no_sites(editor: Editor, template: str, form: PersonForm) -> str | None:
    """All is valid, but an editor with no sites would find an empty queue: undo, and show
    the form again with the question (templates/accounts/_no_sites.html), whose hidden
    ``no_sites_ok`` goes on the second time. None when there is nothing to ask."""
    if editor.is_admin or editor.sites or request.form.get("no_sites_ok"):
        return None
    db.session.rollback()
    return render_template(template, form=form, editor=None, no_sites=True)


@bp.route("/people")
@admin_required
def people():
    editors = db.session.scalars(select(Editor).order_by(Editor.active.desc(), Editor.email)).all()
    return render_template("accounts/people.html", editors=editors)


@bp.route("/people/new", methods=["GET", "POST"])
@admin_required
def person_new():
    form = EditorAddForm()
    _site_choices(form)
    if form.validate_on_submit():
        # Inviting by mail (a one-time link, no password chosen by the admin) is
        # invite_new; this page is for when mail is not set up.
        if not form.password.data:
            form.password.errors.append(
                _("Set an initial password (tell it to them in person)."))
        else:
            try:
                editor = create_editor(
                    db.session, form.email.data or "", role=form.role.data,
                    password=form.password.data, display_name=form.display_name.data or "",
                    sites=_chosen_sites(form.sites.data),
                )
            except FieldErrors as exc:
                db.session.rollback()
                put_errors(form, exc.fields)
            else:
                question = _ask_first_if_no_sites(editor, "accounts/person_form.html", form)
                if question is not None:
                    return question
                editor.active = bool(form.active.data)
                db.session.commit()
                flash(_("%(email)s can now log in.", email=editor.email), "success")
                return redirect(url_for("accounts.people"))
    return render_template("accounts/person_form.html", form=form, editor=None)


@bp.route("/people/invite", methods=["GET", "POST"])
@admin_required
def invite_new():
    form = InviteForm()
    _site_choices(form)
    if form.validate_on_submit():
        try:
            editor = invite_editor(db.session, form.email.data or "", role=form.role.data,
                                   sites=_chosen_sites(form.sites.data),
                                   display_name=form.display_name.data or "",
                                   inviter=current_user._get_current_object())
        except FieldErrors as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
        else:
            question = _ask_first_if_no_sites(editor, "accounts/invite.html", form)
            if question is not None:
                return question
            db.session.commit()
            flash(ngettext("Invitation sent to %(email)s. The link works once, for %(num)d day.",
                           "Invitation sent to %(email)s. The link works once, for %(num)d days.",
                           INVITE_DAYS, email=editor.email), "success")
            return redirect(url_for("accounts.people"))
    return render_template("accounts/invite.html", form=form), _form_status(form)


@bp.post("/people/<int:editor_id>/invite")
@admin_required
def invite_again(editor_id: int):
    editor = _editor_or_404(editor_id)
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


@bp.route("/people/<int:editor_id>", methods=["GET", "POST"])
@admin_required
def person_edit(editor_id: int):
    editor = _editor_or_404(editor_id)
    is_self = editor.id == current_user.id
    form = EditorForm(display_name=editor.display_name, role=editor.role, active=editor.active,
                      sites=[s.id for s in editor.sites])
    _site_choices(form)
    if form.validate_on_submit():
        try:
            update_editor(editor, actor=current_user._get_current_object(),
                          display_name=form.display_name.data or "", role=form.role.data,
                          active=bool(form.active.data), sites=_chosen_sites(form.sites.data),
                          password=form.password.data or "",
                          keep_session=sessions.current_token() if is_self else None)
        except FieldErrors as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("%(email)s is updated.", email=editor.email), "success")
            return redirect(url_for("accounts.people"))
    return render_template("accounts/person_form.html", form=form, editor=editor,
                           is_self=is_self)


