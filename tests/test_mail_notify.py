"""Editors' notifications over a real SMTP server: batching, the window, digests, choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Editor, utcnow
from tests.conftest import post_report
from tests.mail_support import run_sender

DESK = "desk@news.example"


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "Errata <errata@news.example>",
            "ERRATA_MAIL_SETTLE_SECONDS": 0}


@pytest.fixture
def site(factory):
    return factory.site(notify_emails=[DESK])


def set_mode(app, email, mode, hour=8):
    with app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == email))
        editor.notify_mode = mode
        editor.digest_hour = hour
        db.session.commit()


def report_words(client, site, words, page="/politics/2014/article"):
    for word in words:
        resp = post_report(client, site.key, exact=word, prefix=f"before {word} ",
                           suffix=f" after {word}.", suggestion=f"{word}-fixed",
                           url=f"https://news.example{page}")
        assert resp.status_code == 201, resp.get_json()


def correction_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(Correction.id).order_by(Correction.id)))


def test_fifty_reports_on_one_page_make_one_mail_per_recipient(app, client, factory, site, smtp):
    factory.editor("now@news.example", sites=[site])
    factory.editor("daily@news.example", sites=[site])
    factory.editor("never@news.example", sites=[site])
    set_mode(app, "daily@news.example", "digest")
    set_mode(app, "never@news.example", "off")
    words = [f"wrod{i}" for i in range(50)]
    report_words(client, site, words)

    run_sender(app)

    inbox = smtp.inbox
    assert sorted(m.to for m in inbox.messages) == [DESK, "now@news.example"]
    mail = inbox.to(DESK)[0]
    assert mail.subject == "50 new corrections on News Example"
    assert mail.header("From") == "Errata <errata@news.example>"
    for part in (mail.text, mail.html):
        for word in words:
            assert f"{word}-fixed" in part
        for cid in correction_ids(app):
            assert f"http://errata.test/queue/{cid}" in part
        assert f"http://errata.test/queue?site={site.id}" in part.replace("&amp;", "&")
    assert "[wrod7]" in mail.text and "→ “wrod7-fixed”" in mail.text

    # Nothing new: another round sends nothing.
    run_sender(app)
    assert len(inbox.messages) == 2


def test_later_reports_wait_for_the_window_and_list_only_what_is_new(app, client, site, smtp):
    report_words(client, site, ["first"])
    run_sender(app)
    assert [m.subject for m in smtp.inbox.to(DESK)] == ["1 new correction on News Example"]

    report_words(client, site, ["second", "third"])
    run_sender(app)  # within the 10-minute window: held
    assert len(smtp.inbox.to(DESK)) == 1

    run_sender(app, now=utcnow() + timedelta(minutes=11))
    second = smtp.inbox.to(DESK)[1]
    assert second.subject == "2 new corrections on News Example"
    assert "second-fixed" in second.text and "third-fixed" in second.text
    assert "first-fixed" not in second.text


def test_a_burst_still_arriving_is_held_until_it_settles(app, client, site, smtp):
    app.config["ERRATA_MAIL_SETTLE_SECONDS"] = 60
    report_words(client, site, ["one", "two"])
    run_sender(app)
    assert smtp.inbox.messages == []
    run_sender(app, now=utcnow() + timedelta(seconds=61))
    assert [m.subject for m in smtp.inbox.messages] == ["2 new corrections on News Example"]


def test_spam_and_corrections_closed_before_the_mail_are_not_announced(
        app, client, factory, site, smtp):
    factory.editor("now@news.example", sites=[site])
    resp = post_report(client, site.key, exact="cheap", comment="viagra casino deals")
    assert resp.status_code == 201
    report_words(client, site, ["closed"])
    from tests.mail_support import set_status

    closed_id = correction_ids(app)[-1]
    set_status(app, closed_id, "rejected", "now@news.example")
    run_sender(app)
    assert smtp.inbox.messages == []
    with app.app_context():
        assert all(c.notified_at is not None for c in db.session.scalars(select(Correction)))


def test_daily_digest_at_the_editors_hour(app, client, factory, site, smtp):
    factory.editor("daily@news.example", sites=[site])
    set_mode(app, "daily@news.example", "digest", hour=8)
    start = utcnow()
    run_sender(app, now=start)  # the first round only starts the clock: no surprise mail
    report_words(client, site, ["alpha", "beta"])
    run_sender(app)
    assert smtp.inbox.to("daily@news.example") == []

    next_day = start + timedelta(days=1)
    run_sender(app, now=next_day)
    digests = smtp.inbox.to("daily@news.example")
    assert len(digests) == 1
    digest = digests[0]
    assert digest.subject == "Errata daily digest: 2 new corrections"
    assert "alpha-fixed" in digest.text and "beta-fixed" in digest.text
    assert "News Example" in digest.html and "at 08:00 (UTC)" in digest.text
    assert "/unsubscribe/notifications/" in digest.header("List-Unsubscribe")

    run_sender(app, now=next_day + timedelta(minutes=30))  # same day: nothing more
    assert len(smtp.inbox.to("daily@news.example")) == 1


def test_a_huge_batch_lists_the_first_ones_and_counts_the_rest(app, client, site, smtp):
    app.config["ERRATA_MAIL_LIST_LIMIT"] = 10
    report_words(client, site, [f"typo{i}" for i in range(15)])
    run_sender(app)
    [mail] = smtp.inbox.to(DESK)
    assert mail.subject == "15 new corrections on News Example"
    assert "typo9-fixed" in mail.text and "typo10-fixed" not in mail.text
    for part in (mail.text, mail.html):
        assert "…and 5 more in the queue." in part
    with app.app_context():
        assert all(c.notified_at for c in db.session.scalars(select(Correction)))


def test_stop_these_mails_link_for_a_site_address_and_an_editor(app, client, factory, site,
                                                                 smtp):
    factory.editor("now@news.example", sites=[site])
    report_words(client, site, ["one"])
    run_sender(app)
    for address in (DESK, "now@news.example"):
        [mail] = smtp.inbox.to(address)
        header = mail.header("List-Unsubscribe")
        assert header and "/unsubscribe/notifications/" in header
        assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        path = next(u for u in mail.links() if "/unsubscribe/notifications/" in u)
        path = path.removeprefix("http://errata.test")
        page = client.get(path)
        assert page.status_code == 200
        assert "Stop notification mail to" in page.get_data(as_text=True)
        done = client.post(path)
        assert done.status_code == 200
        assert "Notification mail stopped" in done.get_data(as_text=True)

    with app.app_context():
        from service.models import Site

        assert db.session.get(Site, site.id).notify_emails == []
        editor = db.session.scalar(select(Editor).where(Editor.email == "now@news.example"))
        assert editor.notify_mode == "off"
    report_words(client, site, ["two"])
    run_sender(app, now=utcnow() + timedelta(minutes=11))
    assert len(smtp.inbox.messages) == 2


def test_a_broken_stop_link_gets_a_sentence(client):
    resp = client.post("/unsubscribe/notifications/not-a-token")
    assert resp.status_code == 400
    assert "This unsubscribe link is not valid" in resp.get_data(as_text=True)


def invite(app, email, mode, site):
    from service.accounts.links import invite_editor
    from service.models import Site

    with app.test_request_context():
        editor = invite_editor(db.session, email, sites=[db.session.get(Site, site.id)])
        editor.notify_mode = mode
        db.session.commit()


def test_people_invited_but_not_yet_accepted_get_no_reader_text(app, client, factory, smtp):
    site = factory.site(notify_emails=[DESK, "invited-desk@news.example"])
    factory.editor("now@news.example", sites=[site])
    invite(app, "invited@news.example", "immediate", site)
    invite(app, "invited-desk@news.example", "immediate", site)  # also a site address
    invite(app, "invited-daily@news.example", "digest", site)
    start = utcnow()
    run_sender(app, now=start)
    report_words(client, site, ["wrod"])
    run_sender(app)
    run_sender(app, now=start + timedelta(days=1))

    got = sorted({m.to for m in smtp.inbox.messages if "wrod" in m.text})
    assert got == [DESK, "now@news.example"]
    invitations = sorted(m.to for m in smtp.inbox.messages if "wrod" not in m.text)
    assert invitations == ["invited-daily@news.example", "invited-desk@news.example",
                           "invited@news.example"]
