"""Stats page times at 1,000,000 reports (a benchmark, not a test).

    .venv/bin/python bench/stats.py [--reports 1000000] [--samples 15]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/test]

Seeds a fresh database exactly as bench/queue_page.py does (1M reports ≈ 200,000 corrections over
20 sites and a year, bulk inserts), adds the decision events of the closed corrections, runs
the stats rollup once (the backfill a first ``errata mail send`` does; its time is printed),
then measures whole ``/stats`` requests through the app (login, the rollup check, the live
hour, the queries, the SVG and the template) with the Flask test client: the median of
``--samples`` after a warm-up, for 30 days, 90 days and a year, as an admin (20 sites), an
editor of 10 sites and for one site. Target (issue 18): each under 300 ms.

Beside it, the baseline: the same counts read straight from the raw tables, without the
rollup (what the page would cost without pre-aggregation).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    factory = qb.postgres_factory(args.database_url) if args.database_url else qb.sqlite_factory
    backend = "PostgreSQL" if args.database_url else "SQLite"
    url, cleanup = factory()
    inst = tempfile.TemporaryDirectory()
    try:
        app = qb.make_app(url, inst.name)
        secs, n_corr = qb.seed(app, args.reports)
        n_events = add_decisions(app)
        print(f"{backend}: {args.reports:,} reports, {n_corr:,} corrections, {n_events:,} "
              f"decisions seeded in {secs:.0f} s", flush=True)
        print(f"rollup of the whole year (first run): {timed_rollup(app):.1f} s", flush=True)
        pages = {
            "admin, all 20 sites": ("admin@bench.example", ""),
            "editor of 10 sites": ("group@bench.example", ""),
            "one site": ("admin@bench.example", "site=5&"),
        }
        clients = {who: qb.signed_in(app, who) for who, _q in pages.values()}
        print(f"\n/stats, median of {args.samples} requests (wall clock / CPU, ms)\n")
        print("| who | 30 days | 90 days | 365 days |")
        print("|---|---:|---:|---:|")
        for name, (who, query) in pages.items():
            cells = []
            for days in (30, 90, 365):
                path = f"/stats?{query}days={days}"
                for _ in range(2):
                    qb.timed_get(clients[who], path)
                walls, cpus = zip(*(qb.timed_get(clients[who], path)
                                    for _ in range(args.samples)), strict=True)
                cells.append(f"{statistics.median(walls):.0f} / {statistics.median(cpus):.0f}")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        print("\nbaseline: the same counts from the raw tables (all sites), median of 3 (ms)\n")
        print("| 30 days | 90 days | 365 days |\n|---:|---:|---:|")
        print("| " + " | ".join(f"{statistics.median(baseline(app, d) for _ in range(3)):.0f}"
                                for d in (30, 90, 365)) + " |")
        from service.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        inst.cleanup()
        cleanup()


if __name__ == "__main__":
    main()
