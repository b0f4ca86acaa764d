"""Page checks: fetch a correction's article, say whether its quote is still there, record it.

One fetch serves every correction of the same page. A check records ``page_state``
(present / gone / unknown), ``page_checked_at`` and a short reason; ``updated_at`` moves
only when the state changes, and so does the history. On a site that closes corrections
automatically, a ``gone`` marks an open correction fixed, with "page check" as the actor.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from service.ingest.urls import BadURL, origin_of
from service.models import OPEN_STATUSES, Correction, Event, utcnow
from service.pagecheck.fetch import BACKOFF, Backoff, Fetched, fetch
from service.pagecheck.matcher import GONE, UNKNOWN, Result, locate, visible_text

ACTOR = "page check"  # who closes a correction automatically, in its history
MAX_WAIT_FOR_ORIGIN = 5.0  # an on-demand check waits this long for its origin's turn


@dataclass(frozen=True)
class Checked:
    correction_id: int
    state: str
    reason: str
    changed: bool  # the state differs from the previous check
    closed: bool  # the site's auto-close marked it fixed


def user_agent() -> str:
    from service import __version__

    return f"Errata-PageCheck/{__version__} (+{current_app.config['ERRATA_BASE_URL']})"


def _validators(corrections: list[Correction]) -> tuple[str | None, str | None]:
    """Conditional-request headers, when every correction of the page saw the same version
    (otherwise a 304 would leave one of them without an answer)."""
    etags = {c.page_etag for c in corrections}
    dates = {c.page_last_modified for c in corrections}
    states = {c.page_state for c in corrections}
    if len(etags) == 1 and len(dates) == 1 and None not in states:
        return etags.pop(), dates.pop()
    return None, None


def check_page(corrections: list[Correction], *, backoff: Backoff = BACKOFF
               ) -> tuple[Fetched, dict[int, Result]]:
    """Fetch the page of ``corrections`` (all of one URL) once and match each; nothing stored."""
    first = corrections[0]
    etag, last_modified = _validators(corrections)
    fetched = fetch(first.url, list(first.site.origins), user_agent=user_agent(), etag=etag,
                    last_modified=last_modified, backoff=backoff)
    results: dict[int, Result] = {}
    if fetched.not_modified:
        for c in corrections:
            # 304: the page is as it was, so is the answer (and its reason).
            results[c.id] = Result(c.page_state or UNKNOWN, c.page_reason or "not_modified")
    elif not fetched.ok:
        for c in corrections:
            results[c.id] = Result(UNKNOWN, fetched.reason)
    else:
        text = visible_text(fetched.body, fetched.encoding)
        for c in corrections:
            start = _hint(c)
            results[c.id] = locate(text, c.exact, c.prefix, c.suffix, hint=start)
    return fetched, results


def _hint(correction: Correction) -> int | None:
    """The first report's ``start`` offset: where in the page text the reader selected."""
    for report in correction.reports[:1]:
        return report.start
    return None


def record(session: Session, correction: Correction, result: Result, fetched: Fetched,
           now: datetime) -> Checked:
    """Store one check's result; a changed state moves ``updated_at`` and writes history,
    and on an auto-closing site a ``gone`` closes the correction as fixed."""
    from service.queue.actions import change_status

    changed = result.state != correction.page_state
    correction.page_state = result.state
    correction.page_reason = (_reason(result) if not fetched.not_modified
                              else result.reason)[:300]
    correction.page_checked_at = now
    if fetched.ok:
        correction.page_etag = (fetched.etag or "")[:200] or None
        correction.page_last_modified = (fetched.last_modified or "")[:64] or None
    if changed:
        correction.updated_at = now
        # The history keeps the reason key; the page translates it (pagecheck/messages.py).
        session.add(Event(correction_id=correction.id, actor=ACTOR,
                          action=f"page_{result.state}", note=correction.page_reason,
                          created_at=now))
    else:
        # The same answer again is not news for the API's updated_since or webhooks.
        flag_modified(correction, "updated_at")
    closed = False
    if result.state == GONE and correction.is_open and correction.site.auto_close:
        closed = change_status(session, correction, None, "fixed", actor=ACTOR) is not None
        correction.updated_at = now
    session.flush()
    return Checked(correction.id, result.state, correction.page_reason, changed, closed)


def _reason(result: Result) -> str:
    if result.state == GONE and result.now_reads:
        return f"{result.reason}:{result.now_reads[:200]}"
    return result.reason


def check_corrections(session: Session, corrections: Iterable[Correction], *,
                      backoff: Backoff = BACKOFF, wait_for_origin: float = MAX_WAIT_FOR_ORIGIN,
                      spacing: float = 1.0) -> list[Checked]:
    """Check ``corrections`` now, one fetch per page, each origin at most once per
    ``spacing`` seconds (waiting up to ``wait_for_origin`` for its turn). Flushes; the caller
    commits."""
    pages: dict[str, list[Correction]] = defaultdict(list)
    for c in corrections:
        pages[c.url].append(c)
    out: list[Checked] = []
    for url, group in pages.items():
        origin = _origin(url)
        waited = 0.0
        while origin and not backoff.reserve(origin, spacing) and waited < wait_for_origin:
            pause = max(0.05, min(backoff.until_turn(origin), wait_for_origin - waited))
            time.sleep(pause)
            waited += pause
        fetched, results = check_page(group, backoff=backoff)
        now = utcnow()
        out.extend(record(session, c, results[c.id], fetched, now) for c in group)
    return out


def _origin(url: str) -> str | None:
    try:
        return origin_of(url)
    except BadURL:
        return None


# -- the background round ------------------------------------------------------------------

def due(session: Session, now: datetime, *, days: int, every: timedelta,
        limit: int = 500) -> list[Correction]:
    """Open corrections reported in the last ``days`` whose last check is older than
    ``every`` (never-checked first)."""
    stmt = (
        select(Correction)
        .where(Correction.status.in_(OPEN_STATUSES),
               Correction.last_reported_at >= now - timedelta(days=days),
               or_(Correction.page_checked_at.is_(None),
                   Correction.page_checked_at <= now - every))
        .order_by(Correction.page_checked_at.is_not(None), Correction.page_checked_at,
                  Correction.id)
        .options(selectinload(Correction.site), selectinload(Correction.reports))
        .limit(limit)
    )
    return list(session.scalars(stmt))


def run_round(session: Session, *, days: int, every: timedelta, spacing: float,
              max_pages: int = 20, backoff: Backoff = BACKOFF) -> int:
    """One round of background checking: up to ``max_pages`` pages whose origin's turn has
    come; an origin that isn't due is left for a later round (never waited for). Commits
    after each page. Returns the number of pages fetched."""
    now = utcnow()
    pages: dict[str, list[Correction]] = defaultdict(list)
    for c in due(session, now, days=days, every=every):
        pages[c.url].append(c)
    fetched = 0
    for url, group in pages.items():
        if fetched >= max_pages:
            break
        origin = _origin(url)
        if origin is None or not backoff.reserve(origin, spacing):
            if origin is None:  # can't be fetched at all: say so, and don't retry every round
                check_corrections(session, group, backoff=backoff, wait_for_origin=0)
                session.commit()
            continue
        result, results = check_page(group, backoff=backoff)
        stamp = utcnow()
        for c in group:
            record(session, c, results[c.id], result, stamp)
        session.commit()
        fetched += 1
    return fetched
