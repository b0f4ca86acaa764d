"""The Stats page: rolled-up counts, the viewer's days, accessible charts, CSV, access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from service.extensions import db
from service.mail import sender
from service.models import HOURS, Correction, Editor, Report, StatDayHours
from service.queue import actions
from service.stats import rollup as stats_rollup
from service.stats.rollup import rollup
from tests.conftest import ORIGIN, login, post_report


@pytest.fixture
def world(app, client, factory):
    a = factory.site("Alpha")
    b = factory.site("Beta", origins=("https://beta.example",))
    factory.editor("admin@news.example", role="admin")
    factory.editor("a@news.example", sites=[a])
    return a, b


def report(client, site, n, origin=ORIGIN, **fields):
    resp = post_report(client, site.key, origin=origin, exact=f"word{n}", prefix=f"p{n} ",
                       suffix=f" s{n}", **fields)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def shift(app, exact, when):
    """Move a correction, its reports and its events back in time (a report made then)."""
    with app.app_context():
        c = db.session.scalar(select(Correction).where(Correction.exact == exact))
        db.session.execute(update(Report).where(Report.correction_id == c.id)
                           .values(created_at=when))
        c.first_reported_at = c.last_reported_at = when
        db.session.commit()
        db.session.remove()


def decide(app, exact, action, when):
    with app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == "admin@news.example"))
        c = db.session.scalar(select(Correction).where(Correction.exact == exact))
        event = actions.change_status(db.session, c, editor, action)
        event.created_at = when
        db.session.commit()
        db.session.remove()


def signed_in(client, email):
    fresh = client.application.test_client()
    assert login(fresh, email).status_code == 302
    return fresh


def rolled_reports() -> int:
    """Reports in the rolled-up hours (every site, every day)."""
    return sum(getattr(row, f"r{hour:02d}") for row in db.session.scalars(select(StatDayHours))
               for hour in HOURS)


def table(resp):
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_counts_delays_and_top_articles(app, client, world):
    a, b = world
    now = datetime.now(UTC)
    three_days = now - timedelta(days=3)
    for n in range(3):
        report(client, a, n, url=f"{ORIGIN}/politics/story-{n % 2}")
    report(client, b, 9, origin="https://beta.example", url="https://beta.example/sport/x")
    # Every report on a day this test chose: one made just after midnight UTC would count
    # on the day after `now`'s.
    for exact in ("word1", "word2", "word9"):
        shift(app, exact, now)
    shift(app, "word0", three_days)
    decide(app, "word0", "fixed", three_days + timedelta(hours=2))
    decide(app, "word1", "rejected", now)
    with app.app_context():
        rollup(db.session, now)  # the sender's job; the page adds the current hour live
        assert rolled_reports() >= 1
    admin = signed_in(client, "admin@news.example")
    page = admin.get("/stats").get_data(as_text=True)
    assert page.count('role="img"') == 7
    assert "<title id=\"activity-title\">Reports and new corrections per day</title>" in page
    assert "In 30 days: reports 4, new corrections 4;" in page
    activity = table(admin.get("/stats/activity.csv?days=30"))
    assert activity[0] == ["Day", "Reports", "New corrections"] and len(activity) == 31
    by_day = {row[0]: int(row[1]) for row in activity[1:]}
    assert by_day[three_days.date().isoformat()] == 1
    assert by_day[now.date().isoformat()] == 3
    outcomes = dict(table(admin.get("/stats/outcomes.csv"))[1:])
    assert outcomes == {"Fixed": "1", "Not an error": "1", "Spam": "0"}
    one_site = admin.get(f"/stats?site={a.id}&days=90").get_data(as_text=True)
    assert "In 90 days: reports 3, new corrections 3;" in one_site
    assert f"/stats/articles.csv?days=90&amp;site={a.id}" in one_site
    articles = table(admin.get(f"/stats/articles.csv?site={a.id}"))[1:]
    assert articles[0] == [f"{ORIGIN}/politics/story-0", "2"]
    sections = table(admin.get("/stats/sections.csv"))[1:]
    assert sections[0] == ["news.example/politics/", "3"]
    assert ["beta.example/sport/", "1"] in sections
    open_ages = dict(table(admin.get("/stats/open.csv"))[1:])
    assert open_ages["under a day"] == "2"
    delays = table(admin.get("/stats/delays.csv"))[1:]
    # A decision after two hours (its bucket: 1–2 h) and one at once, in different weeks.
    assert sorted(float(r[1]) for r in delays if r[1]) == [0.0, 1.5]


def test_editors_see_only_their_sites(app, client, world):
    a, b = world
    report(client, b, 1, origin="https://beta.example", url="https://beta.example/secret/x")
    editor = signed_in(client, "a@news.example")
    page = editor.get("/stats").get_data(as_text=True)
    assert "reports 0, new corrections 0;" in page and "beta.example" not in page
    assert "beta.example" not in editor.get("/stats/sections.csv").get_data(as_text=True)
    assert editor.get(f"/stats?site={b.id}").status_code == 404
    assert editor.get("/stats?days=7").status_code == 400
    assert editor.get("/stats/nothing.csv").status_code == 404
    assert client.get("/stats").status_code == 302  # login first


def test_days_are_the_viewers_days(app, client, world):
    a, _b = world
    report(client, a, 1)
    with app.app_context():
        c = db.session.scalar(select(Correction))
        # 23:30 UTC is already the next day in Moscow (UTC+3).
        late = (datetime.now(UTC) - timedelta(days=2)).replace(hour=23, minute=30)
        db.session.execute(update(Report).values(created_at=late))
        c.first_reported_at = late
        db.session.execute(update(Editor).where(Editor.email == "a@news.example")
                           .values(timezone="Europe/Moscow"))
        db.session.commit()
    utc_day = late.date().isoformat()
    moscow_day = (late + timedelta(hours=3)).date().isoformat()
    admin = signed_in(client, "admin@news.example")  # UTC
    editor = signed_in(client, "a@news.example")  # Moscow
    assert dict((r[0], r[1]) for r in table(admin.get("/stats/activity.csv"))[1:])[utc_day] \
        == "1"
    moscow = dict((r[0], r[1]) for r in table(editor.get("/stats/activity.csv"))[1:])
    assert moscow[moscow_day] == "1" and moscow[utc_day] == "0"


def test_sections_are_host_and_first_path_segment():
    section_of = stats_rollup.section_of
    assert section_of("https://news.example/politics/2014/a") == "news.example/politics/"
    assert section_of("https://news.example/story") == "news.example/"
    assert section_of("https://news.example/") == "news.example/"


def test_the_sender_rolls_up(app, client, world):
    a, _b = world
    report(client, a, 1)
    with app.app_context():
        sender.run_once(db.session, datetime.now(UTC) + timedelta(hours=2))
        assert rolled_reports() == 1
        db.session.remove()


def test_stats_in_russian(app, client, world):
    with app.app_context():
        db.session.execute(update(Editor).where(Editor.email == "a@news.example")
                           .values(language="ru"))
        db.session.commit()
    editor = signed_in(client, "a@news.example")
    page = editor.get("/stats").get_data(as_text=True)
    assert "Сообщения и новые исправления по дням" in page
    assert "Открытые исправления по возрасту" in page
    assert table(editor.get("/stats/outcomes.csv"))[1:] == [
        ["Исправлено", "0"], ["Не ошибка", "0"], ["Спам", "0"]]


def test_a_long_backlog_is_left_to_the_sender(app, client, world):
    a, _b = world
    report(client, a, 1)
    shift(app, "word1", datetime.now(UTC) - timedelta(days=20))
    report(client, a, 2)
    admin = signed_in(client, "admin@news.example")
    page = admin.get("/stats").get_data(as_text=True)
    assert "still being counted by the mail sender" in page
    assert "In 30 days: reports 1, new corrections 1;" in page  # the current hour only
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            if db.session.execute(text(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar():
                # The database outlives this test: an earlier test's rollup may have analyzed
                # it.
                db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'stat_day_hours'"))
            # The rollup begins its own write transaction: none may be left open, whether or
            # not an earlier test of this worker had analyzed the database.
            db.session.commit()
        assert rollup(db.session) > 400  # what the sender's round does
        # A run that long leaves the planner statistics of the tables it filled.
        if db.engine.dialect.name == "postgresql":
            analyzed = db.session.execute(text(
                "SELECT reltuples FROM pg_class WHERE relname = 'stat_day_hours'")).scalar()
            assert analyzed >= 0  # -1: never analyzed
        else:
            assert db.session.execute(text(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'stat_day_hours'")).scalar()
        db.session.remove()
    page = admin.get("/stats").get_data(as_text=True)
    assert "still being counted" not in page
    assert "In 30 days: reports 2, new corrections 2;" in page


def test_hours_rolled_up_in_several_rounds_of_one_day_all_count(app, client, world):
    """The rollup fills a day's row hour by hour: each round adds to it."""
    a, _b = world
    base = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(days=1)
    base = base.replace(hour=5)
    for n, hours_later in enumerate((0, 1, 3)):
        report(client, a, n)
        shift(app, f"word{n}", base + timedelta(hours=hours_later))
    with app.app_context():
        for hours_later in (1, 2, 4):  # three rounds, each after one more hour is over
            rollup(db.session, base + timedelta(hours=hours_later, minutes=50))
        rows = db.session.scalars(select(StatDayHours)).all()
        assert [(r.day, r.r05, r.r06, r.r07, r.r08, r.c05, r.c08) for r in rows] == [
            (base.strftime("%Y-%m-%d"), 1, 1, 0, 1, 1, 1)]
        db.session.remove()
    admin = signed_in(client, "admin@news.example")
    by_day = {r[0]: r[1] for r in table(admin.get("/stats/activity.csv"))[1:]}
    assert by_day[base.date().isoformat()] == "3"


def test_a_day_when_the_clocks_change_is_cut_at_the_viewers_midnight(app, client, world):
    """On the UTC day a zone changes its offset, each hour goes to its own local day."""
    import pytz

    a, _b = world
    berlin = pytz.timezone("Europe/Berlin")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    change = next(day for day in (today - timedelta(days=n) for n in range(2, 365))
                  if day.astimezone(berlin).utcoffset()
                  != (day + timedelta(hours=23)).astimezone(berlin).utcoffset())
    late = change + timedelta(hours=22, minutes=30)
    report(client, a, 1)
    shift(app, "word1", late)
    with app.app_context():
        rollup(db.session)
        db.session.execute(update(Editor).where(Editor.email == "a@news.example")
                           .values(timezone="Europe/Berlin"))
        db.session.commit()
        db.session.remove()
    editor = signed_in(client, "a@news.example")
    by_day = dict((r[0], r[1]) for r in table(editor.get("/stats/activity.csv?days=365"))[1:])
    assert by_day[late.astimezone(berlin).date().isoformat()] == "1"
    assert sum(int(n) for n in by_day.values()) == 1


def test_every_chart_is_named_described_tabled_and_downloadable(app, client, world):
    a, _b = world
    report(client, a, 1, kind="fact")
    report(client, a, 2)
    admin = signed_in(client, "admin@news.example")
    page = admin.get("/stats?days=365").get_data(as_text=True)
    charts = ("activity", "delays", "open", "kinds", "outcomes", "articles", "sections")
    for name in charts:
        assert f'aria-labelledby="{name}-title {name}-desc"' in page
        assert f'<title id="{name}-title">' in page and f'<desc id="{name}-desc">' in page
        assert f'href="/stats/{name}.csv?days=365"' in page
    assert page.count("<table>") == len(charts)
    assert "In 365 days: reports 2, new corrections 2;" in page
    year = table(admin.get("/stats/activity.csv?days=365"))
    assert len(year) == 1 + 365
    assert dict(table(admin.get("/stats/kinds.csv"))[1:]) == {"Typo": "1", "Fact": "1",
                                                               "Other": "0"}
    assert 'class="chart-desc">Typo: 1, Fact: 1, Other: 0</p>' in page
