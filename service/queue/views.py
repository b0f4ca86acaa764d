"""The editors' queue: the list at ``/queue`` and one correction at ``/queue/<id>``.

Every action is a plain POST form (CSRF-checked) that redirects back, so everything works
without JavaScript; ``static/app/queue.js`` only adds keyboard shortcuts that press the same
buttons. The work itself is in ``listing.py`` and ``actions.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_timedelta
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.accounts.access import can_see, restrict
from service.extensions import db
from service.i18n import _, lazy_gettext, ngettext
from service.labels import KIND_LABELS, STATUS_LABELS
from service.mail.readers import pending_thanks
from service.models import KINDS, STATUSES, Correction, Editor, Event, Report, Site, utcnow
from service.pagecheck import messages as pagecheck_messages
from service.pagecheck import runner as pagecheck_runner
from service.queue import actions
from service.queue.actions import ActionError
from service.queue.diff import word_diff
from service.queue.export import queue_csv
from service.queue.forms import AssignForm, BulkForm, NoteForm, StatusForm
from service.queue.listing import (
    FilterError,
    fits_int,
    list_corrections,
    open_counts,
    parse_filters,
    same_article,
)

bp = Blueprint("queue", __name__)

EVENT_LABELS = {
    "fixed": lazy_gettext("marked it fixed"),
    "rejected": lazy_gettext("marked it not an error"),
    "spam": lazy_gettext("marked it spam"),
    "auto_spam": lazy_gettext("marked it spam on arrival (links or spam words)"),
    "reopen": lazy_gettext("reopened it"),
    "assign": lazy_gettext("assigned it"),
    "unassign": lazy_gettext("unassigned it"),
    "note": lazy_gettext("added a note"),
    "block_ip": lazy_gettext("blocked a reader"),
    "block_origin": lazy_gettext("blocked an origin"),
    "unblock": lazy_gettext("lifted a block"),
}
# What the page check did, after "Page check:". Not a person: no verb that needs a gender in
# Russian ("проверка страницы проверил(а)" read as a person's action, twice over).
PAGE_CHECK_LABELS = {
    "page_present": lazy_gettext("the error is still there"),
    "page_gone": lazy_gettext("the error looks fixed"),
    "page_unknown": lazy_gettext("can't tell"),
    "fixed": lazy_gettext("the error is gone from the page, marked fixed"),
}
# "Fixed" waits this long for its page check before showing the next page.
AFTER_FIX_WAIT = 2.0


def _done(action: str, correction_id: int) -> str:
    """The flash after one correction's action: whole sentences, so each language can order
    its words."""
    sentences = {
        "fixed": _("#%(id)s marked as fixed.", id=correction_id),
        "rejected": _("#%(id)s marked as not an error.", id=correction_id),
        "spam": _("#%(id)s marked as spam.", id=correction_id),
        "reopen": _("#%(id)s reopened.", id=correction_id),
    }
    return sentences[action]


def _bulk_done(action: str, count: int) -> str:
    if action == "fixed":
        return ngettext("%(num)d correction marked as fixed.",
                        "%(num)d corrections marked as fixed.", count)
    if action == "rejected":
        return ngettext("%(num)d correction marked as not an error.",
                        "%(num)d corrections marked as not an error.", count)
    if action == "spam":
        return ngettext("%(num)d correction marked as spam.",
                        "%(num)d corrections marked as spam.", count)
    return ngettext("%(num)d correction assigned.", "%(num)d corrections assigned.", count)


# -- template helpers --------------------------------------------------------------------------

@bp.app_template_global()
def queue_open_counts() -> list[tuple[Site, int]]:
    """Open corrections per site for the navigation; computed once per request."""
    if not current_user.is_authenticated:
        return []
    if "queue_open_counts" not in g:
        g.queue_open_counts = open_counts(db.session, current_user)
    return g.queue_open_counts


@bp.app_context_processor
def _queue_helpers() -> dict:
    return {"status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS, "word_diff": word_diff,
            "page_state_label": pagecheck_messages.state_label,
            "page_reason": pagecheck_messages.describe}


# -- helpers ---------------------------------------------------------------------------------

def _back(default: str) -> str:
    """The ``next`` field when it is a page of the queue, else ``default``; never off-site."""
    target = request.form.get("next", "")
    if (target.startswith("/queue") and "\\" not in target and "//" not in target
            and target.isprintable()):
        return target
    return default


def correction_or_404(correction_id: int) -> Correction:
    """Another site's correction is "not found", not "forbidden": its existence is private."""
    correction = db.session.get(Correction, correction_id) if fits_int(correction_id) else None
    if correction is None or not can_see(current_user, correction):
        abort(404, _("There is no correction with that number among your sites."))
    return correction


def _form_errors(form) -> str:
    messages = [str(msg) for msgs in form.errors.values() for msg in msgs]
    return " ".join(messages) or _("Check the form.")


def _assignable(site_ids: set[int]) -> list[Editor]:
    """Active people who could take corrections of every one of ``site_ids``."""
    stmt = select(Editor).where(Editor.active.is_(True)).order_by(Editor.email)
    if not site_ids:
        return list(db.session.scalars(stmt))
    return [e for e in db.session.scalars(stmt.options(selectinload(Editor.sites)))
            if e.is_admin or site_ids <= {s.id for s in e.sites}]


def _assignee(value: str, site_ids: set[int]) -> Editor | None:
    """Resolve an assignee field: "me", "" (nobody) or an editor id."""
    if value in ("", "none"):
        return None
    if value == "me":
        return current_user._get_current_object()
    try:
        editor_id = int(value)
    except ValueError:
        editor_id = None
    editor = db.session.get(Editor, editor_id) if editor_id and fits_int(editor_id) else None
    if editor is None or editor not in _assignable(site_ids):
        raise ActionError(_("That person can't take corrections of this site."))
    return editor


# -- pages -------------------------------------------------------------------------------------

@bp.get("/queue")
@login_required
def index():
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        abort(400, str(exc))
    page = list_corrections(db.session, current_user, filters)
    if page.filters != filters:
        # "Previous page" reached the top: show the first page at its own address, so that
        # reloads and the actions' redirects back here don't drift as new reports arrive.
        return redirect(url_for("queue.index", **page.filters.query_args()))
    sites = [s for s, _ in queue_open_counts()]
    return render_template(
        "queue/index.html", page=page, filters=filters, sites=sites, kinds=KINDS,
        statuses=STATUSES, nav_section="queue", here=request.full_path.rstrip("?"),
        people=_assignable(set() if current_user.is_admin else {s.id for s in sites}),
    )


@bp.get("/queue.csv")
@login_required
def export():
    """The queue with the same filters as ``/queue``, every page of it, as a spreadsheet."""
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        abort(400, str(exc))
    filters = replace(filters, after="", before="")
    body = stream_with_context(queue_csv(db.session, current_user, filters))
    stamp = utcnow().strftime("%Y-%m-%d")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="errata-queue-{stamp}.csv"',
        "Cache-Control": "private, no-store"})


@bp.get("/queue/<int:correction_id>/article")
@login_required
def article(correction_id: int):
    """All corrections of one article, whatever their status."""
    correction = correction_or_404(correction_id)
    return render_template("queue/article.html", c=correction,
                           rows=same_article(db.session, correction), nav_section="queue")


@bp.get("/queue/<int:correction_id>")
@login_required
def show(correction_id: int):
    correction = correction_or_404(correction_id)
    reports = list(db.session.scalars(
        select(Report).where(Report.correction_id == correction.id).order_by(Report.id)))
    events = list(db.session.scalars(
        select(Event).where(Event.correction_id == correction.id).order_by(Event.id)))
    return render_template(
        "queue/show.html", c=correction, reports=reports, events=events,
        people=_assignable({correction.site_id}), event_labels=EVENT_LABELS,
        page_check_labels=PAGE_CHECK_LABELS,
        nav_section="queue", checking=pagecheck_runner.is_running(correction.id),
    )


# -- actions -------------------------------------------------------------------------------------

@bp.post("/queue/<int:correction_id>/status")
@login_required
def status(correction_id: int):
    correction = correction_or_404(correction_id)
    form = StatusForm()
    if not form.validate():
        abort(400, _form_errors(form))
    waiting = pending_thanks(db.session, correction) if form.action.data == "reopen" else 0
    try:
        event = actions.change_status(db.session, correction, current_user, form.action.data,
                                      form.note.data or "", form.applied_fix.data)
    except ActionError as exc:
        abort(400, str(exc))
    db.session.commit()
    if event is None:
        flash(_("#%(id)s already has the status “%(status)s”.", id=correction.id,
                status=STATUS_LABELS[correction.status]), "info")
    else:
        flash(_done(form.action.data, correction.id), "success")
        _undo_window(correction, form.action.data, waiting)
        if form.action.data == "fixed":
            _check_after_fix(correction)
    return redirect(_back(url_for("queue.show", correction_id=correction.id)))


def _undo_window(correction: Correction, action: str, withdrawn: int) -> None:
    """Tell the editor about the readers' thank-you: when it leaves after "Fixed" (and that
    Reopen until then withdraws it), or that Reopen withdrew it."""
    if action == "fixed":
        waiting = pending_thanks(db.session, correction)
        if waiting:
            when = format_timedelta(
                timedelta(seconds=current_app.config["ERRATA_MAIL_THANKS_DELAY_SECONDS"]),
                add_direction=True)
            flash(ngettext("The thank-you to %(num)d reader leaves %(when)s; Reopen before "
                           "then to withdraw it.",
                           "The thank-yous to %(num)d readers leave %(when)s; Reopen before "
                           "then to withdraw them.", waiting, when=when), "info")
    elif action == "reopen" and withdrawn:
        flash(ngettext("The thank-you to %(num)d reader was withdrawn before it left.",
                       "The thank-yous to %(num)d readers were withdrawn before they left.",
                       withdrawn), "info")


def _check_after_fix(correction: Correction) -> None:
    """Check the page right after "Fixed"; if it answers within ``AFTER_FIX_WAIT`` and the
    quote is still there, say so now (the correction page says it too, whenever it ends)."""
    if not current_app.config["ERRATA_PAGE_CHECKS"]:
        return
    checked = pagecheck_runner.check_and_wait(correction.id, wait=AFTER_FIX_WAIT)
    if checked is not None and checked.state == "present":
        flash(_("#%(id)s is marked fixed, but its page still has the error.",
                id=correction.id), "warning")


@bp.post("/queue/<int:correction_id>/check")
@login_required
def check(correction_id: int):
    """"Check the page": wait up to 10 s for the result, else say the check goes on."""
    correction = correction_or_404(correction_id)
    checked = pagecheck_runner.check_and_wait(correction.id)
    if checked is None:
        flash(_("The page is still being checked; reload this page in a moment to see the "
                "result."), "info")
    else:
        flash(_("Page checked: %(state)s. %(reason)s",
                state=pagecheck_messages.state_label(checked.state),
                reason=pagecheck_messages.describe(checked.reason)),
              "warning" if checked.state == "present" else "success")
    return redirect(url_for("queue.show", correction_id=correction.id, _anchor="page-check"))


@bp.post("/queue/<int:correction_id>/assign")
@login_required
def assign(correction_id: int):
    correction = correction_or_404(correction_id)
    form = AssignForm()
    try:
        assignee = _assignee(form.assignee.data or "", {correction.site_id})
        event = actions.assign(db.session, correction, current_user, assignee)
    except ActionError as exc:
        abort(400, str(exc))
    db.session.commit()
    if event is not None:
        if assignee:
            flash(_("#%(id)s is now assigned to %(name)s.", id=correction.id,
                    name=assignee.label), "success")
        else:
            flash(_("#%(id)s is now assigned to nobody.", id=correction.id), "success")
    return redirect(_back(url_for("queue.show", correction_id=correction.id)))


@bp.post("/queue/<int:correction_id>/note")
@login_required
def note(correction_id: int):
    correction = correction_or_404(correction_id)
    form = NoteForm()
    if not form.validate():
        abort(400, _form_errors(form))
    actions.add_note(db.session, correction, current_user, form.note.data)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for("queue.show", correction_id=correction.id, _anchor="history"))


@bp.post("/queue/bulk")
@login_required
def bulk():
    form = BulkForm()
    if not form.validate():
        abort(400, _form_errors(form))
    back = _back(url_for("queue.index"))
    # Numbers no correction can have are ignored like ids of other sites.
    form.ids.data = [i for i in form.ids.data or [] if fits_int(i)]
    if not form.ids.data:
        flash(_("Select at least one correction first."), "warning")
        return redirect(back)
    try:
        assignee = None
        if form.action.data == "assign":
            # Only the corrections this editor may see: another site's id must get the answer
            # an id that doesn't exist gets, or the answer would tell who covers which site.
            site_ids = set(db.session.scalars(restrict(
                select(Correction.site_id).where(Correction.id.in_(form.ids.data)),
                current_user)))
            assignee = _assignee(form.assignee.data or "me", site_ids)
        changed = actions.bulk(db.session, current_user, form.ids.data, form.action.data,
                               assignee=assignee)
    except ActionError as exc:
        abort(400, str(exc))
    db.session.commit()
    if form.action.data == "fixed" and current_app.config["ERRATA_PAGE_CHECKS"]:
        for correction_id in form.ids.data:  # checked in the background; ids not seen: no-op
            pagecheck_runner.start_check(correction_id)
    flash(_bulk_done(form.action.data, changed), "success")
    return redirect(back)
