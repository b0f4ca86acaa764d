"""Queue text search at 1,000,000 reports, two versions of the code side by side on one seeded
database (a benchmark, not a test).

    # once: seed a kept database (a SQLite file, or a named database on a PostgreSQL server)
    .venv/bin/python bench/queue_search.py seed --database-url sqlite:////tmp/errata-search.db
    .venv/bin/python bench/queue_search.py seed \\
        --database-url postgresql://postgres@127.0.0.1:5432/errata_search_bench
    # then measure: each --code is a source tree (e.g. a git worktree of an older commit)
    # with its own venv (make .venv/.installed-bench there); the first is the baseline
    .venv/bin/python bench/queue_search.py measure --database-url ... \\
        --code /path/to/before --code .
    # and at the end
    .venv/bin/python bench/queue_search.py drop --database-url ...

The data is ``bench/queue_page.py``'s news-like text (English and Russian, real word
frequencies; needs the ``bench`` extra), 1,000,000 reports ≈ 200,000 corrections on 20
sites, plus one small site (number 21, Russian): every 1,000th correction is on it instead of
site 1, i.e. 200 corrections. That is the page a search weighed on the whole queue got wrong:
an English word common on the other sites ("said") and absent from the small site's rows.

``measure`` starts one worker process per tree, each with that tree's own ``service`` and
venv, signed in through the real login form; requests go through the Flask test client
(routing, login, queries, template: the server time without the network). Every round
requests each page from every tree in turn, the order reversed every other round, so load
from elsewhere on the machine falls on all alike. Printed: the median of ``--samples``
requests after a warm-up, whole request (wall clock and the worker's CPU time) and the
database part alone (the listing and the navigation's open counts), with each search's
ratio to the same tree's first page, and the load average while measuring.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import queue_page as qp  # noqa: E402

SMALL_EVERY = 1000
SMALL_SITE = qp.SITES + 1
PASSWORD = "bench password 1234"
ADMIN = "admin@bench.example"
FIRST = "first page (admin, open)"
SMALL = "small site (site 21: 200 corrections, Russian; all statuses)"
SITE5 = "one site (site 5: 10,000 corrections, Russian; all statuses)"
FACT = "kind = fact, all statuses, most reported"
GONE = "looks fixed (open; no row is)"

# name -> (who, path); the three pages without a search are what the searches are held to.
PAGES = {
    FIRST: (ADMIN, "/queue"),
    SMALL: (ADMIN, f"/queue?site={SMALL_SITE}&status=all"),
    SITE5: (ADMIN, "/queue?site=5&status=all"),
    FACT: (ADMIN, "/queue?status=all&kind=fact&sort=most"),
    GONE: (ADMIN, "/queue?looks_fixed=1"),
    **{name: (ADMIN, "/queue?" + urlencode({"q": q}))
       for name, q in qp.SEARCHES["news"].items()},
    "small site + 'said' (common elsewhere, none here)":
        (ADMIN, "/queue?" + urlencode({"site": SMALL_SITE, "status": "all", "q": "said"})),
    "small site + 'ещё'":
        (ADMIN, "/queue?" + urlencode({"site": SMALL_SITE, "status": "all", "q": "ещё"})),
    "one site (site 5) + 'said'":
        (ADMIN, "/queue?" + urlencode({"site": 5, "status": "all", "q": "said"})),
    "kind = fact + 'said'":
        (ADMIN, "/queue?" + urlencode({"status": "all", "kind": "fact", "sort": "most",
                                       "q": "said"})),
    "looks fixed + 'said'": (ADMIN, "/queue?" + urlencode({"looks_fixed": 1, "q": "said"})),
}
# Which page without a search each search is compared with, besides the first page.
_BASES = {"small site +": SMALL, "one site (site 5) +": SITE5, "kind = fact +": FACT,
          "looks fixed +": GONE}
OWN_BASE = {name: next((b for p, b in _BASES.items() if name.startswith(p)), FIRST)
            for name in PAGES}


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _admin_engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT"), u.database


def cmd_seed(args) -> None:
    """A fresh database with the real migrations, seeded, passwords set once for all."""
    from sqlalchemy import select, text

    if _is_sqlite(args.database_url):
        path = Path(args.database_url.split("///", 1)[1])
        if path.exists():
            sys.exit(f"{path} exists: drop it first")
    else:
        engine, name = _admin_engine(args.database_url)
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    instance = tempfile.mkdtemp()
    app = qp.make_app(args.database_url, instance)
    secs, n_corr = qp.seed(app, args.reports, "news", small_every=SMALL_EVERY)
    print(f"{args.reports:,} reports / {n_corr:,} corrections seeded in {secs:.1f} s")
    from service.accounts.core import set_password
    from service.extensions import db
    from service.models import Editor

    with app.app_context():
        for editor in db.session.scalars(select(Editor)):
            set_password(editor, PASSWORD)
        db.session.commit()
        db.engine.dispose()


def cmd_drop(args) -> None:
    from sqlalchemy import text

    if _is_sqlite(args.database_url):
        path = Path(args.database_url.split("///", 1)[1])
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return
    engine, name = _admin_engine(args.database_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def cmd_worker(args) -> None:
    """One tree's app: reads a page name a line, answers with its times as JSON."""
    sys.path.insert(0, str(Path(args.code).resolve()))  # before this tree's own root
    import service
    from service import create_app

    source = Path(service.__file__).resolve()
    assert source.is_relative_to(Path(args.code).resolve()), source
    instance = tempfile.mkdtemp()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": instance,
        "SECRET_KEY": "bench", "ERRATA_IP_SALT": "bench", "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    })
    clients = {}
    for who in {who for who, _ in PAGES.values()}:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = qp.re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        resp = client.post("/login", data={"csrf_token": token, "email": who,
                                           "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code
        clients[who] = client
    print(json.dumps({"ready": str(source.parent)}), flush=True)
    for line in sys.stdin:
        what, _, name = line.rstrip("\n").partition(" ")
        who, path = PAGES[name]
        if what == "rows":
            answer = {"rows": qp.rows_on(clients[who], path)}
        else:
            wall, cpu = qp.timed_get(clients[who], path)
            answer = {"wall": wall, "cpu": cpu, "db": qp.timed_queries(app, who, path)}
        print(json.dumps(answer), flush=True)


class Worker:
    def __init__(self, code: str, url: str):
        code = str(Path(code).resolve())
        python = Path(code) / ".venv" / "bin" / "python"
        self.code = code
        self.proc = subprocess.Popen(
            [str(python), str(Path(__file__).resolve()), "worker", "--code", code,
             "--database-url", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.label = json.loads(self.proc.stdout.readline())["ready"]

    def _ask(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def get(self, name: str) -> dict:
        return self._ask(f"time {name}")

    def rows(self, name: str) -> int:
        return self._ask(f"rows {name}")["rows"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def cmd_measure(args) -> None:
    workers = [Worker(code, args.database_url) for code in args.code]
    names = [Path(w.code).name for w in workers]
    backend = "SQLite" if _is_sqlite(args.database_url) else "PostgreSQL"
    print(f"Queue search on {backend}, {len(workers)} trees side by side: "
          + ", ".join(w.label for w in workers), flush=True)
    try:
        rows = {}
        for name in PAGES:  # warm-up, and the rows each tree shows (they must agree)
            for w in workers:
                for _ in range(3):
                    w.get(name)
            seen = {w.rows(name) for w in workers}
            assert len(seen) == 1, (name, seen)
            rows[name] = seen.pop()
        data = {(name, i, k): [] for name in PAGES for i in range(len(workers))
                for k in ("wall", "cpu", "db")}
        loads = []
        started = time.monotonic()
        for r in range(args.samples):
            loads.append(os.getloadavg()[0])
            order = list(enumerate(workers))
            if r % 2:
                order.reverse()
            for name in PAGES:
                for i, w in order:
                    got = w.get(name)
                    for k in ("wall", "cpu", "db"):
                        data[(name, i, k)].append(got[k])
        took = time.monotonic() - started
    finally:
        for w in workers:
            w.close()
    print(f"\nload average while measuring: {statistics.median(loads):.1f} (median; "
          f"{min(loads):.1f}–{max(loads):.1f}) on {os.cpu_count()} CPUs, {took:.0f} s")
    for k, title in (("wall", "Whole request (server time, wall clock)"),
                     ("cpu", "Whole request, CPU time of the worker"
                      + (" (app and database)" if backend == "SQLite" else " (app only)")),
                     ("db", "Database part only (listing + open counts, wall clock)")):
        med = {(name, i): statistics.median(data[(name, i, k)])
               for name in PAGES for i in range(len(workers))}
        print(f"\n{title}, median ms; ÷ first page, and ÷ the same page without the search\n")
        head = " | ".join(f"{n} ms | ÷ first | ÷ own" for n in names)
        print(f"| page (rows) | {head} |")
        print("|---|" + "---:|" * 3 * len(workers))
        for name in PAGES:
            cells = []
            for i in range(len(workers)):
                m = med[(name, i)]
                first = m / med[(FIRST, i)]
                own = m / med[(OWN_BASE[name], i)]
                cells.append(f"{m:.1f} | {first:.2f} | "
                             + (f"{own:.2f}" if OWN_BASE[name] != FIRST else ""))
            print(f"| {name} ({rows[name]}) | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("seed", "measure", "drop", "worker"):
        p = sub.add_parser(name)
        p.add_argument("--database-url", required=True)
        if name == "seed":
            p.add_argument("--reports", type=int, default=1_000_000)
        if name == "measure":
            p.add_argument("--code", action="append", required=True,
                           help="a source tree with its own .venv; repeat, baseline first")
            p.add_argument("--samples", type=int, default=30)
        if name == "worker":
            p.add_argument("--code", required=True)
    args = parser.parse_args()
    {"seed": cmd_seed, "measure": cmd_measure, "drop": cmd_drop, "worker": cmd_worker}[
        args.cmd](args)


if __name__ == "__main__":
    main()
