"""Stats page times at 1,000,000 reports (a benchmark, not a test).

    .venv/bin/python bench/stats.py [--reports 1000000] [--samples 15]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                    [--keep] [--existing URL] [--quiet-below LOAD]

On a shared machine: seed once with ``--keep``, then measure the kept database with
``--existing URL --quiet-below 3`` whenever the machine is quieter (a database kept for more
than two days has a rollup the page won't catch up on; seed again).

Seeds a fresh database exactly as bench/queue_page.py does (1M reports ≈ 200,000 corrections over
20 sites and a year, bulk inserts), adds the decision events of the closed corrections, runs
the stats rollup once (the backfill a first ``errata mail send`` does; its time is printed),
then measures whole ``/stats`` requests through the app (login, the rollup check, the live
hour, the queries, the SVG and the template) with the Flask test client: the median of
``--samples`` after a warm-up, for 30 days, 90 days and a year, as an admin (20 sites), an
editor of 10 sites and for one site. Target (issue 18): each under 300 ms.

On PostgreSQL running on this machine, each request's database CPU is read from /proc (the
CPU time the bench database's server processes used during it): with the app's CPU it is the
page's cost, apart from the time spent waiting for a core on a loaded machine.

Beside it, two baselines: the same counts read straight from the raw tables, without the
rollup (what the page would cost without pre-aggregation); and the per-day activity read
from one row per site and hour, the layout before migration 0015 (rebuilt here from the day
rows), against the page's read of one row per site and day, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import queue_page as qb  # noqa: E402 - the seeding and sign-in are shared


def add_decisions(app) -> int:
    """One event per closed correction, at its decision time (what the queue writes)."""
    from sqlalchemy import text

    from service.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            n = conn.execute(text(
                "INSERT INTO events (correction_id, action, from_status, to_status, note, "
                "created_at) SELECT id, status, 'new', status, '', resolved_at "
                "FROM corrections WHERE resolved_at IS NOT NULL")).rowcount
            if conn.dialect.name == "postgresql":
                conn.execute(text("ANALYZE events"))
            else:
                conn.exec_driver_sql("ANALYZE")
    return n


def timed_rollup(app) -> float:
    from service.extensions import db
    from service.stats.rollup import rollup

    with app.app_context():
        t0 = time.perf_counter()
        rollup(db.session)
        elapsed = time.perf_counter() - t0
        db.session.remove()
    return elapsed


class DatabaseCPU:
    """CPU seconds used so far by the PostgreSQL server processes of the bench database,
    from /proc (the server runs on this machine); None when they can't be read."""

    def __init__(self, app) -> None:
        from sqlalchemy import create_engine, text

        from service.extensions import db

        self.text = text
        self.engine = None
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                # A pool of one connection of its own, which is never the app's: its
                # process is left out of the count.
                self.engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)

    def _pids(self) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(self.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def __call__(self) -> float | None:
        if self.engine is None:
            return None
        total = 0.0
        for pid in self._pids():
            try:  # nanoseconds on a CPU (utime/stime in /proc/PID/stat count 10 ms ticks)
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
            except OSError:
                return None  # another machine's server, or a process that just ended
        return total


def timed(client, path: str, db_cpu: DatabaseCPU) -> tuple[float, float, float | None]:
    """One request: wall clock, the app's CPU and the database's CPU (ms; None: unknown)."""
    before = db_cpu()
    wall, cpu = qb.timed_get(client, path)
    after = db_cpu()
    return wall, cpu, None if before is None or after is None else (after - before) * 1000


def hourly_layout(app) -> None:
    """The rolled-up hours as they were stored before migration 0015 (a row per site and
    hour, unique on both), rebuilt from the day rows: the baseline of ``day_reads``."""
    from sqlalchemy import text

    from service.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        conn.execute(text("DROP TABLE IF EXISTS bench_stat_hours"))
        conn.execute(text("CREATE TABLE bench_stat_hours (site_id INTEGER NOT NULL, hour "
                          + ("TIMESTAMP WITH TIME ZONE" if pg else "DATETIME")
                          + " NOT NULL, reports INTEGER NOT NULL, corrections INTEGER NOT NULL,"
                          " UNIQUE (site_id, hour))"))
        for h in range(24):
            hour = (f"(day || ' {h:02d}:00:00+00')::timestamptz" if pg
                    else f"day || ' {h:02d}:00:00.000000'")
            conn.execute(text(
                f"INSERT INTO bench_stat_hours SELECT site_id, {hour}, r{h:02d}, c{h:02d} "
                f"FROM stat_day_hours WHERE r{h:02d} > 0 OR c{h:02d} > 0"))
        conn.execute(text("ANALYZE bench_stat_hours"))


def day_reads(app, days: int, samples: int, db_cpu: DatabaseCPU) -> list[tuple]:
    """The activity chart's read of a period, all sites: from the day rows (the page's
    query) and from the hourly rows of ``hourly_layout``, alternately, ``samples`` each.
    Returns (median wall ms, mean database CPU ms) per layout: the server's processes on
    PostgreSQL, this process on SQLite (the database runs in it)."""
    from sqlalchemy import bindparam, func, select, text

    from service.extensions import db
    from service.models import HOURS, Site, StatDayHours
    from service.stats.rollup import floor_hour

    with app.app_context():
        ids = list(db.session.scalars(select(Site.id)))
        now = floor_hour(datetime.now(UTC))
        start = now - timedelta(days=days)
        by_day = (select(StatDayHours.day,
                         *[func.sum(StatDayHours.reports_at(h)) for h in HOURS],
                         *[func.sum(StatDayHours.corrections_at(h)) for h in HOURS])
                  .where(StatDayHours.site_id.in_(ids),
                         StatDayHours.day >= start.strftime("%Y-%m-%d"),
                         StatDayHours.day <= now.strftime("%Y-%m-%d"))
                  .group_by(StatDayHours.day))
        by_hour = text("SELECT hour, sum(reports), sum(corrections) FROM bench_stat_hours "
                       "WHERE site_id IN :ids AND hour >= :start AND hour < :until "
                       "GROUP BY hour").bindparams(bindparam("ids", expanding=True))
        if db.engine.dialect.name != "postgresql":
            start_p, until_p = start.strftime("%Y-%m-%d %H:%M:%S"), now.strftime(
                "%Y-%m-%d %H:%M:%S")
        else:
            start_p, until_p = start, now
        clock = db_cpu if db_cpu() is not None else time.process_time
        runs: dict[str, list[tuple[float, float]]] = {"day": [], "hour": []}
        for i in range(samples * 2 + 2):
            name = "day" if i % 2 == 0 else "hour"
            before, t0 = clock(), time.perf_counter()
            if name == "day":
                db.session.execute(by_day).all()
            else:
                db.session.execute(by_hour, {"ids": ids, "start": start_p,
                                             "until": until_p}).all()
            wall, after = (time.perf_counter() - t0) * 1000, clock()
            if i >= 2:  # one warm-up each
                runs[name].append((wall, (after - before) * 1000))
        db.session.remove()
    return [(statistics.median(w for w, _c in runs[n]), statistics.mean(c for _w, c in runs[n]))
            for n in ("day", "hour")]


def _pair(wall: float, cpu: float | None, unit: str = "") -> str:
    return f"{wall:.1f}{unit}" + (f" / {cpu:.1f}{unit}" if cpu is not None else "")


def baseline(app, days: int) -> float:
    """The plain query: the period's counts from the raw tables, every site."""
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Site
    from service.stats.rollup import counts_between

    with app.app_context():
        ids = list(db.session.scalars(select(Site.id)))
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        counts_between(db.session, now - timedelta(days=days), now, ids)
        elapsed = time.perf_counter() - t0
        db.session.remove()
    return elapsed * 1000


def wait_for_quiet(below: float, longest: float = 1800.0) -> None:
    """Wait (at most ``longest`` seconds) for the 1-minute load average to drop below
    ``below``: on a shared machine, a quieter moment shows the wall clock of the page itself."""
    started = time.monotonic()
    while os.getloadavg()[0] >= below and time.monotonic() - started < longest:
        time.sleep(5)
    print(f"waited {time.monotonic() - started:.0f} s for a load average under {below}",
          flush=True)


def measure(app, samples: int) -> None:
    """The /stats pages and the baselines, printed as Markdown tables."""
    from service.extensions import db

    pages = {
        "admin, all 20 sites": ("admin@bench.example", ""),
        "editor of 10 sites": ("group@bench.example", ""),
        "one site": ("admin@bench.example", "site=5&"),
    }
    clients = {who: qb.signed_in(app, who) for who, _q in pages.values()}
    db_cpu = DatabaseCPU(app)
    with_db = db_cpu() is not None
    print(f"\n/stats, median of {samples} requests (wall clock / app CPU"
          + (" / database CPU, the mean" if with_db else "") + f", ms); load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} before\n")
    print("| who | 30 days | 90 days | 365 days |")
    print("|---|---:|---:|---:|")
    for name, (who, query) in pages.items():
        cells = []
        for days in (30, 90, 365):
            path = f"/stats?{query}days={days}"
            for _ in range(2):
                qb.timed_get(clients[who], path)
            walls, cpus, dbs = zip(*(timed(clients[who], path, db_cpu)
                                     for _ in range(samples)), strict=True)
            cell = f"{statistics.median(walls):.0f} / {statistics.median(cpus):.0f}"
            if with_db and None not in dbs:
                cell += f" / {statistics.mean(dbs):.0f}"
            cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} after",
          flush=True)
    hourly_layout(app)
    print(f"\nthe activity chart's read, all sites: a row per site and day (the page) "
          f"against a row per site and hour (before 0015), median of {samples} each, "
          "alternately (wall clock / database CPU, the mean; ms)\n")
    print("| period | day rows | hour rows | ratio |\n|---|---:|---:|---:|")
    for days in (30, 90, 365):
        day, hour = day_reads(app, days, samples, db_cpu)
        print(f"| {days} days | {_pair(*day)} | {_pair(*hour)} | "
              f"{_pair(hour[0] / day[0], hour[1] / day[1] if day[1] else None, 'x')} |",
              flush=True)
    print("\nbaseline: the same counts from the raw tables (all sites), median of 3 (ms)\n")
    print("| 30 days | 90 days | 365 days |\n|---:|---:|---:|")
    print("| " + " | ".join(f"{statistics.median(baseline(app, d) for _ in range(3)):.0f}"
                            for d in (30, 90, 365)) + " |")
    db_cpu.close()
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server (a scratch database is made on it); "
                             "default: SQLite in a temporary directory")
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded database and print its URL, for --existing")
    parser.add_argument("--existing", default="", metavar="URL",
                        help="measure a database seeded by an earlier --keep run")
    parser.add_argument("--quiet-below", type=float, default=0.0, metavar="LOAD",
                        help="before measuring, wait up to 30 minutes for the 1-minute load "
                             "average to drop below LOAD")
    args = parser.parse_args()
    inst = tempfile.TemporaryDirectory()
    if args.existing:
        app = qb.make_app(args.existing, inst.name)
        if args.quiet_below:
            wait_for_quiet(args.quiet_below)
        measure(app, args.samples)
        inst.cleanup()
        return
    if args.database_url:
        url, cleanup = qb.postgres_factory(args.database_url)()
    elif args.keep:
        url, cleanup = f"sqlite:///{tempfile.mkdtemp()}/bench.db", (lambda: None)
    else:
        url, cleanup = qb.sqlite_factory()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    try:
        app = qb.make_app(url, inst.name)
        secs, n_corr = qb.seed(app, args.reports)
        n_events = add_decisions(app)
        print(f"{backend}: {args.reports:,} reports, {n_corr:,} corrections, {n_events:,} "
              f"decisions seeded in {secs:.0f} s", flush=True)
        print(f"rollup of the whole year (first run): {timed_rollup(app):.1f} s", flush=True)
        if args.quiet_below:
            wait_for_quiet(args.quiet_below)
        measure(app, args.samples)
    finally:
        inst.cleanup()
        if args.keep:
            print(f"\nkept: --existing {url}")
        else:
            cleanup()


if __name__ == "__main__":
    main()
