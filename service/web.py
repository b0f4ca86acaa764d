"""What every page shares: the logged-in editor, security headers, error pages."""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from service.accounts import sessions
from service.extensions import db, login_manager
from service.i18n import lazy_gettext
from service.ingest.urls import display_origin, display_url, link_on
from service.models import Editor

# No inline script or style, nothing from another origin. The snippet's own files are
# served to other sites' pages and are not HTML, so this header does not concern them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# The reader snippet (static/js/*) is fetched on every page view of every embedding site: an
# hour of caching saves a revalidation per view, and an edit still reaches readers the same day.
SNIPPET_MAX_AGE = 3600


def snippet_headers(resp: Response) -> Response:
    """Cache ``static/js/*`` (the reader snippet) and let any site load it.

    ``Access-Control-Allow-Origin: *`` lets a site add ``integrity`` + ``crossorigin`` (SRI);
    CORP ``cross-origin`` lets pages with ``Cross-Origin-Embedder-Policy`` load it. The files
    carry no cookies or secrets. Errata's own assets (static/app/) keep the defaults.
    """
    if request.endpoint == "static" and (request.view_args or {}).get(
        "filename", ""
    ).startswith("js/"):
        resp.cache_control.public = True
        resp.cache_control.max_age = SNIPPET_MAX_AGE
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return resp


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route, capped at the largest id a column can hold.

    PostgreSQL's ``integer`` stops at 2**31 - 1; a larger id in a URL would make the lookup
    itself fail (a 500) instead of finding nothing. Capped, it is a 404 at routing.
    """

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class EditorSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for the editors' pages only.

    The public API (``/api/``, ``/healthz``) is called by readers' browsers on other sites:
    it neither reads nor sets a cookie, so no session is opened there at all. Nor on the
    public corrections logs (``/p/``), which shared caches keep.
    """

    def open_session(self, app, request):  # noqa: ANN001 - Flask's signature
        if request.path.startswith(COOKIELESS_PATHS):
            return self.null_session_class()
        return super().open_session(app, request)


COOKIELESS_PATHS = ("/api/", "/healthz", "/p/")
# What anyone may cache: the snippet's files, the demo article, the public corrections log.
# Everything else (editors' pages, pages of mail links, the token API) says no-store.
PUBLIC_ENDPOINTS = ("static", "demo.article")
PUBLIC_PATHS = ("/p/",)

# Error pages in the person's language. werkzeug's own descriptions are English; where a
# view gave none of its own, ours replaces it.
ERROR_PAGES = {
    400: (lazy_gettext("Bad request"),
          lazy_gettext("The page could not understand what was sent. Go back and try again.")),
    403: (lazy_gettext("Not allowed"),
          lazy_gettext("You don't have permission to open this page.")),
    404: (lazy_gettext("Not found"),
          lazy_gettext("There is no page at this address. Check the link, or start again "
                       "from the queue.")),
    405: (lazy_gettext("Not allowed"),
          lazy_gettext("This page can't be used that way.")),
    413: (lazy_gettext("Too large"),
          lazy_gettext("What was sent is too large.")),
    429: (lazy_gettext("Too many requests"),
          lazy_gettext("Too many requests in a short time. Wait a little and try again.")),
    500: (lazy_gettext("Something went wrong"),
          lazy_gettext("Something went wrong on our side. Try again in a moment.")),
}


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: routes pick their converter when added.
    app.url_map.converters["int"] = RowIdConverter
    app.session_interface = EditorSessions()
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_editor(user_id: str) -> Editor | None:
        # The cookie alone proves nothing: its session must still be in editor_sessions
        # (logout, deactivation and "Sign out everywhere" delete the rows).
        row = sessions.find(db.session, sessions.current_token())
        if row is None or str(row.editor_id) != user_id:
            return None
        editor = db.session.get(Editor, row.editor_id)
        if editor is None or not editor.active:
            return None
        if sessions.touch(db.session, row):
            db.session.commit()
        return editor

    @app.template_filter("page_link")
    def _page_link(url: str | None, site) -> str:  # noqa: ANN001 - a Site
        """``url`` as a browser opens it when that is a page of ``site``, else "": a stored
        URL becomes a link only to the site's own pages (never javascript:, never another
        host). Used by the queue, the mails and the public log alike."""
        return link_on(url, site.origins)

    @app.template_filter("origin_for_people")
    def _origin_for_people(origin: str) -> str:
        return display_origin(origin)

    @app.template_filter("url_for_people")
    def _url_for_people(url: str) -> str:
        return display_url(url or "")

    @app.get("/")
    def index():
        """The service's front door: the queue for editors, the login page for everyone else."""
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login"))
        return redirect(url_for("queue.index"))

    # Where the static files are served (Flask's own ``static`` route), so the snippet keeps
    # its headers whatever blueprints are registered.
    app.after_request(snippet_headers)

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        public = request.path.startswith(PUBLIC_PATHS) or request.endpoint in PUBLIC_ENDPOINTS
        if not public:
            # Editors' pages (and the pages of their mail links) hold reader text, names and
            # CSRF tokens: no browser, proxy or back button may keep a copy.
            resp.headers.setdefault("Cache-Control", "no-store")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", CSP)
            resp.headers.setdefault("X-Frame-Options", "DENY")
            resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp

    app.errorhandler(HTTPException)(error_page)


def error_page(exc: HTTPException):
    """An error as a page in the person's language (JSON under ``/api/``). A feature's own
    handler for some error (the login page's for 429) hands the rest back to this one."""
    if request.path.startswith("/api/"):
        resp = jsonify({"error": (exc.name or "error").lower().replace(" ", "_"),
                        "message": exc.description})
        resp.status_code = exc.code or 500
        return resp
    code = exc.code or 500
    title, default = ERROR_PAGES.get(code, (exc.name, exc.description))
    description = exc.description
    if description == type(exc).description:
        description = default
    return render_template("error.html", error=exc, code=code, title=title,
                           description=description), code
