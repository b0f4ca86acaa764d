"""In Chromium set to Russian (and to Moscow time): the first login takes the browser's language
and zone, and the queue, a correction page and My settings speak Russian at 320 and 1,366 px,
with no button whose text overflows it or breaks inside a word."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Editor
from tests.browser.test_queue_fit_ui import BROKEN_WORDS_JS
from tests.conftest import post_report

PASSWORD = "correct horse battery"
EMAIL = "redaktor@news.example"
WIDTHS = (320, 1366)

# Buttons whose text does not fit their box (clipped or spilling out), and the page pushed
# sideways. The text a screen reader alone gets is not laid out and is left out.
OVERFLOW_JS = r"""
() => {
  const found = [];
  for (const el of document.querySelectorAll('button, .button, summary, [role=button]')) {
    if (!el.getClientRects().length) continue;
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1) {
      const text = el.textContent.trim().replace(/\s+/g, ' ').slice(0, 40);
      found.push(`${text}: text wider than the button`);
    }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.visually-hidden') || !node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) {
          found.push(`${node.data.trim().slice(0, 40)}: outside its button`);
        }
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  return found;
}
"""


@pytest.fixture
def russian_page(browser) -> Iterator[object]:
    """A browser whose languages are Russian first and whose clock is in Moscow."""
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow",
                                  extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture
def newsroom(live) -> dict[str, int]:
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, "Городские новости", ["https://news.example"], (),
                           default_lang="ru")
        create_editor(db.session, EMAIL, role="admin", password=PASSWORD,
                      display_name="Анна Ковалёва", sites=[site])
        db.session.commit()
        key = site.key
    client = live.app.test_client()
    for i, (exact, suggestion) in enumerate((
            ("В течении", "В течение"), ("Учавствовать", "Участвовать"),
            ("рекламной компании", "рекламной кампании"))):
        resp = post_report(client, key, exact=exact, prefix="Сначала ", suffix=" потом.",
                           suggestion=suggestion, lang="ru", kind="typo",
                           url=f"https://news.example/biblioteka-{i}",
                           title="В Гродно открылась библиотека, где книги выдаёт робот")
        assert resp.status_code == 201, resp.get_data(as_text=True)
    with live.app.app_context():
        first = db.session.scalars(select(Correction.id).order_by(Correction.id)).first()
    return {"correction": first}


def log_in(pg, live) -> None:
    pg.goto(f"{live.url}/login")
    expect(pg.locator("h1")).to_have_text("Вход в Errata")
    assert pg.locator("html").get_attribute("lang") == "ru"
    pg.get_by_label("Почта").fill(EMAIL)
    pg.get_by_label("Пароль").fill(PASSWORD)
    pg.get_by_role("button", name="Войти").click()
    pg.wait_for_url(f"{live.url}/queue")


def check_fits(pg) -> dict[int, list[str]]:
    problems = {}
    for width in WIDTHS:
        pg.set_viewport_size({"width": width, "height": 900})
        found = pg.evaluate(BROKEN_WORDS_JS) + pg.evaluate(OVERFLOW_JS)
        if found:
            problems[width] = found
    return problems


def test_first_login_takes_the_browsers_language_and_zone(russian_page, live, newsroom):
    log_in(russian_page, live)
    with live.app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == EMAIL))
        assert (editor.language, editor.timezone) == ("ru", "Europe/Moscow")


def test_queue_correction_and_settings_in_russian_fit_at_320_and_1366(
        russian_page, live, newsroom):
    pg = russian_page
    log_in(pg, live)

    expect(pg.locator("h1")).to_have_text("Очередь")
    expect(pg.locator(".queue-row .status").first).to_have_text("Новое")
    expect(pg.locator(".queue-row").first).to_contain_text("1 сообщение")
    expect(pg.get_by_role("button", name="Исправлено").first).to_be_visible()
    problems = {"/queue": check_fits(pg)}

    pg.goto(f"{live.url}/queue/{newsroom['correction']}")
    expect(pg.get_by_role("heading", name="Ошибка", exact=True)).to_be_visible()
    expect(pg.get_by_text("Правильный текст:")).to_be_visible()
    expect(pg.get_by_role("button", name="Не ошибка")).to_be_visible()
    expect(pg.get_by_role("button", name="Спам")).to_be_visible()
    # The exact moment in the <time> title is Moscow time (UTC+3), written the Russian way.
    title = pg.locator(".facts time").first.get_attribute("title")
    assert "MSK" in title or "+03" in title or "Москва" in title, title
    problems[f"/queue/{newsroom['correction']}"] = check_fits(pg)

    pg.goto(f"{live.url}/account/settings")
    expect(pg.locator("h1")).to_have_text("Мои настройки")
    expect(pg.get_by_label("Язык")).to_have_value("ru")
    expect(pg.get_by_label("Часовой пояс")).to_have_value("Europe/Moscow")
    expect(pg.get_by_label("Час сводки (0–23, по вашему времени)")).to_have_value("8")
    problems["/account/settings"] = check_fits(pg)

    # Choosing English in Settings switches the pages at once.
    pg.get_by_label("Язык").select_option("en")
    pg.get_by_role("button", name="Сохранить настройки").click()
    expect(pg.locator(".flash")).to_have_text("Your settings are saved.")
    expect(pg.locator("h1")).to_have_text("My settings")

    assert {path: found for path, found in problems.items() if found} == {}


def test_the_check_sees_text_that_overflows_its_button(russian_page, live, newsroom):
    """The overflow check itself: a button too narrow for its Russian word is reported."""
    pg = russian_page
    log_in(pg, live)
    pg.set_viewport_size({"width": 1366, "height": 900})
    assert pg.evaluate(OVERFLOW_JS) == []
    pg.get_by_role("button", name="Исправлено").first.evaluate(
        "b => { b.style.width = '2em'; b.style.whiteSpace = 'nowrap'; "
        "b.style.overflow = 'hidden'; }")
    assert any("Исправлено" in problem for problem in pg.evaluate(OVERFLOW_JS))
