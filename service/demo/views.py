"""The demo article: the shared seed article with the snippet embedded for the demo site."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, url_for
from markupsafe import escape

bp = Blueprint("demo", __name__)

ARTICLE = Path(__file__).with_name("seed-article.html")
DEMO_KEY = "demo"
# The demo stands for a publisher's page, which has its own inline <style>. Scripts stay
# strict, so the demo also shows that the snippet needs no inline script or eval.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=1)
def _article() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@bp.get("/demo")
def article() -> Response:
    src = url_for("static", filename="js/errata.js")
    tag = (
        f'<script src="{escape(src)}" data-site="{DEMO_KEY}" data-hint=".report-hint" '
        'data-root="article" defer></script>\n'
    )
    html = _article().replace("</body>", tag + "</body>", 1)
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = DEMO_CSP
    return resp
