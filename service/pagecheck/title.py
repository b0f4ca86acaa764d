"""The article's title as its own page gives it: what the public corrections log names an
article by (never the title a reader's browser sent, which nobody reviewed).

The rule, predictable from the page's source (docs/page-checks.md):

1. The page's ``<title>`` (the first one), its whitespace collapsed.
2. When that title begins with the text of one of the page's ``<h1>`` headings or with its
   ``og:title``, followed by a space and a separator (``| - – — · • : / » ~``) and more,
   only that beginning is kept: what follows is the site's name ("Tram line approved –
   The Riverside Gazette" with the heading "Tram line approved" gives the heading). Of
   several such beginnings, the longest.
3. A page with no (or an empty) ``<title>`` gives its ``og:title``.
4. Anything else gives no title, and the log shows the link alone.

The page is hostile input like a report: the result is cleaned as stored text is
(``service.sanitize.clean_text``: tags and entities, controls, bidi overrides and
noncharacters, NFC, whitespace) and cut to ``MAX_TITLE`` characters at a word. Output is
escaped by the templates (HTML and Atom) as any text is.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from service.sanitize import clean_text

MAX_TITLE = 300  # characters stored (Correction.page_title)
# Read of each candidate before cleaning: a title of a megabyte costs no more than this.
_RAW_LIMIT = 4 * MAX_TITLE
_MAX_HEADINGS = 10  # h1 elements compared with the title
_TITLES = etree.XPath("//title[not(ancestor::svg)]")  # an icon's <title> names the icon
_OG_TITLES = etree.XPath("//meta[@property='og:title' or @name='og:title']/@content")
_SITE_SUFFIX = re.compile(r"\s+[|\-–—·•:/»~]+\s*\S")


def clean_title(raw: str | None) -> str:
    """``raw`` as text fit to store and publish: cleaned, at most ``MAX_TITLE`` characters
    (cut at a word, with an ellipsis)."""
    if not raw:
        return ""
    text = clean_text(raw[:_RAW_LIMIT])
    if len(text) <= MAX_TITLE:
        return text
    cut = text[:MAX_TITLE - 1]
    space = cut.rfind(" ")
    if space > MAX_TITLE // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _text(el) -> str:
    return clean_title(el.text_content())


def page_title(root: lxml.html.HtmlElement) -> str:
    """The title of the parsed page ``root`` by the rule above; "" when it has none."""
    title = next((t for t in (_text(el) for el in _TITLES(root)) if t), "")
    og = next((t for t in (clean_title(v) for v in _OG_TITLES(root)) if t), "")
    if not title:
        return og
    heads = [og] + [_text(el) for _n, el in zip(range(_MAX_HEADINGS), root.iter("h1"),
                                                strict=False)]
    kept = [h for h in heads
            if h and title.startswith(h) and _SITE_SUFFIX.match(title, len(h))]
    return max(kept, key=len) if kept else title
