"""The Stats page's pre-aggregates: hourly counts per site (a row per UTC day holding its
24 hours), and per UTC day the new corrections of each article and the delays of editors'
decisions in buckets.

At a million reports, counting raw rows for a year of days takes seconds; the rolled-up
hours take milliseconds. Hours are rolled up once they are over (their reports and new
corrections never change; a decision is an event, which never changes either), so a row is
written once and never revised. The page adds the current, unfinished hour live.

``rollup`` runs in every round of ``errata mail send`` and before the Stats page is drawn
(it then has at most the last hour or so to do). A first run over old data works through
it a month at a time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, text, true
from sqlalchemy.orm import Session

from service.mail.notify import exclusive
from service.models import (
    HOURS,
    KINDS,
    Correction,
    Event,
    Report,
    Site,
    StatDay,
    StatDayHours,
    StatRollup,
    StatTop,
    utcnow,
)

# Upper bounds (seconds) of the delay buckets: 5 min … 1 year, then everything longer.
DELAY_BOUNDS = (300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400,
                2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 14 * 86400, 30 * 86400,
                60 * 86400, 90 * 86400, 180 * 86400, 365 * 86400)
DECISIONS = {"fixed": "fixed", "rejected": "rejected", "spam": "spam", "auto_spam": "spam"}
CHUNK = timedelta(days=31)
ARTICLE, SECTION, TOTAL = -1, -2, -3  # StatDay.bucket of an article's, section's, total's row
TOTALS = ("typo", "fact", "other", "fixed", "rejected", "spam")
PERIODS = (30, 90, 365)
TOP = 10
NAME = "hours"
ANALYZE_AFTER = 48  # hours rolled up in one run after which the planner's statistics are redone


def section_of(url: str) -> str:
    """An article's section: its host and first path segment (news.example/politics/)."""
    parts = urlsplit(url)
    segments = [p for p in parts.path.split("/") if p]
    host = parts.hostname or ""
    if len(segments) < 2:  # an article right under the root
        return f"{host}/"
    return f"{host}/{segments[0]}/"


def floor_hour(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def delay_bucket(seconds: float) -> int:
    return bisect.bisect_left(DELAY_BOUNDS, max(0.0, seconds))


def _hour_expr(session: Session, column):
    """'YYYY-MM-DD HH' (UTC) of a datetime column, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # SQLite stores 'YYYY-MM-DD HH:MM:SS…' in UTC


def _parse_hour(text: str) -> datetime:
    return datetime.strptime(text[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)


def first_moment(session: Session) -> datetime | None:
    """The earliest report or event: where a first rollup starts."""
    firsts = [session.scalar(select(func.min(Report.created_at))),
              session.scalar(select(func.min(Event.created_at)))]
    firsts = [f for f in firsts if f is not None]
    return min(firsts) if firsts else None


def counts_between(session: Session, start: datetime, end: datetime,
                   site_ids: list[int] | None = None):
    """Everything the stats need for [start, end), from the raw tables: (hours, articles,
    delays) where hours maps (site, hour) -> {column: count}, articles (site, day, url) ->
    count and delays (site, day, bucket) -> count."""
    hours: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    articles: dict[tuple[int, str, str], int] = defaultdict(int)
    delays: dict[tuple[int, str, int], int] = defaultdict(int)
    def of_sites(column):
        """All sites for the rollup (no list of every id to send), else the viewer's."""
        return true() if site_ids is None else column.in_(site_ids)

    # One statement per table for all the sites (each reads its sites' stretch of the
    # (site, time) index): the page's live hour was 2 per site, 40 round trips for 20 sites,
    # each a wait for the database's process on a loaded machine.
    rh = _hour_expr(session, Report.created_at)
    for site_id, hour, n in session.execute(
            select(Report.site_id, rh, func.count())
            .where(of_sites(Report.site_id), Report.created_at >= start,
                   Report.created_at < end)
            .group_by(Report.site_id, rh)):
        hours[(site_id, _parse_hour(hour))]["reports"] += n
    ch = _hour_expr(session, Correction.first_reported_at)
    for site_id, hour, kind, url, n in session.execute(
            select(Correction.site_id, ch, Correction.kind, Correction.url, func.count())
            .where(of_sites(Correction.site_id), Correction.first_reported_at >= start,
                   Correction.first_reported_at < end)
            .group_by(Correction.site_id, ch, Correction.kind, Correction.url)):
        at = _parse_hour(hour)
        row = hours[(site_id, at)]
        row["corrections"] += n
        row[kind if kind in KINDS else "other"] += n
        articles[(site_id, at.strftime("%Y-%m-%d"), url)] += n
    decided = session.execute(
        select(Correction.site_id, Event.action, Event.created_at, Correction.first_reported_at)
        .join(Correction, Correction.id == Event.correction_id)
        .where(Event.created_at >= start, Event.created_at < end,
               Event.action.in_(tuple(DECISIONS)), of_sites(Correction.site_id)))
    for site_id, action, at, first in decided:
        hours[(site_id, floor_hour(at))][DECISIONS[action]] += 1
        if action != "auto_spam":  # not an editor's decision
            bucket = delay_bucket((at - first).total_seconds())
            delays[(site_id, at.astimezone(UTC).strftime("%Y-%m-%d"), bucket)] += 1
    return hours, articles, delays


def _add_hours(session: Session, start: datetime, hours) -> None:
    """Put each hour's reports and new corrections in its site's row for the UTC day. Only
    the day the chunk starts in can have rows already (the last run ended inside it)."""
    first_day = start.astimezone(UTC).strftime("%Y-%m-%d")
    existing = {r.site_id: r for r in session.scalars(
        select(StatDayHours).where(StatDayHours.day == first_day))}
    new_rows: dict[tuple[int, str], dict] = {}
    for (site_id, hour), values in hours.items():
        reports, corrections = values.get("reports", 0), values.get("corrections", 0)
        if not (reports or corrections):
            continue  # only decisions in that hour: they are counted per day
        day = hour.astimezone(UTC).strftime("%Y-%m-%d")
        r, c = StatDayHours.reports_at(hour.hour).key, StatDayHours.corrections_at(hour.hour).key
        row = existing.get(site_id) if day == first_day else None
        if row is not None:
            setattr(row, r, getattr(row, r) + reports)
            setattr(row, c, getattr(row, c) + corrections)
            continue
        if (site_id, day) not in new_rows:
            new_rows[(site_id, day)] = dict(site_id=site_id, day=day, **dict.fromkeys(
                [at(h).key for at in (StatDayHours.reports_at, StatDayHours.corrections_at)
                 for h in HOURS], 0))
        new_rows[(site_id, day)][r] += reports
        new_rows[(site_id, day)][c] += corrections
    if new_rows:
        session.execute(insert(StatDayHours), list(new_rows.values()))


def _add_days(session: Session, start: datetime, hours, articles, delays) -> None:
    """Add to the per-day rows. Only the day the chunk starts in can have rows already (an
    earlier run stopped inside it), so only that day's are read back."""
    first_day = start.astimezone(UTC).strftime("%Y-%m-%d")
    existing = {(r.site_id, r.day, r.bucket, r.url): r for r in session.scalars(
        select(StatDay).where(StatDay.day == first_day))}
    wanted = {(site_id, day, ARTICLE, url): n for (site_id, day, url), n in articles.items()}
    sections: dict[tuple, int] = defaultdict(int)
    for (site_id, day, url), n in articles.items():
        sections[(site_id, day, SECTION, section_of(url))] += n
    wanted.update(sections)
    totals: dict[tuple, int] = defaultdict(int)
    for (site_id, hour), values in hours.items():
        for name in TOTALS:
            if values.get(name):
                totals[(site_id, hour.strftime("%Y-%m-%d"), TOTAL, name)] += values[name]
    wanted.update(totals)
    wanted.update({(site_id, day, bucket, ""): n
                   for (site_id, day, bucket), n in delays.items()})
    new_rows = []
    for key, n in wanted.items():
        row = existing.get(key)
        if row is not None:
            row.count += n
        else:
            new_rows.append(dict(site_id=key[0], day=key[1], bucket=key[2], url=key[3],
                                 count=n))
    if new_rows:
        session.execute(insert(StatDay), new_rows)


def rollup(session: Session, now: datetime | None = None) -> int:
    """Roll up every finished hour not yet rolled up; returns how many hours. Commits."""
    end = floor_hour(now or utcnow())
    exclusive(session, "errata.stats.rollup")
    state = session.get(StatRollup, NAME)
    if state is not None and state.until >= end:
        session.commit()
        return 0
    if state is None:
        first = first_moment(session)
        state = StatRollup(name=NAME, until=floor_hour(first) if first else end)
        session.add(state)
    done = 0
    while state.until < end:
        stop = min(end, state.until + CHUNK)
        hours, articles, delays = counts_between(session, state.until, stop)
        _add_hours(session, state.until, hours)
        _add_days(session, state.until, hours, articles, delays)
        done += int((stop - state.until).total_seconds() // 3600)
        state.until = stop
        session.flush()
    if done:
        refresh_tops(session, end)
    session.commit()
    if done >= ANALYZE_AFTER:
        analyze(session)
    return done


def analyze(session: Session) -> None:
    """Refresh the planner's statistics of the rollup's tables after a long run (the first
    one over old data). Until autovacuum does it, PostgreSQL plans a table that grew from
    nothing as if it were still empty: for a year of hourly rows at a million reports (the
    layout before stat_day_hours) it estimated 92 rows where there were 173,687 and sorted
    them on disk (docs/performance.md). With autovacuum off that plan would stay for good."""
    for table in ("stat_day_hours", "stat_days", "stat_tops"):
        session.execute(text(f"ANALYZE {table}"))
    session.commit()


def refresh_tops(session: Session, until: datetime) -> None:
    """Recompute every site's top articles and sections for each period (the page merges
    them); a few small ranked queries per site, once an hour."""
    session.execute(delete(StatTop))
    rows = []
    total = func.sum(StatDay.count)
    for site_id in session.scalars(select(Site.id)):
        for period in PERIODS:
            first_day = (until - timedelta(days=period)).strftime("%Y-%m-%d")
            for kind in (ARTICLE, SECTION):
                for name, n in session.execute(
                        select(StatDay.url, total)
                        .where(StatDay.bucket == kind, StatDay.site_id == site_id,
                               StatDay.day >= first_day)
                        .group_by(StatDay.url).order_by(total.desc(), StatDay.url)
                        .limit(TOP)):
                    rows.append(dict(site_id=site_id, period=period, kind=kind, name=name,
                                     count=int(n)))
    if rows:
        session.execute(insert(StatTop), rows)


def rolled_until(session: Session) -> datetime | None:
    state = session.get(StatRollup, NAME)
    return state.until if state is not None else None
