"""Public pages, no login: a site's corrections log as HTML and Atom (``/p/<key>/…``).

No session is opened on ``/p/`` (service/web.py), so nothing here sets a cookie and shared
caches may keep the answers for five minutes; an ETag lets them revalidate cheaply.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, make_response, render_template, request

from service.extensions import db
from service.i18n import _, fall_back_to
from service.mail.messages import absolute
from service.public.log import MAX_PAGE, PAGE_SIZE, log_page, public_site

bp = Blueprint("public", __name__)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, _("The page must be a whole number from 1 to %(max)d.", max=MAX_PAGE))
    return int(raw)


def _cached(body: str, mimetype: str):
    resp = make_response(body)
    resp.mimetype = mimetype
    resp.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.vary.add("Accept-Language")
    return resp.make_conditional(request)


def _log(key: str):
    site = public_site(db.session, key)
    if site is None:
        abort(404, _("This site publishes no corrections log."))
    # Readers get their browser's language, else the site's.
    fall_back_to(site.default_lang)
    page = log_page(db.session, site, _page_number())
    if page.page > page.pages:
        abort(404, _("There is no such page of the corrections log."))
    return page


@bp.get("/p/<key>/corrections")
def corrections(key: str):
    page = _log(key)
    return _cached(render_template("public/corrections.html", log=page, page_size=PAGE_SIZE,
                                   feed_url=absolute(f"/p/{page.site.key}/corrections.atom")),
                   "text/html")


@bp.get("/p/<key>/corrections.atom")
def corrections_atom(key: str):
    page = _log(key)
    return _cached(render_template("public/corrections.atom.xml", log=page,
                                   self_url=absolute(request.full_path.rstrip("?")),
                                   html_url=absolute(f"/p/{page.site.key}/corrections")),
                   "application/atom+xml")
