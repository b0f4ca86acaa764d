"""Group commit: reports that arrive together are stored in one transaction, and nothing
about a report's answer changes because it shared a batch.

``batch.store_batch`` is driven directly for the cases that need a batch of a known shape;
the HTTP tests hold the database's write lock from another connection so the reports that
arrive meanwhile queue up, as they do under load.
"""

import threading
import time
import uuid
from collections import Counter as Tally
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, func, select

from service.extensions import db, limiter
from service.ingest import limits
from service.ingest.batch import GroupCommit, Job, group_commit, store_batch
from service.ingest.reports import Outcome, Pending
from service.ingest.sitecache import get_site
from service.ingest.validation import parse_report
from service.models import Correction, Report, Site, Status
from tests.conftest import ORIGIN, post_report, report_body
from tests.test_rate_limits import REDIS, needs_redis

OTHER_SPOT = {"exact": "Makei", "prefix": "Foreign Minister Vladimir ",
              "suffix": " said on Tuesday."}


def job(app, site, ip_hash="reader-1", **fields) -> Job:
    with app.app_context():
        info = get_site(db.session, site.key)
    data = parse_report(report_body(site.key, **fields))
    return Job(site=info, pending=Pending(site_id=site.id, data=data, origin=ORIGIN,
                                          ip_hash=ip_hash, user_agent="test"))


def store(app, jobs: list[Job]) -> list:
    with app.app_context():
        store_batch(jobs)
        db.session.remove()
    return [j.error or j.result for j in jobs]


def test_a_repeat_joins_a_correction_opened_earlier_in_the_same_batch(app, factory):
    site = factory.site()
    first, *rest = store(app, [
        job(app, site, suggestion=""),
        job(app, site, exact="Ministry collegiums", prefix="The joint meeting of the Foreign ",
            suggestion="collegia"),
        job(app, site, comment="cheap pills https://a.example https://b.example"),
        job(app, site, suggestion="", **OTHER_SPOT),
    ])
    repeat, spam, other = rest
    assert (first.created, first.count) == (True, 1)
    assert (repeat.created, repeat.correction_id, repeat.count) == \
        (False, first.correction_id, 2)
    assert spam.created and spam.status == Status.SPAM.value
    assert other.created and other.correction_id not in (first.correction_id,
                                                         spam.correction_id)
    with app.app_context():
        grouped = db.session.get(Correction, first.correction_id)
        # The first reader suggested nothing; the second reader's suggestion fills it.
        assert (grouped.report_count, grouped.suggestion) == (2, "collegia")
        assert db.session.scalar(select(func.count()).select_from(Report)) == 4


def test_a_later_batch_joins_stored_corrections_and_fills_an_empty_suggestion(app, factory):
    site = factory.site()
    first, other = store(app, [job(app, site), job(app, site, suggestion="", **OTHER_SPOT)])
    again, other_again, new = store(app, [
        job(app, site, suggestion="something else"),
        job(app, site, suggestion="Makey", **OTHER_SPOT),
        job(app, site, exact="Tuesday", prefix="said on ", suffix="."),
    ])
    assert (again.correction_id, again.count, again.created) == (first.correction_id, 2, False)
    assert (other_again.correction_id, other_again.count) == (other.correction_id, 2)
    assert new.created
    with app.app_context():
        kept = db.session.get(Correction, first.correction_id)
        filled = db.session.get(Correction, other.correction_id)
        # A suggestion already there is kept; an empty one is filled by the later reader.
        assert (kept.report_count, kept.suggestion) == (2, "collegia")
        assert (filled.report_count, filled.suggestion) == (2, "Makey")
        assert filled.last_reported_at >= filled.first_reported_at


def test_repeats_in_one_batch_of_a_stored_correction_all_count(app, factory):
    site = factory.site()
    (first,) = store(app, [job(app, site)])
    outcomes = store(app, [job(app, site, ip_hash=f"reader-{n}") for n in range(2, 5)])
    assert [(o.correction_id, o.count, o.created) for o in outcomes] == \
        [(first.correction_id, n, False) for n in (2, 3, 4)]
    with app.app_context():
        assert db.session.get(Correction, first.correction_id).report_count == 4


def test_a_report_the_database_refuses_does_not_cost_the_rest_of_its_batch(app, factory):
    site, doomed = factory.site(), factory.site("Closing down")
    jobs = [job(app, site), job(app, doomed, **OTHER_SPOT), job(app, site, **OTHER_SPOT)]
    with app.app_context():  # the site is deleted between the lookup and the write
        db.session.execute(delete(Site).where(Site.id == doomed.id))
        db.session.commit()
    kept, refused, also_kept = store(app, jobs)
    assert isinstance(kept, Outcome) and isinstance(also_kept, Outcome)
    assert isinstance(refused, Exception)
    with app.app_context():
        assert db.session.scalars(select(Report.site_id)).all() == [site.id, site.id]


@pytest.mark.parametrize("storage", [
    "memory://", pytest.param(REDIS, marks=needs_redis)])
def test_limits_for_a_whole_batch_are_counted_in_order(app, factory, storage):
    """Redis (one script for the batch) and memory (one key at a time) give the same answers,
    and a refused report does not use up its later limits."""
    app.config.update(RATELIMIT_STORAGE_URI=storage, ERRATA_LIMIT_READER="2/minute",
                      ERRATA_LIMIT_SITE="3/hour")
    sites = [factory.site(name) for name in ("One", "Two")]
    with app.app_context():
        limiter.init_app(app)  # the storage named above
        assert limiter.limiter.storage.STORAGE_SCHEME[0] == storage.split(":")[0]
        first, second = (get_site(db.session, s.key) for s in sites)
        reader, other = uuid.uuid4().hex, uuid.uuid4().hex
        answers = limits.check_many([
            (first, reader), (first, reader), (first, reader),  # the third: 2 a minute
            (first, other),  # the site's third: the refusal above did not count
            (first, other),  # the site's fourth: over 3 an hour
            (second, reader),
        ])
    assert [a and a.scope for a in answers] == [None, None, "reader", None, "site", None]
    assert 1 <= answers[2].retry_after <= 61
    assert 3000 <= answers[4].retry_after <= 3601


@contextmanager
def write_lock_held(app):
    """Another connection holds the database's write lock until the block ends or the
    function it yields is called."""
    with app.app_context():
        conn = db.engine.connect()
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                conn.rollback()
                conn.close()

        try:
            if conn.dialect.name == "sqlite":
                conn = conn.execution_options(immediate=True)  # BEGIN IMMEDIATE
                conn.begin()
            else:
                conn.begin()
                conn.exec_driver_sql("LOCK TABLE reports IN EXCLUSIVE MODE")
            yield release
        finally:
            release()


def wait_until(condition, timeout=60.0):  # a bound for a loaded machine, not a timing
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def eight_readers_behind_a_held_lock(app, site, gc: GroupCommit, release, *,
                                     first_may_give_up: bool) -> list:
    """Eight readers send a report each while the write lock is held: the first leads a batch
    of one and waits for the lock; the seven others queue behind it. ``release`` is called once
    they have (or, when ``first_may_give_up``, once the first gave up waiting for the lock);
    the answers, in the readers' order."""
    answers: list = [None] * 8

    def reader(i: int) -> None:
        answers[i] = post_report(app.test_client(), site.key, exact=f"word{i}",
                                 prefix=f"sentence {i} with a ", suffix=" in it")

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    threads[0].start()
    # The first took a batch of one (with a short lock timeout, a loaded machine may let it
    # give up before this looks).
    wait_until(lambda: (gc.leading and gc.waiting == 0)
               or (first_may_give_up and not threads[0].is_alive()))
    for t in threads[1:]:
        t.start()
    if first_may_give_up:  # a short lock timeout: on a slow machine it may end first
        wait_until(lambda: gc.waiting == 7 or not threads[0].is_alive())
    else:
        wait_until(lambda: gc.waiting == 7)
        assert threads[0].is_alive()
    release()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a reader is still waiting for an answer"
    return answers


# A lock timeout far longer than the test: the first reader waits for the lock, never gives up.
@pytest.mark.parametrize("app_config", [{"ERRATA_LOCK_TIMEOUT_SECONDS": 120}])
@pytest.mark.parametrize(("max_batch", "batches"), [(64, [1, 7]), (3, [1, 1, 3, 3])])
def test_reports_arriving_while_a_batch_is_stored_are_stored_together(
        app, factory, max_batch, batches):
    site = factory.site()
    gc = app.extensions["errata_group_commit"] = GroupCommit(max_batch=max_batch)
    with write_lock_held(app) as release:
        answers = eight_readers_behind_a_held_lock(app, site, gc, release,
                                                   first_may_give_up=False)
    assert [a.status_code for a in answers] == [201] * 8
    with app.app_context():
        stamps = db.session.scalars(select(Report.created_at)).all()
    # One transaction per batch, one timestamp per transaction; at most max_batch in each.
    assert sorted(Tally(stamps).values()) == batches


@pytest.mark.parametrize("app_config", [{"ERRATA_LOCK_TIMEOUT_SECONDS": 2}])
def test_a_lock_held_too_long_gets_every_waiting_reader_a_503_and_then_ingest_goes_on(
        app, factory):
    site = factory.site()
    with app.app_context():
        gc = group_commit()
    with write_lock_held(app) as release:
        # Released only after every reader has been answered (well past the lock timeout).
        answers = eight_readers_behind_a_held_lock(app, site, gc, lambda: None,
                                                   first_may_give_up=True)
        release()
    for resp in answers:
        assert resp.status_code == 503
        assert resp.headers["Retry-After"]
        assert resp.get_json()["error"] == "unavailable"
    assert (gc.leading, gc.waiting) == (False, 0)
    assert post_report(app.test_client(), site.key).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
