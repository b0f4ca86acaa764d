"""Errata: reader error reports for news sites."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from service import config as _config
from service.extensions import csrf, db, limiter, login_manager, mailer

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> str:
    """``static``/``templates``/``migrations``: inside the package when installed from a wheel,
    at the top of the checkout when run from source."""
    inside = PACKAGE_DIR / name
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``test_config``."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or _config.instance_path(
        str(PACKAGE_DIR.parent / "instance"))
    app = Flask(
        __name__,
        instance_path=instance_path,
        static_folder=asset_dir("static"),
        template_folder=asset_dir("templates"),
    )
    app.config.from_mapping(_config.flask_defaults(app.instance_path))
    overrides = _config.from_environment()
    overrides.update(test_config or {})
    if not (overrides.get("SECRET_KEY") and overrides.get("ERRATA_IP_SALT")):
        for key, value in _config.instance_secrets(app.instance_path).items():
            overrides.setdefault(key, value)
    app.config.from_mapping(overrides)
    _config.validate(app.config)
    _config.derive(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    hops = int(app.config["ERRATA_PROXY_HOPS"])
    if hops > 0:
        # Only then is X-Forwarded-For believed, and only the configured number of hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    _init_database(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    mailer.init_app(app)
    limiter.init_app(app)

    from service import i18n, web

    i18n.init_app(app)

    web.init_app(app)
    _register_blueprints(app)

    from service.cli import register_cli

    register_cli(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def _register_blueprints(app: Flask) -> None:
    from service.accounts.views import bp as accounts_bp
    from service.api.views import bp as api_bp
    from service.channels.views import bp as channels_bp
    from service.demo.views import bp as demo_bp
    from service.ingest.views import bp as ingest_bp
    from service.mail.views import bp as mail_bp
    from service.moderation.views import bp as moderation_bp
    from service.public.views import bp as public_bp
    from service.queue.views import bp as queue_bp
    from service.sites.views import bp as sites_bp
    from service.stats.views import bp as stats_bp

    for bp in (ingest_bp, api_bp, accounts_bp, queue_bp, sites_bp, moderation_bp, channels_bp,
               mail_bp, public_bp, stats_bp, demo_bp):
        app.register_blueprint(bp)
    # The ingest API is called cross-origin by the snippet without cookies: no CSRF there.
    csrf.exempt(ingest_bp)
    # The token API authenticates each request by its bearer token, never by a cookie.
    csrf.exempt(api_bp)


def _init_database(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is the supported driver; accept the plain scheme people paste.
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        path = uri.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine, app.config["ERRATA_LOCK_TIMEOUT_SECONDS"])


def _tune_sqlite(engine, lock_timeout: float) -> None:
    """WAL, a busy timeout and real transactions for SQLite.

    pysqlite opens transactions lazily and never with BEGIN IMMEDIATE, so two writers could
    both read "no such correction" and both insert one. We take over BEGIN ourselves: a
    connection asked for ``immediate=True`` takes the write lock at BEGIN, which serialises
    grouping the way a PostgreSQL advisory lock does.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("immediate") or _writes_as_editor()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Editors' POSTs read, then write. In WAL mode SQLite refuses at once (no busy wait) to turn a
# read snapshot into a write when another process (the mail sender, the page checker) has
# committed since: "database is locked", a 500. Their transactions take the write lock at BEGIN
# instead, where the busy timeout applies. Report intake has its own batching (ingest/batch.py).
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _writes_as_editor() -> bool:
    from flask import has_request_context, request

    return (has_request_context() and request.method in _UNSAFE
            and request.path != "/api/v1/reports")
