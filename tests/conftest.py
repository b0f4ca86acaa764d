"""Shared fixtures: the app on a real database (SQLite, or PostgreSQL when
``ERRATA_TEST_DATABASE_URL`` is set), a test client, a CLI runner and small helpers.

The schema is built once per run by the real Alembic migrations; each test starts from
empty tables. On PostgreSQL every run gets its own database, so parallel runs don't collide.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.extensions import db
from service.models import Base

# Property tests (hypothesis) are the same examples on every run, and never judged by the
# clock: CI runs four workers on two cores, where one draw once waited 33 s for a CPU and
# the "too slow" health check turned a correct run red. Exploring with random seeds is for
# a developer's machine: `pytest --hypothesis-profile=default`.
settings.register_profile("errata", deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile("errata")

PG_URL = os.environ.get("ERRATA_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
ORIGIN = "https://news.example"


def _pg_admin_url(url: str):
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'errata-test.db'}"
        return
    admin = _pg_admin_url(PG_URL)
    name = f"errata_test_{uuid.uuid4().hex[:10]}"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    yield admin.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def base_config(database_url: str, instance_path: str, **extra: Any) -> dict[str, Any]:
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance_path,
        "SECRET_KEY": "test-secret-key",
        "ERRATA_IP_SALT": "test-salt",
        "ERRATA_BASE_URL": "http://errata.test",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Generous limits by default; the rate-limit tests set their own.
        "ERRATA_LIMIT_READER": "10000/minute",
        "ERRATA_LIMIT_SITE": "10000/minute",
        "ERRATA_LIMIT_IP": "10000/minute",
        "ERRATA_MIN_ELAPSED_MS": 0,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
        # scrypt costs 0.15 s a hash and the suite makes hundreds; production's own hash is
        # covered by tests/test_accounts.py::test_login_with_the_real_password_hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # No page is fetched behind a test's back; the page-check tests turn this on.
        "ERRATA_PAGE_CHECKS": False,
    }
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory) -> str:
    """Run the migrations once per test run."""
    from service.migrate import upgrade

    inst = str(tmp_path_factory.mktemp("instance"))
    app = create_app(base_config(database_url, inst))
    upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return database_url


def truncate_all(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, recording what it receives."""
    from tests.mail_support import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's configuration."""
    return {}


# Each test gets a new app, and each new app would compile every template it renders again;
# templates don't change during a run, so all the test apps share their compiled code.
_JINJA_DIR = tempfile.mkdtemp(prefix="errata-jinja-")
atexit.register(shutil.rmtree, _JINJA_DIR, ignore_errors=True)
JINJA_CACHE = FileSystemBytecodeCache(_JINJA_DIR)


def new_app(config: dict[str, Any]):
    """``create_app(config)``, its templates compiled once per test run."""
    application = create_app(config)
    application.jinja_env.bytecode_cache = JINJA_CACHE
    return application


@pytest.fixture
def app(_schema, tmp_path, app_config):
    application = new_app(base_config(_schema, str(tmp_path / "instance"), **app_config))
    yield application
    truncate_all(application)
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def newsroom():
    """A local article server (tests/article_server.py); tests put their pages on it."""
    from tests.article_server import ArticleServer

    server = ArticleServer().start()
    yield server
    server.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Invokes the real `errata` command group against this app."""
    from flask.testing import FlaskCliRunner

    from service.cli import cli

    class ErrataRunner(FlaskCliRunner):
        def invoke(self, cli_=None, args=None, **kwargs):
            return super().invoke(cli_ or cli, args, **kwargs)

    return ErrataRunner(app)


@pytest.fixture
def ctx(app):
    """An application context, for tests that call the plain functions directly."""
    with app.app_context():
        yield
        db.session.remove()


class Factory:
    """Makes sites, editors and reports with sensible defaults."""

    def __init__(self, app):
        self.app = app

    def site(self, name="News Example", origins=(ORIGIN,), **changes):
        from service.sites.core import apply_changes, create_site

        with self.app.app_context():
            site = create_site(db.session, name, origins, changes.pop("notify_emails", ()))
            if changes:
                apply_changes(site, **changes)
            db.session.commit()
            db.session.refresh(site)
            db.session.expunge(site)
            return site

    def editor(self, email="editor@news.example", password="correct horse battery",
               role="editor", sites=(), language="", timezone=""):
        from service.accounts.core import create_editor
        from service.models import Site

        with self.app.app_context():
            attached = [db.session.get(Site, s.id) for s in sites]
            editor = create_editor(db.session, email, role=role, password=password,
                                   sites=attached)
            editor.language, editor.timezone = language, timezone
            db.session.commit()
            db.session.refresh(editor)
            db.session.expunge(editor)
            return editor


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


def report_body(site_key: str, **fields: Any) -> dict[str, Any]:
    body = {
        "site": site_key,
        "url": f"{ORIGIN}/politics/2014/article",
        "title": "Development of Eurasian integration",
        "lang": "en",
        "exact": "collegiums",
        "prefix": "The joint meeting of the Foreign Ministry ",
        "suffix": " of Belarus and Russia was held.",
        "kind": "typo",
        "suggestion": "collegia",
        "comment": "",
        "elapsed_ms": 4200,
        "client": "test",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def post_report(test_client, site_key: str, /, *, origin: str | None = ORIGIN,
                content_type: str = "text/plain;charset=UTF-8", raw: bytes | None = None,
                headers: dict[str, str] | None = None, **fields: Any):
    hdrs = {"Content-Type": content_type}
    if origin is not None:
        hdrs["Origin"] = origin
    hdrs.update(headers or {})
    data = raw if raw is not None else json.dumps(report_body(site_key, **fields)).encode()
    return test_client.post("/api/v1/reports", data=data, headers=hdrs)


# -- logging in (editor UI tests) -------------------------------------------------------------

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page (tests keep CSRF enabled)."""
    match = _CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def page_token(test_client, path: str) -> str:
    """GET ``path`` and return its form's CSRF token."""
    resp = test_client.get(path)
    assert resp.status_code == 200, f"GET {path} -> {resp.status_code}"
    return csrf_token(resp.get_data(as_text=True))


def login(test_client, email: str, password: str = "correct horse battery", next: str = ""):
    """Log in through the real form (with its CSRF token); returns the POST response.

    A successful login answers 302 to the queue (or ``next``); a failed one 401 with the form.
    """
    token = page_token(test_client, "/login")
    path = f"/login?next={next}" if next else "/login"
    return test_client.post(path, data={"csrf_token": token, "email": email,
                                        "password": password})
