"""In Chromium: an admin logs in, adds a site, copies the line to paste (keyboard only for the
copy), and the layout holds at a phone's 320px width; inviting and adding people; an invited
editor chooses a password, an editor who forgot theirs asks for a link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from service.extensions import db

PASSWORD = "correct horse battery"
ADMIN = "admin@news.example"


@pytest.fixture
def admin(live):
    from service.accounts.core import create_editor

    with live.app.app_context():
        create_editor(db.session, ADMIN, role="admin", password=PASSWORD,
                      display_name="Ada Admin")
        db.session.commit()
    return ADMIN


@pytest.fixture
def clip_page(browser, live):
    """A page whose context may read and write the clipboard; fails on console errors."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors


def log_in(pg, live, email=ADMIN, password=PASSWORD, next="/people"):
    pg.goto(f"{live.url}/login?next={next}")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(password)
    pg.get_by_role("button", name="Log in").click()


def test_admin_adds_a_site_and_copies_the_embed_line(clip_page, live, admin):
    pg = clip_page
    log_in(pg, live)
    pg.get_by_role("link", name="Sites").click()
    pg.get_by_role("link", name="Add a site").click()
    pg.get_by_label("Name").fill("The Daily Example")
    pg.get_by_label("Allowed origins, one per line").fill(
        "https://daily.example\nhttps://www.daily.example")
    pg.get_by_role("button", name="Add site").click()

    pg.wait_for_url(re.compile(r".*/sites/\d+$"))  # not /sites/new, the page it leaves
    expect(pg.get_by_role("heading", level=1)).to_have_text("The Daily Example")
    code = pg.locator("#embed-code").inner_text()
    assert code.startswith(f'<script src="{live.url}/static/js/errata.js" data-site="')
    assert code.endswith('" defer></script>')
    assert "We have received 0 reports" in pg.locator("main").inner_text()

    # The copy button is shown (JS is on) and reachable with the keyboard alone.
    button = pg.get_by_role("button", name="Copy the line")
    assert button.is_visible()
    pg.locator("#embed-code").click()  # start tabbing from the code block
    for _ in range(5):
        pg.keyboard.press("Tab")
        if pg.evaluate("document.activeElement.hasAttribute('data-copy')"):
            break
    assert pg.evaluate("document.activeElement.textContent.trim()") == "Copy the line"
    pg.keyboard.press("Enter")
    pg.get_by_text("Copied to the clipboard.").wait_for()
    assert pg.evaluate("navigator.clipboard.readText()") == code


def test_layout_fits_a_320px_screen_and_logout_works(page, live, admin):
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, live)
    page.wait_for_url(f"{live.url}/people")  # exactly: /login?next=/people matches **/people
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # The skip link is the first thing a keyboard user reaches, and it lands on <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert "You are logged out." in page.locator("main").inner_text()


def test_deactivating_someone_asks_first(page, live, admin):
    from service.accounts.core import create_editor
    from service.models import Editor

    with live.app.app_context():
        ed = create_editor(db.session, "ed@news.example", password=PASSWORD, display_name="Ed")
        db.session.commit()
        ed_id = ed.id
    log_in(page, live, next=f"/people/{ed_id}")
    page.wait_for_url(f"{live.url}/people/{ed_id}")
    page.get_by_label("Active (can log in)").uncheck()
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Save changes").click()
    assert questions == ["Deactivate ed@news.example? They are logged out at once."]
    assert page.url.endswith(f"/people/{ed_id}")  # nothing sent
    with live.app.app_context():
        assert db.session.get(Editor, ed_id).active is True
        db.session.remove()
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/people")
    assert "deactivated" in page.locator("main").inner_text()
    with live.app.app_context():
        assert db.session.get(Editor, ed_id).active is False


def test_inviting_an_editor_with_no_sites_asks_first_and_a_huge_email_is_refused(page, live,
                                                                                  admin):
    """What an admin sees: an editor with no sites would find an empty queue, so the page says
    so (as an alert, with JavaScript or without) before anyone is invited; and an address too
    long to be one is refused with a sentence, not echoed back."""
    from sqlalchemy import select

    from service.models import Editor

    log_in(page, live, next="/people/invite")
    page.get_by_label("Email").fill("no.sites@news.example")
    page.get_by_role("button", name="Send invitation").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("This editor would see no corrections.")
    with live.app.app_context():  # asked, not yet done
        assert db.session.scalar(select(Editor).where(
            Editor.email == "no.sites@news.example")) is None
    page.get_by_role("button", name="Send without sites").click()
    page.wait_for_url(re.compile(r".*/people$"))
    expect(page.locator(".flash--success")).to_contain_text("no.sites@news.example")

    page.goto(f"{live.url}/people/invite")
    huge = "x" * 300 + "@news.example"
    page.expect_console_errors = True  # Chromium logs the page's 400 status as a console error
    page.get_by_label("Email").fill(huge)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("An email address has at most 254 characters.")).to_be_visible()
    assert huge not in page.content()
    with live.app.app_context():
        assert db.session.scalar(select(Editor).where(Editor.email == huge)) is None


def test_an_invited_editor_chooses_a_password_and_is_logged_in(page, live):
    from service.accounts.links import account_token, invite_editor
    from service.mail.messages import link
    from service.models import Site
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "News Example", ["https://news.example"], [])
        editor = invite_editor(db.session, "new@news.example",
                               sites=[db.session.get(Site, site.id)])
        db.session.commit()
        url = link("accounts.accept_invite", token=account_token(editor, "invite"))

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
