"""Taking turns for SQLite's single write lock, across threads and processes.

SQLite lets one writer in at a time, and its busy handler makes the others sleep in growing
steps (up to 100 ms) before trying again; under a burst of reports from several gunicorn
workers that sleeping, not the writing, is what readers wait for. Writers here queue on a
thread lock and an ``flock`` on a file beside the database instead, which wake the next
writer the moment the previous one commits. PostgreSQL needs none of this: it has real row
locks and the advisory locks of ``grouping.lock_pages``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.extensions import app_state, db


class _Turn:
    def __init__(self, lock_path: str) -> None:
        self.lock_path = lock_path
        self.thread_lock = threading.Lock()
        self.fd: int | None = None
        self.pid = 0

    def _file(self) -> int:
        # Opened lazily and again after a fork: a descriptor inherited from the parent
        # would share the parent's lock.
        if self.fd is None or self.pid != os.getpid():
            self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
        return self.fd

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.thread_lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def writer_turn() -> Iterator[None]:
    """Hold this around a write transaction on SQLite; a no-op on other databases."""
    engine = db.engine
    if engine.dialect.name != "sqlite" or not engine.url.database or \
            engine.url.database == ":memory:":
        yield
        return
    turn = app_state("errata_sqlite_turn", lambda: _Turn(engine.url.database + ".writer-lock"))
    with turn():
        yield
