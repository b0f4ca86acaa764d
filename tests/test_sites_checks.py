"""The site page's numbers as plain functions: open counts, reports per origin, turned away."""

from __future__ import annotations

from datetime import timedelta

from service.counters import bump
from service.extensions import db
from service.models import Correction, Report, utcnow
from service.sites.checks import open_counts, recent_reports, turned_away
from tests.conftest import ORIGIN, post_report


def test_open_counts_only_count_open_corrections(app, client, factory):
    a = factory.site("Alpha", origins=(ORIGIN,))
    b = factory.site("Beta", origins=("https://beta.example",))
    for n in range(3):
        post_report(client, a.key, exact=f"w{n}", prefix="", suffix="")
    post_report(client, b.key, origin="https://beta.example", url="https://beta.example/x")
    with app.app_context():
        first = db.session.query(Correction).filter_by(site_id=a.id).first()
        first.status = "fixed"
        db.session.commit()
        assert open_counts(db.session) == {a.id: 2, b.id: 1}


def test_recent_reports_by_origin_in_the_window(app, client, factory):
    site = factory.site(origins=(ORIGIN, "https://m.news.example"))
    post_report(client, site.key)
    post_report(client, site.key, exact="again", prefix="", suffix="")
    post_report(client, site.key, origin="https://m.news.example", url="https://m.news.example/a")
    with app.app_context():
        old = db.session.query(Report).filter_by(origin="https://m.news.example").one()
        old.created_at = utcnow() - timedelta(days=7, minutes=1)
        db.session.commit()
        rows = recent_reports(db.session, site.id)
        assert [(origin, count) for origin, count, _ in rows] == [(ORIGIN, 2)]
        last = rows[0][2]
        assert last.tzinfo is not None and utcnow() - last < timedelta(minutes=5)
        assert len(recent_reports(db.session, site.id, days=30)) == 2


def test_turned_away_sums_the_daily_counters(app, factory):
    site = factory.site()
    with app.app_context():
        bump(db.session, site.id, "honeypot", 2)
        bump(db.session, site.id, "rate_limited")
        bump(db.session, site.id, "spam")  # not a "turned away" counter
        db.session.commit()
        counts = dict(turned_away(db.session, site.id))
    assert counts == {
        "Caught by the hidden field (bots)": 2,
        "Sent faster than a person can (bots)": 0,
        "Refused by the rate limits": 1,
        "From a blocked reader or origin": 0,
    }
