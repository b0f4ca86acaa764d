"""The queue as CSV (``/queue.csv``): the same filters as ``/queue``, every matching row.

A cell a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, a tab or a CR at
the start) is prefixed with an apostrophe, the OWASP advice against CSV injection: readers
write the quotes and suggestions, and an editor opens the file in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from sqlalchemy.orm import Session

from service.mail.messages import absolute
from service.models import Correction, Editor
from service.queue.listing import Filters, matching

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("id", "site", "status", "kind", "url", "title", "quote", "suggestion", "reports",
          "first_reported_at", "last_reported_at", "assignee", "resolved_at", "note", "link")


def neutral(value: object) -> str:
    """``value`` as a cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def row(c: Correction) -> list[str]:
    return [neutral(v) for v in (
        c.id, c.site.name, c.status, c.kind, c.url, c.title, c.exact, c.suggestion,
        c.report_count, _iso(c.first_reported_at), _iso(c.last_reported_at),
        c.assignee.label if c.assignee else "", _iso(c.resolved_at), c.resolution_note,
        absolute(f"/queue/{c.id}"))]


def to_csv(rows: Iterable[list[str]], header: Iterable[str]) -> Iterator[str]:
    """CSV text in chunks (one per row), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(header))
    for line in rows:
        writer.writerow(line)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header alone, when there are no rows


def queue_csv(session: Session, editor: Editor, filters: Filters) -> Iterator[str]:
    """The filtered queue as CSV, read from the database in chunks. A generator: the query
    runs while the response streams, inside the request's context."""
    stmt = matching(session, editor, filters)
    corrections = () if stmt is None else session.scalars(
        stmt.execution_options(yield_per=500))
    yield from to_csv((row(c) for c in corrections), HEADER)
