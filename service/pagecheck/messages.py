"""What a page check's reason key says to a person, in their language.

Checks store a key (``gone``, ``status:404``, ``not_html:application/pdf``…) so the text is
translated when shown, not frozen in the language of whoever ran the check.
"""

from __future__ import annotations

from flask_babel import format_decimal

from service.i18n import _, ngettext
from service.pagecheck.fetch import MAX_BYTES, MAX_REDIRECTS, TOTAL_TIMEOUT


def state_label(state: str | None) -> str:
    if state == "present":
        return _("Error still on the page")
    if state == "gone":
        return _("Looks fixed")
    if state == "unknown":
        return _("Can't tell")
    return _("Not checked yet")


def describe(reason: str | None) -> str:
    """One sentence for the editor from a stored reason key."""
    key, _sep, param = (reason or "").partition(":")
    texts = {
        "in_context": _("The quote is on the page, in its context."),
        "context_edited": _("The quote is on the page; the text around it changed a little."),
        "short_context_present": _("The quote is on the page (too little context was "
                                   "reported to compare the text around it)."),
        "short_context_absent": _("The quote is not on the page, and too little context was "
                                  "reported to tell where it was."),
        "nothing_found": _("Neither the quote nor the text around it is on the page."),
        "quote_elsewhere": _("The quote is on the page, but not in the text it was "
                             "reported in."),
        "context_not_found": _("The text around the quote was not found with confidence."),
        "no_quote": _("The report has no quote to look for."),
        "no_text": _("The page has no visible text."),
        "not_origin": _("The page's address is not on one of the site's origins."),
        "timeout": ngettext("The page took longer than %(num)d second.",
                            "The page took longer than %(num)d seconds.", int(TOTAL_TIMEOUT)),
        "foreign_redirect": _("The page redirects to another site; Errata does not follow."),
        "too_many_redirects": ngettext("The page redirects more than %(num)d time.",
                                       "The page redirects more than %(num)d times.",
                                       MAX_REDIRECTS),
        "too_large": _("The page is larger than %(size)s MB.",
                       size=format_decimal(MAX_BYTES / 2**20)),
        "unreachable": _("The site could not be reached."),
        "not_modified": _("The page has not changed since the last check."),
    }
    if key == "gone":
        if param:
            return _("The text around the quote was found, but the quote is no longer in "
                     "it. It now reads: “%(text)s”", text=param)
        return _("The text around the quote was found, but the quote is no longer in it.")
    if key == "status":
        return _("The page answered with status %(status)s.", status=param)
    if key == "busy":
        return _("The site answered %(status)s (busy); Errata will try again later.",
                 status=param)
    if key == "wait":
        return _("The site asked Errata to wait; next try in %(seconds)s s.", seconds=param)
    if key == "not_html":
        return _("The page is not HTML (%(type)s).", type=param)
    if key == "read_error":
        return _("The page could not be read (%(error)s).", error=param)
    return texts.get(key, reason or "")
