"""In Chromium: an editor checks a correction's page, sees the result, and finds the
corrections whose page no longer has the error with the queue's badge and filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from service.extensions import db
from tests.article_server import ArticleServer, Served
from tests.conftest import post_report

PASSWORD = "correct horse battery"
EDITOR = "desk@gazette.example"
WP = (Path(__file__).parent.parent / "fixtures" / "pages" / "wordpress.html").read_bytes()
WP_FIXED = WP.replace(b"&euro;180&nbsp;milion and", b"&euro;180&nbsp;million and")
QUOTE = dict(exact="milion", prefix="The line will cost an estimated €180 ",
             suffix=" and is due to open in 2029, the council’s transport committee said.",
             suggestion="million")


@pytest.fixture
def newsroom():
    server = ArticleServer().start()
    server.pages["/tram"] = Served(WP)
    server.pages["/tram-2"] = Served(WP)
    yield server
    server.stop()


@pytest.fixture
def desk(live, newsroom):
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "Riverside Gazette", [newsroom.origin], ())
        create_editor(db.session, EDITOR, role="editor", password=PASSWORD, sites=[site])
        db.session.commit()
        key = site.key
    client = live.app.test_client()
    ids = []
    for path in ("/tram", "/tram-2"):
        resp = post_report(client, key, origin=newsroom.origin, url=newsroom.url(path), **QUOTE)
        ids.append(resp.get_json()["correction"])
    return ids


def log_in(pg, live):
    pg.goto(f"{live.url}/login?next=/queue")
    pg.get_by_label("Email").fill(EDITOR)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{live.url}/queue")


def test_check_the_page_shows_the_result(page, live, desk, newsroom):
    still, fixed = desk
    log_in(page, live)
    page.goto(f"{live.url}/queue/{still}")
    panel = page.locator("#page-check")
    expect(panel).to_contain_text("Not checked yet")
    panel.get_by_role("button", name="Check the page").click()
    expect(page.locator(".flash").first).to_contain_text("Page checked: Error still on the page.")
    expect(panel).to_contain_text("The quote is on the page, in its context.")

    newsroom.pages["/tram-2"] = Served(WP_FIXED)
    page.goto(f"{live.url}/queue/{fixed}")
    page.locator("#page-check").get_by_role("button", name="Check the page").press("Enter")
    expect(page.locator("#page-check")).to_contain_text("Looks fixed")
    expect(page.locator("#page-check")).to_contain_text("It now reads: “million”")


def test_looks_fixed_badge_filter_and_bulk_fix(page, live, desk, newsroom):
    still, fixed = desk
    newsroom.pages["/tram-2"] = Served(WP_FIXED)
    log_in(page, live)
    for correction_id in desk:
        page.goto(f"{live.url}/queue/{correction_id}")
        page.locator("#page-check").get_by_role("button", name="Check the page").click()
        expect(page.locator("#page-check .pagecheck__state")).not_to_have_text("Not checked yet")
    page.goto(f"{live.url}/queue")
    expect(page.locator(f"#c{fixed} .badge--looks-fixed")).to_have_text("Looks fixed")
    expect(page.locator(f"#c{still} .badge--looks-fixed")).to_have_count(0)

    page.get_by_label("Looks fixed").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-row]")).to_have_count(1)
    page.locator(f"#sel-{fixed}").check()
    page.get_by_label("With the selected:").select_option("fixed")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".flash").first).to_contain_text("1 correction marked as fixed.")
    expect(page.locator("[data-row]")).to_have_count(0)  # the filter shows open ones only


def test_the_page_check_panel_fits_a_320px_screen(browser, live, desk):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    pg = context.new_page()
    try:
        log_in(pg, live)
        pg.goto(f"{live.url}/queue/{desk[0]}")
        pg.locator("#page-check").get_by_role("button", name="Check the page").click()
        expect(pg.locator("#page-check")).to_contain_text("in its context")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
