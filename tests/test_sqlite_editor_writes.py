"""An editor's POST that reads, then writes, is not refused because the mail sender or the
page checker committed in between.

Under `make run` they share one SQLite file; a read snapshot can't become a write after
another commit ("database is locked" at once, a 500 on e.g. "Send invitation"). Editors'
POSTs therefore take the write lock at BEGIN. GETs and report intake don't.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from service.extensions import db
from service.heartbeats import beat
from service.models import Site


@pytest.fixture
def app_config():
    # The sender waits for the editor's write lock (SQLite's busy timeout) for as long as the
    # editor holds it: two seconds and then its write, however slowly a loaded machine runs
    # them. The default 10 s would leave a busy CI run only a few seconds to spare.
    return {"ERRATA_LOCK_TIMEOUT_SECONDS": 120}


def _read_then_write_while_the_sender_commits(app, method: str) -> None:
    editor = threading.current_thread()
    sender_began = threading.Event()

    def sender_round():
        with app.app_context(), Session(db.engine) as sender:
            beat(sender, "mail", "the sender commits meanwhile")

    def seen(_conn, _cursor, _statement, *_args):
        if threading.current_thread() is not editor:
            sender_began.set()

    with app.test_request_context("/people/invite", method=method):
        list(db.session.scalars(select(Site)))  # the view reads (the sites to choose from)
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            sender = threading.Thread(target=sender_round)
            sender.start()
            # The sender's first statement is under way: on SQLite its BEGIN IMMEDIATE, which
            # waits for the editor's write lock if the editor holds it; otherwise it commits
            # moments later. (Waiting from the thread's start instead left a loaded machine
            # less than the 2 s to get there, and the test passed without testing anything.)
            assert sender_began.wait(60), "the sender never reached the database"
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        sender.join(timeout=2)  # it commits now, or waits for the editor's write lock
        db.session.execute(text("UPDATE sites SET name = 'Renamed'"))  # then the view writes
        db.session.commit()
    sender.join()


def test_an_editors_post_writes_after_another_process_committed(app, factory):
    factory.site()
    _read_then_write_while_the_sender_commits(app, "POST")
    with app.app_context():
        from service.models import Heartbeat

        assert db.session.scalar(select(Site.name)) == "Renamed"
        assert db.session.scalar(select(Heartbeat.detail)) == "the sender commits meanwhile"


def test_a_get_is_not_made_to_take_the_write_lock(app, factory):
    """The lock is for writers only: pages that only read never wait for the sender."""
    factory.site()
    with app.test_request_context("/queue", method="GET"):
        list(db.session.scalars(select(Site)))
        with Session(db.engine) as sender:  # would wait for the lock if the GET held it
            beat(sender, "mail", "not blocked by a reader")
        db.session.rollback()
    with app.app_context():
        from service.models import Heartbeat

        assert db.session.scalar(select(Heartbeat.detail)) == "not blocked by a reader"
