"""Page checks end to end: reports stored through the real API, pages served by a local
article server the tests edit, checks run on demand, in the background and after "Fixed"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service.extensions import db
from service.heartbeats import beat
from service.models import Correction, Event, OutboxMail, utcnow
from service.pagecheck import loop, runner
from service.pagecheck.core import check_corrections, run_round
from service.pagecheck.fetch import Backoff
from tests.article_server import ArticleServer, Served
from tests.conftest import login, page_token, post_report

PAGES = Path(__file__).parent / "fixtures" / "pages"
WP = (PAGES / "wordpress.html").read_bytes()
WP_FIXED = WP.replace(b"&euro;180&nbsp;milion and", b"&euro;180&nbsp;million and")
REPORT = dict(exact="milion", prefix="The line will cost an estimated €180 ",
              suffix=" and is due to open in 2029, the council’s transport committee said.",
              suggestion="million", title="City council approves new tram line")


@pytest.fixture
def app_config():
    return {"ERRATA_PAGE_CHECKS": True}


@pytest.fixture
def newsroom(newsroom):
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP)
    return newsroom


@pytest.fixture
def site(factory, newsroom):
    return factory.site("Riverside Gazette", origins=(newsroom.origin,))


def report(client, site, newsroom, path="/2024/03/12/tram-line", **fields):
    body = {**REPORT, **fields}
    resp = post_report(client, site.key, origin=newsroom.origin, url=newsroom.url(path), **body)
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return resp.get_json()["correction"]


def correction(correction_id: int) -> Correction:
    db.session.expire_all()
    return db.session.get(Correction, correction_id)


def check(correction_id: int):
    (checked,) = check_corrections(db.session, [correction(correction_id)], backoff=Backoff())
    db.session.commit()
    return checked


def test_a_report_never_fetches_the_page(client, site, newsroom):
    report(client, site, newsroom)
    assert newsroom.requests == []  # not in the reader's request, not after it


def test_check_records_present_then_gone_and_moves_updated_at_only_on_change(
        app, client, site, newsroom):
    cid = report(client, site, newsroom)
    with app.app_context():
        checked = check(cid)
        assert (checked.state, checked.reason) == ("present", "in_context")
        c = correction(cid)
        first_update, first_check = c.updated_at, c.page_checked_at
        assert c.page_state == "present" and c.page_reason == "in_context"
        assert first_update == first_check  # a new state is a change

        assert check(cid).changed is False  # the same answer again
        c = correction(cid)
        assert c.page_checked_at > first_check and c.updated_at == first_update

        newsroom.pages["/2024/03/12/tram-line"] = Served(WP_FIXED)
        checked = check(cid)
        assert checked.state == "gone" and checked.changed and not checked.closed
        c = correction(cid)
        assert c.status == "new"  # auto-close is off by default
        assert c.updated_at > first_update and c.page_reason == "gone:million"
        history = [(e.action, e.actor) for e in db.session.scalars(
            select(Event).where(Event.correction_id == cid).order_by(Event.id))]
        assert history == [("page_present", "page check"), ("page_gone", "page check")]
    assert newsroom.requests[0].headers["User-Agent"].startswith("Errata-PageCheck/")
    assert newsroom.requests[0].headers["User-Agent"].endswith("(+http://errata.test)")


def test_one_fetch_serves_every_correction_of_a_page_and_etag_is_used(
        app, client, site, newsroom):
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP, etag='"w1"')
    a = report(client, site, newsroom)
    b = report(client, site, newsroom, exact="Ridley", prefix="said councillor Tom ",
               suffix=", who voted against.", suggestion="Riddley")
    with app.app_context():
        both = [correction(a), correction(b)]
        states = [c.state for c in check_corrections(db.session, both, backoff=Backoff())]
        db.session.commit()
        assert states == ["present", "present"] and len(newsroom.requests) == 1
        both = [correction(a), correction(b)]
        check_corrections(db.session, both, backoff=Backoff(), spacing=0)
        db.session.commit()
        assert newsroom.requests[-1].headers["If-None-Match"] == '"w1"'
        assert [correction(i).page_state for i in (a, b)] == ["present", "present"]
        assert correction(a).page_reason == "in_context"  # the 304 kept the answer


def test_auto_close_marks_fixed_by_page_check_and_thanks_readers(app, client, factory, newsroom):
    site = factory.site("Riverside Gazette", origins=(newsroom.origin,), auto_close=True)
    cid = report(client, site, newsroom, email="reader@example.org", notify=True)
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP_FIXED)
    with app.app_context():
        checked = check(cid)
        assert checked.state == "gone" and checked.closed
        c = correction(cid)
        assert c.status == "fixed" and c.resolved_by_id is None
        fixed = db.session.scalar(select(Event).where(Event.correction_id == cid,
                                                      Event.action == "fixed"))
        assert fixed.actor == "page check" and fixed.editor_id is None
        thanks = db.session.scalars(select(OutboxMail)).all()
        assert [m.recipient for m in thanks] == ["reader@example.org"]


RU_PAGE = ("<!doctype html><html><head><title>Трамвай до Немиги</title></head><body>"
           "<h1>Трамвай до Немиги</h1><p>Линию обещают запустить в 2029 году, сообщил "
           "председатель транспортной коммисии горсовета.</p></body></html>")


@pytest.mark.parametrize("body, content_type", [
    (RU_PAGE.encode(), "text/html"),  # no charset anywhere: browsers detect UTF-8
    (RU_PAGE.replace("<head>", "<head><meta charset='windows-1251'>").encode("cp1251"),
     "text/html"),
    (RU_PAGE.encode("cp1251"), "text/html; charset=windows-1251"),
], ids=["utf8-undeclared", "cp1251-meta", "cp1251-header"])
def test_a_russian_page_is_read_in_its_encoding_declared_or_not(app, client, factory, newsroom,
                                                                 body, content_type):
    # On an auto-closing site a page read as mojibake would close the report as "fixed".
    site = factory.site("Вечерний город", origins=(newsroom.origin,), auto_close=True)
    newsroom.pages["/nemiga"] = Served(body, content_type=content_type)
    cid = report(client, site, newsroom, path="/nemiga", exact="коммисии",
                 prefix="сообщил председатель транспортной ", suffix=" горсовета.",
                 suggestion="комиссии", title="Трамвай до Немиги")
    with app.app_context():
        checked = check(cid)
        assert (checked.state, checked.closed) == ("present", False)
        c = correction(cid)
        assert c.status == "new" and c.page_title == "Трамвай до Немиги"


def test_unreachable_answers_are_unknown_not_gone(app, client, site, newsroom):
    cid = report(client, site, newsroom)
    with app.app_context():
        for served, reason in [(Served(b"gone", status=404), "status:404"),
                               (Served(b"%PDF", content_type="application/pdf"),
                                "not_html:application/pdf")]:
            newsroom.pages["/2024/03/12/tram-line"] = served
            checked = check(cid)
            assert (checked.state, checked.reason) == ("unknown", reason)


def test_background_round_checks_due_pages_once_an_hour_and_each_origin_once_a_second(
        app, client, site, newsroom):
    newsroom.pages["/other"] = Served(WP)
    a = report(client, site, newsroom)
    b = report(client, site, newsroom, path="/other")
    old = report(client, site, newsroom, path="/old")
    with app.app_context():
        db.session.execute(update(Correction).where(Correction.id == old).values(
            last_reported_at=utcnow() - timedelta(days=31)))
        db.session.commit()
        backoff = Backoff()
        kwargs = dict(days=30, every=timedelta(hours=1), spacing=60.0, backoff=backoff)
        assert run_round(db.session, **kwargs) == 1  # two pages, one origin: one this round
        assert run_round(db.session, **kwargs) == 0  # the origin's turn hasn't come again
        now_free = {**kwargs, "spacing": 0.0, "backoff": Backoff()}  # a second later
        assert run_round(db.session, **now_free) == 1  # the other page
        assert run_round(db.session, **now_free) == 0  # both checked less than an hour ago
        assert {correction(a).page_state, correction(b).page_state} == {"present"}
        assert correction(old).page_checked_at is None  # reported more than 30 days ago
        db.session.execute(update(Correction).values(
            page_checked_at=utcnow() - timedelta(minutes=61)))
        db.session.commit()
        assert run_round(db.session, **now_free) == 2  # due again
    assert {r.path for r in newsroom.requests} == {"/2024/03/12/tram-line", "/other"}


def test_the_loop_thread_checks_and_records_its_heartbeat(app, client, site, newsroom):
    import threading
    import time

    cid = report(client, site, newsroom)
    stop = threading.Event()
    thread = loop.start(app, stop)
    try:
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a timing
        while time.monotonic() < deadline:
            with app.app_context():
                if correction(cid).page_state:
                    break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    with app.app_context():
        assert correction(cid).page_state == "present"
    health = client.get("/healthz").get_json()
    assert health["loops"]["page_checks"]["stale"] is False
    assert health["loops"]["page_checks"]["last_heartbeat"].endswith("Z")


def test_healthz_says_plainly_when_a_loop_is_stale_or_never_ran(app, client):
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["loops"]["mail"]["stale"] is True
    assert any("mail sender has never run" in w for w in health["warnings"])
    with app.app_context():
        beat(db.session, "mail", "sent 0", now=utcnow() - timedelta(minutes=3))
        beat(db.session, "page_checks", "0 pages")
    health = client.get("/healthz").get_json()
    assert health["loops"]["mail"]["stale"] is True
    assert health["loops"]["mail"]["age_seconds"] >= 180
    assert health["loops"]["page_checks"]["stale"] is False
    assert health["warnings"] == [
        f"The mail sender is stale: its last heartbeat was "
        f"{health['loops']['mail']['age_seconds']} s ago (more than 120 s)."]


def test_errata_check_prints_one_line_per_correction(runner, client, site, newsroom):
    a = report(client, site, newsroom)
    newsroom.pages["/b"] = Served(WP_FIXED)
    b = report(client, site, newsroom, path="/b")
    result = runner.invoke(args=["check", "--site", site.key])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    by_id = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert by_id[f"#{a}"][1] == "present" and by_id[f"#{b}"][1] == "gone"
    assert "now reads: “million”" in by_id[f"#{b}"][3]
    one = runner.invoke(args=["check", "--correction", str(a)])
    assert one.exit_code == 0 and one.output.startswith(f"#{a}\tpresent\t")
    bad = runner.invoke(args=["check", "--site", "nope"])
    assert bad.exit_code == 1 and "no site" in bad.output


def test_on_demand_check_waits_or_says_it_is_under_way(app, client, site, newsroom):
    newsroom.pages["/slow"] = Served(trickle=True)
    cid = report(client, site, newsroom, path="/slow")
    with app.test_request_context():
        assert runner.check_and_wait(cid, wait=0.3) is None  # still fetching
        assert runner.is_running(cid)
        # The same check, not a second; it ends at the fetch's 10 s deadline (the wait is only
        # a bound, long enough for a loaded machine).
        done = runner.start_check(cid).result(timeout=60)
        assert done.state == "unknown" and done.reason == "timeout"
    assert len([r for r in newsroom.requests if r.path == "/slow"]) == 1


# -- the editor's pages ----------------------------------------------------------------------

@pytest.fixture
def editor(factory, site):
    factory.editor("desk@gazette.example", sites=[site])
    return "desk@gazette.example"


def test_check_button_shows_the_result(app, client, site, newsroom, editor):
    cid = report(client, site, newsroom)
    login(client, editor)
    token = page_token(client, f"/queue/{cid}")
    resp = client.post(f"/queue/{cid}/check", data={"csrf_token": token},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Page checked: Error still on the page." in html
    assert "The quote is on the page, in its context." in html


def test_check_button_needs_csrf_and_hides_other_sites(app, client, factory, site, newsroom,
                                                       editor):
    cid = report(client, site, newsroom)
    other = factory.site("Elsewhere", origins=("https://elsewhere.example",))
    factory.editor("other@elsewhere.example", sites=[other])
    login(client, "other@elsewhere.example")
    token = page_token(client, "/queue")
    assert client.post(f"/queue/{cid}/check", data={"csrf_token": token}).status_code == 404
    assert client.post("/queue/1/check").status_code == 400  # no CSRF token
    assert newsroom.requests == []


def test_fixed_while_the_page_still_has_the_error_says_so(app, client, site, newsroom, editor):
    cid = report(client, site, newsroom)
    login(client, editor)
    token = page_token(client, f"/queue/{cid}")
    resp = client.post(f"/queue/{cid}/status", data={"csrf_token": token, "action": "fixed"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert f"#{cid} is marked fixed, but its page still has the error." in html
    assert "This correction is marked fixed, but the page still has the error" in html


def test_fixed_after_the_cms_edit_shows_no_warning(app, client, site, newsroom, editor):
    cid = report(client, site, newsroom)
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP_FIXED)
    login(client, editor)
    token = page_token(client, f"/queue/{cid}")
    html = client.post(f"/queue/{cid}/status", data={"csrf_token": token, "action": "fixed"},
                       follow_redirects=True).get_data(as_text=True)
    assert "still has the error" not in html
    assert "Looks fixed" in html


def test_looks_fixed_badge_filter_and_bulk_mark_fixed(app, client, site, newsroom, editor):
    newsroom.pages["/fixed-1"] = Served(WP_FIXED)
    newsroom.pages["/fixed-2"] = Served(WP_FIXED)
    gone = [report(client, site, newsroom, path=p) for p in ("/fixed-1", "/fixed-2")]
    still = report(client, site, newsroom)
    with app.app_context():
        check_corrections(db.session, [correction(i) for i in [*gone, still]],
                          backoff=Backoff(), spacing=0)
        db.session.commit()
    login(client, editor)
    html = client.get("/queue").get_data(as_text=True)
    assert html.count('class="badge badge--looks-fixed"') == 2
    html = client.get("/queue?looks_fixed=1").get_data(as_text=True)
    assert f'id="c{still}"' not in html and all(f'id="c{i}"' in html for i in gone)
    token = page_token(client, "/queue?looks_fixed=1")
    resp = client.post("/queue/bulk", data={"csrf_token": token, "action": "fixed",
                                            "ids": [str(i) for i in gone]},
                       follow_redirects=True)
    assert "2 corrections marked as fixed." in resp.get_data(as_text=True)
    with app.app_context():
        assert [correction(i).status for i in gone] == ["fixed", "fixed"]
        assert correction(still).status == "new"


def test_the_site_setting_turns_auto_close_on(app, client, factory, site):
    factory.editor("admin@gazette.example", role="admin")
    login(client, "admin@gazette.example")
    token = page_token(client, f"/sites/{site.id}/edit")
    form = client.get(f"/sites/{site.id}/edit").get_data(as_text=True)
    assert "Close automatically when the page no longer has the error" in form
    resp = client.post(f"/sites/{site.id}/edit", data={
        "csrf_token": token, "name": site.name, "origins": "\n".join(site.origins),
        "default_lang": "en", "active": "y", "auto_close": "y"})
    assert resp.status_code == 302
    with app.app_context():
        from service.models import Site
        assert db.session.get(Site, site.id).auto_close is True


def test_history_names_page_check_as_the_actor(app, client, factory, newsroom, editor):
    site = factory.site("Riverside Gazette 2", origins=(newsroom.origin,), auto_close=True)
    factory.editor("desk2@gazette.example", sites=[site])
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP_FIXED)
    cid = report(client, site, newsroom)
    with app.app_context():
        check(cid)
    login(client, "desk2@gazette.example")
    html = client.get(f"/queue/{cid}").get_data(as_text=True)
    history = html[html.index('id="history-h"'):]
    # Not a person: "Page check:" and what it found, never "page check checked the page".
    assert "<strong>Page check:</strong> the error looks fixed" in history
    assert "<strong>Page check:</strong> the error is gone from the page, marked fixed" in history
    assert "checked the page" not in history and "page check</strong>" not in history


def test_a_russian_editor_reads_the_check_in_russian(app, client, site, newsroom, editor):
    cid = report(client, site, newsroom)
    newsroom.pages["/2024/03/12/tram-line"] = Served(WP_FIXED)
    with app.app_context():
        from service.models import Editor

        db.session.scalar(select(Editor)).language = "ru"
        db.session.commit()
        check(cid)
    login(client, editor)
    html = client.get(f"/queue/{cid}").get_data(as_text=True)
    assert "Проверить страницу" in html and "Похоже, исправлено" in html
    assert "<strong>Проверка страницы:</strong> похоже, исправлено" in html
    assert "проверил(а)" not in html
    assert "Текст вокруг цитаты найден, но самой цитаты в нём больше нет. Теперь там: «million»" \
        in html


def test_the_mail_sender_process_checks_pages_beside_mail_and_a_slow_page_delays_no_mail(
        app, client, factory, newsroom, smtp):
    """`errata mail send --loop` (what `make run` starts): its page checker is stuck on pages
    that never finish, and mail still goes out meanwhile; both loops beat."""
    import signal
    import subprocess
    import time

    from tests.mail_support import ROOT, SENDER_CMD, sender_env

    # Two slow pages on two origins: the checker's round fetches one, then the other, each
    # until its 10 s deadline, so the round can't end before about 20 s. The mail must go
    # out before it does. (With one slow page the mail raced that page's 10 s deadline: the
    # sender's first round, in a fresh process on a loaded machine, took long enough for the
    # fetch to end first.)
    other = ArticleServer().start()
    try:
        site = factory.site("Riverside Gazette", origins=(newsroom.origin, other.origin),
                            notify_emails=["desk@gazette.example"])
        newsroom.pages["/slow"] = Served(trickle=True)
        other.pages["/slow"] = Served(trickle=True)
        cid = report(client, site, newsroom, path="/slow")  # the first checked: the older
        later = post_report(client, site.key, origin=other.origin, url=other.url("/slow"),
                            **REPORT).get_json()["correction"]
        proc = subprocess.Popen([*SENDER_CMD, "--loop", "--interval", "0.1"], cwd=ROOT,
                                env=sender_env(app, smtp), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):  # the checker has started on the slow page
                if any(r.path == "/slow" for r in newsroom.requests):
                    break
                time.sleep(0.05)
            for _ in range(600):  # ... and the mail arrives while it waits
                if smtp.inbox.messages:
                    break
                time.sleep(0.05)
            assert [m.to for m in smtp.inbox.messages] == ["desk@gazette.example"]
            with app.app_context():
                assert correction(later).page_checked_at is None  # the round goes on
            for _ in range(300):  # the first slow fetch ends at its 10 s cut
                with app.app_context():
                    if correction(cid).page_checked_at is not None:
                        break
                time.sleep(0.1)
            with app.app_context():
                c = correction(cid)
                assert (c.page_state, c.page_reason) == ("unknown", "timeout")
            other.stop()  # the second page ends now (no need to wait out its 10 s)
            for _ in range(300):  # the mail loop beats after its round; the checker once its
                loops = client.get("/healthz").get_json()["loops"]  # round ends
                if not (loops["mail"]["stale"] or loops["page_checks"]["stale"]):
                    break
                time.sleep(0.1)
            assert loops["mail"]["stale"] is False and loops["page_checks"]["stale"] is False
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert proc.returncode == 0
    finally:
        other.stop()
