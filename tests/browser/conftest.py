"""Real-browser fixtures: the app served on 127.0.0.1 and Debian's Chromium via Playwright.

Browser tests are skipped, with the reason, when no Chromium is installed, except under
``CI=true`` where that is a failure (``.ci/run`` installs it). Playwright never downloads a
browser here: it drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

from service.extensions import db
from tests.conftest import IN_CI, base_config, new_app, truncate_all

CHROMIUM = os.environ.get("ERRATA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    app: object
    host: str
    port: int
    _server: object = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        return self.url


def _buffered(app):
    """Each response read whole and closed before a byte is sent.

    When a browser hangs up mid-response (Chromium drops a favicon fetch when the page
    navigates on), werkzeug's development server reads the socket once more before calling
    the response's close(); that read raises, close() is skipped, and a static file being
    sent is left to the garbage collector: a ResourceWarning, an error in this suite, in
    whichever test runs next. Production serves through gunicorn, which always closes.
    """
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


def _serve(app, host="127.0.0.1") -> tuple[object, int]:
    server = make_server(host, 0, _buffered(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


@pytest.fixture(scope="session")
def live_server(_schema, tmp_path_factory) -> Iterator[LiveServer]:
    """The whole app on a free port, for the session. Tables are emptied after each test."""
    inst = str(tmp_path_factory.mktemp("live-instance"))
    cfg = base_config(_schema, inst)
    app = new_app(cfg)
    server, port = _serve(app)
    app.config["ERRATA_BASE_URL"] = f"http://127.0.0.1:{port}"
    yield LiveServer(app=app, host="127.0.0.1", port=port, _server=server)
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live(live_server) -> Iterator[LiveServer]:
    """The live server with empty tables and fresh rate limits for this test."""
    from service.extensions import limiter

    yield live_server
    truncate_all(live_server.app)
    with live_server.app.app_context():
        limiter.reset()


# Playwright's expect() gives up after 5 s by default. A page on this machine can take longer
# than that to load, answer a click or redraw when CI runs four workers beside Chromium on two
# cores (an invitation's POST and redirect, a queue re-rendered); a longer wait costs nothing
# when the page is quick, and what each expectation asserts stays the same.
EXPECT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it (apt chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class ConsoleLog(list):
    """Console errors and uncaught page errors seen during a test."""

    def errors(self) -> list[str]:
        return list(self)


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser context and page; fails the test on any console error or page error."""
    context = browser.new_context()
    pg = context.new_page()
    log = ConsoleLog()
    pg.on("console", lambda msg: log.append(f"console.{msg.type}: {msg.text}")
          if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: log.append(f"pageerror: {exc}"))
    pg.console_log = log  # type: ignore[attr-defined]
    yield pg
    context.close()
    if getattr(pg, "expect_console_errors", False):
        return
    assert not log, f"console errors: {log}"
