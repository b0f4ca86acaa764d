"""In Chromium: the queue fits the hand. No word in a button or label is broken across lines
at any width from 320 to 1,366 px, in English or Russian; on a phone the filters and bulk
actions fold under one control so the first correction is on the first screen, long quotes
fold to a few lines with "Show all", and there is no keyboard-shortcut help on a touch screen;
the bulk bar counts the selection, selects the whole page and asks for an assignee only for
"Assign"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Editor
from tests.conftest import post_report

PASSWORD = "correct horse battery"
ADMIN = "chief@news.example"
LONG = ("The joint meeting of the collegiums of the Foreign Ministries of Belarus and Russia "
        "was held in Minsk on the twenty-ninth of November, and the ministers agreed that "
        "the interaction of the two ministries is especially topical under the conditions "
        "of ongoing profound change in the international landscape, accompanied by "
        "turbulence in the spheres of economics and politics, as they said to the press.")
WIDTHS = sorted({*range(320, 1367, 12), 320, 360, 375, 390, 412, 414, 768, 1024, 1280, 1366})

# Every word (split at spaces and hyphens) of every visible button and label, and whether
# its pieces sit on more than one line. Text a screen reader alone gets is left out.
BROKEN_WORDS_JS = r"""
() => {
  const controls = 'button, label, summary, legend, .button, [role=button], .bulk__count';
  const broken = [];
  for (const el of document.querySelectorAll(controls)) {
    if (!el.getClientRects().length) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent.closest('.visually-hidden') || !parent.getClientRects().length) continue;
      const words = /[^\s\-\u2010\u2011\u2013\u2014]+/g;
      for (let m = words.exec(node.data); m; m = words.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                .map(r => Math.round(r.bottom)));
        if (lines.size > 1) broken.push(`${el.tagName.toLowerCase()} “${
          el.textContent.trim().replace(/\s+/g, ' ').slice(0, 50)}”: ${m[0]}`);
      }
    }
  }
  return broken;
}
"""


@pytest.fixture
def newsroom(live):
    """Two sites, an admin (for the widest correction page), an editor per language, and
    corrections with short and 500-character quotes."""
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "Daily Example", ["https://news.example"], ())
        other = create_site(db.session, "Вечерние новости", ["https://news.example"], ())
        for email, language in ((ADMIN, "en"), ("redaktor@news.example", "ru")):
            person = create_editor(db.session, email, role="admin", password=PASSWORD,
                                   display_name="Dana Desk", sites=[site, other])
            person.language = language
        create_editor(db.session, "colleague@news.example", role="editor", password=PASSWORD,
                      display_name="Alexandra Konstantinopolskaya", sites=[site, other])
        db.session.commit()
        key = site.key
    client = live.app.test_client()
    reports = [
        dict(exact=LONG, prefix="Minsk. ", suffix=" End.", suggestion=LONG.replace(
            "collegiums", "collegia"), comment="Plural of collegium", email="r@mail.example",
             notify=True),
        dict(exact="recieve", prefix="to ", suffix=" the", suggestion="receive"),
        dict(exact="in 1987", prefix="founded ", suffix=" by", suggestion="in 1978",
             kind="fact", comment="Wikipedia says 1978"),
    ] + [dict(exact=f"wrod{i}", prefix=f"a {i} ", suffix=" b", suggestion=f"word{i}")
         for i in range(6)]
    for i, fields in enumerate(reports):
        resp = post_report(client, key, url=f"https://news.example/story-{i}", **fields)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    with live.app.app_context():
        ids = db.session.scalars(select(Correction.id).order_by(Correction.id)).all()
        long_id, closed_id = ids[0], ids[1]
        closed = db.session.get(Correction, closed_id)
        admin = db.session.scalar(select(Editor).where(Editor.email == ADMIN))
        from service.queue.actions import change_status

        change_status(db.session, closed, admin, "fixed",
                      "Changed to “receive” in the CMS, and in the print edition too.",
                      applied_fix="receive")
        db.session.commit()
    return {"long": long_id, "closed": closed_id}


def log_in(pg, live, email=ADMIN):
    pg.goto(f"{live.url}/login?next=/queue")
    pg.locator("input[name=email]").fill(email)
    pg.locator("input[name=password]").fill(PASSWORD)
    pg.locator("form button[type=submit]").click()
    pg.wait_for_url(f"{live.url}/queue")


def broken_words_at_every_width(pg) -> dict[int, list[str]]:
    found = {}
    for width in WIDTHS:
        pg.set_viewport_size({"width": width, "height": 800})
        broken = pg.evaluate(BROKEN_WORDS_JS)
        overflow = pg.evaluate("document.documentElement.scrollWidth")
        if overflow > width:  # a word kept whole must not push the page sideways either
            broken.append(f"the page is {overflow} px wide")
        if broken:
            found[width] = broken
    return found


def open_tools(pg):
    """On a phone the filters and bulk actions are folded; open them to check them too."""
    tools = pg.locator("details.queue-tools")
    if tools.count() and not tools.evaluate("d => d.open"):
        tools.evaluate("d => { d.open = true; }")


@pytest.mark.parametrize("email", [ADMIN, "redaktor@news.example"])
def test_no_word_in_a_button_or_label_is_broken_at_any_width(page, live, newsroom, email):
    log_in(page, live, email)
    problems = {}
    for path in ("/queue", f"/queue/{newsroom['long']}", f"/queue/{newsroom['closed']}",
                 "/queue?status=all"):
        page.goto(f"{live.url}{path}")
        open_tools(page)
        page.locator("[data-select]").first.check() if path == "/queue" else None
        found = broken_words_at_every_width(page)
        if found:
            problems[path] = found
    assert problems == {}, problems


def test_the_check_sees_a_broken_word(page, live, newsroom):
    """The check itself: squeeze a button until its word must break, and it is reported."""
    log_in(page, live)
    page.set_viewport_size({"width": 800, "height": 800})
    assert page.evaluate(BROKEN_WORDS_JS) == []
    page.locator("[data-row] button[data-key=f]").first.evaluate(
        "b => { b.style.width = '3em'; b.style.overflowWrap = 'anywhere'; }")
    broken = page.evaluate(BROKEN_WORDS_JS)
    assert broken and "Fixed" in broken[0]



def row_count(pg) -> int:
    return pg.locator("[data-row]").count()


def test_bulk_bar_counts_selects_the_page_and_asks_an_assignee_only_to_assign(
        page, live, newsroom):
    log_in(page, live)
    n = row_count(page)
    count = page.locator(".bulk [data-selected-count]")
    expect(count).to_have_text("0 selected")
    assignee = page.get_by_label("Assign to", exact=True)
    expect(assignee).to_be_hidden()
    page.get_by_label("With the selected:").select_option("assign")
    expect(assignee).to_be_visible()
    page.get_by_label("With the selected:").select_option("spam")
    expect(assignee).to_be_hidden()

    page.locator("[data-select]").first.check()
    expect(count).to_have_text("1 selected")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")  # the keyboard's selection is counted too
    expect(count).to_have_text("2 selected")
    select_all = page.get_by_label("Select all on this page")
    assert select_all.evaluate("b => b.indeterminate")
    select_all.check()
    expect(count).to_have_text(f"{n} selected")
    assert page.locator("[data-select]:checked").count() == n
    page.locator("[data-select]").nth(2).uncheck()
    expect(count).to_have_text(f"{n - 1} selected")
    assert select_all.evaluate("b => b.indeterminate && !b.checked")
    select_all.check()

    page.get_by_label("With the selected:").select_option("assign")
    assignee.select_option(label="Alexandra Konstantinopolskaya")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".flash")).to_contain_text(f"{n} corrections assigned")
    expect(count).to_have_text("0 selected")


@pytest.fixture
def phone(browser):
    """A small touch phone (iPhone SE size): coarse pointer, no hover."""
    context = browser.new_context(viewport={"width": 320, "height": 568}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.mark.parametrize("email", ["redaktor@news.example"])
def test_in_russian_too_the_first_correction_is_on_the_first_screen(phone, live, newsroom,
                                                                    email):
    log_in(phone, live, email)
    first = phone.locator("[data-row]").first.bounding_box()
    assert first["y"] + first["height"] <= 568, first


def test_on_a_phone_the_first_correction_is_on_the_first_screen(phone, live, newsroom):
    log_in(phone, live)
    first = phone.locator("[data-row]").first.bounding_box()
    assert first["y"] + first["height"] <= 568, first  # whole, without scrolling
    filters, bulk = phone.get_by_label("Status"), phone.get_by_role("button", name="Apply")
    expect(filters).to_be_hidden()
    expect(bulk).to_be_hidden()
    expect(phone.locator("[data-keys-open]")).to_be_hidden()  # a touch screen: no key help

    phone.locator("[data-select]").nth(1).check()
    summary = phone.locator(".queue-tools > summary")
    expect(summary).to_contain_text("1 selected")  # told while folded
    summary.click()
    expect(filters).to_be_visible()
    expect(bulk).to_be_visible()
    phone.get_by_label("Kind").select_option("typo")
    phone.get_by_role("button", name="Filter").click()
    expect(phone.locator(".queue-tools > summary")).to_contain_text("1 filter on")
    expect(phone.get_by_label("Status")).to_be_hidden()  # folded again over the results


def test_on_a_phone_long_quotes_fold_with_show_all(phone, live, newsroom):
    log_in(phone, live)
    row = phone.locator(f"#c{newsroom['long']}")
    row.scroll_into_view_if_needed()
    quote = row.locator(".queue-row__quote")
    line = float(quote.evaluate("q => parseFloat(getComputedStyle(q).lineHeight)"))
    folded = quote.bounding_box()["height"]
    assert folded <= 4 * line + 2, (folded, line)
    show = row.locator(".fold-toggle").first
    expect(show).to_have_text("Show all")
    expect(show).to_have_attribute("aria-expanded", "false")
    show.click()
    expect(show).to_have_text("Show less")
    expect(show).to_have_attribute("aria-expanded", "true")
    assert quote.bounding_box()["height"] > 2 * folded
    # Short quotes have nothing to show.
    short = phone.locator("[data-row]").first
    expect(short.locator(".fold-toggle").first).to_be_hidden()

    phone.goto(f"{live.url}/queue/{newsroom['long']}")
    quote = phone.locator("blockquote.quote")
    folded = quote.bounding_box()["height"]
    phone.locator(".card").first.get_by_role("button", name="Show all").first.click()
    assert quote.bounding_box()["height"] > 2 * folded
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320


def test_on_a_wide_screen_nothing_is_folded_and_the_keys_are_offered(page, live, newsroom):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live)
    expect(page.locator(".queue-tools > summary")).to_be_hidden()
    expect(page.get_by_label("Status")).to_be_visible()
    assert page.locator("details.queue-tools").evaluate("d => d.open")  # and says so
    expect(page.locator("[data-keys-open]")).to_be_visible()
    expect(page.locator(".fold-toggle:visible")).to_have_count(0)


def test_without_javascript_a_phone_folds_the_tools_but_no_quote(browser, live, newsroom):
    context = browser.new_context(viewport={"width": 320, "height": 568}, has_touch=True,
                                  is_mobile=True, java_script_enabled=False)
    pg = context.new_page()
    try:
        log_in(pg, live)
        expect(pg.get_by_label("Status")).to_be_hidden()
        pg.locator(".queue-tools > summary").click()  # a native <details>: no script needed
        expect(pg.get_by_label("Status")).to_be_visible()
        quote = pg.locator(f"#c{newsroom['long']} .queue-row__quote")
        line = float(quote.evaluate("q => parseFloat(getComputedStyle(q).lineHeight)"))
        assert quote.bounding_box()["height"] > 6 * line  # whole: nothing could unfold it
        pg.get_by_label("With the selected:").select_option("assign")
        expect(pg.get_by_label("Assign to", exact=True)).to_be_visible()  # CSS alone
    finally:
        context.close()
