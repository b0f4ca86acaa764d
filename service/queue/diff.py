"""A word-level diff of the quoted text and the reader's suggestion, for people to read.

Words, runs of spaces and punctuation marks are the units, so "collegiums" → "collegia"
shows as one replaced word rather than a character soup. Every piece of reader text is
escaped before it is wrapped in ``<del>``/``<ins>``; the result is safe to insert as HTML.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def diff_ops(old: str, new: str) -> list[tuple[str, str]]:
    """``[(op, text)]`` with op one of ``"same"``, ``"del"``, ``"ins"``, in reading order."""
    a, b = tokens(old), tokens(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


def word_diff(old: str, new: str) -> Markup:
    """HTML for old → new: removed words in ``<del>``, added words in ``<ins>``."""
    parts = []
    for op, text in diff_ops(old, new):
        if op == "same":
            parts.append(escape(text))
        else:
            parts.append(Markup(f"<{op}>{escape(text)}</{op}>"))
    return Markup("").join(parts)
