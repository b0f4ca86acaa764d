"""The queue's text search, over an index instead of every row.

Migration 0012 keeps one row per correction in ``correction_search``: its quote, suggestion,
address, title and readers' comments, folded (any case, «ё» as «е»). A search finds the
text anywhere, inside words too ("инистр" finds «Министр», "ollegi" finds "collegiums"):

- SQLite: an FTS5 trigram index; a phrase of three or more characters is a ``MATCH`` (the
  index), a shorter one a ``GLOB`` over the folded text with each letter in both cases;
- PostgreSQL: ``LIKE '%…%'`` over the folded text, which its pg_trgm GIN index answers.

A page of the queue (``page_condition``) reads the index only when the text is rare.
Reading every match costs in proportion to their number (on PostgreSQL, to the number of
candidates, each checked on its row: a phrase of common words has many), so a frequent text
("the", «ещё», "of the") would cost more than the page. For those the page walks its own
sort order instead (the same index ranges as without a search), checks each correction's
folded text, and stops when the page is full: with a fraction f of the corrections
matching, about PAGE_SIZE/f rows a range. Which way: the newest 500 corrections are checked
one by one first; if the text is frequent among them, or the index holds more than a cap of
matches, the page walks; else it reads the index. The cap is √(PAGE_SIZE·N), N the number of
corrections, where the two costs meet (×4 on SQLite, whose index is cheaper to read than a
row is to check): 3,200 (12,800) at 200,000 corrections, i.e. 1,000,000 reports. Either way
the page holds the same rows. The CSV export, which wants every match, reads the whole index
(``matches``).
"""

from __future__ import annotations

import math

from sqlalchemy import ARRAY, Integer, any_, column, func, literal, select, table, text
from sqlalchemy.orm import Session
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
# FTS5 index yields a match in about 0.2 µs and checking a row's text takes 2–5 µs; on
# PostgreSQL both take a few µs (each candidate the index gives is checked on its row).
_CAP_FACTOR = {"sqlite": 4}
# The newest corrections checked one by one to tell whether the text is frequent.
SAMPLE = 500


def page_condition(session: Session, q: str, page_size: int) -> ColumnElement[bool]:
    """A condition on ``Correction.id`` for one page of the queue (see the module's notes):
    the matching ids when the index holds few, else a check of each row the page reads."""
    dialect = session.get_bind().dialect.name
    newest = session.scalar(select(func.max(Correction.id))) or 0
    cap = max(100, math.isqrt(page_size * newest)) * _CAP_FACTOR.get(dialect, 1)
    contains = _contains(q, dialect)
    # The newest corrections first: a text frequent among them (so in the queue's first
    # pages) is found faster by the walk, whatever the index would cost; this also spares
    # the index a phrase of common words ("of the"), whose every candidate it must check.
    sampled = session.scalar(select(func.count()).where(Correction.id > newest - SAMPLE,
                                                        contains))
    frequent = sampled * newest > cap * min(SAMPLE, newest)
    if not frequent:
        # One row back: how many (up to the cap, and one more) and which, as one value.
        probe = _hits(q, dialect).limit(cap + 1).subquery()
        collect = func.array_agg if dialect == "postgresql" else func.json_group_array
        found, ids = session.execute(select(func.count(), collect(probe.c.id))).one()
        frequent = found > cap
    if frequent:
        if dialect == "postgresql":
            # The planner can't know how soon the walk fills the page and may cost it high
            # enough to compile it (JIT), which takes longer than the walk itself.
            session.execute(text("SET LOCAL jit = off"))
        return contains
    if dialect == "postgresql":
        return Correction.id == any_(literal(ids or [], ARRAY(Integer)))
    listed = select(column("value", Integer)).select_from(func.json_each(literal(ids))) \
        .cte("search_hits")
    return Correction.id.in_(select(listed.c.value))
