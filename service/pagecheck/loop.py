"""The background page checker: a thread beside the mail sender (``errata mail send --loop``).

It has its own thread, app context and database session, so a slow page (10 s at most per
fetch) never delays mail. Each round checks the pages that are due (``core.run_round``) and
records a heartbeat.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from service.extensions import db
from service.heartbeats import beat
from service.pagecheck.core import run_round

log = logging.getLogger("errata.pagecheck")
IDLE_SECONDS = 5.0  # between rounds when nothing was due
BUSY_SECONDS = 0.2  # between rounds while pages are waiting


def one_round(app: Flask) -> int:
    """Check what is due now and record the heartbeat; the number of pages fetched."""
    cfg = app.config
    if not cfg["ERRATA_PAGE_CHECKS"]:
        beat(db.session, "page_checks", "background page checks are off (ERRATA_PAGE_CHECKS)")
        return 0
    fetched = run_round(db.session, days=cfg["ERRATA_PAGE_CHECK_DAYS"],
                        every=timedelta(minutes=cfg["ERRATA_PAGE_CHECK_EVERY_MINUTES"]),
                        spacing=cfg["ERRATA_PAGE_CHECK_ORIGIN_SECONDS"])
    beat(db.session, "page_checks", f"{fetched} pages checked in the last round")
    return fetched


def _run(app: Flask, stop: threading.Event) -> None:
    while not stop.is_set():
        fetched = 0
        with app.app_context():
            try:
                fetched = one_round(app)
            except SQLAlchemyError:
                db.session.rollback()
                log.exception("page checks: database error; trying again")
            except Exception:  # noqa: BLE001 - a bug must not end the checks; it is logged
                db.session.rollback()
                log.exception("page checks: unexpected error; trying again next round")
            finally:
                db.session.remove()
        stop.wait(BUSY_SECONDS if fetched else IDLE_SECONDS)


def start(app: Flask, stop: threading.Event) -> threading.Thread:
    """Run page checks in a daemon thread until ``stop`` is set."""
    thread = threading.Thread(target=_run, args=(app, stop), name="errata-pagecheck",
                              daemon=True)
    thread.start()
    return thread
