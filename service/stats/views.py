"""``/stats``: charts an editor reads at a glance, for the sites they see, with each chart's
data as a table and as CSV."""

from __future__ import annotations

from datetime import timedelta

from babel.lists import format_list
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_date, format_timedelta, get_locale, get_timezone
from flask_login import current_user, login_required
from sqlalchemy import select

from service.accounts.access import restrict
from service.extensions import db
from service.i18n import _, lazy_gettext, ngettext
from service.labels import KIND_LABELS, STATUS_LABELS
from service.models import Site, utcnow
from service.queue.export import neutral, to_csv
from service.stats import svg
from service.stats.data import Stats, compute
from service.stats.rollup import (
    ANALYZE_AFTER,
    PERIODS,
    TOP,
    first_moment,
    floor_hour,
    rolled_until,
    rollup,
)

bp = Blueprint("stats", __name__)

KIND_NAMES = KIND_LABELS
OUTCOME_NAMES = {k: STATUS_LABELS[k] for k in ("fixed", "rejected", "spam")}
AGE_NAMES = {"age_day": lazy_gettext("under a day"), "age_week": lazy_gettext("1–7 days"),
             "age_month": lazy_gettext("7–30 days"), "age_quarter": lazy_gettext("30–90 days"),
             "age_older": lazy_gettext("over 90 days")}
# The most a page view rolls up itself; more is the sender's (minutes at a million reports),
# and so is the ANALYZE that a longer run ends with: never in a page's request.
CATCH_UP = timedelta(hours=ANALYZE_AFTER - 1)
CHARTS = ("activity", "delays", "open", "kinds", "outcomes", "articles", "sections")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _span(seconds: float | None) -> str:
    if seconds is None:
        return _("no decisions")
    return format_timedelta(timedelta(seconds=seconds), threshold=1.1)


def _choices():
    """(the sites the viewer sees, the chosen site or None, the period in days)."""
    sites = list(db.session.scalars(restrict(select(Site), current_user, Site.id)
                                    .order_by(Site.name)))
    raw_site = request.args.get("site", "")
    site = None
    if raw_site:
        site = next((s for s in sites if str(s.id) == raw_site), None)
        if site is None:
            abort(404, _("There is no such site among yours."))
    raw_days = request.args.get("days", "30")
    if raw_days not in {str(p) for p in PERIODS}:
        abort(400, ngettext("The period must be %(periods)s day.",
                            "The period must be %(periods)s days.", PERIODS[-1],
                            periods=format_list([str(p) for p in PERIODS], style="or",
                                                locale=get_locale())))
    return sites, site, int(raw_days)


def _stats(sites, site, days) -> Stats:
    """The figures; a rollup a few hours behind (no sender running) is brought up to date
    here, a longer one (the first run over a big database) is left to the sender."""
    now = utcnow()
    until = rolled_until(db.session) or first_moment(db.session)
    if until is not None and until < floor_hour(now) and now - until <= CATCH_UP:
        db.session.commit()  # the rollup takes its lock in a transaction of its own
        rollup(db.session, now)
    ids = [site.id] if site is not None else [s.id for s in sites]
    return compute(db.session, ids, days, str(get_timezone()), now)


def charts(stats: Stats) -> list[dict]:
    """Every chart: id, title, one-sentence description, SVG, table columns and rows."""
    out = []
    labels = [format_date(d, "d MMM") for d in stats.days]
    total_reports, total_new = sum(stats.reports), sum(stats.corrections)
    title = _("Reports and new corrections per day")
    desc = ngettext("In %(num)d day: reports %(reports)s, new corrections %(corrections)s; "
                    "the most reports in one day: %(peak)s.",
                    "In %(num)d days: reports %(reports)s, new corrections %(corrections)s; "
                    "the most reports in one day: %(peak)s.", len(stats.days),
                    reports=total_reports, corrections=total_new,
                    peak=max(stats.reports, default=0))
    out.append(dict(id="activity", title=title, desc=desc,
                    svg=svg.line_chart("activity", title, desc, labels, [
                        (_("Reports"), "s1", stats.reports),
                        (_("New corrections"), "s2", stats.corrections)]),
                    columns=[_("Day"), _("Reports"), _("New corrections")],
                    rows=[(d.isoformat(), r, c) for d, r, c in
                          zip(stats.days, stats.reports, stats.corrections, strict=True)]))

    title = _("Time from first report to decision")
    desc = ngettext("Median %(median)s, 90th percentile %(p90)s, over %(num)d decision.",
                    "Median %(median)s, 90th percentile %(p90)s, over %(num)d decisions.",
                    stats.decisions, median=_span(stats.delay_median),
                    p90=_span(stats.delay_p90))
    week_labels = [format_date(w, "d MMM") for w, _m, _p in stats.delay_weeks]
    out.append(dict(id="delays", title=title, desc=desc,
                    svg=svg.line_chart("delays", title, desc, week_labels, [
                        (_("Median, hours"), "s1", [_hours(m) for _w, m, _p in stats.delay_weeks]),
                        (_("90th percentile, hours"), "s2",
                         [_hours(p) for _w, _m, p in stats.delay_weeks])]),
                    columns=[_("Week from"), _("Median, hours"), _("90th percentile, hours")],
                    rows=[(w.isoformat(), _hours(m), _hours(p))
                          for w, m, p in stats.delay_weeks]))

    items = [(str(AGE_NAMES[name]), n) for name, n in stats.open_ages]
    title = _("Open corrections by age")
    desc = ngettext("%(num)d open correction: ", "%(num)d open corrections: ",
                    sum(n for _label, n in items)) + ", ".join(f"{label} {n}" for label, n in items)
    out.append(dict(id="open", title=title, desc=desc,
                    svg=svg.bar_chart("open", title, desc, items),
                    columns=[_("Age"), _("Open corrections")], rows=items))

    items = [(str(KIND_NAMES[k]), n) for k, n in stats.kinds.items()]
    title = _("New corrections by kind")
    desc = ", ".join(f"{label}: {n}" for label, n in items)
    out.append(dict(id="kinds", title=title, desc=desc,
                    svg=svg.bar_chart("kinds", title, desc, items, "bar bar--alt"),
                    columns=[_("Kind"), _("Corrections")], rows=items))

    items = [(str(OUTCOME_NAMES[k]), n) for k, n in stats.outcomes.items()]
    title = _("Decisions by outcome")
    desc = ", ".join(f"{label}: {n}" for label, n in items)
    out.append(dict(id="outcomes", title=title, desc=desc,
                    svg=svg.bar_chart("outcomes", title, desc, items, "bar bar--alt2"),
                    columns=[_("Outcome"), _("Decisions")], rows=items))

    for key, title, rows, column in (
            ("articles", ngettext("The %(num)d article with the most corrections",
                                  "The %(num)d articles with the most corrections", TOP),
             stats.articles, _("Article")),
            ("sections", ngettext("The %(num)d section with the most corrections",
                                  "The %(num)d sections with the most corrections", TOP),
             stats.sections, _("Section"))):
        desc = "; ".join(f"{label}: {n}" for label, n in rows[:3]) or _("None in this period.")
        out.append(dict(id=key, title=title, desc=desc,
                        svg=svg.hbar_chart(key, title, desc, rows),
                        columns=[column, _("Corrections")], rows=rows))
    return out


@bp.get("/stats")
@login_required
def index():
    sites, site, days = _choices()
    stats = _stats(sites, site, days)
    return render_template("stats/index.html", charts=charts(stats), sites=sites, site=site,
                           missing_since=stats.extra.get("missing_since"),
                           days=days, periods=PERIODS, nav_section="stats",
                           tz=str(get_timezone()))


@bp.get("/stats/<name>.csv")
@login_required
def csv(name: str):
    if name not in CHARTS:
        abort(404, _("There is no such chart."))
    sites, site, days = _choices()
    chart = next(c for c in charts(_stats(sites, site, days)) if c["id"] == name)
    body = to_csv(([neutral(v) for v in row] for row in chart["rows"]),
                  [str(c) for c in chart["columns"]])
    filename = f"errata-{name}-{days}d{'-' + site.key if site else ''}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})
