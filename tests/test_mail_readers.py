"""Readers' thank-you mail over a real SMTP server: language, escaping, unsubscribing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Report, utcnow
from tests.conftest import post_report
from tests.mail_support import outbox_rows, run_sender, set_status

EDITOR = "editor@news.example"


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "Errata <errata@news.example>",
            "ERRATA_MAIL_SETTLE_SECONDS": 0, "ERRATA_MAIL_THANKS_DELAY_SECONDS": 0}


@pytest.fixture
def site(factory):
    site = factory.site(notify_emails=["desk@news.example"])
    factory.editor(EDITOR, sites=[site])
    return site


def report(client, site, **fields):
    resp = post_report(client, site.key, **fields)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()["correction"]


def thanks(smtp, address):
    return [m for m in smtp.inbox.to(address) if "fixed" in m.subject.lower()
            or "Исправлено" in m.subject]


def test_thank_you_in_the_readers_language_when_fixed(app, client, site, smtp):
    en = report(client, site, exact="collegiums", suggestion="collegia", notify=True,
                email="Reader@Mail.example", lang="en-GB")
    ru = report(client, site, exact="превет", prefix="Всем ", suffix=" от редакции",
                suggestion="привет", notify=True, email="chitatel@mail.example", lang="ru",
                title="Новости дня", url="https://news.example/ru/novosti")
    report(client, site, exact="silent", suggestion="quiet")  # no address: nothing to send
    set_status(app, en, "fixed", EDITOR, applied_fix="collegia")
    set_status(app, ru, "fixed", EDITOR, applied_fix="привет")
    run_sender(app)

    [mail_en] = thanks(smtp, "reader@mail.example")
    assert mail_en.subject == "Fixed: the error you reported on News Example"
    assert mail_en.header("From") == "Errata <errata@news.example>"
    assert mail_en.header("Reply-To") == "desk@news.example"
    assert "It has been fixed." in mail_en.text
    assert '“collegiums” → “collegia”' in mail_en.text
    assert "https://news.example/politics/2014/article" in mail_en.text
    assert "collegia" in mail_en.html and "It has been fixed." in mail_en.html
    unsubscribe = mail_en.header("List-Unsubscribe")
    assert unsubscribe and unsubscribe.startswith("<http://errata.test/unsubscribe/")
    assert mail_en.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

    [mail_ru] = thanks(smtp, "chitatel@mail.example")
    assert mail_ru.subject == "Исправлено: ошибка, о которой вы сообщили на сайте News Example"
    assert "Мы её исправили." in mail_ru.text and "«превет» → «привет»" in mail_ru.text
    assert "Новости дня" in mail_ru.html and 'lang="ru"' in mail_ru.html


def test_one_thank_you_per_reader_and_none_for_not_an_error(app, client, site, smtp):
    first = report(client, site, notify=True, email="twice@mail.example")
    assert report(client, site, notify=True, email="twice@mail.example") == first
    rejected = report(client, site, exact="fine", prefix="All is ", suffix=" here.",
                      notify=True, email="wrong@mail.example")
    set_status(app, first, "fixed", EDITOR)
    set_status(app, rejected, "rejected", EDITOR)
    run_sender(app)
    set_status(app, first, "reopen", EDITOR)
    set_status(app, first, "fixed", EDITOR)  # fixed again: no second thank-you
    run_sender(app)
    assert len(thanks(smtp, "twice@mail.example")) == 1
    assert smtp.inbox.to("wrong@mail.example") == []


def test_a_fix_undone_within_the_grace_period_tells_the_reader_nothing(app, client, site, smtp):
    app.config["ERRATA_MAIL_THANKS_DELAY_SECONDS"] = 120
    cid = report(client, site, notify=True, email="patient@mail.example")
    set_status(app, cid, "fixed", EDITOR)  # a mis-click...
    run_sender(app)
    set_status(app, cid, "reopen", EDITOR)  # ...undone a moment later
    later = utcnow() + timedelta(minutes=5)
    run_sender(app, now=later)
    assert thanks(smtp, "patient@mail.example") == []
    assert not [r for r in outbox_rows(app) if r.recipient == "patient@mail.example"]

    set_status(app, cid, "fixed", EDITOR)  # fixed for real
    run_sender(app, now=utcnow() + timedelta(minutes=3))
    [mail] = thanks(smtp, "patient@mail.example")
    assert mail.header("X-Errata-Correction") is None  # bookkeeping stays in the outbox
    assert [r.correction_id for r in outbox_rows(app)
            if r.recipient == "patient@mail.example"] == [cid]


def test_unsubscribe_link_stops_mail_and_erases_the_address(app, client, site, smtp):
    one = report(client, site, exact="teh", prefix="Read ", suffix=" news", suggestion="the",
                 notify=True, email="leave@mail.example")
    two = report(client, site, exact="recieve", prefix="We ", suffix=" mail",
                 suggestion="receive", notify=True, email="leave@mail.example")
    set_status(app, one, "fixed", EDITOR)
    run_sender(app)
    [mail] = thanks(smtp, "leave@mail.example")
    link = next(u for u in mail.links() if "/unsubscribe/" in u)
    path = link.removeprefix("http://errata.test")

    page = client.get(path)
    assert page.status_code == 200
    assert "Stop mail to l***@mail.example?" in page.get_data(as_text=True)
    done = client.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    with app.app_context():
        emails = db.session.scalars(select(Report.email)).all()
        assert "leave@mail.example" not in emails
    assert all(row.recipient != "leave@mail.example" for row in outbox_rows(app))

    set_status(app, two, "fixed", EDITOR)
    run_sender(app)
    assert len(smtp.inbox.to("leave@mail.example")) == 1


def test_one_click_unsubscribe_from_the_mail_client(app, client, site, smtp):
    cid = report(client, site, notify=True, email="oneclick@mail.example")
    set_status(app, cid, "fixed", EDITOR)
    run_sender(app)
    [mail] = thanks(smtp, "oneclick@mail.example")
    url = mail.header("List-Unsubscribe").strip("<>")
    resp = client.post(url.removeprefix("http://errata.test"),
                       data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Report.email)).all() == [None]


@pytest.mark.parametrize("token", ["nonsense", "eyJ0ZXN0IjoxfQ.forged"])
def test_a_broken_unsubscribe_link_gets_a_sentence(client, token):
    resp = client.get(f"/unsubscribe/{token}")
    assert resp.status_code == 400
    assert "This unsubscribe link is not valid" in resp.get_data(as_text=True)


def test_thank_you_quotes_what_was_published_not_the_readers_guess(app, client, site, smtp):
    cid = report(client, site, exact="previous", prefix="The day ", suffix=" the vote",
                 suggestion="prior", notify=True, email="reader@mail.example")
    set_status(app, cid, "fixed", EDITOR, applied_fix="prior to")
    run_sender(app)
    [mail] = thanks(smtp, "reader@mail.example")
    assert "“previous” → “prior to”" in mail.text and "→ “prior”\n" not in mail.text
    assert "“previous” → “prior to”" in mail.html
    assert '<ins style="background:#dcf5e3;color:#135c2b;text-decoration:none;">prior to</ins>' \
        in mail.html


def test_thank_you_without_a_recorded_fix_quotes_no_fix(app, client, site, smtp):
    cid = report(client, site, exact="previous", suggestion="prior", notify=True,
                 email="reader@mail.example")
    set_status(app, cid, "fixed", EDITOR)  # as bulk "Fixed" does: nothing recorded
    run_sender(app)
    [mail] = thanks(smtp, "reader@mail.example")
    assert "It has been fixed." in mail.text
    assert "The fix" not in mail.text and "prior" not in mail.text
    assert "The fix" not in mail.html and "prior" not in mail.html


HOSTILE = "x\" onmouseover=\"alert(1)\" <3 & 1 < 2"


def test_hostile_reader_text_is_escaped_in_html_and_plain_in_text(app, client, site, smtp):
    cid = report(client, site, exact=HOSTILE, prefix="<b>bold</b> ", suffix=" \"'>",
                 suggestion="\"><svg onload=alert(2)> & more", title="Tom & Jerry's <3",
                 notify=True, email="reader@mail.example")
    run_sender(app)  # the editors' notification
    set_status(app, cid, "fixed", EDITOR)
    run_sender(app)  # the reader's thank-you
    desk = smtp.inbox.to("desk@news.example")[0]
    reader = thanks(smtp, "reader@mail.example")[0]
    for mail in (desk, reader):
        html = mail.html
        assert "onmouseover=\"alert(1)\"" not in html
        assert "x&#34; onmouseover=&#34;alert(1)&#34; &lt;3 &amp; 1 &lt; 2" in html
        assert "<svg" not in html and "<b>" not in html
        # The text part is plain text: the reader's characters as they typed them.
        assert HOSTILE in mail.text
        assert "&lt;" not in mail.text and "&#34;" not in mail.text
    assert "Tom &amp; Jerry&#39;s &lt;3" in reader.html
    assert "Article: Tom & Jerry's <3" in reader.text.splitlines()


def test_html_part_escapes_raw_markup_even_if_stored(app, site, smtp):
    """Whatever reaches the database (an import, an old row), the HTML part escapes it."""
    from service.mail.hooks import on_status_changed
    from service.models import Correction, Report, Site

    with app.app_context():
        site_row = db.session.get(Site, site.id)
        correction = Correction(site_id=site_row.id, url="https://news.example/a",
                                exact="<script>alert(1)</script>", suggestion="<img src=x>",
                                status="fixed")
        db.session.add(correction)
        db.session.flush()
        db.session.add(Report(correction_id=correction.id, site_id=site_row.id,
                              url="https://news.example/a", exact=correction.exact,
                              title="<i>title</i>", notify=True, email="raw@mail.example"))
        db.session.flush()
        on_status_changed(db.session, correction, "new", "fixed")
        db.session.commit()
    run_sender(app)
    [mail] = thanks(smtp, "raw@mail.example")
    assert "<script>" not in mail.html and "<img" not in mail.html and "<i>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
    assert "<script>alert(1)</script>" in mail.text
