"""Sites (admins only): list, add, edit, and the page with the line to paste."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from service.accounts.access import admin_required
from service.api.tokens import create_token, revoke, site_tokens
from service.channels.core import site_channels
from service.channels.forms import ChannelForm
from service.errors import FieldErrors
from service.extensions import db
from service.forms import put_errors
from service.i18n import _
from service.ingest.urls import display_origin
from service.models import Site
from service.moderation.blocks import active_blocks
from service.sites.checks import CHECK_DAYS, open_counts, recent_reports, turned_away
from service.sites.core import apply_changes, create_site, embed_code
from service.sites.forms import SiteForm
from service.sites.snippet import integrity

bp = Blueprint("sites", __name__)


def _site_or_404(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, _("There is no such site."))
    return site


@bp.route("/sites")
@admin_required
def index():
    sites = db.session.scalars(select(Site).order_by(Site.active.desc(), Site.name)).all()
    return render_template("sites/index.html", sites=sites, open_counts=open_counts(db.session))


@bp.route("/sites/new", methods=["GET", "POST"])
@admin_required
def new():
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = create_site(db.session, form.name.data or "", form.lines("origins"),
                               form.lines("notify_emails"), form.default_lang.data or "en")
            apply_changes(site, active=bool(form.active.data),
                          auto_close=bool(form.auto_close.data),
                          limit_reader=form.limit_reader.data or "",
                          limit_site=form.limit_site.data or "",
                          public_log=bool(form.public_log.data))
        except FieldErrors as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Site %(name)s added. Paste the line below into its pages.", name=site.name),
                  "success")
            return redirect(url_for("sites.show", site_id=site.id))
    return render_template("sites/form.html", form=form, site=None, defaults=_defaults())


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(site_id: int):
    site = _site_or_404(site_id)
    form = SiteForm(name=site.name, origins="\n".join(map(display_origin, site.origins)),
                    notify_emails="\n".join(site.notify_emails), default_lang=site.default_lang,
                    active=site.active, limit_reader=site.limit_reader or "",
                    limit_site=site.limit_site or "", public_log=site.public_log,
                    auto_close=site.auto_close)
    if form.validate_on_submit():
        try:
            # An empty list can't get here: the form requires the field.
            apply_changes(site, name=form.name.data, origins=form.lines("origins"),
                          notify_emails=form.lines("notify_emails"),
                          default_lang=form.default_lang.data, active=bool(form.active.data),
                          auto_close=bool(form.auto_close.data),
                          limit_reader=form.limit_reader.data or "",
                          limit_site=form.limit_site.data or "",
                          public_log=bool(form.public_log.data))
        except FieldErrors as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return redirect(url_for("sites.show", site_id=site.id))
    return render_template("sites/form.html", form=form, site=site, defaults=_defaults())


@bp.route("/sites/<int:site_id>")
@admin_required
def show(site_id: int):
    site = _site_or_404(site_id)
    return render_template(
        "sites/show.html", site=site, embed=embed_code(site), sri=integrity(),
        recent=recent_reports(db.session, site.id), days=CHECK_DAYS,
        bots=turned_away(db.session, site.id),
        open_count=open_counts(db.session).get(site.id, 0), defaults=_defaults(),
        channels=site_channels(db.session, site.id), channel_form=ChannelForm(),
        tokens=site_tokens(db.session, site.id),
        blocks=active_blocks(db.session, site.id),
    )


@bp.post("/sites/<int:site_id>/tokens")
@admin_required
def add_token(site_id: int):
    """Make an API token; its secret is in this answer only (never in a flash or a log)."""
    site = _site_or_404(site_id)
    try:
        token, raw = create_token(db.session, site, request.form.get("name", ""),
                                  current_user._get_current_object())  # type: ignore[attr-defined]
    except FieldErrors as exc:
        db.session.rollback()
        flash(_("The token's name %(problem)s.", problem=exc.fields.get("name", "")), "error")
        return redirect(url_for("sites.show", site_id=site.id, _anchor="tokens-title"))
    db.session.commit()
    resp = make_response(render_template("api/token_created.html", site=site, token=token,
                                         raw=raw, nav_section="sites"))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/sites/<int:site_id>/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(site_id: int, token_id: int):
    site = _site_or_404(site_id)
    token = revoke(db.session, token_id, site.id)
    if token is None:
        abort(404, _("There is no such token."))
    db.session.commit()
    flash(_("Token “%(name)s” revoked; it no longer works.", name=token.name), "success")
    return redirect(url_for("sites.show", site_id=site.id, _anchor="tokens-title"))


def _defaults() -> dict[str, str]:
    cfg = current_app.config
    return {"limit_reader": cfg["ERRATA_LIMIT_READER"], "limit_site": cfg["ERRATA_LIMIT_SITE"]}
