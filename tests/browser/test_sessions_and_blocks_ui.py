"""In Chromium, where a person would notice: a copied session cookie dies with logout and with
"Sign out everywhere" while other devices stay signed in; an admin blocks a reader from a
report with JavaScript switched off (the confirmation page says what stops), sees the block on
the site page and lifts it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from service.extensions import db
from tests.conftest import post_report

PASSWORD = "correct horse battery"
ADMIN = "admin@news.example"
EDITOR = "ed@news.example"


@pytest.fixture
def world(live):
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "News Example", ["https://news.example"])
        create_editor(db.session, ADMIN, role="admin", password=PASSWORD)
        create_editor(db.session, EDITOR, password=PASSWORD, sites=[site])
        db.session.commit()
        key, site_id = site.key, site.id
    reader = live.app.test_client()  # one reader, always from the same address
    assert post_report(reader, key).status_code == 201
    return {"key": key, "site_id": site_id, "reader": reader}


def log_in(pg, live, email):
    pg.goto(f"{live.url}/login")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{live.url}/queue")


def device(browser, **options):
    context = browser.new_context(**options)
    return context, context.new_page()


def copy_of(context, browser, live):
    """Another browser holding only a copy of ``context``'s cookies (a stolen cookie)."""
    thief = browser.new_context()
    thief.add_cookies(context.cookies(live.url))
    return thief, thief.new_page()


def opens_queue(pg, live) -> bool:
    pg.goto(f"{live.url}/queue")
    return pg.url == f"{live.url}/queue"


def test_logout_kills_every_copy_of_the_cookie_and_no_other_device(browser, live, world):
    laptop, laptop_pg = device(browser)
    phone, phone_pg = device(browser, viewport={"width": 320, "height": 640})
    log_in(laptop_pg, live, EDITOR)
    log_in(phone_pg, live, EDITOR)
    thief, thief_pg = copy_of(laptop, browser, live)
    try:
        assert opens_queue(thief_pg, live)  # the copy works while the session lives

        laptop_pg.locator(".account-menu summary").click()
        laptop_pg.get_by_role("button", name="Log out").click()
        expect(laptop_pg.get_by_text("You are logged out.")).to_be_visible()

        assert not opens_queue(thief_pg, live)
        expect(thief_pg.get_by_role("heading", name="Log in to Errata")).to_be_visible()
        assert opens_queue(phone_pg, live), "the phone stays signed in"
    finally:
        for context in (laptop, phone, thief):
            context.close()


def test_sign_out_everywhere_from_settings(browser, live, world):
    laptop, laptop_pg = device(browser)
    phone, phone_pg = device(browser, viewport={"width": 320, "height": 640},
                             user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                                        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
                                        "Mobile/15E148 Safari/604.1")
    log_in(laptop_pg, live, EDITOR)
    log_in(phone_pg, live, EDITOR)
    thief, thief_pg = copy_of(phone, browser, live)
    try:
        phone_pg.goto(f"{live.url}/account/settings")
        sessions = phone_pg.locator("#sessions")
        expect(sessions.get_by_role("heading", name="Where you are signed in")).to_be_visible()
        expect(sessions.locator(".sessions__item")).to_have_count(2)
        expect(sessions.get_by_text("Mobile Safari on iOS (iPhone)")).to_be_visible()
        expect(sessions.get_by_text("this browser")).to_be_visible()
        # Nothing sticks out sideways on a 320 px phone.
        assert phone_pg.evaluate("document.documentElement.scrollWidth") <= 320

        phone_pg.get_by_role("button", name="Sign out everywhere").click()
        expect(phone_pg.get_by_text("You are signed out on every device, this one too.")
               ).to_be_visible()
        assert not opens_queue(laptop_pg, live)
        assert not opens_queue(thief_pg, live)
        assert not opens_queue(phone_pg, live)
    finally:
        for context in (laptop, phone, thief):
            context.close()


def test_admin_blocks_a_reader_without_javascript_then_lifts_the_block(browser, live, world):
    context, pg = device(browser, java_script_enabled=False)
    try:
        log_in(pg, live, ADMIN)
        pg.locator("a[data-open]").first.click()  # the correction's number in its row
        expect(pg.get_by_role("link", name="Block this origin")).to_have_count(0)
        pg.get_by_role("link", name="Block this reader…").click()

        expect(pg.get_by_role("heading", level=1)).to_have_text(
            re.compile(r"Block the reader of report #\d+\?"))
        expect(pg.get_by_role("heading", name="What stops")).to_be_visible()
        expect(pg.get_by_text("they still see “Thank you”", exact=False)).to_be_visible()
        pg.get_by_label("For how long").select_option(label="7 days")
        pg.get_by_label("Why (optional, for other admins)").fill("flooding the queue")
        pg.get_by_role("button", name="Block this reader").click()
        expect(pg.locator(".flash--success")).to_contain_text("is blocked on News Example")

        # The reader is refused without being told, and the block counts it.
        assert post_report(world["reader"], world["key"], exact="Eurasian").status_code == 202

        pg.goto(f"{live.url}/sites/{world['site_id']}")
        blocks = pg.locator("#blocks")
        row = blocks.locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("The reader of report #")
        expect(row).to_contain_text(ADMIN)
        expect(row).to_contain_text("flooding the queue")
        expect(row.locator("td.num")).to_have_text("1")
        row.get_by_role("button", name=re.compile("^Lift")).click()
        expect(pg.locator(".flash--success")).to_contain_text("is lifted")
        expect(pg.locator("#blocks")).to_contain_text("No reader is blocked on this site.")
        assert post_report(world["reader"], world["key"], exact="Eurasian").status_code == 201
    finally:
        context.close()
