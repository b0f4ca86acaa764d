"""Blocking a reader (a confirmation page that works without JavaScript) and lifting a block.

The active blocks are listed on the site page (``sites.show``); the same functions serve the
``errata block`` commands.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from service.accounts.access import admin_required
from service.errors import FieldErrors
from service.extensions import db
from service.forms import put_errors
from service.i18n import _, when
from service.models import Block, Report, Site
from service.moderation import blocks
from service.moderation.forms import BlockForm
from service.queue.views import correction_or_404

bp = Blueprint("moderation", __name__)


@bp.route("/queue/<int:correction_id>/reports/<int:report_id>/block", methods=["GET", "POST"])
@login_required
def block_reader(correction_id: int, report_id: int):
    """Ask, then block the reader who sent this report. GET shows what will stop."""
    correction = correction_or_404(correction_id)  # another site's: 404, like a missing one
    report = db.session.scalar(select(Report).where(Report.id == report_id,
                                                    Report.correction_id == correction.id))
    if report is None:
        abort(404, _("That report is not part of this correction."))
    if not current_user.is_admin:
        abort(403, _("Only an admin can block readers."))
    form = BlockForm()
    already = next((b for b in blocks.active_blocks(db.session, report.site_id)
                    if report.ip_hash and b.value == report.ip_hash), None)
    if report.ip_hash and already is None and form.validate_on_submit():
        try:
            row = blocks.block_reader(db.session, current_user._get_current_object(), report,
                                      form.hours.data, form.reason.data or "")
        except FieldErrors as exc:
            put_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("The reader of report #%(id)s is blocked on %(site)s until %(until)s. "
                    "Their reports are dropped; they still see “Thank you”. Lift the block on "
                    "the site's page.", id=report.id, site=correction.site.name,
                    until=when(row.until)), "success")
            return redirect(url_for("queue.show", correction_id=correction.id))
    sent = db.session.scalar(select(func.count()).select_from(Report).where(
        Report.site_id == report.site_id, Report.ip_hash == report.ip_hash)) \
        if report.ip_hash else 0
    return render_template("moderation/confirm_block.html", c=correction, report=report,
                           form=form, already=already, sent=sent, nav_section="queue")


@bp.post("/sites/<int:site_id>/blocks/<int:block_id>/lift")
@admin_required
def lift(site_id: int, block_id: int):
    site = db.session.get(Site, site_id)
    row = db.session.get(Block, block_id)
    if site is None or row is None or row.site_id not in (None, site.id):
        abort(404, _("There is no such block."))
    if blocks.lift(db.session, row, current_user._get_current_object()):
        db.session.commit()
        flash(_("Block #%(id)s is lifted: that reader's reports are accepted again.",
                id=row.id), "success")
    else:
        flash(_("Block #%(id)s had already ended.", id=row.id), "info")
    return redirect(url_for("sites.show", site_id=site.id, _anchor="blocks"))
