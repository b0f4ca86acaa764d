"""The database floor of ingest: storing reports with the raw driver, nothing else.

    .venv/bin/python bench/ingest_floor.py [--reports 4000] [--postgres URL]

Runs, on the real schema (the migrations), the work a batch of reports needs from the
database, written straightforwardly: begin (with the write lock on SQLite, the page
locks on PostgreSQL), read the pages' open corrections, match each report with the real
matcher (``service.ingest.grouping.best_match``), insert the new corrections, update the
joined ones, insert the reports, commit. No Flask, no SQLAlchemy, no validation, no rate
limits, one thread. It is plain rather than minimal (one statement per row, where the app
inserts a batch's rows in one statement on PostgreSQL), so it is a reference point for the
cost of the storage itself, not a proven lower bound. The load is bench/ingest.lua's
(50 pages x 20 spots). Printed: CPU time per report in this process (user + system)
and, for PostgreSQL, in its server process too, which runs on the same CPUs as the app;
for batches of 1, 4 (about the size of the batches in bench/ingest.py's run) and 16
reports. docs/performance.md compares it with the budget that a real/bare ratio of 0.6
leaves.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import PG_DEFAULT, create_pg_database  # noqa: E402
from service.ingest.grouping import best_match  # noqa: E402

WORDS = ["collegiums", "liaisons", "Lukashenko", "co-operation", "topical", "polycentric",
         "Makei", "harmonise", "politicisation", "trafficking", "CSTO", "Dublin",
         "revisionism", "Nuremberg", "enshrined", "Baltic", "multi-feature", "scrutiny",
         "substantive", "integration"]
PREFIX, SUFFIX = "the text before ", " and after it"
COLUMNS = "id, url, exact, prefix, suffix, status, last_reported_at"
CANDIDATES = (
    f"SELECT {COLUMNS} FROM (SELECT {COLUMNS}, row_number() OVER (PARTITION BY site_id, url "
    "ORDER BY last_reported_at DESC) AS rank FROM corrections WHERE (site_id, url) IN "
    "(VALUES {pages}) AND status IN ('new', 'in_progress', 'rejected')) AS c WHERE rank <= 200"
)
INSERT_CORRECTION = (
    "INSERT INTO corrections (site_id, url, title, exact, prefix, suffix, suggestion, link, "
    "lang, kind, status, report_count, first_reported_at, last_reported_at, resolution_note) "
    "VALUES (1, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 'en', 'typo', 'new', 1, {p}, {p}, '') "
    "RETURNING id"
)
JOIN = (
    "UPDATE corrections SET report_count = report_count + 1, last_reported_at = {p}, "
    "suggestion = CASE WHEN suggestion = '' THEN {p} ELSE suggestion END WHERE id = {p}"
)
INSERT_REPORT = (
    'INSERT INTO reports (correction_id, site_id, url, origin, title, lang, exact, prefix, '
    'suffix, start, "end", kind, suggestion, comment, email, notify, ip_hash, user_agent, '
    "client, elapsed_ms, created_at) VALUES ({p}, 1, {p}, 'https://news.example', {p}, 'en', "
    "{p}, {p}, {p}, NULL, NULL, 'typo', {p}, 'bench', NULL, false, 'c0ffee', 'wrk', 'bench', "
    "4000, {p}) RETURNING id"
)


class Spot:
    __slots__ = ("id", "url", "exact", "prefix", "suffix", "status", "last_reported_at")

    def __init__(self, row) -> None:
        for name, value in zip(self.__slots__, row, strict=True):
            setattr(self, name, value)


def make_store(conn, dialect: str):
    p = "?" if dialect == "sqlite" else "%s"
    insert_correction = INSERT_CORRECTION.format(p=p)
    join = JOIN.format(p=p)
    insert_report = INSERT_REPORT.format(p=p)

    def store(batch: list[tuple[str, str]]) -> None:
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now
        cur = conn.cursor()
        pages = sorted({url for url, _ in batch})
        if dialect == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        else:
            cur.execute("SELECT count(pg_advisory_xact_lock(hashtext(u)::bigint)) FROM "
                        "unnest(%s::text[]) AS u", (pages,))
        cur.execute(CANDIDATES.format(pages=", ".join(f"(1, {p})" for _ in pages)), pages)
        found: dict[str, list[Spot]] = {url: [] for url in pages}
        for row in cur.fetchall():
            found[row[1]].append(Spot(row))
        for url, word in batch:
            match = best_match(found[url], word, PREFIX, SUFFIX)
            if match is None:
                cur.execute(insert_correction, (url, "Article", word, PREFIX, SUFFIX,
                                                f"{word} fixed", f"{url}#:~:text={word}",
                                                stamp, stamp))
                match = Spot((cur.fetchone()[0], url, word, PREFIX, SUFFIX, "new", stamp))
                found[url].append(match)
            else:
                cur.execute(join, (stamp, f"{word} fixed", match.id))
            cur.execute(insert_report, (match.id, url, "Article", word, PREFIX, SUFFIX,
                                        f"{word} fixed", stamp))
            cur.fetchone()
        if dialect == "sqlite":
            cur.execute("COMMIT")
        else:
            conn.commit()

    return store


def server_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(store, server_pid: int | None, size: int, reports: int) -> tuple[float, float]:
    """Microseconds of CPU per report: (this process, the database server)."""
    batches = [[(f"https://news.example/news/{random.randint(1, 50)}", random.choice(WORDS))
                for _ in range(size)] for _ in range(reports // size)]
    here, there = os.times(), server_cpu(server_pid)
    for batch in batches:
        store(batch)
    after = os.times()
    n = len(batches) * size
    return ((after.user - here.user + after.system - here.system) * 1e6 / n,
            (server_cpu(server_pid) - there) * 1e6 / n)


def upgrade(url: str, instance: str) -> None:
    env = dict(os.environ, ERRATA_DATABASE_URL=url, ERRATA_INSTANCE_PATH=instance)
    subprocess.run([str(Path(sys.executable).parent / "errata"), "db", "upgrade"], env=env,
                   check=True, capture_output=True, cwd=ROOT)


def run(name: str, conn, dialect: str, server_pid: int | None, reports: int) -> None:
    cur = conn.cursor()
    cur.execute("INSERT INTO sites (id, name, key, origins, notify_emails, default_lang, "
                "active, created_at) VALUES (1, 'Bench', 'bench', '[]', '[]', 'en', true, "
                "CURRENT_TIMESTAMP)")
    if dialect == "postgresql":
        conn.commit()
    store = make_store(conn, dialect)
    measure(store, server_pid, 4, 2000)  # warm-up: most spots opened, caches filled
    for size in (1, 4, 16):
        rounds = [measure(store, server_pid, size, reports) for _ in range(3)]
        rounds.sort(key=sum)
        app, server = rounds[1]  # the median round
        print(f"{name:<11} batch {size:>2}: {app:6.0f} µs app + {server:4.0f} µs server "
              f"= {app + server:6.0f} µs CPU per report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=4000, help="reports per round")
    parser.add_argument("--postgres", default=os.environ.get("ERRATA_BENCH_POSTGRES", PG_DEFAULT),
                        help="server URL to create a scratch database on ('' to skip)")
    args = parser.parse_args()
    random.seed(2)  # the same reports in every run
    with tempfile.TemporaryDirectory(prefix="errata-floor-") as tmp:
        path = Path(tmp) / "floor.db"
        upgrade(f"sqlite:///{path}", tmp)
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        run("SQLite", conn, "sqlite", None, args.reports)
        conn.close()
        if not args.postgres:
            return
        import psycopg

        url, drop = create_pg_database(args.postgres)
        try:
            upgrade(url, tmp)
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as pg:
                pid = pg.execute("SELECT pg_backend_pid()").fetchone()[0]
                pg.commit()
                run("PostgreSQL", pg, "postgresql", pid, args.reports)
        finally:
            drop()


if __name__ == "__main__":
    main()
