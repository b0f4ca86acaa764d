"""The reader snippet in a real Chromium, on publisher pages served from another origin.

The fixture pages (``tests/browser/pages/``) are served by a second small server on its own
port, like a news site that embeds Errata: reports travel cross-origin to the live app and
land in the real database. Pages are sent with a strict CSP (no inline script or style) and a
hostile stylesheet, so every test also checks that neither breaks the dialog.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from service.extensions import db
from service.models import Correction, Report
from service.sites.core import apply_changes, create_site
from tests.browser.conftest import _serve

PAGES = Path(__file__).with_name("pages")
ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "static" / "js"
TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
NETWORK_ERROR = "Failed to load resource"


class PageServer:
    """Serves ``pages/NAME`` with the snippet tag added; query parameters become its data-*.

    ``?nonce=N`` switches the page to a nonce-only script-src (no host allow-list), on the
    tag only (no data-nonce: browsers hide the attribute from page scripts);
    ``?csp=strict-dynamic`` adds 'strict-dynamic' to it, ``?csp=trusted-types`` requires
    Trusted Types with only a policy named ``errata`` allowed, ``?csp=no-policies`` allows no
    policy at all. ``?src=/PATH`` loads the snippet from ``files[PATH]`` on this server.
    """

    def __init__(self, live_url: str):
        self.live = live_url
        self.files: dict[str, Path] = {}
        self.server, self.port = _serve(self.app)
        self.origin = f"http://127.0.0.1:{self.port}"

    def url(self, name: str, site: str, **data: str) -> str:
        query = urlencode({"site": site, **data})
        return f"{self.origin}/{name}?{query}"

    def app(self, environ, start_response):
        req = Request(environ)
        if req.path == "/favicon.ico":
            return Response(status=204)(environ, start_response)
        if req.path in self.files:
            return Response(self.files[req.path].read_bytes(),
                            headers={"Content-Type": "text/javascript; charset=utf-8"}
                            )(environ, start_response)
        path = PAGES / req.path.lstrip("/")
        if not path.is_file() or path.parent != PAGES:
            return Response("not found", 404)(environ, start_response)
        body = path.read_text(encoding="utf-8")
        headers = {"Content-Type": TYPES[path.suffix] + "; charset=utf-8"}
        if path.suffix == ".html":
            data = {k: v[0] for k, v in parse_qs(req.query_string.decode(),
                                                    keep_blank_values=True).items()}
            nonce = data.pop("nonce", None)
            csp = data.pop("csp", "")
            if data.get("htmllang"):
                body = body.replace("<html>", f'<html lang="{escape(data["htmllang"])}">', 1)
            data.pop("htmllang", None)
            src = self.origin + data.pop("src") if "src" in data else (
                f"{self.live}/static/js/errata.js")
            attrs = "".join(f' data-{k}="{escape(v)}"' for k, v in data.items())
            if nonce:
                attrs += f' nonce="{nonce}"'
            tag = f'<script src="{src}"{attrs} defer></script>\n'
            body = body.replace("</body>", tag + "</body>")
            scripts = f"'nonce-{nonce}'" if nonce else f"'self' {self.live}"
            if csp == "strict-dynamic":
                scripts += " 'strict-dynamic'"
            policy = (
                f"default-src 'none'; script-src {scripts}; style-src 'self'; "
                "connect-src http://127.0.0.1:*; img-src 'self'; base-uri 'none'"
            )
            if csp in ("trusted-types", "no-policies"):
                allowed = "errata" if csp == "trusted-types" else "'none'"
                policy += f"; require-trusted-types-for 'script'; trusted-types {allowed}"
            headers["Content-Security-Policy"] = policy
        return Response(body, headers=headers)(environ, start_response)


@pytest.fixture(scope="module")
def pages(live_server):
    server = PageServer(live_server.url)
    yield server
    server.server.shutdown()


def make_site(live, origins, **changes) -> str:
    with live.app.app_context():
        site = create_site(db.session, "Test Gazette", origins)
        if changes:
            apply_changes(site, **changes)
        db.session.commit()
        return site.key


@pytest.fixture
def site(live, pages) -> str:
    return make_site(live, [pages.origin])


def rows(live, model):
    with live.app.app_context():
        found = db.session.scalars(select(model).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def wait_for_rows(live, model, count: int, timeout: float = 60.0):
    """The rows once there are ``count`` (or what there is after ``timeout``): a report the
    page sends on its own (a queued one, 2 s after load) may take a while on a busy machine."""
    deadline = time.monotonic() + timeout
    while True:
        found = rows(live, model)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


SELECT_JS = """([css, needle, nth]) => {
  // Select the nth occurrence of needle in the element's text (text nodes joined, as in
  // textContent), across any inline tags in between.
  const el = document.querySelector(css), nodes = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let text = '', n;
  while ((n = walker.nextNode())) { nodes.push([n, text.length]); text += n.data; }
  let at = -1;
  for (let k = 0; k <= nth; k++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error('not found: ' + needle);
  const point = (off, end) => {
    for (const [node, start] of nodes) {
      const stop = start + node.data.length;
      if (end ? off <= stop : off < stop) return [node, off - start];
    }
  };
  const [a, ao] = point(at, false), [b, bo] = point(at + needle.length, true);
  document.getSelection().setBaseAndExtent(a, ao, b, bo);
}"""


def select_text(page, css: str, needle: str, nth: int = 0) -> None:
    page.evaluate(SELECT_JS, [css, needle, nth])


def dialog(page):
    return page.locator("errata-ui dialog")


def send(page, suggestion: str | None = None) -> None:
    if suggestion is not None:
        page.locator("errata-ui textarea[name=suggestion]").fill(suggestion)
    page.locator("errata-ui #g").click()


def report(page, css: str, needle: str) -> None:
    """Select ``needle`` in ``css``, press Ctrl+Enter, send as is, wait for the thanks."""
    select_text(page, css, needle)
    page.keyboard.press("Control+Enter")
    send(page)
    page.locator("errata-ui #m").get_by_text("Thank you").wait_for()


def toast(page):
    """The snippet's toasts: popovers in the top layer, polite live regions (<output>)."""
    return page.locator("output:popover-open, errata-ui output:popover-open")


def status(page) -> str:
    return page.locator("errata-ui #m").inner_text()


def only_network_errors(page) -> None:
    """Chromium logs every 4xx/5xx and refused fetch as a console error; nothing else may."""
    page.expect_console_errors = True
    others = [e for e in page.console_log if NETWORK_ERROR not in e]
    assert not others, others


# -- at page load ------------------------------------------------------------------------

def test_page_load_costs_one_request_and_no_globals_but_errata(live, pages, site, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(pages.url("article.html", site, root="article", hint=".report-hint"))
    page.wait_for_function("window.Errata && window.Errata.version")
    to_errata = [u for u in requests if u.startswith(live.url)]
    assert to_errata == [f"{live.url}/static/js/errata.js"]
    assert page.locator("errata-ui").count() == 0
    assert page.locator(".report-hint").inner_text() == (
        "Noticed an error? Select it and press Ctrl+Enter")
    # Loading the script a second time is harmless: same object, still no dialog.
    page.evaluate("""() => new Promise(ok => { const s = document.createElement('script');
        s.src = document.querySelector('script[data-site]').src; s.onload = ok;
        document.head.append(s); })""")
    assert page.evaluate("Object.keys(window.Errata).sort()") == ["open", "version"]


# -- capture: what is stored is what was selected -----------------------------------------

CASES = {
    # name: (page, selector, text to select (as textContent), key, exact, prefix, suffix)
    "inline tags": ("article.html", "#inline", "signed the new budget on Tuesday", "Control",
                    "signed the new budget on Tuesday", "The mayor ",
                    " morning after a long debate."),
    "br": ("article.html", "#br", "addresssecond line", "Meta",
           "address second line", "First line of the ", " of the address ends here."),
    "repeated phrase": ("article.html", "#rep", "council met again", "Control",
                        "council met again", "The council met again. The ",
                        " on Friday, and the council adjourned."),
    "hidden text": ("article.html", "#hidden", "were SECRETICONannounced", "Control",
                    "were announced", "Results ", " today by the board."),
    "right to left": ("article.html", "#rtl", "החום המהיר", "Control",
                      "החום המהיר", "השועל ", " קופץ מעל הכלב העצלן בבוקר."),
    "cyrillic": ("ru.html", "#ru", "собрался в четверг", "Control",
                 "собрался в четверг", "Совет министров ", ", чтобы обсудить новый бюджет города."),
    # Odd characters earlier in the article, as a comment may hold: noncharacters (U+FDD0,
    # U+FDD1), a control (U+0001) and a Gothic letter (U+10330, whose UTF-16 starts with the
    # lone surrogate the capture once used as its end mark).
    "after noncharacters": ("article.html", "#after-nonchar", "vote was delayed", "Control",
                            "vote was delayed", "The budget ", " until March."),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_stored_quote_equals_the_selection(live, pages, site, page, case):
    name, css, needle, key, exact, prefix, suffix = CASES[case]
    page.goto(pages.url(name, site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, css, needle, 1 if case == "repeated phrase" else 0)
    page.keyboard.press(f"{key}+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == exact
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == exact
    send(page, suggestion=exact + " (fixed)")
    page.locator("errata-ui #m").get_by_text("Thank you").or_(
        page.locator("errata-ui #m").get_by_text("Спасибо")).wait_for()
    (report,) = wait_for_rows(live, Report, 1)
    assert (report.exact, report.prefix, report.suffix) == (exact, prefix, suffix)
    assert report.suggestion == exact + " (fixed)"
    assert report.url == pages.url(name, site, root="article")
    assert report.client.startswith("errata.js/")
    (correction,) = rows(live, Correction)
    assert correction.exact == exact



def test_context_cut_never_splits_a_surrogate_pair(live, pages, site, page):
    """Emoji before the selection and astral CJK after it, with no space to cut at."""
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.method == "POST" else None)
    page.goto(pages.url("astral.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#astral", "错误")
    page.keyboard.press("Control+Enter")
    send(page)
    page.locator("errata-ui").get_by_text("Thank you").wait_for()
    body = json.loads(sent[0])
    # 64 UTF-16 units of context each side: 32 whole characters, no broken half.
    assert (body["prefix"], body["exact"], body["suffix"]) == ("😀" * 32, "错误", "𠀀" * 32)
    (report,) = wait_for_rows(live, Report, 1)
    assert (report.prefix, report.exact, report.suffix) == ("😀" * 32, "错误", "𠀀" * 32)

# -- trigger manners ---------------------------------------------------------------------

def test_fields_editables_and_claimed_shortcuts_are_left_alone(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    page.locator("#ta").focus()
    page.evaluate("document.getElementById('ta').setSelectionRange(0, 4)")
    page.keyboard.press("Control+Enter")
    page.locator("#ce").focus()
    select_text(page, "#ce", "Editable")
    page.keyboard.press("Control+Enter")
    page.locator("#ta").evaluate("e => e.blur()")
    page.locator("#ce").evaluate("e => e.blur()")
    select_text(page, "#claimed", "own Ctrl+Enter")
    page.keyboard.press("Control+Enter")
    select_text(page, "footer", "Outside")  # outside data-root
    page.keyboard.press("Control+Enter")
    # Had any of those opened the dialog, it would still be open with that quote (a second
    # Ctrl+Enter does not replace an open dialog).
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Tuesday"


def test_ctrl_enter_straight_after_closing_opens_the_next_report(live, pages, site, page):
    """Focus may still sit on the closed dialog's button for a task; that is not a page field."""
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    report(page, "#inline", "Tuesday")
    # Close, select the next error and press Ctrl+Enter in one task, before Chromium moves
    # focus off the hidden button ("Close", focused after sending).
    focused = page.evaluate("""([css, needle, nth]) => {
        const root = document.querySelector('errata-ui').shadowRoot;
        root.querySelector('dialog').close();
        (SELECT)([css, needle, nth]);
        const at = root.activeElement;
        at.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true,
                                                       bubbles: true, composed: true}));
        return at.id;
    }""".replace("SELECT", SELECT_JS), ["#rep", "Friday", 0])
    assert focused == "x"
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Friday"


def test_empty_selection_hints_and_too_long_one_offers_the_first_part(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    page.keyboard.press("Control+Enter")
    toast(page).get_by_text("Select the error first: with the mouse, with a finger").wait_for()
    assert dialog(page).count() == 0
    page.evaluate("""() => document.getSelection().setBaseAndExtent(
        document.getElementById('inline'), 0, document.getElementById('last'), 1)""")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    page.locator("errata-ui").get_by_text("only the first 500 characters").wait_for()
    quote = page.locator("errata-ui mark").inner_text()
    assert quote.startswith("The mayor signed") and len(quote) <= 500
    assert not quote.endswith(" ")  # cut at a space, not inside a word
    send(page)
    page.locator("errata-ui #m").get_by_text("Thank you").wait_for()
    assert wait_for_rows(live, Report, 1)[0].exact == quote


def test_dialog_is_modal_labelled_traps_tab_and_escape_returns_focus(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.locator("#report").click()  # the page's own button calls Errata.open()
    dialog(page).wait_for(state="visible")
    info = page.evaluate("""() => {
        const root = document.querySelector('errata-ui').shadowRoot;
        const d = root.querySelector('dialog');
        const label = root.getElementById(d.getAttribute('aria-labelledby')).textContent;
        return {modal: d.matches(':modal'), label,
                focused: root.activeElement && root.activeElement.name};
    }""")
    assert info == {"modal": True, "label": "Report an error", "focused": "suggestion"}
    assert page.locator("errata-ui input[name=hp]").is_hidden()  # the honeypot
    # The page behind is inert: Tab visits the dialog's fields and (as with any native modal
    # dialog) the browser's own toolbar, shown here as BODY, never the page's controls.
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.tagName"))
    assert seen <= {"ERRATA-UI", "BODY"} and "ERRATA-UI" in seen
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "report"
    assert rows(live, Report) == []


def test_touch_button_on_a_phone_opens_the_dialog(live, pages, site, browser):
    context = browser.new_context(**PIXEL)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(pages.url("article.html", site, root="article", hint=".report-hint"))
        page.wait_for_function("window.Errata")
        assert "tap “Report an error”" in page.locator(".report-hint").inner_text()
        select_text(page, "#inline", "new budget")
        button = page.locator("errata-ui #b")
        button.wait_for(state="visible")
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        sel = page.evaluate("(() => { const r = getSelection().getRangeAt(0)"
                            ".getBoundingClientRect(); return r.bottom; })()")
        # Below the selection (the copy menu sits above it), and below the selection
        # handles, which hang about 24 px under the text: a tap there would drag a handle.
        assert box["y"] >= sel + 24
        button.tap()
        dialog(page).wait_for(state="visible")
        assert page.locator("errata-ui mark").inner_text() == "new budget"
        send(page)
        page.locator("errata-ui #m").get_by_text("Thank you").wait_for()
        (report,) = wait_for_rows(live, Report, 1)
        assert report.exact == "new budget"
    finally:
        context.close()
    assert not errors, errors


# -- the jump link -----------------------------------------------------------------------

def test_stored_jump_link_scrolls_to_the_reported_text(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    report(page, "#last", "multi-feature structures")
    (correction,) = wait_for_rows(live, Correction, 1)
    assert "#:~:text=" in correction.link
    fresh = page.context.new_page()
    fresh.goto(correction.link)
    fresh.wait_for_function("window.scrollY > 0")
    assert fresh.evaluate("""() => {
        const r = document.getElementById('last').getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight; }""")
    fresh.close()


def test_ctrl_enter_twice_quickly_waits_out_the_minimum_and_is_stored(live, pages, site, page):
    """A person is never taken for a bot: the server drops reports sent under 800 ms."""
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    # Every text the status line shows, kept: on a slow machine more of the 800 ms may have
    # passed before the second key, and "Sending…" then stands only while the POST runs.
    page.evaluate("""() => {
      const m = document.querySelector('errata-ui').shadowRoot.querySelector('#m');
      window.said = [];
      new MutationObserver(() => window.said.push(m.textContent))
        .observe(m, {childList: true, characterData: true, subtree: true});
    }""")
    page.keyboard.press("Control+Enter")  # the second one sends at once
    page.locator("errata-ui").get_by_text("Thank you").wait_for()
    assert "Sending…" in page.evaluate("window.said")
    (report,) = wait_for_rows(live, Report, 1)
    assert report.exact == "Tuesday" and report.elapsed_ms >= 800

# -- when sending fails -------------------------------------------------------------------

def test_wrong_origin_403_shows_the_message_and_keeps_the_text(live, pages, page):
    key = make_site(live, ["https://elsewhere.example"])
    page.goto(pages.url("article.html", key, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    send(page, suggestion="Wednesday")
    page.locator("errata-ui #m").get_by_text("not accepted from this page").wait_for()
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Wednesday"
    assert dialog(page).is_visible()
    assert page.evaluate("localStorage['errata:q']") is None  # refused for good: not kept
    assert rows(live, Report) == []
    only_network_errors(page)


def test_rate_limited_429_says_when_to_retry_and_keeps_the_text(live, pages, page):
    key = make_site(live, [pages.origin], limit_reader="1/hour")
    page.goto(pages.url("article.html", key, root="article"))
    page.wait_for_function("window.Errata")
    report(page, "#inline", "Tuesday")
    page.keyboard.press("Escape")
    # Chromium closes a modal dialog on Escape in a later task: a Ctrl+Enter that arrives
    # first finds it still open and is ignored, as it should be.
    dialog(page).wait_for(state="hidden")
    select_text(page, "#rep", "Friday")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    send(page, suggestion="Saturday")
    page.locator("errata-ui #m").get_by_text("Too many reports. Try again in").wait_for()
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Saturday"
    assert page.locator("errata-ui #g").is_disabled()  # until Retry-After has passed
    assert len(rows(live, Report)) == 1
    only_network_errors(page)


def test_server_down_keeps_the_report_and_the_next_page_load_delivers_it(live, pages, site,
                                                                          page):
    # A port held, bound but not listening, for as long as the report is sent: connections
    # are refused, and no other server of this busy machine can take it meanwhile.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    endpoint = f"http://127.0.0.1:{dead.getsockname()[1]}/api/v1/reports"
    with dead:
        page.goto(pages.url("article.html", site, root="article", endpoint=endpoint))
        page.wait_for_function("window.Errata")
        select_text(page, "#inline", "Tuesday")
        page.keyboard.press("Control+Enter")
        send(page, suggestion="Wednesday")
        page.locator("errata-ui #m").get_by_text("saved and will be sent later").wait_for()
    assert page.evaluate("JSON.parse(localStorage['errata:q']).length") == 1
    # The server is back (the page's normal endpoint): the next page view sends it.
    page.goto(pages.url("article.html", site, root="article"))
    (report,) = wait_for_rows(live, Report, 1)
    assert (report.exact, report.suggestion) == ("Tuesday", "Wednesday")
    page.wait_for_function("!localStorage['errata:q']")
    only_network_errors(page)


def test_offline_report_goes_out_on_the_online_event(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#rep", "Friday")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    page.context.set_offline(True)
    send(page)
    page.locator("errata-ui #m").get_by_text("saved and will be sent later").wait_for()
    assert rows(live, Report) == []
    page.context.set_offline(False)
    (report,) = wait_for_rows(live, Report, 1)
    assert report.exact == "Friday"
    only_network_errors(page)


# -- CSP and page CSS ----------------------------------------------------------------------

def test_nonce_only_csp_and_hostile_page_css_leave_the_dialog_intact(live, pages, site, page):
    page.goto(pages.url("ru.html", site, root="article", nonce="n0nce", hint=".report-hint"))
    page.wait_for_function("window.Errata")
    assert page.locator(".report-hint").inner_text() == (
        "Заметили ошибку? Выделите её и нажмите Ctrl+Enter")
    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone we support
    select_text(page, "#ru", "новый бюджет")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    box = dialog(page).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert page.locator("errata-ui #g").bounding_box()["x"] + 44 <= 320  # Send is reachable
    looks = page.evaluate("""() => {
        const r = document.querySelector('errata-ui').shadowRoot;
        const s = e => getComputedStyle(r.querySelector(e));
        return {opacity: s('dialog').opacity, font: s('dialog').fontSize,
                button: parseFloat(s('#g').minHeight), title: r.querySelector('h2').textContent,
                color: s('h2').color, text: s('dialog').color};
    }""")
    # The page's `* { color: red !important }` stops at the shadow root: the heading takes the
    # dialog's own text colour (the system's CanvasText), and that colour is not the page's red.
    assert looks.pop("color") == looks.pop("text") != "rgb(255, 0, 0)"
    assert looks == {"opacity": "1", "font": "16px", "button": 44.0,
                     "title": "Сообщить об ошибке"}
    send(page)
    page.locator("errata-ui #m").get_by_text("Спасибо").wait_for()
    assert wait_for_rows(live, Report, 1)[0].exact == "новый бюджет"


def test_demo_page_opens_the_dialog(live, page):
    with live.app.app_context():
        from service.models import Site

        db.session.add(Site(key="demo", name="Demo", origins=[live.url], notify_emails=[]))
        db.session.commit()
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{live.url}/demo")
    page.wait_for_function("window.Errata")
    assert "Ctrl+Enter" in page.locator(".report-hint").inner_text()
    report(page, "article p:nth-of-type(3)", "Foreign Ministry collegiums")
    assert wait_for_rows(live, Report, 1)[0].exact == "Foreign Ministry collegiums"


# -- languages and files -------------------------------------------------------------------

def test_a_loader_cached_before_the_language_split_still_gets_a_working_dialog(live, pages,
                                                                             site, page):
    """Pages holding last release's errata.js (cached an hour) ask for errata-dialog.js."""
    pages.files["/cached/errata.js"] = PAGES / "cached-errata.js"
    pages.files["/cached/errata-dialog.js"] = JS / "errata-dialog.js"
    page.goto(pages.url("ru.html", site, root="article", src="/cached/errata.js",
                        endpoint=f"{live.url}/api/v1/reports"))
    page.wait_for_function("window.Errata")
    select_text(page, "#ru", "новый бюджет")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui h2").inner_text() == "Сообщить об ошибке"
    send(page)
    page.locator("errata-ui").get_by_text("Спасибо").wait_for()
    assert wait_for_rows(live, Report, 1)[0].exact == "новый бюджет"


def test_dialog_in_russian_from_the_site_default_on_a_page_without_lang(live, pages, site,
                                                                        browser):
    """<html> without lang, an English browser: the embed line's data-default-lang wins."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(pages.url("nolang.html", site, root="article", hint=".report-hint",
                            **{"default-lang": "ru"}))
        page.wait_for_function("window.Errata")
        assert page.locator(".report-hint").inner_text() == (
            "Заметили ошибку? Выделите её и нажмите Ctrl+Enter")
        select_text(page, "#text", "новый бюджет")
        page.keyboard.press("Control+Enter")
        dialog(page).wait_for(state="visible")
        assert page.locator("errata-ui h2").inner_text() == "Сообщить об ошибке"
        assert page.locator("errata-ui label").first.inner_text() == "Правильный текст"
        send(page)
        page.locator("errata-ui").get_by_text("Спасибо").wait_for()
        assert wait_for_rows(live, Report, 1)[0].exact == "новый бюджет"
    finally:
        context.close()


@pytest.mark.parametrize(("data", "html_lang", "browser_lang", "expected"), [
    ({"lang": "en", "default-lang": "ru"}, "ru", "ru-RU", "Report an error"),  # override
    ({"default-lang": "en"}, "ru", "en-US", "Сообщить об ошибке"),  # the page's lang
    ({}, "", "ru-RU", "Сообщить об ошибке"),  # the browser's
    ({"lang": "de", "default-lang": "xx"}, "", "fr-FR", "Report an error"),  # English
], ids=["data-lang", "html-lang", "navigator", "english"])
def test_reader_language_order(live, pages, site, browser, data, html_lang, browser_lang,
                               expected):
    context = browser.new_context(locale=browser_lang)
    page = context.new_page()
    try:
        page.goto(pages.url("nolang.html", site, root="article", htmllang=html_lang, **data))
        page.wait_for_function("window.Errata")
        select_text(page, "#text", "новый бюджет")
        page.keyboard.press("Control+Enter")
        dialog(page).wait_for(state="visible")
        assert page.locator("errata-ui h2").inner_text() == expected
    finally:
        context.close()


def test_hint_fills_only_empty_elements(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article", hint=".report-hint, #own-hint"))
    page.wait_for_function("window.Errata")
    assert page.locator(".report-hint").inner_text() == (
        "Noticed an error? Select it and press Ctrl+Enter")
    assert page.locator("#own-hint").inner_text() == (
        "Found a mistake? Tell us: select it and press Ctrl+Enter.")


# -- never stuck ----------------------------------------------------------------------------

def test_failed_dialog_load_says_so_once_and_the_next_ctrl_enter_tries_again(live, pages,
                                                                             site, page):
    blocked = {"on": True, "seen": 0}

    def gate(route):
        blocked["seen"] += 1
        if blocked["on"]:
            route.abort("blockedbyclient")  # what an ad blocker does
        else:
            route.continue_()

    page.route("**/errata-dialog.*", gate)
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")  # fetched as the reader selects: fails quietly
    page.keyboard.press("Control+Enter")
    toast(page).get_by_text("Could not open the form. Please try again.").wait_for()
    assert dialog(page).count() == 0
    blocked["on"] = False
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Tuesday"
    assert blocked["seen"] >= 2
    only_network_errors(page)


def test_load_failure_toast_is_in_the_readers_language(live, pages, site, page):
    page.route("**/errata-dialog.*", lambda route: route.abort("blockedbyclient"))
    page.goto(pages.url("ru.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#ru", "новый бюджет")
    page.keyboard.press("Control+Enter")
    toast(page).get_by_text("Форма не открылась. Попробуйте ещё раз.").wait_for()
    only_network_errors(page)


@pytest.mark.parametrize(("name", "css", "needle", "expected"), [
    ("article.html", "#inline", "Tuesday", "Could not send (error 413). Please try again later."),
    ("ru.html", "#ru", "новый бюджет", "Не удалось отправить (ошибка 413). Попробуйте позже."),
], ids=["en", "ru"])
def test_an_html_error_page_gives_a_plain_sentence(live, pages, site, page, name, css, needle,
                                                   expected):
    """nginx's own 413 page (or a firewall's) is HTML: no "undefined", the reader's language."""
    page.route(f"{live.url}/api/v1/reports", lambda route: route.fulfill(
        status=413, content_type="text/html",
        body="<html><head><title>413 Request Entity Too Large</title></head><body>"
             "<center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center>"
             "</body></html>"))
    page.goto(pages.url(name, site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, css, needle)
    page.keyboard.press("Control+Enter")
    send(page, suggestion="fixed")
    page.locator("errata-ui #m").get_by_text(expected).wait_for()
    assert "undefined" not in status(page)
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "fixed"
    only_network_errors(page)


def test_field_errors_name_the_fields_by_their_labels_in_the_readers_language(live, pages,
                                                                              site, page):
    page.goto(pages.url("ru.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#ru", "новый бюджет")
    page.keyboard.press("Control+Enter")
    # The browser's own check accepts a@b; the server's email check does not.
    page.locator("errata-ui input[name=email]").fill("a@b")
    send(page)
    page.locator("errata-ui #m").get_by_text("Почта: сообщим об исправлении").wait_for()
    assert page.locator("errata-ui input[name=email]").get_attribute("aria-invalid") == "true"
    assert "email:" not in status(page)  # not the server's English field message
    only_network_errors(page)


def test_touch_button_survives_a_selection_without_a_box(live, pages, site, browser):
    context = browser.new_context(**PIXEL)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(pages.url("article.html", site, root="article"))
        page.wait_for_function("window.Errata")
        select_text(page, "#inline", "new budget")
        button = page.locator("errata-ui #b")
        button.wait_for(state="visible")
        # The selected text disappears (a collapsed ad, a closed accordion): no box at all.
        page.evaluate("document.getElementById('inline').style.display = 'none'")
        page.mouse.wheel(0, 40)
        page.evaluate("window.dispatchEvent(new Event('scroll'))")
        box = button.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 727
    finally:
        context.close()
    assert not errors, errors


# -- never lost -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["Escape", "Cancel"])
def test_closing_keeps_the_draft_and_reopening_restores_it(live, pages, site, page, how):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    page.locator("errata-ui textarea[name=suggestion]").fill("Wednesday")
    page.locator("errata-ui textarea[name=comment]").fill("It was a Wednesday.")
    if how == "Escape":
        page.keyboard.press("Escape")
    else:
        page.locator("errata-ui #x").click()
    dialog(page).wait_for(state="hidden")
    page.evaluate("document.getSelection().removeAllRanges()")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Tuesday"
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Wednesday"
    assert page.locator("errata-ui textarea[name=comment]").input_value() == (
        "It was a Wednesday.")
    send(page)
    page.locator("errata-ui #m").get_by_text("Thank you").wait_for()
    (report,) = wait_for_rows(live, Report, 1)
    assert (report.exact, report.suggestion, report.comment) == (
        "Tuesday", "Wednesday", "It was a Wednesday.")


def test_ctrl_enter_on_a_just_closed_dialog_reopens_the_draft_and_sends_nothing(live, pages,
                                                                              site, page):
    """Focus may sit in the closed dialog for a task: its Ctrl+Enter must not send the draft."""
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    page.locator("errata-ui textarea[name=suggestion]").fill("Wednesday")
    focused = page.evaluate("""() => {
        const root = [...document.querySelectorAll('errata-ui')].find(
            (h) => h.shadowRoot.querySelector('dialog')).shadowRoot;
        root.querySelector('dialog').close();
        document.getSelection().removeAllRanges();
        const at = root.activeElement;
        at.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true,
                                                       bubbles: true, composed: true}));
        return at.name;
    }""")
    assert focused == "suggestion"
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Wednesday"
    # A send would have disabled Send and said "Sending…" at once.
    assert page.locator("errata-ui #g").is_enabled() and status(page) == ""
    assert rows(live, Report) == []


def test_a_new_selection_starts_a_new_report(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    page.locator("errata-ui textarea[name=suggestion]").fill("Wednesday")
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    select_text(page, "#rep", "Friday")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Friday"
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Friday"


def test_draft_survives_a_429_closed_and_reopened(live, pages, page):
    key = make_site(live, [pages.origin], limit_reader="1/hour")
    page.goto(pages.url("article.html", key, root="article"))
    page.wait_for_function("window.Errata")
    report(page, "#inline", "Tuesday")
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    select_text(page, "#rep", "Friday")
    page.keyboard.press("Control+Enter")
    page.locator("errata-ui textarea[name=suggestion]").fill("Saturday")
    page.locator("errata-ui textarea[name=comment]").fill("Typo in the day.")
    send(page)
    page.locator("errata-ui #m").get_by_text("Too many reports. Try again in").wait_for()
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    page.evaluate("document.getSelection().removeAllRanges()")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Friday"
    assert page.locator("errata-ui textarea[name=suggestion]").input_value() == "Saturday"
    assert page.locator("errata-ui textarea[name=comment]").input_value() == "Typo in the day."
    assert len(rows(live, Report)) == 1
    only_network_errors(page)


# -- a way in without the shortcut ------------------------------------------------------------

def tab_to_button(page) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("""() => { const h = document.activeElement;
                return !!(h && h.shadowRoot && h.shadowRoot.activeElement &&
                          h.shadowRoot.activeElement.id === 'b'); }"""):
            return
    raise AssertionError("Tab never reached the Report an error button")


def test_floating_button_is_reached_by_tab_and_reports_the_selection(live, pages, site, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(pages.url("article.html", site, root="article", button=""))
    page.wait_for_function("window.Errata")
    assert not [u for u in requests if "errata-dialog" in u]  # nothing fetched at load
    select_text(page, "#inline", "Tuesday")
    tab_to_button(page)  # Chromium clears the selection as focus moves: the last one is used
    assert page.locator("errata-ui #b").inner_text() == "Report an error"
    page.keyboard.press("Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui mark").inner_text() == "Tuesday"
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    # Focus went back to the button, for the next report.
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.id") == "b"


def test_floating_button_with_nothing_selected_shows_how_to_select(live, pages, site, page):
    page.goto(pages.url("ru.html", site, root="article", button=""))
    page.wait_for_function("window.Errata")
    page.mouse.move(10, 10)
    page.locator("errata-ui #b").click()
    toast(page).get_by_text("Сначала выделите ошибку: мышью, пальцем").wait_for()
    assert dialog(page).count() == 0


def test_selection_outside_the_root_says_where_reports_are_made(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    select_text(page, "footer", "Outside")
    page.keyboard.press("Control+Enter")
    toast(page).get_by_text("Select the error in the article text.").wait_for()
    assert dialog(page).count() == 0


PIXEL = {"viewport": {"width": 393, "height": 727}, "device_scale_factor": 2.75,
         "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"}


def test_touch_button_stays_clear_of_a_selection_near_the_bottom(live, pages, site, browser):
    """Below the selection there is no room: above it, over the copy menu's place."""
    context = browser.new_context(**PIXEL)
    page = context.new_page()
    try:
        page.goto(pages.url("article.html", site, root="article"))
        page.wait_for_function("window.Errata")
        select_text(page, "#last", "multi-feature")
        page.evaluate("""() => { document.body.style.paddingBottom = '100vh';
            const r = getSelection().getRangeAt(0).getBoundingClientRect();
            window.scrollBy(0, r.bottom - innerHeight + 20); }""")
        button = page.locator("errata-ui #b")
        button.wait_for(state="visible")
        box = button.bounding_box()
        sel = page.evaluate("(() => { const r = getSelection().getRangeAt(0)"
                            ".getBoundingClientRect(); return [r.top, r.bottom]; })()")
        assert sel[1] > 727 - 80  # the selection is near the bottom of the screen
        # Clear of the handles (under the text) and of the menu (about 50 px above it).
        assert box["y"] + box["height"] <= sel[0] - 56
        assert box["y"] >= 0
        button.tap()
        dialog(page).wait_for(state="visible")
        assert page.locator("errata-ui mark").inner_text() == "multi-feature"
    finally:
        context.close()


def test_dialog_stays_usable_when_the_keyboard_shrinks_the_viewport(live, pages, site,
                                                                     browser):
    context = browser.new_context(**PIXEL)
    page = context.new_page()
    try:
        page.goto(pages.url("ru.html", site, root="article"))
        page.wait_for_function("window.Errata")
        select_text(page, "#ru", "новый бюджет")
        page.locator("errata-ui #b").tap()
        dialog(page).wait_for(state="visible")
        comment = page.locator("errata-ui textarea[name=comment]")
        comment.tap()
        # The on-screen keyboard takes the lower part of the screen.
        page.set_viewport_size({"width": 393, "height": 330})
        comment.fill("Бюджет не новый.")
        box = dialog(page).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 330
        assert comment.evaluate("e => { const r = e.getBoundingClientRect();"
                                " return r.top >= 0 && r.bottom <= innerHeight; }")
        send_button = page.locator("errata-ui #g")
        send_button.scroll_into_view_if_needed()
        assert send_button.bounding_box()["y"] + 44 <= 330
        send_button.tap()
        page.locator("errata-ui").get_by_text("Спасибо").wait_for()
        assert wait_for_rows(live, Report, 1)[0].comment == "Бюджет не новый."
    finally:
        context.close()


# -- the thank-you --------------------------------------------------------------------------

def test_thank_you_replaces_the_form_is_announced_and_closes(live, pages, site, page):
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    report(page, "#inline", "Tuesday")
    thanks = page.locator("errata-ui #m")
    assert thanks.evaluate("e => e.localName") == "output"  # role=status: announced
    assert page.locator("errata-ui dialog textarea, errata-ui dialog select, "
                        "errata-ui dialog input").count() == 0
    assert page.locator("errata-ui #g").count() == 0
    assert page.evaluate("document.querySelector('errata-ui').shadowRoot.activeElement.textContent"
                         ) == "Close"
    page.keyboard.press("Escape")
    dialog(page).wait_for(state="hidden")
    # The next report is a fresh one, not the sent one again.
    page.keyboard.press("Control+Enter")
    toast(page).get_by_text("Select the error first").wait_for()


def test_thank_you_closes_by_itself_after_a_few_seconds(live, pages, site, page):
    # The page's clock is Playwright's, paused: only the test moves it on, instead of sleeping
    # through the seconds the thank-you stays up. (Left running, the real seconds between the
    # thanks and the first step count too: a busy machine that took 4 s to get there saw the
    # dialog already closed.)
    page.clock.install(time=datetime(2030, 1, 1, 12, tzinfo=UTC))
    page.goto(pages.url("article.html", site, root="article"))
    page.wait_for_function("window.Errata")
    page.clock.pause_at(datetime(2030, 1, 1, 13, tzinfo=UTC))  # later than the load took
    select_text(page, "#inline", "Tuesday")
    page.keyboard.press("Control+Enter")
    send(page)
    page.locator("errata-ui #m").get_by_text("Sending").wait_for()
    page.clock.run_for(1_000)  # the send's minimum of 800 ms since the dialog opened
    page.locator("errata-ui #m").get_by_text("Thank you").wait_for()
    page.clock.run_for(2_000)
    assert dialog(page).is_visible()  # a reader has time to read it
    page.clock.run_for(8_000)
    dialog(page).wait_for(state="hidden")  # the clock stands still: only run_for closed it


# -- CSP without leaking the nonce ---------------------------------------------------------

@pytest.mark.parametrize("csp", ["", "strict-dynamic", "trusted-types", "no-policies"])
def test_nonce_and_trusted_types_policies_without_data_nonce(live, pages, site, page, csp):
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text or "Trusted Type" in m.text else None)
    page.goto(pages.url("ru.html", site, root="article", nonce="n0nce", csp=csp))
    page.wait_for_function("window.Errata")
    assert page.evaluate("document.querySelector('script[data-site]').getAttribute('nonce')"
                         ) == ""  # hidden from the DOM, and there is no data-nonce to read
    select_text(page, "#ru", "новый бюджет")
    page.keyboard.press("Control+Enter")
    send(page)
    page.locator("errata-ui #m").get_by_text("Спасибо").wait_for()
    assert wait_for_rows(live, Report, 1)[0].exact == "новый бюджет"
    assert not violations, violations


# -- fast on slow networks -------------------------------------------------------------------

def test_selecting_text_fetches_the_dialog_before_the_key(live, pages, site, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(pages.url("ru.html", site, root="article"))
    page.wait_for_function("window.Errata")
    assert not [u for u in requests if "errata-dialog" in u]
    select_text(page, "#ru", "новый")
    page.wait_for_function("() => typeof Errata.ui == 'function'")
    assert [u for u in requests if "errata-dialog" in u] == [
        f"{live.url}/static/js/errata-dialog.ru.js"]
    assert dialog(page).count() == 0


# -- a third language is one catalog ----------------------------------------------------------

UK = {
    "Noticed an error? Select it and ": "Помітили помилку? Виділіть її та ",
    "press Ctrl+Enter": "натисніть Ctrl+Enter",
    "Report an error": "Повідомити про помилку",
    "Correct text": "Правильний текст",
    "Send": "Надіслати",
    "Thank you! The editors will check it.": "Дякуємо! Редакція перевірить.",
}


@pytest.fixture(scope="module")
def uk_build(tmp_path_factory):
    """The snippet built with a throwaway Ukrainian catalog, as docs/snippet.md describes."""
    import shutil

    from babel.messages.pofile import read_po, write_po

    sys.path.insert(0, str(ROOT / "snippet"))
    try:
        import build
    finally:
        sys.path.pop(0)
    tmp = tmp_path_factory.mktemp("uk")
    translations, out = tmp / "translations", tmp / "js"
    shutil.copytree(ROOT / "translations", translations)
    build.update_catalogs(["uk"], translations)
    path = build.catalog_path("uk", translations)
    with path.open("rb") as f:
        catalog = read_po(f, locale="uk", domain="snippet")
    for message in catalog:
        if message.id in UK:
            message.string = UK[message.id]
    with path.open("wb") as f:
        write_po(f, catalog)
    build.build(out, translations)
    return out


def test_a_third_language_is_one_catalog(live, pages, site, page, uk_build):
    assert {p.name for p in uk_build.glob("*.js")} == {
        "errata.js", "errata-dialog.js", "errata-dialog.en.js", "errata-dialog.ru.js",
        "errata-dialog.uk.js"}
    for name in ("errata.js", "errata-dialog.uk.js"):
        pages.files[f"/uk/{name}"] = uk_build / name
    page.goto(pages.url("nolang.html", site, root="article", src="/uk/errata.js",
                        hint=".report-hint", endpoint=f"{live.url}/api/v1/reports",
                        **{"default-lang": "uk"}))
    page.wait_for_function("window.Errata")
    assert page.locator(".report-hint").inner_text() == (
        "Помітили помилку? Виділіть її та натисніть Ctrl+Enter")
    select_text(page, "#text", "новый бюджет")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.locator("errata-ui h2").inner_text() == "Повідомити про помилку"
    assert page.locator("errata-ui label").first.inner_text() == "Правильний текст"
    assert page.locator("errata-ui #g").inner_text() == "Надіслати"
    send(page)
    page.locator("errata-ui").get_by_text("Дякуємо! Редакція перевірить.").wait_for()
    assert wait_for_rows(live, Report, 1)[0].exact == "новый бюджет"


def test_capture_reads_styles_near_the_selection_only(live, pages, site, page):
    """A long page costs no more style reads than a short one; the quote is still exact."""
    page.goto(pages.url("article.html", site))  # the root is the whole body
    page.wait_for_function("window.Errata")
    page.evaluate("""() => {
        const filler = document.getElementById('filler');
        for (let i = 0; i < 2000; i++) filler.append(Object.assign(
            document.createElement('p'), {textContent: 'Filler paragraph number ' + i + '.'}));
        window.__styles = 0;
        const real = window.getComputedStyle;
        window.getComputedStyle = (...a) => { window.__styles++; return real(...a); };
    }""")
    select_text(page, "#last", "multi-feature structures")
    page.keyboard.press("Control+Enter")
    dialog(page).wait_for(state="visible")
    assert page.evaluate("window.__styles") < 20  # the paragraph and its ancestors
    assert page.locator("errata-ui mark").inner_text() == "multi-feature structures"
    send(page)
    page.locator("errata-ui #m").get_by_text("Thank you").wait_for()
    (report,) = wait_for_rows(live, Report, 1)
    assert (report.prefix, report.suffix) == (
        "In the closing paragraph the regional ", " were mentioned once.")
    assert report.end - report.start == len("multi-feature structures")
