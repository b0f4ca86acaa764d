"""In Chromium, the pages readers reach from a mail: a reader unsubscribes. No console errors
(the strict CSP holds on every page). An invited editor and one who forgot their password:
tests/browser/test_accounts_ui.py."""

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
