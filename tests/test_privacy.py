"""What is kept about readers: a salted IP hash, the email only with consent, and after the
purge age nothing that points at the reader, while corrections and counts stay."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.extensions import db
from service.models import Correction, OutboxMail, Report, utcnow
from service.privacy import ip_hash, parse_age, purge_if_due, purge_reader_data
from tests.conftest import post_report


@pytest.fixture
def site(factory):
    return factory.site()


def send(client, site_key, n, **fields):
    for _ in range(n):
        resp = post_report(client, site_key, notify=True, email="reader@example.org",
                           headers={"User-Agent": "Mozilla/5.0 Reader"}, **fields)
        assert resp.status_code in (200, 201)


def age_all(app, days):
    with app.app_context():
        db.session.execute(update(Report).values(created_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def reports(app):
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        db.session.expunge_all()
        return rows


def test_the_ip_is_kept_only_as_a_salted_hash(client, app, site):
    send(client, site.key, 1)
    (report,) = reports(app)
    assert "127.0.0.1" not in report.ip_hash
    with app.test_request_context():
        assert report.ip_hash == ip_hash("127.0.0.1")
        app.config["ERRATA_IP_SALT"] = "rotated"
        assert ip_hash("127.0.0.1") != report.ip_hash  # rotation unlinks old hashes


def test_purge_erases_reader_data_of_old_reports_and_keeps_the_rest(client, app, runner, site):
    send(client, site.key, 3)
    age_all(app, 100)
    send(client, site.key, 1)  # recent: untouched
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "Erased reader data from 3 report(s) older than 90 days;" in result.output
    old, recent = reports(app)[:3], reports(app)[3]
    for r in old:
        assert (r.email, r.ip_hash, r.user_agent, r.notify) == (None, None, None, False)
        assert r.exact == "collegiums" and r.suggestion == "collegia"
    assert recent.email == "reader@example.org"
    assert recent.ip_hash and recent.user_agent == "Mozilla/5.0 Reader"
    with app.app_context():
        (corr,) = db.session.scalars(select(Correction)).all()
        assert corr.report_count == 4


def test_purge_again_finds_nothing(client, app, runner, site):
    send(client, site.key, 2)
    age_all(app, 100)
    assert "from 2 report(s)" in runner.invoke(args=["purge", "--older-than", "90d"]).output
    assert "from 0 report(s)" in runner.invoke(args=["purge", "--older-than", "90d"]).output


@pytest.mark.parametrize("app_config", [{"ERRATA_PURGE_DAYS": 30}])
def test_purge_without_an_age_uses_the_setting(client, app, runner, site):
    send(client, site.key, 1)
    age_all(app, 31)
    result = runner.invoke(args=["purge"])
    assert "from 1 report(s) older than 30 days" in result.output


@pytest.mark.parametrize("args, message", [
    (["purge"], "--older-than 90d"),
    (["purge", "--older-than", "soon"], "is not an age like 90d"),
    (["purge", "--older-than", "0d"], "is not an age like 90d"),
])
def test_purge_explains_a_missing_or_bad_age(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("text, expected", [
    ("90d", timedelta(days=90)), ("90", timedelta(days=90)), ("12w", timedelta(weeks=12)),
    ("36h", timedelta(hours=36)), (" 7D ", timedelta(days=7)),
])
def test_ages(text, expected):
    assert parse_age(text) == expected


def test_purge_if_due_is_off_by_default(client, app, site):
    send(client, site.key, 1)
    age_all(app, 1000)
    with app.app_context():
        assert purge_if_due(db.session, app) is None
    assert reports(app)[0].email == "reader@example.org"


@pytest.mark.parametrize("app_config", [{"ERRATA_PURGE_DAYS": 90}])
def test_purge_if_due_runs_once_a_day(client, app, site):
    # The day is given, not read from the clock twice: a run crossing midnight UTC between
    # the two calls would see the second one due.
    today = utcnow().replace(hour=12)
    send(client, site.key, 1)
    age_all(app, 91)
    with app.app_context():
        assert purge_if_due(db.session, app, now=today) == 1
    assert reports(app)[0].email is None
    send(client, site.key, 1, exact="Eurasian")
    age_all(app, 91)
    with app.app_context():
        assert purge_if_due(db.session, app, now=today + timedelta(hours=11)) is None
        assert purge_reader_data(db.session, timedelta(days=90)) == 1  # there was work
        db.session.rollback()  # left for the next day's run
    with app.app_context():
        assert purge_if_due(db.session, app, now=today + timedelta(hours=12)) == 1  # next day


def test_purge_deletes_old_delivered_mail_but_never_pending_mail(app, runner):
    old = utcnow() - timedelta(days=100)
    with app.app_context():
        for status, created in (("sent", old), ("failed", old), ("pending", old),
                                ("sent", utcnow())):
            db.session.add(OutboxMail(template="reader_thanks_en", recipient="r@example.org",
                                      subject="Fixed", body_text="Thanks", status=status,
                                      created_at=created, next_attempt_at=created))
        db.session.commit()
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert "deleted 2 delivered mail(s)" in result.output
    with app.app_context():
        left = sorted(db.session.scalars(select(OutboxMail.status)).all())
    assert left == ["pending", "sent"]
