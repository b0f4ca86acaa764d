"""Group commit: reports arriving together are stored together, in one transaction.

A report is acknowledged only once it is committed, and a commit (with its lock, its
round trips and its write to disk) costs far more than the rows in it. So concurrent
requests of one process don't each open a transaction: the first to arrive becomes the
*leader* and stores every report waiting at that moment in one batch: one rate-limit round
trip, one transaction, a handful of statements (``reports.submit_reports``). The others
wait; when the batch is committed each gets its own outcome, and one of the readers that
arrived meanwhile leads the next batch. No thread of its own, no timer: a lone report is
stored at once, in a batch of one.

Grouping stays exact: a batch holds the page locks (``grouping.lock_pages``) and reports in
one batch are grouped in arrival order, so a repeat can join a correction opened a moment
earlier in the same batch.

A batch is one ``write_transaction``, as is a bot's count. On SQLite it takes the write lock
at BEGIN and waits for it with SQLite's busy timeout, like every other writer of the app; with
one batch at a time per worker, a host's few workers seldom meet there. (A lock file that
made ingest's writers take turns in front of it measured no faster since batches came:
docs/performance.md.)
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from service import counters
from service.channels.events import corrections_created
from service.extensions import app_state, begin_write, db
from service.ingest import limits
from service.ingest.reports import Outcome, Pending, submit_reports
from service.ingest.sitecache import SiteInfo

log = logging.getLogger(__name__)

MAX_BATCH = 64
DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for deadlock_detected


class StoreFailed(Exception):
    """Storing the batch a report was in failed; ``__cause__`` is why."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"storing a batch of reports failed: {cause!r}")
        self.database = isinstance(cause, DBAPIError)  # the database refused or is away


@dataclass(eq=False)
class Job:
    """One report waiting to be stored, and then what became of it."""

    site: SiteInfo
    pending: Pending
    result: Outcome | limits.Breach | None = None
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


class GroupCommit:
    """Leader/follower batching of reports within one process (one per app)."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._turn = threading.Condition()  # guards the two below; notified after each batch
        self._waiting: list[Job] = []
        self.leading = False  # a batch is being stored

    @property
    def waiting(self) -> int:
        """Reports waiting for the batch after the one being stored."""
        return len(self._waiting)

    def submit(self, job: Job) -> Outcome | limits.Breach:
        """Store ``job``'s report (or refuse it for a rate limit). Raises ``StoreFailed``."""
        with self._turn:
            self._waiting.append(job)
        while True:
            with self._turn:
                while self.leading and not job.done:
                    self._turn.wait()
                if job.done:
                    break
                # No batch is being stored and this report is still waiting: lead the next
                # batch (the reports that have waited longest, this one usually among them).
                self.leading = True
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
            try:
                store_batch(batch)
            except BaseException as exc:  # the thread is being stopped: answer the others
                _fail(batch, exc)
                raise
            finally:
                with self._turn:
                    self.leading = False
                    self._turn.notify_all()
        if job.error is not None:
            # A new exception per reader: the cause is shared by the whole batch, and raising
            # one exception object in several threads at once would tangle its traceback.
            raise StoreFailed(job.error) from job.error
        assert job.result is not None
        return job.result


def group_commit() -> GroupCommit:
    return app_state("errata_group_commit", GroupCommit)


def store_batch(batch: list[Job]) -> None:
    """Count the batch against the rate limits, then store what passed, in one transaction.

    A deadlock with another writer (PostgreSQL picks a victim) is retried once. When the
    transaction fails for another reason than the database being unreachable (a row the
    database refuses, a constraint, a bug in grouping), the reports are stored again one at a
    time, so whatever one report does, every other one gets the answer it would have got
    alone. Failures are left on the jobs (``Job.error``); nothing is raised.
    """
    try:
        breaches = limits.check_many([(job.site, job.pending.ip_hash) for job in batch])
    except Exception as exc:  # noqa: BLE001 - even the per-process fallback failed
        _fail(batch, exc)
        return
    try:
        try:
            _write(batch, breaches)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK:
                raise
            log.warning("a batch of %d reports was a deadlock victim; retrying", len(batch))
            _write(batch, breaches)
    except OperationalError as exc:  # the database is away or too slow: all are told so
        _fail(batch, exc)
    except Exception as exc:  # noqa: BLE001 - every waiting reader must get an answer
        if len(batch) == 1:
            _fail(batch, exc)
            return
        log.warning("a batch of %d reports failed; storing them one by one", len(batch),
                    exc_info=True)
        for job, breach in zip(batch, breaches, strict=True):
            try:
                _write([job], [breach])
            except OperationalError as gone:  # the database went away: don't wait on it again
                _fail(batch, gone)
                return
            except Exception as one:  # noqa: BLE001 - this reader is told; the others go on
                job.error = one


def _fail(batch: list[Job], exc: BaseException) -> None:
    for job in batch:
        if not job.done:
            job.error = exc


def _write(batch: list[Job], breaches: list[limits.Breach | None]) -> None:
    session = db.session
    with write_transaction(session):
        # Rows are always taken in one order (sites, pages, corrections by id), so two
        # batches can't each hold what the other waits for.
        refused = Counter(job.site.id for job, breach in zip(batch, breaches, strict=True)
                          if breach is not None)
        for site_id, n in sorted(refused.items()):
            counters.bump(session, site_id, "rate_limited", by=n)
        accepted = [job for job, breach in zip(batch, breaches, strict=True) if breach is None]
        outcomes = submit_reports(session, [job.pending for job in accepted])
        corrections_created(session, [
            (job.pending.site_id, outcome.correction_id)
            for job, outcome in zip(accepted, outcomes, strict=True) if outcome.created])
    for job, breach in zip(batch, breaches, strict=True):
        if breach is not None:
            job.result = breach
    for job, outcome in zip(accepted, outcomes, strict=True):
        job.result = outcome


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """Run the block in a write transaction of its own (a batch, or a bot's count): committed
    at the end, rolled back if the block raises. End any read the session has open first.

    On SQLite the transaction takes the write lock at BEGIN (BEGIN IMMEDIATE,
    ``service._tune_sqlite``), waiting at most the busy timeout, and so never has to turn a
    read into a write, which SQLite refuses at once when another writer committed in between.
    PostgreSQL is given the same bound on its lock waits.
    """
    try:
        begin_write(session)
        if session.get_bind().dialect.name == "postgresql":
            timeout = current_app.config["ERRATA_LOCK_TIMEOUT_SECONDS"]
            session.execute(text("SELECT set_config('lock_timeout', :t, true)"),
                            {"t": f"{int(timeout * 1000)}ms"})
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
