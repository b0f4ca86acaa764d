"""Grouping repeated reports of the same error into one correction.

Two reports are of the same spot when they are on the same site and normalised URL, one
quote contains the other, and the text around them agrees. Context is compared on its
nearest characters only, since readers select a little more or less of a sentence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.models import OPEN_STATUSES, Status

CONTEXT_CHARS = 24
# Corrections that a new report may join: open ones, and "not an error" ones, which count
# the repeat but stay closed.
GROUPABLE = (*OPEN_STATUSES, Status.REJECTED.value)


_WS = re.compile(r"\s+")


# A page's candidates are compared with every report of the page, so the same few strings
# are folded again and again: the cache makes that a dictionary lookup.
@lru_cache(maxsize=8192)
def _fold(s: str) -> str:
    # Edge spaces are kept on purpose: they say whether a quote starts inside a word.
    return _WS.sub(" ", s.casefold())


def _tails_agree(a: str, b: str) -> bool:
    n = min(len(a), len(b), CONTEXT_CHARS)
    return n == 0 or a[-n:] == b[-n:]


def _heads_agree(a: str, b: str) -> bool:
    n = min(len(a), len(b), CONTEXT_CHARS)
    return n == 0 or a[:n] == b[:n]


def same_spot(
    exact_a: str, prefix_a: str, suffix_a: str, exact_b: str, prefix_b: str, suffix_b: str
) -> bool:
    """True when quote A and quote B point at the same place in the text."""
    ea, eb = _fold(exact_a), _fold(exact_b)
    pa, pb = _fold(prefix_a), _fold(prefix_b)
    sa, sb = _fold(suffix_a), _fold(suffix_b)
    if len(ea) > len(eb):  # let A be the shorter quote
        ea, eb, pa, pb, sa, sb = eb, ea, pb, pa, sb, sa
    start = eb.find(ea)
    while start != -1:
        # A's context, seen from inside B: what B has around the occurrence of A.
        left = pb + eb[:start]
        right = eb[start + len(ea) :] + sb
        if _tails_agree(pa, left) and _heads_agree(sa, right):
            return True
        start = eb.find(ea, start + 1)
    return False


def best_match(candidates: Iterable[Any], exact: str, prefix: str, suffix: str) -> Any | None:
    """The candidate (a row with exact, prefix, suffix, status, last_reported_at, id) for the
    same spot; open ones first, then the most recently reported."""
    matches = [
        c for c in candidates if same_spot(c.exact, c.prefix, c.suffix, exact, prefix, suffix)
    ]
    if not matches:
        return None
    matches.sort(key=lambda c: (c.status in OPEN_STATUSES, c.last_reported_at, c.id), reverse=True)
    return matches[0]


def lock_pages(session: Session, pages: list[tuple[int, str]]) -> None:
    """Serialise grouping on these (site id, URL) pages so concurrent readers can't open two
    corrections for one spot.

    PostgreSQL: a transaction-scoped advisory lock per page, taken in one statement and in
    key order, so two batches that share pages can't deadlock. SQLite: the transaction was
    begun with BEGIN IMMEDIATE (see ``service._tune_sqlite``), which already holds the
    database's write lock.
    """
    if not pages or session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_page_key(site_id, url) for site_id, url in pages})
    session.execute(
        text("SELECT count(pg_advisory_xact_lock(k)) FROM "
             "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS page_keys"),
        {"keys": keys},
    )


def _page_key(site_id: int, url: str) -> int:
    digest = hashlib.blake2b(f"{site_id}\n{url}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
