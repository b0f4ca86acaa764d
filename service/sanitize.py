"""The one place where reader text is made clean before it is stored.

Stored text is plain: HTML is stripped with bleach, control characters removed, Unicode
normalised (NFC), whitespace collapsed. Output is escaped by Jinja as well; this module only
keeps the database free of markup.
"""

from __future__ import annotations

import html
import re
import unicodedata

import bleach

ALLOWED_TAGS: frozenset[str] = frozenset()
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {}

_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=[], strip=True, strip_comments=True
)
# C0/C1 controls (keeping \t \n \r, which whitespace handling deals with), and the bidi
# overrides and isolates used to make text display differently from what it is. Marks such
# as U+200E/U+200F and the zero-width (non-)joiners stay: real scripts need them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_html(text: str) -> str:
    """Remove tags, keep their text. Repeated because an entity can decode into a tag."""
    for _ in range(3):
        if "<" not in text and "&" not in text:
            return text  # nothing bleach would change; the common case, kept fast
        cleaned = html.unescape(_CLEANER.clean(text))
        if cleaned == text:
            return cleaned
        text = cleaned
    return text.replace("<", "‹").replace(">", "›")


def clean_text(value: str, *, multiline: bool = False, keep_edges: bool = False) -> str:
    """Normalise, strip HTML and controls, collapse whitespace.

    ``multiline`` keeps single line breaks (and at most one blank line): reader comments
    are easier to read with their paragraphs. ``keep_edges`` keeps one space at either end
    where there was whitespace: for a quote's prefix and suffix it tells "the quick |brown|"
    from a selection inside a word, "rec|ie|ve".
    """
    text = unicodedata.normalize("NFC", value)
    text = _CONTROL.sub("", text)
    text = strip_html(text)
    if keep_edges:
        return _ANY_SPACES.sub(" ", text)
    if not multiline:
        return " ".join(text.split())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
