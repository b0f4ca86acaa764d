"""The numbers behind each chart of the Stats page, for the sites an editor sees.

Days are the viewer's: hourly counts are summed into days in their time zone (zones with a
half-hour offset see each day shifted by that half hour). Decision delays and articles are
kept per UTC day, so a period's first and last day may hold a few hours of the next; they
feed totals, not per-day charts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytz
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.models import (
    HOURS,
    OPEN_STATUSES,
    Correction,
    StatDay,
    StatDayHours,
    StatTop,
    utcnow,
)
from service.stats.rollup import (
    ARTICLE,
    DELAY_BOUNDS,
    SECTION,
    TOP,
    TOTAL,
    TOTALS,
    counts_between,
    floor_hour,
    rolled_until,
    section_of,
)

AGE_BUCKETS = ((1, "age_day"), (7, "age_week"), (30, "age_month"), (90, "age_quarter"))


@dataclass
class Stats:
    days: list[date]
    reports: list[int]
    corrections: list[int]
    kinds: dict[str, int]
    outcomes: dict[str, int]
    open_ages: list[tuple[str, int]]
    delay_weeks: list[tuple[date, float | None, float | None]]  # week start, median, p90 (s)
    delay_median: float | None
    delay_p90: float | None
    decisions: int
    articles: list[tuple[str, int]]
    sections: list[tuple[str, int]]
    extra: dict = field(default_factory=dict)


def percentile(histogram: list[int], q: float) -> float | None:
    """The q-quantile (seconds) of a delay histogram, interpolated inside its bucket."""
    total = sum(histogram)
    if not total:
        return None
    target = q * total
    seen = 0
    for index, n in enumerate(histogram):
        if n and seen + n >= target:
            low = DELAY_BOUNDS[index - 1] if index > 0 else 0
            high = DELAY_BOUNDS[index] if index < len(DELAY_BOUNDS) else low * 2
            return low + (high - low) * (target - seen) / n
        seen += n
    return float(DELAY_BOUNDS[-1])


def compute(session: Session, site_ids: list[int], period: int, tz_name: str,
            now: datetime | None = None) -> Stats:
    now = now or utcnow()
    tz = pytz.timezone(tz_name)
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=period - 1)
    start = tz.localize(datetime.combine(first_day, time())).astimezone(UTC)
    days = [first_day + timedelta(days=i) for i in range(period)]
    index = {d: i for i, d in enumerate(days)}
    reports = [0] * period
    corrections = [0] * period
    kinds: dict[str, int] = defaultdict(int)
    outcomes: dict[str, int] = defaultdict(int)
    if not site_ids:
        return Stats(days, reports, corrections, {}, {}, [], [], None, None, 0, [], [])

    until = rolled_until(session) or floor_hour(start)
    until = max(until, floor_hour(start))
    missing_since = None
    if until < floor_hour(now):
        # The rollup is behind (a first run over old data is under way in the sender): the
        # live part counts the current hour only, and the page says what is missing.
        missing_since, until = until, floor_hour(now)
    # Summed over the sites in SQL: one row a day (its 24 hours) reaches Python, however
    # many sites; each hour then goes to the viewer's day it falls in.
    first_hour = floor_hour(start)
    rows = session.execute(
        select(StatDayHours.day,
               *[func.sum(StatDayHours.reports_at(h)) for h in HOURS],
               *[func.sum(StatDayHours.corrections_at(h)) for h in HOURS])
        .where(StatDayHours.site_id.in_(site_ids),
               StatDayHours.day >= first_hour.strftime("%Y-%m-%d"),
               StatDayHours.day <= until.strftime("%Y-%m-%d"))
        .group_by(StatDayHours.day))
    for day_text, *counts in rows:
        midnight = datetime.strptime(day_text, "%Y-%m-%d").replace(tzinfo=UTC)
        for hour, local_day in enumerate(_local_days(midnight, tz)):
            n_rep, n_cor = counts[hour], counts[24 + hour]
            i = index.get(local_day)
            if (n_rep or n_cor) and i is not None \
                    and first_hour <= midnight + timedelta(hours=hour) < until:
                reports[i] += int(n_rep)
                corrections[i] += int(n_cor)
    live_hours, live_articles, live_delays = counts_between(session, until, now, site_ids)
    for (_site, hour), values in live_hours.items():
        i = index.get(hour.astimezone(tz).date())
        if i is not None:
            reports[i] += values.get("reports", 0)
            corrections[i] += values.get("corrections", 0)

    # Kinds and outcomes: per-day totals (UTC days), plus the live hour.
    first_utc_day = start.strftime("%Y-%m-%d")
    totals: dict[str, int] = defaultdict(int)
    for name, n in session.execute(
            select(StatDay.url, func.sum(StatDay.count))
            .where(StatDay.bucket == TOTAL, StatDay.site_id.in_(site_ids),
                   StatDay.day >= first_utc_day, StatDay.day <= today.isoformat())
            .group_by(StatDay.url)):
        totals[name] += int(n)
    for values in live_hours.values():
        for name in TOTALS:
            totals[name] += values.get(name, 0)
    kinds.update({k: totals[k] for k in ("typo", "fact", "other")})
    outcomes.update({k: totals[k] for k in ("fixed", "rejected", "spam")})

    # Decision delays: per UTC day and bucket, summed per week and for the whole period.
    weekly: dict[date, list[int]] = defaultdict(lambda: [0] * (len(DELAY_BOUNDS) + 1))
    overall = [0] * (len(DELAY_BOUNDS) + 1)
    delay_rows = list(session.execute(
        select(StatDay.day, StatDay.bucket, func.sum(StatDay.count))
        .where(StatDay.site_id.in_(site_ids), StatDay.day >= first_utc_day,
               StatDay.bucket >= 0)
        .group_by(StatDay.day, StatDay.bucket)))
    delay_rows += [(day, bucket, n) for (_s, day, bucket), n in live_delays.items()]
    for day_text, bucket, n in delay_rows:
        day = date.fromisoformat(day_text)
        week = first_day + timedelta(days=7 * max(0, (day - first_day).days // 7))
        weekly[week][bucket] += int(n)
        overall[bucket] += int(n)
    delay_weeks = [(week, percentile(weekly[week], 0.5), percentile(weekly[week], 0.9))
                   for week in sorted(weekly)]

    top = _top(session, site_ids, period, ARTICLE, live_articles.items(), lambda u: u)
    top_sections = _top(session, site_ids, period, SECTION, live_articles.items(), section_of)

    return Stats(extra={"missing_since": missing_since},
                 days=days, reports=reports, corrections=corrections,
                 kinds={k: kinds[k] for k in ("typo", "fact", "other")},
                 outcomes={k: outcomes[k] for k in ("fixed", "rejected", "spam")},
                 open_ages=open_by_age(session, site_ids, now), delay_weeks=delay_weeks,
                 delay_median=percentile(overall, 0.5), delay_p90=percentile(overall, 0.9),
                 decisions=sum(overall), articles=top, sections=top_sections)


def _local_days(midnight: datetime, tz) -> list[date]:
    """The viewer's day each hour of the UTC day starting at ``midnight`` falls in. One
    offset serves the whole day unless the zone changes its offset that day (then each hour
    is converted): a year is 365 conversions, not 8,760."""
    first, last = midnight.astimezone(tz), (midnight + timedelta(hours=23)).astimezone(tz)
    if first.utcoffset() != last.utcoffset():
        return [(midnight + timedelta(hours=h)).astimezone(tz).date() for h in HOURS]
    start = first.replace(tzinfo=None)
    return [(start + timedelta(hours=h)).date() for h in HOURS]


def _top(session: Session, site_ids: list[int], period: int, kind: int, live, key) \
        -> list[tuple[str, int]]:
    """The TOP articles or sections: each site's list from the last rollup (an article or
    section is one site's, so merging the lists is exact), plus the live hour."""
    counts: dict[str, int] = defaultdict(int)
    for name, n in session.execute(
            select(StatTop.name, StatTop.count)
            .where(StatTop.site_id.in_(site_ids), StatTop.period == period,
                   StatTop.kind == kind)):
        counts[name] += int(n)
    for (_s, _day, url), n in live:
        counts[key(url)] += n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def open_by_age(session: Session, site_ids: list[int], now: datetime) -> list[tuple[str, int]]:
    """Open corrections now, by the age of their first report; one pass over the index."""
    names = [name for _days, name in AGE_BUCKETS] + ["age_older"]
    whens = [(Correction.first_reported_at >= now - timedelta(days=d), i)
             for i, (d, _n) in enumerate(AGE_BUCKETS)]
    bucket = case(*whens, else_=len(AGE_BUCKETS))
    counts = dict(session.execute(
        select(bucket, func.count()).where(Correction.site_id.in_(site_ids),
                                           Correction.status.in_(OPEN_STATUSES))
        .group_by(bucket)).all())
    return [(name, int(counts.get(i, 0))) for i, name in enumerate(names)]
