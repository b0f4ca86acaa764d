"""Sites (admins only): list, add, edit, and the page with the line to paste."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from service.accounts.access import admin_required
from service.extensions import db
from service.models import OPEN_STATUSES, Correction, Site

bp = Blueprint("sites", __name__)


def open_counts() -> dict[int, int]:
    """Open corrections (new + in progress) per site id."""
    rows = db.session.execute(
        select(Correction.site_id, func.count())
        .where(Correction.status.in_(OPEN_STATUSES))
        .group_by(Correction.site_id)
    )
    return {site_id: count for site_id, count in rows}


@bp.route("/sites")
@admin_required
def index():
    sites = db.session.scalars(select(Site).order_by(Site.active.desc(), Site.name)).all()
    return render_template("sites/index.html", sites=sites, open_counts=open_counts())
