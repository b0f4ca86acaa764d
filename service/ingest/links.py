"""Text Fragment links (``#:~:text=``) that scroll a browser straight to the reported text.

Per the WICG Scroll-to-Text-Fragment spec a directive is
``text=[prefix-,]start[,end][,-suffix]``; terms are percent-encoded, and ``-``, ``&`` and
``,`` must be encoded because they are the directive's own syntax. Browsers only match terms
at word boundaries, so a selection inside a word ("rec|ie|ve") is widened to whole words, and
the prefix/suffix use a few whole words of context from the same block.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from service.ingest.urls import strip_fragment

CONTEXT_WORDS = 3
# Beyond this many words the link uses the textStart,textEnd form: shorter links, and a
# match that survives small edits in the middle of a long quote.
LONG_QUOTE_WORDS = 10
EDGE_WORDS = 4

_WORD_TAIL = re.compile(r"\w+$")
_WORD_HEAD = re.compile(r"^\w+")


def encode_term(term: str) -> str:
    # quote() leaves "-" alone (it is unreserved in URLs) but it is syntax in a directive.
    return quote(term, safe="").replace("-", "%2D")


def _widen_to_words(prefix: str, exact: str, suffix: str) -> tuple[str, str, str]:
    """Move the partial words at either edge of ``exact`` out of the context into it."""
    if exact[:1].isalnum() or exact[:1] == "_":
        tail = _WORD_TAIL.search(prefix)
        if tail:
            exact = tail.group(0) + exact
            prefix = prefix[: tail.start()]
    if exact[-1:].isalnum() or exact[-1:] == "_":
        head = _WORD_HEAD.search(suffix)
        if head:
            exact = exact + head.group(0)
            suffix = suffix[head.end() :]
    return prefix, exact, suffix


def text_fragment(exact: str, prefix: str = "", suffix: str = "") -> str:
    """The directive itself, e.g. ``text=the-,quick%20brwn,-fox``."""
    prefix, exact, suffix = _widen_to_words(prefix, exact.strip(), suffix)
    words = exact.split()
    if len(words) > LONG_QUOTE_WORDS:
        terms = [" ".join(words[:EDGE_WORDS]), " ".join(words[-EDGE_WORDS:])]
    else:
        terms = [" ".join(words)]
    parts = [encode_term(t) for t in terms]
    before = prefix.split()[-CONTEXT_WORDS:]
    after = suffix.split()[:CONTEXT_WORDS]
    if before:
        parts.insert(0, encode_term(" ".join(before)) + "-")
    if after:
        parts.append("-" + encode_term(" ".join(after)))
    return "text=" + ",".join(parts)


def jump_link(url: str, exact: str, prefix: str = "", suffix: str = "") -> str:
    """The page URL (fragment dropped) with a Text Fragment pointing at the quote."""
    return f"{strip_fragment(url)}#:~:{text_fragment(exact, prefix, suffix)}"
