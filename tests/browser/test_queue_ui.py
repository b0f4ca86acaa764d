"""In Chromium: an editor logs in, filters the queue, opens a correction, marks it fixed with
the keyboard and sees the event; bulk actions by keyboard; reader payloads stay text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Event, Report, utcnow
from tests.conftest import post_report

PASSWORD = "correct horse battery"
EDITOR = "desk@news.example"


@pytest.fixture
def desk(live):
    """A site with three corrections (two typos, one fact) reported through the real API,
    and an editor of that site."""
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "Daily Example", ["https://news.example"], ())
        create_editor(db.session, EDITOR, role="editor", password=PASSWORD,
                      display_name="Dana Desk", sites=[site])
        db.session.commit()
        key, site_id = site.key, site.id
    client = live.app.test_client()
    reports = [
        dict(exact="collegiums", suggestion="collegia", kind="typo"),
        dict(exact="in 1987", prefix="founded ", suffix=" by", suggestion="in 1978",
             kind="fact", comment="Wikipedia says 1978"),
        dict(exact="recieve", prefix="to ", suffix=" the", suggestion="receive", kind="typo"),
    ]
    for i, fields in enumerate(reports):
        resp = post_report(client, key, url=f"https://news.example/story-{i}", **fields)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    return site_id


def log_in(pg, live, email=EDITOR):
    pg.goto(f"{live.url}/login?next=/queue")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{live.url}/queue")  # exactly: /login?next=/queue matches **/queue


def test_filter_open_and_fix_by_keyboard(page, live, desk):
    log_in(page, live)
    assert page.locator("[data-row]").count() == 3
    assert page.locator(".nav-count").first.inner_text().startswith("3")

    page.get_by_label("Kind").select_option("fact")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*/queue\?.*kind=fact"))
    assert page.locator("[data-row]").count() == 1
    assert "in 1987" in page.locator("[data-row]").inner_text()

    page.keyboard.press("j")
    assert page.locator("[data-row].is-current").count() == 1
    page.keyboard.press("o")
    page.wait_for_url(re.compile(r".*/queue/\d+$"))
    assert page.locator("mark").inner_text() == "in 1987"
    assert page.locator(".diff ins").first.inner_text() == "1978"
    article = page.get_by_role("link", name="Open in the article")
    assert article.get_attribute("target") == "_blank"
    assert article.get_attribute("rel") == "noopener"
    assert "#:~:text=" in article.get_attribute("href")
    assert "Wikipedia says 1978" in page.locator("main").inner_text()

    page.keyboard.press("?")
    assert page.locator("#queue-keys").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#queue-keys").is_visible()

    page.keyboard.press("f")
    page.wait_for_load_state()
    page.locator(".flash").wait_for()
    assert "marked as fixed" in page.locator(".flash").inner_text()
    assert page.locator(".page-head .status").inner_text() == "Fixed"
    history = page.locator("#history").inner_text()
    assert "Dana Desk" in history and "marked it fixed" in history

    # Back in the queue (default filter: open) it has gone, and the count went down.
    page.get_by_role("link", name="← Queue").click()
    expect(page.locator("[data-row]")).to_have_count(2)
    assert page.locator(".nav-count").first.inner_text().startswith("2")


def test_row_keys_and_bulk_selection(page, live, desk):
    log_in(page, live)
    rows = page.locator("[data-row]")
    first_id = rows.nth(0).get_attribute("id")
    page.keyboard.press("j")
    page.keyboard.press("r")  # not an error, straight from the list
    page.locator(".flash").wait_for()
    assert "not an error" in page.locator(".flash").inner_text()
    expect(rows).to_have_count(2)
    assert page.locator(f"#{first_id}").count() == 0
    # The flash is in the DOM before the page's script has bound the keys: wait for it.
    page.wait_for_load_state("load")

    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("[data-select]:checked").count() == 2
    page.get_by_label("With the selected:").select_option("spam")
    page.get_by_role("button", name="Apply").click()
    # The page still shows the flash of the "r" above until the new one has loaded.
    expect(page.locator(".flash")).to_contain_text("2 corrections marked as spam")
    expect(rows).to_have_count(0)
    with live.app.app_context():
        statuses = sorted(db.session.scalars(select(Correction.status)))
        actions = sorted(db.session.scalars(select(Event.action)))
    assert statuses == ["rejected", "spam", "spam"]
    assert actions == ["rejected", "spam", "spam"]


PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '"><svg onload="window.__pwned = 3">',
    "javascript:window.__pwned = 4",
]


def test_reader_payloads_show_as_text_and_never_run(page, live, desk):
    """Stored text is cleaned on the way in; this checks the second wall, output escaping,
    with rows written directly as an older version or a bug could have left them."""
    payload = " ".join(PAYLOADS)
    with live.app.app_context():
        now = utcnow()
        c = Correction(site_id=desk, url="https://news.example/x?a=\"><script>", title=payload,
                       exact=payload, prefix=PAYLOADS[1], suffix=PAYLOADS[0],
                       suggestion=PAYLOADS[2], link=PAYLOADS[3], status="new",
                       first_reported_at=now, last_reported_at=now)
        db.session.add(c)
        db.session.flush()
        db.session.add(Report(correction_id=c.id, site_id=desk, url=c.url, exact=payload,
                              comment=payload, suggestion=PAYLOADS[1], email="r@example.org",
                              created_at=now))
        db.session.add(Event(correction_id=c.id, action="note", note=payload))
        db.session.commit()
        cid = c.id
    log_in(page, live)
    assert PAYLOADS[1] in page.locator(f"#c{cid}").inner_text()
    page.goto(f"{live.url}/queue/{cid}")
    text = page.locator("main").inner_text()
    for p in PAYLOADS:
        assert p in text
    assert PAYLOADS[0] in page.title()
    assert page.get_by_role("link", name="Open in the article").count() == 0
    page.goto(f"{live.url}/queue?q=%3Cscript%3E")
    assert page.locator(f"#c{cid}").count() == 1
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img, main svg").count() == 0



def test_queue_and_correction_fit_a_phone(page, live, desk):
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, live)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.locator("[data-open]").first.click()
    page.wait_for_url(re.compile(r".*/queue/\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_everything_works_without_javascript(browser, live, desk):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        log_in(pg, live)
        assert pg.locator("[data-row]").count() == 3
        assert pg.locator("[data-keys-open]").first.is_hidden()  # needs JS: not offered
        pg.locator("[data-row]").first.get_by_role("button", name=re.compile("^Spam")).click()
        expect(pg.locator("[data-row]")).to_have_count(2)  # back on /queue, one row fewer
        pg.locator("[data-select]").nth(0).check()
        pg.locator("[data-select]").nth(1).check()
        pg.get_by_label("With the selected:").select_option("assign")
        pg.get_by_role("button", name="Apply").click()
        expect(pg.locator(".flash")).to_contain_text("2 corrections assigned")
        pg.locator("[data-open]").first.click()
        pg.get_by_label("Note").first.fill("Corrected in the 10:40 edition")
        pg.get_by_role("button", name="Fixed", exact=True).click()
        expect(pg.locator("#history")).to_contain_text("Corrected in the 10:40 edition")
        expect(pg.locator(".page-head .status")).to_contain_text("Fixed")
    finally:
        context.close()
