"""Page checks off the request thread: the editor's button, the API, the check after Fixed.

Checks run on a small thread pool kept per app; a request waits for its check at most
``ON_DEMAND_WAIT`` seconds and otherwise answers with the previous state, saying that a
check is under way. Two requests for the same correction share one check.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from service.extensions import app_state, db
from service.models import Correction
from service.pagecheck.core import Checked, check_corrections

ON_DEMAND_WAIT = 10.0
WORKERS = 4


class Runner:
    """The pool and the checks in flight; shared by the request threads of one process."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pagecheck")
        self._lock = threading.Lock()
        self._running: dict[int, Future] = {}

    def submit(self, app: Flask, correction_id: int) -> Future:
        with self._lock:
            future = self._running.get(correction_id)
            if future is None or future.done():
                future = self._pool.submit(_check_one, app, correction_id)
                self._running[correction_id] = future
                future.add_done_callback(lambda f: self._forget(correction_id, f))
            return future

    def _forget(self, correction_id: int, future: Future) -> None:
        with self._lock:
            if self._running.get(correction_id) is future:
                del self._running[correction_id]

    def running(self, correction_id: int) -> bool:
        with self._lock:
            future = self._running.get(correction_id)
            return future is not None and not future.done()


def _check_one(app: Flask, correction_id: int) -> Checked | None:
    with app.app_context():
        try:
            correction = db.session.get(Correction, correction_id, options=[
                selectinload(Correction.site), selectinload(Correction.reports)])
            if correction is None:
                return None
            (checked,) = check_corrections(db.session, [correction])
            db.session.commit()
            return checked
        finally:
            db.session.remove()


def runner() -> Runner:
    return app_state("errata.pagecheck.runner", Runner)


def start_check(correction_id: int) -> Future:
    """Start checking now (or join the check already running); don't wait."""
    return runner().submit(current_app._get_current_object(), correction_id)  # type: ignore[attr-defined]


def check_and_wait(correction_id: int, wait: float = ON_DEMAND_WAIT) -> Checked | None:
    """Check now and wait up to ``wait`` seconds; None when the check is still under way
    (it goes on, and stores its result when done)."""
    # The check writes from another thread: hold no transaction (on SQLite an editor's POST
    # holds the write lock) while waiting for it.
    db.session.commit()
    future = start_check(correction_id)
    try:
        return future.result(timeout=wait)
    except FutureTimeout:
        return None


def is_running(correction_id: int) -> bool:
    return runner().running(correction_id)
