"""Page URLs and origins, read exactly as browsers read them (the WHATWG URL Standard).

Every URL that may become a link is parsed with ``ada-url`` (the WHATWG parser Node.js
uses), not ``urllib``: they disagree on inputs such as ``https://evil.example\\@a.example/``,
where a browser treats ``\\`` as ``/`` and goes to ``evil.example`` while ``urlsplit`` reads
the host as ``a.example``. What is checked against a site's origins, stored and linked is
the re-serialised URL, so the host we check is the host a reader's browser opens.

Origins are kept as browsers send them in ``Origin``: IDN hosts in Punycode
(``https://xn--e1afmkfd.xn--p1ai``); :func:`display_origin` gives the Unicode form for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode

from ada_url import URL, idna_to_unicode

TRACKING_PARAMS = frozenset({"gclid", "fbclid", "yclid", "_openstat"})
SCHEMES = ("http:", "https:")
# What must not be shown decoded: whitespace, controls, zero-width and bidi characters.
_HIDDEN = re.compile("[\x00-\x20\x7f-\xa0\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


class BadURL(ValueError):
    """Its message is an English fragment ("must be an http or https address"): the API's
    ``fields`` show it as it is; the site form translates it (marked with ``N_``)."""


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "extract, translate later"
    return message


def parse(url: str) -> URL:
    """``url`` as a browser reads it; http(s) with a host only."""
    try:
        parsed = URL(url)
    except ValueError as exc:
        raise BadURL(N_("is not a valid address")) from exc
    if parsed.protocol not in SCHEMES:
        raise BadURL(N_("must be an http or https address"))
    if not parsed.hostname:
        raise BadURL(N_("has no host"))
    return parsed


def browser_url(url: str) -> str:
    """``url`` re-serialised as a browser would open it, without its fragment."""
    parsed = parse(url)
    parsed.hash = ""
    return parsed.href


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` with the default port dropped, as browsers send ``Origin``."""
    return parse(url).origin


def normalize_url(url: str) -> str:
    """The grouping key of a page: the browser's URL without fragment, user info and tracking
    parameters (``utm_*``, gclid, fbclid, yclid, _openstat), the query sorted, a trailing
    slash dropped except on ``/``."""
    parsed = parse(url)
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parsed.search[1:], keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    )
    path = parsed.pathname or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    search = f"?{urlencode(query)}" if query else ""
    return f"{parsed.origin}{path}{search}"


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def normalize_origin(value: str) -> str:
    """An allowed origin as typed by an admin (``https://Пример.рф/``) in the form browsers
    send in ``Origin`` (``https://xn--e1afmkfd.xn--p1ai``)."""
    value = value.strip()
    if "://" not in value:
        raise BadURL(N_("must start with http:// or https://"))
    parsed = parse(value)
    if parsed.pathname not in ("", "/") or parsed.search or parsed.hash:
        raise BadURL(N_("must be only scheme, host and port, without a path"))
    if parsed.username or parsed.password:
        raise BadURL(N_("must not hold a user name or password"))
    return parsed.origin


def display_origin(origin: str) -> str:
    """An origin for people: its host in Unicode where it is an IDN (``https://пример.рф``)."""
    try:
        parsed = parse(origin)
    except BadURL:
        return origin
    host = parsed.hostname
    if "xn--" not in host:
        return origin
    try:
        unicode_host = idna_to_unicode(host)
    except ValueError:
        return origin
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.protocol}//{unicode_host}{port}"


def display_url(url: str) -> str:
    """A stored page URL for people: the host in Unicode, the path and query decoded where
    they are UTF-8 text (``https://пример.рф/новости``). Spaces, controls and bidi marks
    stay percent-encoded, so what is shown can't hide or reorder anything. For display
    only, never a link's target."""
    try:
        parsed = parse(url)
    except BadURL:
        return url
    if not url.startswith(parsed.origin):
        return url  # not in the browser's form: shown as stored
    tail = url[len(parsed.origin):]
    try:
        decoded = unquote(tail, errors="strict")
    except UnicodeDecodeError:
        decoded = tail
    if _HIDDEN.search(decoded):
        decoded = tail
    return display_origin(parsed.origin) + decoded


def link_on(url: str | None, origins: Iterable[str]) -> str:
    """``url`` as a browser would open it, when that is a page of one of ``origins``; else "".

    A stored URL is shown as a link only through this: one that a browser would take to
    another host than the site's (stored before URLs were read as browsers read them) is
    text, never a link."""
    if not url:
        return ""
    try:
        parsed = parse(url.strip())
    except BadURL:
        return ""
    return parsed.href if parsed.origin in set(origins) else ""
