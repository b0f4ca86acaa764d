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


def test_the_site_owners_pages_in_russian_fit_at_320_and_1366(russian_page, live, newsroom):
    """What a site owner walks through after the queue: Sites, a new site's form, the site
    page (embed line, an API token, a channel), People, Stats, the Outbox and the public log.
    Tables scroll inside their box: text hidden for screen readers in a table's last header
    must not widen the page (it did on the Outbox and the site page's tables at 320 px)."""
    from service.api.tokens import create_token
    from service.models import Channel, OutboxMail, Site

    with live.app.app_context():
        site = db.session.scalar(select(Site))
        site.public_log = True
        create_token(db.session, site, "Синхронизация с CMS")
        db.session.add(Channel(site_id=site.id, kind="webhook", url="https://hooks.example/x"))
        db.session.add(OutboxMail(template="reader_thanks", recipient="chitatel@example.ru",
                                  subject="Исправлено: ошибка, о которой вы сообщили",
                                  body_text="…", status="failed", attempts=3,
                                  last_error="соединение сброшено"))
        db.session.commit()
        site_id, key = site.id, site.key
    pg = russian_page
    log_in(pg, live)

    problems = {}
    pg.goto(f"{live.url}/queue/{newsroom['correction']}")
    # Who is responsible, in the nominative: not the dative «Никому» of "assign to nobody".
    facts = pg.locator(".facts")
    expect(facts).to_contain_text("Ответственный")
    expect(facts).to_contain_text("Не назначен")
    pg.get_by_role("button", name="Исправлено").first.click()
    expect(pg.locator(".flash").first).to_contain_text("отмечено как исправленное")

    pg.goto(f"{live.url}/sites/new")
    expect(pg.get_by_label("Название сайта")).to_be_visible()
    problems["/sites/new"] = check_fits(pg)

    pg.goto(f"{live.url}/sites/{site_id}")
    expect(pg.get_by_role("heading", name="API-токены")).to_be_visible()
    expect(pg.locator("#embed-title ~ details summary")).to_have_text(
        "Проверка целостности файла (Subresource Integrity), необязательно")
    # The token's name field is a text field like the others, not a bare unstyled box.
    token_box = pg.get_by_label("Название нового токена").bounding_box()
    url_box = pg.get_by_label("URL для отправки").bounding_box()
    assert token_box["width"] == url_box["width"], (token_box, url_box)
    # A state that agrees with any setting's name (was «журнал… включён», «закрывать… выключен»).
    expect(pg.locator("dt:text-is('Открытый журнал исправлений') + dd")).to_have_text("включено")
    expect(pg.locator("dt:text-is('Закрывать автоматически, когда ошибки на странице больше нет')"
                      " + dd")).to_have_text("выключено")
    problems[f"/sites/{site_id}"] = check_fits(pg)

    pg.goto(f"{live.url}/people")
    expect(pg.locator("thead th").first).to_have_text("Имя")
    problems["/people"] = check_fits(pg)

    for path in ("/sites", "/stats", "/outbox", f"/p/{key}/corrections"):
        pg.goto(f"{live.url}{path}")
        problems[path] = check_fits(pg)
    assert {path: found for path, found in problems.items() if found} == {}
