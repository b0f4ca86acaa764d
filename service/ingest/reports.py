"""Storing a reader's report: group it with repeats or open a new correction.

This is the hot path of the public endpoint, so it uses Core statements (a handful of
columns, no identity map) rather than ORM objects; the queue uses the ORM models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from service.ingest.grouping import GROUPABLE, best_match, lock_pages
from service.ingest.links import jump_link
from service.ingest.validation import ReportInput
from service.models import Correction, Event, Report, Status, utcnow

_LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_SPAM_WORDS = re.compile(
    r"\b(viagra|cialis|casino|porn|crypto ?airdrop|betting|loan offer|seo services)\b",
    re.IGNORECASE,
)
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Outcome:
    report_id: int
    correction_id: int
    created: bool  # a new correction was opened
    count: int  # reports on the correction, this one included
    status: str  # the correction's status


def looks_like_spam(data: ReportInput) -> bool:
    """Two or more links in the comment or suggestion, or the usual spam vocabulary."""
    text = f"{data.comment} {data.suggestion}"
    return len(_LINK.findall(text)) >= 2 or bool(_SPAM_WORDS.search(text))


@dataclass(frozen=True)
class Pending:
    """A validated report whose site, origin and limits were checked, waiting to be stored."""

    site_id: int
    data: ReportInput
    origin: str
    ip_hash: str | None
    user_agent: str | None


class _Spot:
    """A correction a report may join: a row already stored, or one opened in this batch."""

    __slots__ = ("id", "exact", "prefix", "suffix", "status", "last_reported_at",
                 "report_count", "suggestion", "title", "new_values", "changes", "added")

    def __init__(self, row: Any = None, *, new_values: dict[str, Any] | None = None,
                 order: int = 0) -> None:
        source = row if row is not None else SimpleNamespace(**new_values, id=None)
        for name in ("exact", "prefix", "suffix", "status", "last_reported_at",
                     "report_count", "suggestion", "title"):
            setattr(self, name, getattr(source, name))
        # Opened in this batch: newer than any stored row, in the order they were opened.
        self.id = row.id if row is not None else _NEWER + order
        self.new_values = new_values
        self.changes: dict[str, Any] = {}
        self.added = 0  # reports of this batch joining a stored correction


_NEWER = 2**62


def _candidates_query():
    c = Correction.__table__.c
    ranked = (
        select(c.id, c.site_id, c.url, c.exact, c.prefix, c.suffix, c.status,
               c.last_reported_at, c.report_count, c.suggestion, c.title,
               func.row_number().over(partition_by=(c.site_id, c.url),
                                      order_by=c.last_reported_at.desc()).label("rank"))
        .where(tuple_(c.site_id, c.url).in_(bindparam("pages", expanding=True)),
               c.status.in_(GROUPABLE))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank <= MAX_CANDIDATES)


# Built once: composing a statement costs more than running a cached one.
_CANDIDATES = _candidates_query()
_corrections = Correction.__table__
_INSERT_CORRECTIONS = insert(_corrections).returning(_corrections.c.id,
                                                     sort_by_parameter_order=True)
_INSERT_REPORTS = insert(Report.__table__).returning(Report.__table__.c.id,
                                                     sort_by_parameter_order=True)
_INSERT_EVENTS = insert(Event.__table__)
_c = _corrections.c
# Reports joining stored corrections: one executemany for the batch. A suggestion or title
# fills the correction's only while it is empty, as the first reader's one does.
_JOIN = update(_corrections).where(_c.id == bindparam("spot_id")).values(
    report_count=_c.report_count + bindparam("added"),
    last_reported_at=bindparam("now"),
    updated_at=bindparam("now"),
    suggestion=case((_c.suggestion == "", bindparam("new_suggestion")), else_=_c.suggestion),
    title=case((_c.title == "", bindparam("new_title")), else_=_c.title),
)


def _candidates(session: Session, pages: list[tuple[int, str]]) -> dict[tuple[int, str], list]:
    """The groupable corrections of each page, the ``MAX_CANDIDATES`` most recent per page.

    Plain rows: only the few a report joins become a ``_Spot`` (see ``_joinable``)."""
    found: dict[tuple[int, str], list] = {page: [] for page in pages}
    for row in session.execute(_CANDIDATES, {"pages": pages}):
        found[(row.site_id, row.url)].append(row)
    return found


def _joinable(page: list, match: Any) -> _Spot:
    """``match`` as a ``_Spot``, put in its row's place so the batch's later reports see
    the count it gets."""
    if isinstance(match, _Spot):
        return match
    spot = _Spot(match)
    page[next(i for i, c in enumerate(page) if c is match)] = spot
    return spot


def submit_reports(session: Session, batch: Sequence[Pending]) -> list[Outcome]:
    """Store each report of ``batch``, in order, grouped into an existing correction or a new
    one; the outcome of each. A report may join a correction opened earlier in the batch.

    A handful of statements for the whole batch (the page locks, the candidate query, one
    insert of the new corrections, one update of the joined ones, one insert of the
    reports). The caller commits. The pages are locked for the rest of the transaction, so
    two readers reporting the same spot at once end up in one correction.
    """
    if not batch:
        return []
    now = utcnow()
    pages = sorted({(p.site_id, p.data.group_url) for p in batch})
    lock_pages(session, pages)
    candidates = _candidates(session, pages)
    opened: list[_Spot] = []
    joined: dict[int, _Spot] = {}
    spots: list[tuple[_Spot, bool, int]] = []  # per report: its correction, new?, count
    for p in batch:
        data = p.data
        spam = looks_like_spam(data)
        page = candidates[(p.site_id, data.group_url)]
        match = None if spam else best_match(page, data.exact, data.prefix, data.suffix)
        if match is None:
            spot = _Spot(new_values=dict(
                site_id=p.site_id, url=data.group_url, title=data.title, exact=data.exact,
                prefix=data.prefix, suffix=data.suffix, suggestion=data.suggestion,
                link=jump_link(data.url, data.exact, data.prefix, data.suffix),
                lang=data.lang, kind=data.kind,
                status=Status.SPAM.value if spam else Status.NEW.value, report_count=1,
                first_reported_at=now, last_reported_at=now, updated_at=now,
                resolution_note="", page_reason="",
                # Spam is never announced to editors.
                notified_at=now if spam else None,
            ), order=len(opened))
            opened.append(spot)
            if not spam:
                page.append(spot)
            spots.append((spot, True, 1))
            continue
        match = _joinable(page, match)
        match.report_count += 1
        match.added += 1
        match.last_reported_at = now
        if not match.suggestion and data.suggestion and data.suggestion != match.exact:
            match.suggestion = match.changes["suggestion"] = data.suggestion
        if data.title and not match.title:
            match.title = match.changes["title"] = data.title
        if match.new_values is not None:
            match.new_values.update(match.changes, report_count=match.report_count)
        else:
            joined[match.id] = match
        spots.append((match, False, match.report_count))

    if opened:
        ids = session.execute(
            _INSERT_CORRECTIONS, [spot.new_values for spot in opened]).scalars().all()
        for spot, new_id in zip(opened, ids, strict=True):
            spot.id = new_id
        events = [dict(correction_id=s.id, action="auto_spam", to_status=s.status,
                       note="Marked as spam on arrival (links or spam words).", created_at=now)
                  for s in opened if s.status == Status.SPAM.value]
        if events:
            session.execute(_INSERT_EVENTS, events)
    if joined:
        session.execute(_JOIN, [
            dict(spot_id=spot.id, added=spot.added, now=now,
                 new_suggestion=spot.changes.get("suggestion", ""),
                 new_title=spot.changes.get("title", ""))
            for spot in sorted(joined.values(), key=lambda spot: spot.id)])

    report_ids = session.execute(
        _INSERT_REPORTS,
        [dict(
            correction_id=spot.id, site_id=p.site_id, url=p.data.url, origin=p.origin,
            title=p.data.title, lang=p.data.lang, exact=p.data.exact, prefix=p.data.prefix,
            suffix=p.data.suffix, start=p.data.start, end=p.data.end, kind=p.data.kind,
            suggestion=p.data.suggestion, comment=p.data.comment, email=p.data.email,
            notify=p.data.notify, ip_hash=p.ip_hash,
            user_agent=(p.user_agent or "")[:400] or None, client=p.data.client,
            elapsed_ms=p.data.elapsed_ms, created_at=now,
        ) for p, (spot, _, _) in zip(batch, spots, strict=True)],
    ).scalars().all()
    return [Outcome(report_id=rid, correction_id=spot.id, created=created, count=count,
                    status=spot.status)
            for rid, (spot, created, count) in zip(report_ids, spots, strict=True)]
