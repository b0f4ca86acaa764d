"""Mail in its recipient's language, over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from tests.conftest import post_report
from tests.mail_support import run_sender


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "Errata <errata@news.example>",
            "ERRATA_MAIL_SETTLE_SECONDS": 0}


def test_editor_mail_speaks_the_editors_language(app, client, factory, smtp):
    site = factory.site(notify_emails=["desk@news.example"], default_lang="en")
    factory.editor("ru@news.example", sites=[site], language="ru")
    factory.editor("en@news.example", sites=[site], language="en")
    for word in ("alpha", "beta", "gamma", "delta", "epsilon"):
        post_report(client, site.key, exact=word, prefix=f"x {word} ", suffix=" y",
                    suggestion=f"{word}!")
    run_sender(app)
    subjects = {m.to: m.subject for m in smtp.inbox.messages}
    assert subjects["ru@news.example"] == "5 новых исправлений на сайте News Example"
    assert subjects["en@news.example"] == "5 new corrections on News Example"
    # A site address that is no one's account: the site's default language.
    assert subjects["desk@news.example"] == "5 new corrections on News Example"
    russian = smtp.inbox.to("ru@news.example")[0]
    assert "Читатели сообщили о 5 новых ошибках на сайте News Example:" in russian.text
    assert '<html lang="ru">' in russian.html and "«alpha» → «alpha!»" in russian.text


def test_russian_plurals_in_mail_subjects(app, client, factory, smtp):
    site = factory.site(default_lang="ru")
    factory.editor("ru@news.example", sites=[site], language="ru")
    post_report(client, site.key, exact="один", prefix="x ", suffix=" y")
    run_sender(app)
    post_report(client, site.key, exact="два", prefix="x ", suffix=" y")
    post_report(client, site.key, exact="три", prefix="x ", suffix=" y")
    app.config["ERRATA_MAIL_WINDOW_MINUTES"] = 0
    run_sender(app)
    subjects = [m.subject for m in smtp.inbox.to("ru@news.example")]
    assert subjects == ["1 новое исправление на сайте News Example",
                        "2 новых исправления на сайте News Example"]
