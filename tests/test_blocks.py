"""Blocks of a reader: ingest answers like a success, keeps nothing and counts what it stopped;
the confirmation page (no JavaScript needed), the site page's list with Lift, and the CLI."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.errors import FieldErrors
from service.extensions import db
from service.models import Block, Counter, Report, utcnow
from service.moderation.blocks import block, is_blocked, lift
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
    with app.app_context():
        assert db.session.scalar(select(Block.stopped)) == 1


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
    (("origin", "https://news.example", 2), "kind"),  # origins are the site's business
    (("ip", "abc", 0), "hours"),
    (("ip", "abc", "soon"), "hours"),
    (("ip", "abc", 24 * 366), "hours"),
])
def test_bad_blocks_are_refused_with_the_field_named(app, ctx, args, field):
    kind, value, hours = args
    with pytest.raises(FieldErrors) as exc:
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
            assert is_blocked(db.session, site.id, "somehash") is None
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1


# -- blocking from the queue, the site page, the CLI ---------------------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture
def reported(app, client, factory, site):
    """A site with one report from this test client's reader, an admin and an editor."""
    factory.editor("admin@news.example", PASSWORD, role="admin")
    factory.editor("ed@news.example", PASSWORD, sites=[site])
    assert post_report(client, site.key).status_code == 201
    with app.app_context():
        report = db.session.scalar(select(Report))
        return report.correction_id, report.id


def signed_in(app, email):
    from tests.conftest import login

    c = app.test_client()
    assert login(c, email, PASSWORD).status_code == 302
    return c


def test_the_queue_offers_no_origin_block_and_asks_before_blocking_a_reader(app, reported,
                                                                           site):
    correction_id, report_id = reported
    admin = signed_in(app, "admin@news.example")
    html = admin.get(f"/queue/{correction_id}").get_data(as_text=True)
    assert "Block this origin" not in html and "data-confirm" not in html.split(
        'class="reports"')[1].split("</ol>")[0]
    confirm = f"/queue/{correction_id}/reports/{report_id}/block"
    assert f'href="{confirm}"' in html

    page = admin.get(confirm)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "What stops" in text and "they still see “Thank you”" in text
    assert "Every other reader of News Example" in text
    assert "This reader has sent 1 report to News Example." in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Block)) == 0  # GET blocks none


def test_blocking_from_the_confirmation_page_stops_only_that_reader(app, client, reported,
                                                                    site):
    from tests.conftest import page_token

    correction_id, report_id = reported
    admin = signed_in(app, "admin@news.example")
    confirm = f"/queue/{correction_id}/reports/{report_id}/block"
    resp = admin.post(confirm, data={"csrf_token": page_token(admin, confirm), "hours": "168",
                                     "reason": "flooding"})
    assert resp.status_code == 302
    assert "is blocked on News Example" in admin.get(resp.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        row = db.session.scalar(select(Block))
        assert (row.kind, row.site_id, row.report_id, row.reason) == ("ip", site.id, report_id,
                                                                     "flooding")
        assert 167.9 < (row.until - row.created_at).total_seconds() / 3600 <= 168
    # The blocked reader still gets a 202; another reader of the site is not stopped.
    assert post_report(client, site.key, exact="Eurasian").status_code == 202
    another_reader = app.test_client()
    another_reader.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    assert post_report(another_reader, site.key, exact="Eurasian").status_code == 201
    history = admin.get(f"/queue/{correction_id}").get_data(as_text=True)
    assert "blocked a reader" in history and "7 days" in history
    # Asking again says it is already blocked, and blocks nothing more.
    again = admin.get(confirm).get_data(as_text=True)
    assert "already blocked" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Block)) == 1


def test_only_admins_block_and_editors_of_other_sites_see_nothing(app, reported, factory):
    correction_id, report_id = reported
    confirm = f"/queue/{correction_id}/reports/{report_id}/block"
    assert signed_in(app, "ed@news.example").get(confirm).status_code == 403
    factory.editor("other@news.example", PASSWORD, sites=[factory.site("Elsewhere")])
    assert signed_in(app, "other@news.example").get(confirm).status_code == 404
    admin = signed_in(app, "admin@news.example")
    assert admin.get(f"/queue/{correction_id}/reports/{report_id + 99}/block").status_code == 404


def test_the_site_page_lists_active_blocks_and_lifts_one(app, client, reported, site):
    from tests.conftest import page_token

    correction_id, report_id = reported
    with app.app_context():
        from service.models import Editor
        from service.moderation.blocks import block_reader

        admin_row = db.session.scalar(select(Editor).where(Editor.role == "admin"))
        row = block_reader(db.session, admin_row, db.session.get(Report, report_id), 24,
                           "testing the page")
        block_id = row.id
        db.session.commit()
    for _ in range(3):
        assert post_report(client, site.key, exact="Eurasian").status_code == 202
    admin = signed_in(app, "admin@news.example")
    html = admin.get(f"/sites/{site.id}").get_data(as_text=True)
    section = html.split('id="blocks"')[1].split("</section>")[0]
    assert f"The reader of report #{report_id}" in section
    assert f'href="/queue/{correction_id}"' in section
    assert "admin@news.example" in section and "testing the page" in section
    assert '<td class="num">3</td>' in section
    assert f"/sites/{site.id}/blocks/{block_id}/lift" in section

    resp = admin.post(f"/sites/{site.id}/blocks/{block_id}/lift",
                      data={"csrf_token": page_token(admin, f"/sites/{site.id}")})
    assert resp.status_code == 302
    after = admin.get(f"/sites/{site.id}").get_data(as_text=True)
    assert "is lifted" in after and "No reader is blocked on this site." in after
    assert post_report(client, site.key, exact="Eurasian").status_code == 201  # stored again
    assert "lifted a block" in admin.get(f"/queue/{correction_id}").get_data(as_text=True)


def test_cli_lists_blocks_one_line_each_id_first_and_lifts_by_id(app, client, runner, factory,
                                                                  site):
    other = factory.site("Elsewhere", origins=("https://elsewhere.example",))
    first = add_block(app, "ip", reader_hash(app), site.id)
    second = add_block(app, "ip", reader_hash(app, "203.0.113.9"), other.id)
    assert post_report(client, site.key).status_code == 202

    result = runner.invoke(args=["block", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(second), str(first)]
    mine = lines[1].split("\t")
    assert mine[1] == site.key and "1 stopped" in mine and "flooding the queue" in mine

    only = runner.invoke(args=["block", "list", "--site", site.key])
    assert [line.split("\t")[0] for line in only.output.strip().splitlines()] == [str(first)]
    assert runner.invoke(args=["block", "list", "--site", "nope"]).exit_code == 1

    lifted = runner.invoke(args=["block", "lift", str(first)])
    assert lifted.exit_code == 0 and f"Block #{first} is lifted" in lifted.output
    assert post_report(client, site.key, exact="Eurasian").status_code == 201
    again = runner.invoke(args=["block", "lift", str(first)])
    assert again.exit_code == 1 and f"no block #{first} in force" in again.output
    assert runner.invoke(args=["block", "lift", "0"]).exit_code == 2
    empty = runner.invoke(args=["block", "list", "--site", site.key])
    assert empty.exit_code == 0 and "No blocks in force." in empty.output
