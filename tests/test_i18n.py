"""Languages and zones: catalogs compiled at start, who gets which language, Babel formatting."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service import create_app
from service.extensions import db
from service.i18n import ago, compile_catalogs, speaking, when
from service.mail.notify import last_digest_time
from service.models import Editor
from tests.conftest import base_config, csrf_token, login, page_token, post_report

ROOT = Path(__file__).resolve().parent.parent


def _sources(tmp_path: Path) -> Path:
    """A copy of the catalogs' sources without any compiled file."""
    src = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", src, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    return src


def test_a_fresh_checkout_gets_compiled_catalogs_at_start(_schema, tmp_path):
    src = _sources(tmp_path)
    assert not list(src.rglob("*.mo"))
    create_app(base_config(_schema, str(tmp_path / "instance"), ERRATA_TRANSLATIONS_DIR=str(src)))
    assert (src / "ru" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    assert (src / "en" / "LC_MESSAGES" / "messages.mo").exists()


def test_a_changed_source_is_compiled_again(tmp_path):
    src = _sources(tmp_path)
    target = compile_catalogs(src, tmp_path / "fallback")
    mo = src / "ru" / "LC_MESSAGES" / "messages.mo"
    assert target == src and mo.exists()
    first = mo.read_bytes()
    po = src / "ru" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "только что"', 'msgstr "сейчас"'))
    os.utime(po, (mo.stat().st_mtime + 5, mo.stat().st_mtime + 5))
    compile_catalogs(src, tmp_path / "fallback")
    assert mo.read_bytes() != first and "сейчас".encode() in mo.read_bytes()



def test_moments_are_shown_in_the_persons_zone_and_language(app):
    moment = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    with app.app_context():
        with speaking("ru", "Europe/Moscow"):
            assert "12:05" in when(moment) and "нояб" in when(moment)
            assert ago(datetime.now(UTC) - timedelta(hours=3)) == "3 часа назад"
            assert ago(datetime.now(UTC)) == "только что"
        with speaking("en", "America/New_York"):
            assert "4:05" in when(moment) and "Nov" in when(moment)
            assert ago(datetime.now(UTC) - timedelta(hours=5)) == "5 hours ago"


# -- who sees which language -----------------------------------------------------------------

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"}


def test_pages_before_login_follow_accept_language(client):
    ru = client.get("/login", headers=RU).get_data(as_text=True)
    assert '<html lang="ru">' in ru and "<h1>Вход в Errata</h1>" in ru
    assert ">Войти</button>" in ru and ">Забыли пароль?</a>" in ru
    en = client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "<h1>Log in to Errata</h1>" in en
    # A language we don't have: the service's default (English unless configured).
    de = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "<h1>Log in to Errata</h1>" in de


def test_form_errors_and_error_pages_speak_russian(client, factory):
    token = page_token(client, "/login")
    wrong = client.post("/login", data={"csrf_token": token, "email": "a@b.example",
                                        "password": "nope"}, headers=RU)
    assert "Такой пары почты и пароля нет" in wrong.get_data(as_text=True)
    missing = client.get("/no-such-page", headers=RU)
    assert missing.status_code == 404
    assert "404 — Не найдено" in missing.get_data(as_text=True)


def test_first_login_takes_the_browsers_language_and_zone(client, factory, app):
    editor = factory.editor("ed@news.example")
    token = page_token(client, "/login")
    resp = client.post("/login", headers=RU, data={
        "csrf_token": token, "email": "ed@news.example", "password": "correct horse battery",
        "timezone": "Europe/Minsk"})
    assert resp.status_code == 302
    with app.app_context():
        stored = db.session.get(Editor, editor.id)
        assert (stored.language, stored.timezone) == ("ru", "Europe/Minsk")
    # From now on the person's setting wins over the browser's.
    queue = client.get("/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Очередь</h1>" in queue


def test_a_later_login_changes_nothing_and_a_bogus_zone_is_ignored(client, factory, app):
    editor = factory.editor("ed@news.example")
    with app.app_context():
        db.session.get(Editor, editor.id).language = "en"
        db.session.commit()
    token = page_token(client, "/login")
    client.post("/login", headers=RU, data={
        "csrf_token": token, "email": "ed@news.example", "password": "correct horse battery",
        "timezone": "Mars/Olympus_Mons"})
    with app.app_context():
        stored = db.session.get(Editor, editor.id)
        assert (stored.language, stored.timezone) == ("en", "")


def test_settings_change_language_and_zone_and_times_follow(client, factory, app):
    site = factory.site()
    editor = factory.editor("ed@news.example", sites=[site])
    with app.app_context():
        moment = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
        db.session.get(Editor, editor.id).last_login_at = moment
        db.session.commit()
    login(client, "ed@news.example")
    page = client.get("/account/settings").get_data(as_text=True)
    assert '<option selected value="en">English</option>' in page
    assert '<option value="ru">Русский</option>' in page
    assert 'value="Europe/Moscow">Europe/Moscow</option>' in page
    resp = client.post("/account/settings", data={
        "csrf_token": csrf_token(page), "display_name": "Ed", "language": "ru",
        "timezone": "Asia/Vladivostok", "notify_mode": "digest", "digest_hour": "7"},
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Настройки сохранены." in html and "<h1>Мои настройки</h1>" in html
    with app.app_context():
        stored = db.session.get(Editor, editor.id)
        assert (stored.language, stored.timezone, stored.digest_hour) == (
            "ru", "Asia/Vladivostok", 7)
    bad = client.post("/account/settings", data={
        "csrf_token": csrf_token(html), "language": "xx", "timezone": "Nowhere/City",
        "notify_mode": "off", "digest_hour": "7"})
    assert bad.status_code == 200
    with app.app_context():
        assert db.session.get(Editor, editor.id).timezone == "Asia/Vladivostok"


def test_times_on_pages_are_in_the_persons_zone(client, factory, app):
    site = factory.site()
    admin = factory.editor("admin@news.example", role="admin", sites=[site])
    with app.app_context():
        stored = db.session.get(Editor, admin.id)
        stored.language, stored.timezone = "ru", "Asia/Vladivostok"
        db.session.commit()
    login(client, "admin@news.example")
    with app.app_context():
        db.session.get(Editor, admin.id).last_login_at = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
        db.session.commit()
    people = client.get("/people").get_data(as_text=True)
    assert "30.11.2026, 19:05" in people  # 09:05 UTC is 19:05 in Vladivostok


def test_russian_plurals_in_the_queue(client, factory, app):
    site = factory.site()
    factory.editor("ed@news.example", sites=[site], language="ru")
    for n, word in ((1, "один"), (3, "три"), (11, "одиннадцать"), (21, "двадцать")):
        for _ in range(n):
            post_report(client, site.key, exact=word, prefix=f"до {word} ", suffix=" после")
    login(client, "ed@news.example")
    html = client.get("/queue").get_data(as_text=True)
    for text in ("1 сообщение", "3 сообщения", "11 сообщений", "21 сообщение"):
        assert f"<span>{text}</span>" in html, text


# -- mail in the recipient's language and zone -----------------------------------------------

def test_the_digest_hour_is_the_editors_local_hour():
    now = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)  # 09:30 in Moscow, 19:30 in Vladivostok
    assert last_digest_time(now, 8, "Europe/Moscow") == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert last_digest_time(now, 8, "Asia/Vladivostok") == datetime(
        2026, 11, 29, 22, 0, tzinfo=UTC)
    assert last_digest_time(now, 8, "") == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    # The day the clocks go forward in New York, 02:00 does not exist: 03:00 EDT instead.
    spring = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert last_digest_time(spring, 2, "America/New_York") == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC)


def test_reader_pages_fall_back_to_the_sites_language(client, factory):
    from service.mail.tokens import notify_stop_token

    site = factory.site(default_lang="ru")
    with client.application.app_context():
        token = notify_stop_token("desk@news.example", site.id)
    page = client.get(f"/unsubscribe/notifications/{token}",
                      headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Отключить уведомления для d***@news.example?" in page
    page = client.get(f"/unsubscribe/notifications/{token}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Stop notification mail to d***@news.example?" in page


def test_the_readers_api_message_comes_from_the_catalog(client, factory):
    resp = post_report(client, "no-such-key", lang="ru-RU")
    assert resp.get_json()["message"] == "Этот сайт не подключён к Errata."
    resp = post_report(client, "no-such-key", lang="uk")
    assert resp.get_json()["message"] == "This site is not registered with Errata."


# -- the embed line and the demo -------------------------------------------------------------

def test_the_embed_line_carries_the_sites_default_language(app, runner, factory):
    result = runner.invoke(args=["site", "add", "Новости", "--origin", "https://news.example",
                                 "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert 'data-default-lang="ru" defer></script>' in result.output


def test_the_demo_in_both_languages(client, runner):
    result = runner.invoke(args=["demo"])
    assert "/demo/ru" in result.output
    en = client.get("/demo").get_data(as_text=True)
    ru = client.get("/demo/ru").get_data(as_text=True)
    assert '<html lang="en">' in en and '<a href="/demo/ru" hreflang="ru"' in en
    assert '<html lang="ru">' in ru and '<a href="/demo" hreflang="en"' in ru
    assert "Заметили ошибку? Пожалуйста, выделите её и нажмите Ctrl+Enter" in ru
    assert 'data-site="demo"' in ru and "errata.js" in ru
    # The deliberate errors are there to be reported.
    for mistake in ("В течении", "Учавствовать", "рекламной компании", "Записатся"):
        assert mistake in ru


def test_an_invited_editor_gets_the_browsers_language_and_zone_when_joining(client, factory,
                                                                            app):
    from service.accounts.links import account_token, invite_editor

    with app.app_context():
        editor = invite_editor(db.session, "new@news.example")
        db.session.commit()
        token = account_token(editor, "invite")
        editor_id = editor.id
    path = f"/invite/{token}"
    page = client.get(path, headers=RU).get_data(as_text=True)
    assert "<h1>Добро пожаловать в Errata</h1>" in page
    resp = client.post(path, headers=RU, data={
        "csrf_token": csrf_token(page), "new": "a long enough password",
        "confirm": "a long enough password", "timezone": "Asia/Almaty"})
    assert resp.status_code == 302
    with app.app_context():
        stored = db.session.get(Editor, editor_id)
        assert (stored.language, stored.timezone) == ("ru", "Asia/Almaty")
