"""In Chromium: an editor reads the Stats page (charts, tables, CSV, a phone's width); an
admin adds a webhook on the site page, copies its secret, sends a test message to a local
receiver and removes the channel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from service.extensions import db
from tests.browser.test_queue_ui import PASSWORD
from tests.conftest import post_report
from tests.fake_http import FakeHTTP

EDITOR = "desk@news.example"
ADMIN = "chief@news.example"


@pytest.fixture
def desk(live):
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "Daily Example", ["https://news.example"], ())
        create_editor(db.session, EDITOR, role="editor", password=PASSWORD, sites=[site])
        create_editor(db.session, ADMIN, role="admin", password=PASSWORD)
        db.session.commit()
        key, site_id = site.key, site.id
    client = live.app.test_client()
    for i, section in enumerate(("politics", "politics", "sport")):
        resp = post_report(client, key, url=f"https://news.example/{section}/story-{i}",
                           exact=f"word{i}", prefix=f"p{i} ", suffix=f" s{i}")
        assert resp.status_code == 201
    return site_id


@pytest.fixture
def receiver():
    server = FakeHTTP().start()
    yield server
    server.stop()


def log_in(pg, live, email):
    pg.goto(f"{live.url}/login")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{live.url}/queue")


def test_stats_page_reads_at_a_glance(page, live, desk):
    log_in(page, live, EDITOR)
    page.get_by_role("link", name="Stats").click()
    page.wait_for_url(f"{live.url}/stats")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(7)
    expect(page.get_by_role("img", name="Reports and new corrections per day")).to_be_visible()
    expect(page.get_by_role("heading", name="The 10 sections with the most corrections")) \
        .to_be_visible()
    # The data beneath a chart, opened from the keyboard.
    sections = page.locator("section", has=page.get_by_role(
        "heading", name="The 10 sections with the most corrections"))
    sections.get_by_text("The data as a table").focus()
    page.keyboard.press("Enter")
    table = sections.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name="news.example/politics/ 2")).to_be_visible()
    with page.expect_download() as download:
        sections.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert text.splitlines()[:3] == ["Section,Corrections", "news.example/politics/,2",
                                     "news.example/sport/,1"]
    # Another period, chosen by label.
    page.get_by_role("radio", name="90 days").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"{live.url}/stats?site=&days=90")
    expect(page.locator("p.chart-desc").first).to_contain_text(
        "In 90 days: reports 3, new corrections 3;")


def test_stats_fit_a_phone(page, live, desk):
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, live, EDITOR)
    page.goto(f"{live.url}/stats")
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
    assert overflow <= 0
    box = page.get_by_role("img", name="Open corrections by age").bounding_box()
    assert box and box["width"] <= 320


def test_admin_manages_a_webhook_on_the_site_page(page, live, desk, receiver):
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/sites/{desk}")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("URL to post to").fill(receiver.url + "/errata")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("heading", name="Webhook added")).to_be_visible()
    secret = page.locator("#channel-secret").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("link", name="Back to the site").click()
    expect(page.get_by_text(f"Webhook {receiver.url}/errata")).to_be_visible()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test message to channel").click()
    expect(page.get_by_text("Test message delivered")).to_be_visible()
    assert receiver.requests and receiver.requests[0].json()["type"] == "test"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove channel").click()
    expect(page.get_by_text("Channel removed")).to_be_visible()
    expect(page.get_by_text("No channels yet.")).to_be_visible()


def test_channels_section_fits_a_phone(page, live, desk):
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/sites/{desk}")
    expect(page.get_by_role("heading", name="Channels")).to_be_visible()
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
    assert overflow <= 0
    box = page.get_by_role("button", name="Add channel").bounding_box()
    assert box and box["x"] + box["width"] <= 320
