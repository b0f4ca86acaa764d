"""The Alembic chain builds exactly the schema the models describe (the `alembic check` idea)."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from service.extensions import db
from service.migrate import current_revision, head_revision
from service.models import Base
from service.queue.search import is_search_table


def _not_the_search_index(name, type_, _parent) -> bool:
    """The search index (migration 0012) is kept by triggers, not described by a model."""
    return not (type_ == "table" and is_search_table(name))


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True,
                                                   "include_name": _not_the_search_index}),
            Base.metadata
        )
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_database_is_at_the_head_revision(app):
    assert current_revision(app) == head_revision(app)


def test_upgrade_is_idempotent(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def _migration(filename: str):
    """One migration file, loaded as a module (its functions, not run)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in_migration(conn, step, *args) -> None:
    """Run ``step`` (a migration's function) on ``conn`` as Alembic would."""
    from alembic.operations import Operations

    with Operations.context(MigrationContext.configure(conn)):
        step(*args)


def _run_migration(app, filename: str, step: str = "upgrade", *args) -> None:
    """Run one migration's ``upgrade()`` (or another of its functions) on the test database
    (a data migration, re-run safely on today's schema)."""
    module = _migration(filename)
    with app.app_context(), db.engine.begin() as conn:
        _in_migration(conn, getattr(module, step), *args)


def test_untouched_pre_fills_stored_before_are_cleared(app, factory):
    """0005: a suggestion that only repeats its quote becomes none; the correction takes the
    first real suggestion among its reports."""
    from sqlalchemy import select

    from service.models import Correction, Report

    site = factory.site()
    with app.app_context():
        def correction(exact, suggestion, reports):
            c = Correction(site_id=site.id, url="https://news.example/a", exact=exact,
                           suggestion=suggestion)
            db.session.add(c)
            db.session.flush()
            for r_exact, r_suggestion in reports:
                db.session.add(Report(correction_id=c.id, site_id=site.id, url=c.url,
                                      exact=r_exact, suggestion=r_suggestion))
            db.session.flush()
            return c.id

        pre_filled = correction("teh", "teh", [("teh", "teh"), ("the teh", "teh"),
                                               ("teh", "the"), ("teh", "tea")])
        alone = correction("recieve", "recieve", [("recieve", "recieve")])
        real = correction("colour", "color", [("colour", "color"), ("colour", "colour")])
        db.session.commit()
    _run_migration(app, "0005_untouched_suggestions.py")
    with app.app_context():
        got = {c.id: c.suggestion for c in db.session.scalars(select(Correction))}
        assert got == {pre_filled: "the", alone: "", real: "color"}
        suggestions = db.session.scalars(select(Report.suggestion).order_by(Report.id)).all()
        assert suggestions == ["", "teh", "the", "tea", "", "color", ""]


def test_origins_and_page_urls_stored_before_are_read_as_browsers_read_them(app, factory):
    """0010: an IDN origin typed in Unicode becomes the Punycode a browser sends; page URLs,
    grouping keys and jump links are re-serialised; a URL no browser opens is left alone."""
    from sqlalchemy import select

    from service.models import Correction, Report, Site

    site = factory.site()
    with app.app_context():
        db.session.get(Site, site.id).origins = ["https://Пример.РФ", "https://news.example"]
        c = Correction(site_id=site.id, url="https://evil.example\\@news.example/a",
                       exact="teh", link="https://NEWS.example:443/a#:~:text=teh")
        db.session.add(c)
        db.session.flush()
        for url in ("https://evil.example\\@news.example/a", "not a url at all"):
            db.session.add(Report(correction_id=c.id, site_id=site.id, url=url, exact="teh"))
        db.session.commit()
    _run_migration(app, "0010_browser_urls.py")
    with app.app_context():
        assert db.session.get(Site, site.id).origins == [
            "https://xn--e1afmkfd.xn--p1ai", "https://news.example"]
        fixed = db.session.scalars(select(Correction)).one()
        assert (fixed.url, fixed.link) == ("https://evil.example/@news.example/a",
                                           "https://news.example/a#:~:text=teh")
        assert db.session.scalars(select(Report.url).order_by(Report.id)).all() == [
            "https://evil.example/@news.example/a", "not a url at all"]


def test_thank_yous_queued_before_0013_keep_their_correction(app, factory):
    """0013: the correction a pending thank-you belongs to moves from the header JSON to the
    column, so reopening still withdraws mail queued by the previous release."""
    from sqlalchemy import select

    from service.models import Correction, OutboxMail

    site = factory.site()
    with app.app_context():
        c = Correction(site_id=site.id, url="https://news.example/a", exact="teh")
        db.session.add(c)
        db.session.flush()
        for headers in ({"X-Errata-Correction": str(c.id), "Reply-To": "desk@news.example"},
                        {"X-Errata-Correction": "999999"}, {}):
            db.session.add(OutboxMail(template="reader_thanks", recipient="r@mail.example",
                                      subject="Fixed", body_text="Thanks", headers=headers))
        db.session.commit()
        cid = c.id
    _run_migration(app, "0013_outbox_correction.py", "move_header_keys")
    with app.app_context():
        rows = db.session.execute(select(OutboxMail.correction_id, OutboxMail.headers)
                                  .order_by(OutboxMail.id)).all()
    assert [tuple(r) for r in rows] == [(cid, {"Reply-To": "desk@news.example"}),
                                        (None, {}), (None, {})]


def test_hours_rolled_up_before_0015_are_carried_over_to_day_rows(app, factory):
    """0015: stat_hours (a row per hour) becomes stat_day_hours (a row per UTC day holding
    its 24 hours): each hour's counts land in its day's row, nothing added or lost."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from service.models import StatDayHours, UTCDateTime

    a, b = factory.site("A"), factory.site("B")
    old = sa.Table("stat_hours", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("site_id", sa.Integer), sa.Column("hour", UTCDateTime()),
                   sa.Column("reports", sa.Integer), sa.Column("corrections", sa.Integer))
    module = _migration("0015_stat_day_hours.py")

    def at(day, hour):
        return datetime(2026, 11, day, hour, tzinfo=UTC)

    with app.app_context():
        try:
            with db.engine.begin() as conn:
                old.create(conn)
                conn.execute(old.insert(), [
                    dict(site_id=a.id, hour=at(28, 0), reports=3, corrections=1),
                    dict(site_id=a.id, hour=at(28, 23), reports=2, corrections=2),
                    dict(site_id=a.id, hour=at(29, 5), reports=1, corrections=0),
                    dict(site_id=b.id, hour=at(28, 23), reports=7, corrections=4)])
                _in_migration(conn, module.carry_over, StatDayHours.__table__)
        finally:
            with db.engine.begin() as conn:
                old.drop(conn)
        rows = {(r.site_id, r.day): r for r in db.session.query(StatDayHours)}
        assert sorted(rows) == [(a.id, "2026-11-28"), (a.id, "2026-11-29"),
                                (b.id, "2026-11-28")]
        first = rows[(a.id, "2026-11-28")]
        assert (first.r00, first.c00, first.r23, first.c23, first.r12) == (3, 1, 2, 2, 0)
        assert rows[(a.id, "2026-11-29")].r05 == 1
        assert (rows[(b.id, "2026-11-28")].r23, rows[(b.id, "2026-11-28")].c23) == (7, 4)
        db.session.remove()
