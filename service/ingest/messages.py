"""The sentences a reader may see when a report can't be taken, in the page's language.

The snippet shows ``message`` as it is, so it is written for the reader, not the developer;
``fields`` (for developers) stay in English. A language is one more dictionary here.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unsupported_media_type": "Send the report as JSON (text/plain or application/json).",
        "too_large": "The report is too long; please shorten the comment.",
        "invalid": "Some fields of the report are not valid.",
        "unknown_site": "This site is not registered with Errata.",
        "origin_not_allowed": "Reports for this site are not accepted from this page's address.",
        "rate_limited": "Too many reports from you right now; please try again later.",
        "unavailable": "The service is busy; the report will be sent again.",
    },
    "ru": {
        "unsupported_media_type": "Отправьте сообщение в формате JSON (text/plain или "
                                  "application/json).",
        "too_large": "Сообщение слишком длинное, сократите, пожалуйста, комментарий.",
        "invalid": "Некоторые поля сообщения заполнены неверно.",
        "unknown_site": "Этот сайт не подключён к Errata.",
        "origin_not_allowed": "Сообщения для этого сайта не принимаются с адреса этой страницы.",
        "rate_limited": "Слишком много сообщений от вас за короткое время; попробуйте позже.",
        "unavailable": "Сервис занят; сообщение будет отправлено повторно.",
    },
}


def message(code: str, lang: str | None) -> str:
    """The sentence for ``code`` in ``lang`` (a BCP 47 tag such as ``ru-RU``), else English."""
    primary = (lang or "").split("-", 1)[0].lower()
    table = MESSAGES.get(primary, MESSAGES["en"])
    return table.get(code) or MESSAGES["en"][code]
