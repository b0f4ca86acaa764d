"""The demo articles, with the snippet embedded for the demo site: ``/demo`` is the shared
English seed article, ``/demo/ru`` a short Russian article of our own. Each has a few
deliberate errors to report, and each links to the other."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, url_for
from markupsafe import escape

bp = Blueprint("demo", __name__)

ARTICLE = Path(__file__).with_name("seed-article.html")
ARTICLE_RU = Path(__file__).with_name("article-ru.html")
# The seed article is shared and stays as it is; its link to the Russian one is added here.
TO_RUSSIAN = ('<p class="demo-lang" style="font:14px sans-serif;text-align:right;margin:0">'
              '<a href="/demo/ru" hreflang="ru" lang="ru">Эта статья по-русски</a></p>\n')
DEMO_KEY = "demo"
# The demo stands for a publisher's page, which has its own inline <style>. Scripts stay
# strict, so the demo also shows that the snippet needs no inline script or eval.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=2)
def _article(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    if path == ARTICLE:
        html = html.replace("<main>", "<main>\n    " + TO_RUSSIAN, 1)
    return html


@bp.get("/demo")
def article() -> Response:
    return _page(ARTICLE)


@bp.get("/demo/ru")
def article_ru() -> Response:
    return _page(ARTICLE_RU)


def _page(path: Path) -> Response:
    src = url_for("static", filename="js/errata.js")
    tag = (
        f'<script src="{escape(src)}" data-site="{DEMO_KEY}" data-hint=".report-hint" '
        'data-root="article" defer></script>\n'
    )
    html = _article(path).replace("</body>", tag + "</body>", 1)
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = DEMO_CSP
    return resp
