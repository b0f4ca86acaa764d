"""The queue's text search, over an index instead of every row.

Migration 0012 keeps one row per correction in ``correction_search``: its quote, suggestion,
address, title and readers' comments, folded (any case, «ё» as «е»). A search finds the
text anywhere, inside words too ("инистр" finds «Министр», "ollegi" finds "collegiums"):

- SQLite: an FTS5 trigram index; a phrase of three or more characters is a ``MATCH`` (the
  index), a shorter one a ``GLOB`` over the folded text with each letter in both cases;
- PostgreSQL: ``LIKE '%…%'`` over the folded text, which its pg_trgm GIN index answers.

A page of the queue (``page_condition``) reads the index only when that is the cheaper way.
Reading every match costs in proportion to their number (on PostgreSQL, to the number of
candidates, each checked on its row: a phrase of common words, "of the", has many more
candidates than matches), so a frequent text ("the", «ещё») would cost more than the page.
For those the page walks its own sort order instead (the same index ranges as without a
search), checks each correction's folded text, and stops when the page is full: with a
fraction f of the corrections matching, about PAGE_SIZE/f rows a range. Which way:

- PostgreSQL first checks the newest 500 corrections one by one, for the text and for each
  of its words, and walks when PAGE_SIZE/f rows are fewer than the index's candidates;
- then (SQLite always) the index is read with a cap: more matches than the cap, and the page
  walks; also when the rows the walk would read at all (the page's index ranges: its
  sites, statuses, "mine"; not a kind or "looks fixed", checked on each row read) are
  fewer than the matches (a quarter of them on SQLite); else the matching ids are the
  condition. The cap is √(PAGE_SIZE·N), N the number
  of corrections, where the two costs meet (×4 on SQLite, whose index is cheaper to read
  than a row is to check): 3,200 (12,800) at 200,000 corrections, i.e. 1,000,000 reports.

Either way the page holds the same rows. The CSV export, which wants every match, reads the
whole index (``matches``).
"""

from __future__ import annotations

import math

from sqlalchemy import ARRAY, Integer, and_, any_, column, func, literal, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from service.models import Correction

TABLE = "correction_search"
_sqlite = table(TABLE, column("rowid", Integer), column("body"))
_pg = table(TABLE, column("correction_id", Integer), column("body"))


def is_search_table(name: str | None) -> bool:
    """The index's own tables (FTS5 adds shadow tables), which no model describes."""
    return bool(name) and (name == TABLE or name.startswith(TABLE + "_"))


def fold(q: str) -> str:
    """«ё» as «е» (the index stores it so); case is left to each database's matching."""
    return q.replace("ё", "е").replace("Ё", "Е")


def _glob_pattern(q: str) -> str:
    out = []
    for ch in q:
        cases = {ch, ch.lower(), ch.upper()}
        if len(cases) == 1 and ch not in "*?[]":
            out.append(ch)
        else:
            out.append("[" + "".join(sorted(cases)) + "]")
    return "*" + "".join(out) + "*"


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _hits(q: str, dialect: str):
    """The ids of every correction whose text contains ``q``, read from the index."""
    q = fold(q)
    if dialect == "postgresql":
        return select(_pg.c.correction_id.label("id")).where(
            _pg.c.body.like(func.errata_search_fold(literal(_like_pattern(q))), escape="\\"))
    if len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        return select(_sqlite.c.rowid.label("id")).where(_sqlite.c.body.op("MATCH")(phrase))
    return select(_sqlite.c.rowid.label("id")).where(
        _sqlite.c.body.op("GLOB")(_glob_pattern(q)))


def matches(q: str, dialect: str) -> ColumnElement[bool]:
    """A condition on ``Correction.id``: its text contains ``q``, for every match at once.

    The index is read once per statement (a CTE), however many branches of the queue's
    UNION ALL use the condition."""
    found = _hits(q, dialect).cte("search_hits")
    return Correction.id.in_(select(found.c.id))


def _contains(q: str, dialect: str) -> ColumnElement[bool]:
    """A condition on one correction, checked on its own folded text (no index)."""
    q = fold(q)
    if dialect == "postgresql":
        body = select(_pg.c.body).where(_pg.c.correction_id == Correction.id).scalar_subquery()
        return body.like(func.errata_search_fold(literal(_like_pattern(q))), escape="\\")
    body = select(_sqlite.c.body).where(_sqlite.c.rowid == Correction.id).scalar_subquery()
    if q.isascii():  # SQLite's LIKE folds ASCII letters only, and is twice GLOB's speed
        return body.like(_like_pattern(q), escape="\\")
    return body.op("GLOB")(_glob_pattern(q))


# How much more a row costs to check on its own than to read from the index: on SQLite the
# FTS5 index yields a match in well under a microsecond and checking a row's text takes 2–5
# µs; on PostgreSQL both take a few µs (each candidate the index gives is checked on its row).
_CAP_FACTOR = {"sqlite": 4}
# PostgreSQL: the newest corrections, checked one by one to weigh the two ways.
SAMPLE = 500


def _walk_is_cheaper(session: Session, q: str, newest: int, page_size: int) -> bool:
    """PostgreSQL: whether walking the page's order costs fewer row checks than the index.

    The walk checks about page_size / f rows (f: the fraction of corrections that match);
    the index checks every candidate, i.e. every correction holding each word of the text
    (a phrase of common words, "of the", has many more candidates than matches). Both
    fractions are taken from the newest corrections, which are also the queue's first
    pages."""
    q = fold(q)
    pattern = [func.errata_search_fold(literal(_like_pattern(w))) for w in [q, *q.split()]]
    matched, *each_word = (_pg.c.body.like(p, escape="\\") for p in pattern)
    hits, candidates, seen = session.execute(
        select(func.count().filter(matched), func.count().filter(and_(*each_word)),
               func.count()).where(_pg.c.correction_id > newest - SAMPLE)).one()
    # page_size · seen / hits rows walked < candidates / seen · newest rows checked
    return hits > 0 and page_size * seen * seen < hits * candidates * newest


def page_condition(session: Session, q: str, page_size: int,
                   scope: Select | None = None) -> ColumnElement[bool]:
    """A condition on ``Correction.id`` for one page of the queue (see the module's notes):
    the matching ids when the index holds few, else a check of each row the page reads.

    ``scope`` selects the ids of every row the page's walk would read (its index ranges:
    sites, statuses, "mine"; no search, and no filter checked row by row, which would make
    counting them read every row of the ranges): when those are fewer than the index's
    matches, however rare the text is among all corrections, the walk is the cheaper way
    (an editor of one small site searching a word that is frequent on the others)."""
    dialect = session.get_bind().dialect.name
    newest = session.scalar(select(func.max(Correction.id))) or 0
    cap = max(100, math.isqrt(page_size * newest)) * _CAP_FACTOR.get(dialect, 1)
    walk = dialect == "postgresql" and _walk_is_cheaper(session, q, newest, page_size)
    if not walk:
        # One row back: how many (up to the cap, and one more) and which, as one value.
        probe = _hits(q, dialect).limit(cap + 1).subquery()
        collect = func.array_agg if dialect == "postgresql" else func.json_group_array
        found, ids = session.execute(select(func.count(), collect(probe.c.id))).one()
        walk = found > cap
        if not walk and scope is not None and found:
            # Rows walked cost the cap's factor more than ids read: walk only when the
            # page's own rows are that much fewer (counted up to that bound, no further).
            bound = max(0, found // _CAP_FACTOR.get(dialect, 1) - 1)
            rows = session.scalar(select(func.count()).select_from(
                scope.limit(bound + 1).subquery()))
            walk = rows <= bound
    if walk:
        if dialect == "postgresql":
            # The planner can't know how soon the walk fills the page and may cost it high
            # enough to compile it (JIT), which takes longer than the walk itself.
            session.execute(text("SET LOCAL jit = off"))
        return _contains(q, dialect)
    if dialect == "postgresql":
        return Correction.id == any_(literal(ids or [], ARRAY(Integer)))
    listed = select(column("value", Integer)).select_from(func.json_each(literal(ids))) \
        .cte("search_hits")
    return Correction.id.in_(select(listed.c.value))
