"""Is a report's quote still on its page? Visible text, then anchoring by quote and context.

``visible_text`` turns HTML into the text a reader sees; ``locate`` finds the report's context
(prefix + quote + suffix) in it: exactly first, then fuzzily with rapidfuzz, so edits elsewhere
on the page and small edits inside the context don't break the check. ``gone`` needs the
context found with confidence and the quote missing from it; anything less sure is
``unknown``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import lxml.html
from lxml import etree
from rapidfuzz import fuzz

PRESENT, GONE, UNKNOWN = "present", "gone", "unknown"

# Never shown to a reader: their text is not the article's.
INVISIBLE = {"script", "style", "template", "noscript", "head", "title", "svg", "iframe",
             "object", "canvas", "select", "datalist"}
# Elements that start a new line of text when rendered; inline ones (a, em, span…) do not,
# so "colle<span>giums</span>" stays one word.
BLOCKS = {"address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div",
          "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
          "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
          "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "body",
          "html", "option", "button", "label", "input", "textarea", "img", "picture",
          "video", "audio"}
# Invisible characters CMSs put inside words (soft hyphens, zero-width spaces and joiners).
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_CHARS = re.compile(f"[{_INVISIBLE}]")

# How sure the fuzzy anchoring must be (rapidfuzz scores, 0-100).
CONFIDENT = 88.0  # the context found where the quote was: enough to say "gone"
SIMILAR = 72.0  # the quote found inside a context this similar counts as present
MIN_CONTEXT = 16  # characters of prefix + suffix below which only exact matches count
SEED = 12  # length of the exact pieces that find candidate places in a long page
MAX_PLACES = 40  # candidate places examined with the (slower) fuzzy alignment


def normalize(text: str) -> str:
    """NFC, invisible characters dropped, every run of whitespace (NBSP too) one space."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if any(ch in text for ch in _INVISIBLE):  # a plain scan each, far cheaper than a regex
        text = _INVISIBLE_CHARS.sub("", text)
    # str.split() knows Unicode whitespace (NBSP too) and is several times faster than \s+;
    # one space is kept at either end, where a prefix or suffix meets the quote.
    core = " ".join(text.split())
    if not core:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + core + (" " if text[-1].isspace() else "")


# A declaration the parser reads itself: a byte order mark, or <meta charset> / <meta
# http-equiv> in the first 1,024 bytes, where browsers' prescan looks for it.
_DECLARED = re.compile(rb"\A(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)|<meta[^>]*charset", re.I)


def sniff_encoding(body: bytes) -> str | None:
    """UTF-8 for a page that declares no encoding but is valid UTF-8, as browsers detect it;
    None to let the parser decide (a declaration in the page, or else Latin-1). Without
    this, a Russian page served as plain ``text/html`` read as mojibake: every quote on it
    "gone", and on an auto-closing site its corrections closed as fixed."""
    if _DECLARED.search(body[:1024]):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def parse(html: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement:
    """The document of ``html``, decoded with ``encoding`` when the server named one that
    exists, else as the page declares or as ``sniff_encoding`` finds. A body with nothing
    to parse (empty, only spaces or a comment) is an empty document, not an error: its
    check says "no visible text"."""
    try:
        if isinstance(html, bytes):
            root = _decoded(html, encoding)
            if root is None:  # sniffed only when the server named no encoding that works
                root = _decoded(html, sniff_encoding(html))
            if root is not None:
                return root
        return lxml.html.document_fromstring(html)
    except etree.ParserError:  # lxml's "Document is empty"
        return lxml.html.document_fromstring("<html></html>")


def _decoded(html: bytes, encoding: str | None) -> lxml.html.HtmlElement | None:
    """The document decoded with ``encoding``; None when there is none or no codec has it."""
    if not encoding:
        return None
    try:
        return lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(encoding=encoding))
    except (LookupError, ValueError):
        return None


def visible_text(html: bytes | str | lxml.html.HtmlElement, encoding: str | None = None) -> str:
    """The text of ``html`` a reader sees, entities decoded, normalized (see ``normalize``).

    Skips ``INVISIBLE`` elements, comments and anything under an element with the ``hidden``
    attribute or an inline ``display:none``/``visibility:hidden``. The walking is lxml's (in
    C): hidden subtrees are dropped, block elements get line breaks around them, and
    ``text_content()`` joins the rest, about ten times faster than a Python walk on 1 MB.
    A document already parsed (``parse``) is used up: its hidden parts are dropped from it.
    """
    root = html if isinstance(html, lxml.html.HtmlElement) else parse(html, encoding)
    for el in _HIDDEN(root):
        el.drop_tree()  # keeps the element's tail: the text after it is visible
    for el in root.iter(*BLOCKS):
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")
    return normalize(root.text_content()).strip()


_LOWER = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ ', 'abcdefghijklmnopqrstuvwxyz')"
_HIDDEN = etree.XPath(
    " | ".join(f"//{tag}" for tag in sorted(INVISIBLE))
    + f" | //*[@hidden] | //*[contains({_LOWER}, 'display:none')]"
    + f" | //*[contains({_LOWER}, 'visibility:hidden')]"
)


@dataclass(frozen=True)
class Result:
    state: str  # present / gone / unknown
    reason: str  # a key of service.pagecheck.messages.REASONS
    now_reads: str = ""  # with "gone": what the page has in the quote's place


@dataclass
class _Place:
    score: float  # how well the context matches here, 0-100
    has_quote: bool
    gap: str
    at: int  # where the quote is or was


def locate(text: str, exact: str, prefix: str = "", suffix: str = "",
           hint: int | None = None) -> Result:
    """Where ``exact`` (with ``prefix``/``suffix``) is in the page ``text``.

    ``text`` is ``visible_text`` output; the quote's parts are normalized here. ``hint`` is
    the report's ``start`` offset: among equally good places, the nearest wins.
    """
    exact = normalize(exact).strip()
    prefix, suffix = normalize(prefix).lstrip(), normalize(suffix).rstrip()
    if not exact:
        return Result(UNKNOWN, "no_quote")
    if not text:
        return Result(UNKNOWN, "no_text")
    needle = prefix + exact + suffix
    if needle in text:
        return Result(PRESENT, "in_context")
    context_len = len(prefix.strip()) + len(suffix.strip())
    if context_len < MIN_CONTEXT:
        if exact in text:
            return Result(PRESENT, "short_context_present")
        return Result(UNKNOWN, "short_context_absent")

    places = [_measure(text, start, exact, prefix, suffix)
              for start in _candidates(text, needle, exact, hint)]
    places = [p for p in places if p is not None]
    if not places:
        return Result(UNKNOWN, "nothing_found")

    def rank(p: _Place) -> tuple:
        return (round(p.score), p.has_quote, -abs(p.at - hint) if hint is not None else 0)

    best = max(places, key=rank)
    if best.has_quote and best.score >= SIMILAR:
        return Result(PRESENT, "context_edited" if best.score < 100 else "in_context")
    if best.score >= CONFIDENT and not best.has_quote:
        now = best.gap.strip()
        return Result(GONE, "gone", now_reads=now[:200])
    if exact in text:
        return Result(UNKNOWN, "quote_elsewhere")
    return Result(UNKNOWN, "context_not_found")


def _candidates(text: str, needle: str, exact: str, hint: int | None) -> list[int]:
    """Window starts worth aligning: where exact pieces of the context occur, most hits
    first. A small edit leaves most ``SEED``-character pieces intact."""
    span = len(needle)
    votes: dict[int, int] = {}
    step = max(1, min(SEED // 2, (len(needle) - SEED) // 24 or 1))
    for offset in range(0, max(1, len(needle) - SEED + 1), step):
        piece = needle[offset:offset + SEED]
        if not piece.strip():
            continue
        found = text.find(piece)
        hits = 0
        while found != -1 and hits < 50:
            # Bucket by where the whole needle would start, to a quarter of its length.
            start = max(0, found - offset)
            bucket = start // max(1, span // 4)
            votes[bucket] = votes.get(bucket, 0) + 1
            hits += 1
            found = text.find(piece, found + 1)
    if hint is not None and 0 <= hint < len(text):
        votes.setdefault(max(0, hint - len(needle)) // max(1, span // 4), 0)
    ranked = sorted(votes, key=lambda b: -votes[b])[:MAX_PLACES]
    return [b * max(1, span // 4) for b in ranked]


def _measure(text: str, start: int, exact: str, prefix: str, suffix: str) -> _Place | None:
    """Align the context in a window of ``text`` around ``start``; None when it isn't there.

    The prefix is aligned first, then the suffix after it; what lies between is where the
    quote was. The score weighs each side by its length.
    """
    slack = len(exact) * 2 + 64
    lo = max(0, start - slack)
    window = text[lo:start + len(prefix) + len(exact) + len(suffix) + 2 * slack]
    p_len, s_len = len(prefix.strip()), len(suffix.strip())
    if prefix.strip():
        pa = fuzz.partial_ratio_alignment(prefix, window)
        if pa is None:
            return None
        p_score, gap_from = pa.score, pa.dest_end
    else:
        p_score, gap_from = 0.0, None
    if suffix.strip():
        after = gap_from if gap_from is not None else 0
        rest = window[after:after + len(exact) * 3 + len(suffix) + 64]
        sa = fuzz.partial_ratio_alignment(suffix, rest)
        if sa is None:
            return None
        s_score, gap_to = sa.score, after + sa.dest_start
    else:
        s_score, gap_to = 0.0, None
    if gap_from is None:  # no prefix: the quote ended where the suffix starts
        gap_from = max(0, gap_to - len(exact) - 32)
        gap = window[gap_from:gap_to]
        has_quote = gap.rstrip().endswith(exact)
    elif gap_to is None:  # no suffix: the quote started where the prefix ends
        gap_to = gap_from + len(exact) + 32
        gap = window[gap_from:gap_to]
        has_quote = gap.lstrip().startswith(exact)
    else:
        gap = window[gap_from:gap_to]
        has_quote = exact in gap
        # The quote was replaced by something of about its size, not by a whole paragraph.
        if len(gap) > len(exact) * 3 + 80:
            return None
    score = (p_score * p_len + s_score * s_len) / (p_len + s_len)
    return _Place(score=score, has_quote=has_quote, gap=gap, at=lo + gap_from)
