"""A loop's heartbeat is recorded even when the other loop has just written.

Under `make run` the mail sender and the page checker share one SQLite file. A round that
only read leaves a read snapshot open; once the other loop commits, SQLite refuses to turn
that snapshot into a write ("database is locked", at once, with no busy wait), and the
start-up log showed that traceback every time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.extensions import db
from service.heartbeats import beat
from service.models import Heartbeat, Site


def test_a_heartbeat_after_a_read_survives_the_other_loops_commit(app, factory):
    factory.site()
    with app.app_context():
        engine = db.engine
        with Session(engine) as checker, Session(engine) as sender:
            beat(sender, "mail", "first round")
            list(checker.scalars(select(Site)))  # the round read, and left its snapshot open
            beat(sender, "mail", "second round")  # the other loop commits meanwhile
            beat(checker, "page_checks", "0 pages checked in the last round")
        with Session(engine) as fresh:
            rows = {h.name: h.detail for h in fresh.scalars(select(Heartbeat))}
    assert rows == {"mail": "second round", "page_checks": "0 pages checked in the last round"}
