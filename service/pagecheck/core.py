"""Page checks: fetch a correction's article, say whether its quote is still there, record it.

One fetch serves every correction of the same page. A check records ``page_state``
(present / gone / unknown), ``page_checked_at`` and a short reason; ``updated_at`` moves
only when the state changes, and so does the history. On a site that closes corrections
automatically, a ``gone`` marks an open correction fixed, with "page check" as the actor.
A page read also gives the page's own title (``title.page_title``), kept on every correction
of that page for the public log.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from service.extensions import begin_write
from service.ingest.urls import BadURL, origin_of
from service.models import OPEN_STATUSES, Correction, Event, utcnow
from service.pagecheck.fetch import BACKOFF, Backoff, Fetched, fetch
from service.pagecheck.matcher import GONE, UNKNOWN, Result, locate, parse, visible_text
from service.pagecheck.title import page_title

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


@dataclass(frozen=True)
class Spot:
    """What a check needs of one correction, read before the fetch: no database object is
    touched (and no transaction held open) while Errata waits for a page."""

    id: int
    site_id: int
    url: str
    origins: tuple[str, ...]
    exact: str
    prefix: str
    suffix: str
    hint: int | None  # the first report's ``start``: where the reader selected
    page_state: str | None
    page_reason: str
    page_etag: str | None
    page_last_modified: str | None

    @classmethod
    def of(cls, c: Correction) -> Spot:
        first = c.reports[0] if c.reports else None
        return cls(c.id, c.site_id, c.url, tuple(c.site.origins), c.exact, c.prefix, c.suffix,
                   first.start if first else None, c.page_state, c.page_reason, c.page_etag,
                   c.page_last_modified)


def _validators(spots: list[Spot]) -> tuple[str | None, str | None]:
    """Conditional-request headers, when every correction of the page saw the same version
    (otherwise a 304 would leave one of them without an answer)."""
    etags = {s.page_etag for s in spots}
    dates = {s.page_last_modified for s in spots}
    states = {s.page_state for s in spots}
    if len(etags) == 1 and len(dates) == 1 and None not in states:
        return etags.pop(), dates.pop()
    return None, None


def check_page(spots: list[Spot], *, backoff: Backoff = BACKOFF
               ) -> tuple[Fetched, dict[int, Result], str | None]:
    """Fetch the page of ``spots`` (all of one URL) once and match each; nothing stored.
    Also the page's own title: "" when it has none, None when the page wasn't read (an
    error, or a 304: the title is as it was)."""
    first = spots[0]
    etag, last_modified = _validators(spots)
    fetched = fetch(first.url, list(first.origins), user_agent=user_agent(), etag=etag,
                    last_modified=last_modified, backoff=backoff)
    results: dict[int, Result] = {}
    title = None
    if fetched.not_modified:
        for s in spots:
            # 304: the page is as it was, so is the answer (and its reason).
            results[s.id] = Result(s.page_state or UNKNOWN, s.page_reason or "not_modified")
    elif not fetched.ok:
        for s in spots:
            results[s.id] = Result(UNKNOWN, fetched.reason)
    else:
        root = parse(fetched.body, fetched.encoding)
        title = page_title(root)  # first: the text is read by taking hidden parts away
        text = visible_text(root)
        for s in spots:
            results[s.id] = locate(text, s.exact, s.prefix, s.suffix, hint=s.hint)
    return fetched, results, title


def _check_group(session: Session, group: list[Correction], backoff: Backoff) -> list[Checked]:
    """Read what the check needs, end the transaction, fetch, then store in a new one.

    The store begins as a writer: on SQLite a transaction that reads and then writes is
    refused at once if another thread (a second check, the mail sender) wrote in between.
    """
    spots = [Spot.of(c) for c in group]
    session.commit()
    fetched, results, title = check_page(spots, backoff=backoff)
    begin_write(session)  # other checks, the mail sender and editors write meanwhile
    now = utcnow()
    out = []
    if title is not None:
        record_title(session, spots[0].site_id, spots[0].url, title)
    for spot in spots:
        correction = session.get(Correction, spot.id)
        if correction is not None:  # not deleted meanwhile
            out.append(record(session, correction, results[spot.id], fetched, now))
    session.commit()
    return out


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


def record_title(session: Session, site_id: int, url: str, title: str) -> None:
    """The page's title, as just read, on every correction of the page: the open ones just
    checked and the fixed ones the public log lists. Not a change anyone is told about:
    ``updated_at`` stays."""
    value = title or None
    session.execute(
        update(Correction)
        .where(Correction.site_id == site_id, Correction.url == url,
               Correction.page_title.is_distinct_from(value))
        .values(page_title=value, updated_at=Correction.updated_at)
        .execution_options(synchronize_session="fetch"))


def _reason(result: Result) -> str:
    if result.state == GONE and result.now_reads:
        return f"{result.reason}:{result.now_reads[:200]}"
    return result.reason


def check_corrections(session: Session, corrections: Iterable[Correction], *,
                      backoff: Backoff = BACKOFF, wait_for_origin: float = MAX_WAIT_FOR_ORIGIN,
                      spacing: float = 1.0) -> list[Checked]:
    """Check ``corrections`` now, one fetch per page, each origin at most once per
    ``spacing`` seconds (waiting up to ``wait_for_origin`` for its turn). Commits (before
    each fetch too: nothing is held open while waiting for a page)."""
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
        out.extend(_check_group(session, group, backoff))
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
        _check_group(session, group, backoff)
        fetched += 1
    return fetched
