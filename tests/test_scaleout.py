"""Two app servers (two gunicorn processes on different ports, as on two hosts behind a load
balancer) against one PostgreSQL and one Redis: grouping and rate limits hold across both.
"""

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Correction, Report
from tests.servers import Gunicorn, load, needs_postgres, report, send, server_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, needs_postgres]


@pytest.fixture
def site(factory):
    return factory.site("Scale-out News")


@pytest.fixture
def two_servers(_schema, tmp_path):
    """Start two servers with one environment (same salt: one reader is one reader)."""
    started = []

    def start(**env):
        shared = server_env(_schema, tmp_path, **env)
        for _ in range(2):
            started.append(Gunicorn(shared, workers=2).start())
        return started

    yield start
    for server in started:
        server.stop()


def corrections(app):
    with app.app_context():
        rows = db.session.execute(select(Correction.id, Correction.report_count)).all()
        return [tuple(r) for r in rows]


def test_reports_of_one_spot_alternating_between_servers_make_one_correction(
        app, site, two_servers):
    a, b = two_servers()
    statuses = []
    for i in range(10):
        server = (a, b)[i % 2]
        status, answer = send(server.port, report(site.key), reader=f"198.51.100.{i}")
        statuses.append(status)
    assert statuses == [201] + [200] * 9
    (only,) = corrections(app)
    assert only[1] == 10


def test_concurrent_reports_of_one_spot_on_both_servers_make_one_correction(
        app, site, two_servers):
    a, b = two_servers()
    jobs = [((a, b)[i % 2].port, report(site.key, token=f"c{i}"), f"198.51.100.{i % 200}")
            for i in range(120)]
    sent = load(jobs, concurrency=32)
    assert all(s.status in (200, 201) for s in sent), {s.status for s in sent}
    assert sum(s.status == 201 for s in sent) == 1
    (only,) = corrections(app)
    assert only[1] == 120
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 120


def test_the_per_reader_limit_counts_across_both_servers(app, site, two_servers):
    a, b = two_servers(ERRATA_LIMIT_READER="4/minute")
    statuses = [send((a, b)[i % 2].port, report(site.key, spot=i))[0] for i in range(6)]
    assert statuses == [201] * 4 + [429] * 2
    # Another reader is not affected, on either server.
    assert send(a.port, report(site.key, spot=50), reader="203.0.113.99")[0] == 201
    assert send(b.port, report(site.key, spot=51), reader="203.0.113.99")[0] == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 6
