"""In Chromium, the pages people reach from a mail: a reader unsubscribes, an invited editor
chooses a password, an editor who forgot theirs asks for a link. No console errors (the
strict CSP holds on every page)."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import Report, Site

PASSWORD = "correct horse battery"


def _site(app) -> Site:
    from service.sites.core import create_site

    with app.app_context():
        site = create_site(db.session, "News Example", ["https://news.example"], [])
        db.session.commit()
        db.session.refresh(site)
        db.session.expunge(site)
        return site


def test_a_reader_unsubscribes_from_the_link_in_the_mail(page, live):
    from service.mail.readers import unsubscribe_url
    from service.models import Correction

    site = _site(live.app)
    with live.app.app_context():
        correction = Correction(site_id=site.id, url="https://news.example/a", exact="teh")
        db.session.add(correction)
        db.session.flush()
        db.session.add(Report(correction_id=correction.id, site_id=site.id,
                              url="https://news.example/a", exact="teh", notify=True,
                              email="reader@mail.example"))
        db.session.commit()
        link = unsubscribe_url("reader@mail.example")

    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Stop mail to r***@mail.example?"
    page.get_by_role("button", name="Unsubscribe and erase my address").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert "erased from 1 report" in page.locator("main").inner_text()
    with live.app.app_context():
        assert db.session.scalars(select(Report.email)).all() == [None]


def test_an_invited_editor_chooses_a_password_and_is_logged_in(page, live):
    from service.mail.accounts import invite_editor
    from service.mail.messages import link
    from service.mail.tokens import account_token

    site = _site(live.app)
    with live.app.app_context():
        editor = invite_editor(db.session, "new@news.example",
                               sites=[db.session.get(Site, site.id)])
        db.session.commit()
        url = link("mail.accept_invite", token=account_token(editor, "invite"))

    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome to Errata"
    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("New password again").fill("a brand new password")
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("Your password is set. Welcome to Errata.").wait_for()

    used = live.app.test_client().get(url.removeprefix(live.url))
    assert used.status_code == 400
    assert "This link has already been used." in used.get_data(as_text=True)


def test_forgot_password_from_the_login_page(page, live):
    from service.accounts.core import create_editor

    with live.app.app_context():
        create_editor(db.session, "ed@news.example", password=PASSWORD)
        db.session.commit()
    page.goto(f"{live.url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your email").fill("ed@news.example")
    page.get_by_role("button", name="Mail me a link").click()
    page.get_by_role("heading", name="Check your mail").wait_for()
    assert "If an Errata account uses that address" in page.locator("main").inner_text()
