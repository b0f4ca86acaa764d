"""The sentences a reader may see when a report can't be taken, in the reader's language.

The snippet shows ``message`` as it is, so it is written for the reader, not the developer;
``fields`` (for developers) stay in English. The sentences are in the gettext catalogs
(translations/<lang>/LC_MESSAGES/messages.po) like every other string.

The language is the report's ``lang`` (the page's, as the snippet's dialog speaks it). Some
answers come before the body is parsed — the wrong type (415), too large (413), the per-IP
budget spent (429) — and a report may have no ``lang`` or one we don't speak: those follow
the reader's browser (``Accept-Language``, which it sends with the snippet's request), then
English. Parsing a body only to learn its language would spend on a flood the work the
per-IP budget is counted before to save.
"""

from __future__ import annotations

from service.i18n import best_language, lazy_gettext, normalise_language, speaking

MESSAGES = {
    "unsupported_media_type": lazy_gettext(
        "Send the report as JSON (text/plain or application/json)."),
    "too_large": lazy_gettext("The report is too long; please shorten the comment."),
    "invalid": lazy_gettext("Some fields of the report are not valid."),
    "unknown_site": lazy_gettext("This site is not registered with Errata."),
    "origin_not_allowed": lazy_gettext(
        "Reports for this site are not accepted from this page's address."),
    "rate_limited": lazy_gettext("Too many reports from you right now; please try again later."),
    "unavailable": lazy_gettext("The service is busy; the report will be sent again."),
}


def message(code: str, lang: str | None) -> str:
    """The sentence for ``code`` in ``lang`` (a BCP 47 tag such as ``ru-RU``), else in the
    request's Accept-Language, else English."""
    with speaking(normalise_language(lang) or best_language() or "en"):
        return str(MESSAGES[code])
