"""The queue's text search, over an index instead of every row.

Migration 0012 keeps one row per correction in ``correction_search``: its quote, suggestion,
address, title and readers' comments, folded (any case, «ё» as «е»). A search finds the
text anywhere, inside words too ("инистр" finds «Министр», "ollegi" finds "collegiums"):

- SQLite: an FTS5 trigram index; a phrase of three or more characters is a ``MATCH`` (the
  index), a shorter one a ``GLOB`` over the folded text with each letter in both cases;
- PostgreSQL: ``LIKE '%…%'`` over the folded text, which its pg_trgm GIN index answers.
"""

from __future__ import annotations

from sqlalchemy import Integer, column, func, literal, select, table
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


def matches(q: str, dialect: str) -> ColumnElement[bool]:
    """A condition on ``Correction.id``: its text contains ``q``.

    The index is read once per statement (a CTE), however many branches of the queue's
    UNION ALL use the condition: on frequent words that read is most of the cost."""
    q = fold(q)
    if dialect == "postgresql":
        hits = select(_pg.c.correction_id.label("id")).where(
            _pg.c.body.like(func.errata_search_fold(literal(_like_pattern(q))), escape="\\"))
    elif len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        hits = select(_sqlite.c.rowid.label("id")).where(_sqlite.c.body.op("MATCH")(phrase))
    else:
        hits = select(_sqlite.c.rowid.label("id")).where(
            _sqlite.c.body.op("GLOB")(_glob_pattern(q)))
    found = hits.cte("search_hits")
    return Correction.id.in_(select(found.c.id))
