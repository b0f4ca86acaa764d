"""Admin blocks of an IP hash or an origin: ingest answers like a success and keeps nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.ingest.blocks import BlockError, block, is_blocked, lift
from service.models import Block, Counter, Report, utcnow
from service.privacy import ip_hash
from tests.conftest import ORIGIN, post_report

OTHER = "https://other.example"


@pytest.fixture
def site(factory):
    return factory.site(origins=(ORIGIN, OTHER))


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Report))


def blocked_count(app):
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(Counter.count), 0)).where(Counter.name == "blocked"))


def add_block(app, kind, value, site_id, hours=2.0):
    with app.app_context():
        row = block(db.session, kind, value, site_id, hours, None, "flooding the queue")
        db.session.commit()
        return row.id


def reader_hash(app, ip="127.0.0.1"):
    with app.test_request_context():
        return ip_hash(ip)


def test_blocked_reader_is_answered_like_a_success_and_nothing_is_stored(client, app, site):
    add_block(app, "ip", reader_hash(app), site.id)
    resp = post_report(client, site.key)
    assert resp.status_code == 202
    assert resp.get_json() == {"status": "accepted"}
    assert stored(app) == 0
    assert blocked_count(app) == 1


def test_a_block_on_all_sites_applies_to_every_site(client, app, factory):
    first, second = factory.site("First"), factory.site("Second")
    add_block(app, "ip", reader_hash(app), None)
    assert post_report(client, first.key).status_code == 202
    assert post_report(client, second.key).status_code == 202
    assert stored(app) == 0


def test_a_block_on_one_site_leaves_other_sites_alone(client, app, factory):
    first, second = factory.site("First"), factory.site("Second")
    add_block(app, "ip", reader_hash(app), first.id)
    assert post_report(client, first.key).status_code == 202
    assert post_report(client, second.key).status_code == 201
    assert stored(app) == 1


def test_other_readers_are_not_blocked(client, app, site):
    add_block(app, "ip", reader_hash(app, "203.0.113.9"), site.id)
    assert post_report(client, site.key).status_code == 201


def test_blocked_origin_is_silently_dropped_other_origins_pass(client, app, site):
    add_block(app, "origin", "HTTPS://Other.Example/", site.id)
    resp = post_report(client, site.key, origin=OTHER, url=f"{OTHER}/a/story")
    assert resp.status_code == 202
    assert post_report(client, site.key).status_code == 201
    assert stored(app) == 1


def test_expired_and_lifted_blocks_no_longer_apply(client, app, site):
    block_id = add_block(app, "ip", reader_hash(app), site.id)
    assert post_report(client, site.key).status_code == 202
    with app.app_context():
        lift(db.session, db.session.get(Block, block_id))
        db.session.commit()
    assert post_report(client, site.key).status_code == 201
    with app.app_context():
        db.session.add(Block(kind="ip", value=reader_hash(app), site_id=site.id,
                             until=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert post_report(client, site.key, exact="Eurasian").status_code == 201


class Clock:
    """A monotonic clock the test moves by hand (the app's caches read it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()


@pytest.mark.parametrize("app_config", [{"ERRATA_BLOCK_CACHE_SECONDS": 5, "CLOCK": CLOCK}])
def test_a_block_written_directly_is_seen_after_the_cache_interval(client, app, site):
    assert post_report(client, site.key).status_code == 201  # fills the cache: no blocks
    with app.app_context():
        db.session.add(Block(kind="ip", value=reader_hash(app), site_id=None,
                             until=utcnow() + timedelta(hours=1)))
        db.session.commit()
    CLOCK.now += 4.9  # within the interval this process still goes by its copy
    assert post_report(client, site.key, exact="Belarus").status_code == 201
    CLOCK.now += 0.2
    assert post_report(client, site.key, exact="Eurasian").status_code == 202
    assert stored(app) == 2


@pytest.mark.parametrize("args, field", [
    (("person", "x", 2), "kind"),
    (("ip", "  ", 2), "value"),
    (("origin", "not a url", 2), "value"),
    (("ip", "abc", 0), "hours"),
    (("ip", "abc", "soon"), "hours"),
    (("ip", "abc", 24 * 366), "hours"),
])
def test_bad_blocks_are_refused_with_the_field_named(app, ctx, args, field):
    kind, value, hours = args
    with pytest.raises(BlockError) as exc:
        block(db.session, kind, value, None, hours)
    assert field in exc.value.fields


def test_is_blocked_without_blocks_asks_the_database_once_per_interval(app, ctx, site):
    from sqlalchemy import event

    statements = []

    def count(_conn, _cursor, statement, *_args):
        if "blocks" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert not is_blocked(db.session, site.id, "somehash", ORIGIN)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
