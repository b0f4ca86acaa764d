"""The one place where reader text is made clean before it is stored.

Stored text is plain: HTML is stripped with bleach, entities decoded, then control
characters removed, Unicode normalised (NFC), whitespace collapsed. Output is escaped by
Jinja as well; this module only keeps the database free of markup.

bleach documents its ``Cleaner`` as not thread-safe (its html5lib parser and tree walker
keep state between calls), and production runs gunicorn's threaded workers: each thread
gets a cleaner of its own (``threading.local``), made on its first use and then reused.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata

import bleach

ALLOWED_TAGS: frozenset[str] = frozenset()
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {}

_local = threading.local()


def _no_error_log(errorcode: str = "", datavars: object = None) -> None:
    """Stands in for html5lib's ``HTMLParser.parseError`` (see :func:`_cleaner`)."""


def _cleaner() -> bleach.Cleaner:
    """This thread's cleaner."""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=[], strip=True,
            strip_comments=True,
        )
        # A lenient html5lib parser (bleach's is) only appends each parse error, with its
        # line and column, to a list nobody reads; on hostile markup, where every character
        # is an error, that bookkeeping was a third of the parse. The parse is unchanged.
        cleaner.parser.parseError = _no_error_log
    return cleaner


# C0/C1 controls (keeping \t \n \r, which whitespace handling deals with), the bidi
# overrides and isolates used to make text display differently from what it is, and the
# noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF), which are never text and of which
# U+FFFE/U+FFFF would make the public Atom feed invalid XML. Marks such as U+200E/U+200F and
# the zero-width (non-)joiners stay: real scripts need them.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF)
                                           for plane in range(0, 0x110000, 0x10000))
_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                      f"{_NONCHARACTERS}]")
# What an HTML tokenizer could read as the start of a tag, an end tag, a comment or a
# doctype. Text without any of these is not changed by bleach except for its entities, so
# it skips the parser: a body of 2,000 "<" then costs a regex scan, not an html5lib parse.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
# A lone UTF-16 surrogate: JSON can carry one ("\ud800"), but no database can store it.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half of a UTF-16 surrogate pair (it can't be encoded)."""
    return _SURROGATE.search(text) is not None


def strip_html(text: str) -> str:
    """Remove tags, keep their text, decode entities.

    Repeated (at most three rounds) because an entity can decode into a tag:
    ``&lt;b&gt;`` is text, but once decoded it is markup, and it is stripped too.
    """
    for _ in range(3):
        if "<" not in text and "&" not in text:
            return text  # nothing to decode or strip; the common case, kept fast
        if _MARKUP.search(text):
            cleaned = html.unescape(_cleaner().clean(text))
        else:
            cleaned = html.unescape(text)
        if cleaned == text:
            return cleaned
        text = cleaned
    return text.replace("<", "‹").replace(">", "›")


def plain_line(value: str) -> str:
    """One line of text that is not HTML (an email address): normalised, controls stripped,
    whitespace collapsed. Entities are left alone."""
    return " ".join(_CONTROL.sub("", unicodedata.normalize("NFC", value)).split())


def clean_text(value: str, *, multiline: bool = False, keep_edges: bool = False) -> str:
    """Normalise, strip HTML, decode entities, strip controls, collapse whitespace.

    Entities are decoded before controls are stripped, so ``&#x202e;`` is removed like a
    literal U+202E. ``multiline`` keeps single line breaks (and at most one blank line):
    reader comments are easier to read with their paragraphs. ``keep_edges`` keeps one space
    at either end where there was whitespace: for a quote's prefix and suffix it tells "the
    quick |brown|" from a selection inside a word, "rec|ie|ve".
    """
    # Controls go before the HTML parser too: it would turn them into "?".
    text = strip_html(unicodedata.normalize("NFC", _CONTROL.sub("", value)))
    # Decoding may have made characters that combine: normalise again (cheap when nothing
    # changes).
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    if keep_edges:
        return _ANY_SPACES.sub(" ", text)
    if not multiline:
        return " ".join(text.split())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
