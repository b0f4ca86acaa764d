"""Queue page times at 1,000 vs 1,000,000 reports (a benchmark, not a test).

    .venv/bin/python bench/queue_page.py [--reports 1000000] [--small 1000] [--samples 30]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/test]

For each size it builds a fresh database with the real migrations (a temporary SQLite file,
or a new database on the given PostgreSQL server, dropped afterwards), seeds reports grouped
about five to a correction (so 1M reports ≈ 200,000 corrections) over 20 sites with bulk
inserts (executemany on SQLite, COPY on PostgreSQL), runs ANALYZE, and then measures the
server time of whole requests through the app (routing, login, queries, template) with the
Flask test client: the median of ``--samples`` requests after a warm-up. Printed per page:
median at each size and the ratio large/small. Targets (issue 4): ratio ≤ 1.5 and first
page < 50 ms; issue 19: each text search within 1.5x of the first page at the large size
(the last column).

The reports' text (``--corpus``): news-like text in English and Russian with real word
frequencies (needs the ``bench`` extra: ``pip install -e '.[bench]'``), and the 24-word
vocabulary of the first version, kept as a text search's worst case. By default both, one
after the other (four databases; seeding 1M reports takes 6–15 minutes each on the shared
machine, the search index's triggers included).

The mix of statuses is that of a desk that keeps up: 10 % new, 2 % in progress, 60 % fixed,
20 % not an error, 8 % spam; 70 % typos, 20 % facts. Last reports spread over a year.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SITES = 20
REPORTS_PER_CORRECTION = 5
STATUS_MIX = [("new", 10), ("in_progress", 2), ("fixed", 60), ("rejected", 20), ("spam", 8)]
KIND_MIX = [("typo", 70), ("fact", 20), ("other", 10)]
WORDS = ("the quick brown fox jumps over lazy dog minister said on tuesday that council "
         "government reported collegiums receive occurred separate definitely").split()
NOW = datetime(2026, 11, 28, tzinfo=UTC)

CORRECTION_COLS = ("id", "site_id", "url", "title", "exact", "prefix", "suffix", "suggestion",
                   "link", "lang", "kind", "status", "assignee_id", "report_count",
                   "first_reported_at", "last_reported_at", "resolved_at", "resolution_note",
                   "notified_at", "updated_at", "page_reason")
REPORT_COLS = ("correction_id", "site_id", "url", "origin", "title", "lang", "exact", "prefix",
               "suffix", "kind", "suggestion", "comment", "email", "notify", "ip_hash",
               "client", "created_at")


def pick(rng: random.Random, mix):
    return rng.choices([v for v, _ in mix], weights=[w for _, w in mix])[0]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


class Vocab24:
    """The worst case for a text search: every text drawn from the 24 words of ``WORDS``, so
    every three-letter piece of a search for them ("minister said", "inist") is in a third or
    more of all corrections, and an index has long lists to read for any search."""

    name = "24-word vocabulary (worst case)"

    def __init__(self, rng: random.Random):
        self.rng = rng

    def lang(self, site_id: int) -> str:
        return "en"

    def texts(self, cid: int, lang: str, kind: str) -> tuple[str, str, str, str, str]:
        """title, exact, prefix, suffix, suggestion"""
        rng = self.rng
        exact = rng.choice(WORDS) + f"{cid % 97}"
        return (f"Story {cid // 7}", exact, sentence(rng, 6) + " ", " " + sentence(rng, 6),
                exact.rstrip("0123456789"))

    def comment(self, lang: str) -> str:
        return sentence(self.rng, 5)


class NewsText:
    """News-like text: half the sites English, half Russian; words drawn by how often they
    occur in real text (the wordfreq package's lists, from news, books, subtitles and the
    web: 30,000 words a language, so "the" and «и» are common and "collegiums" rare), with
    «ё» where writers use it («ещё» and «еще» both occur, as in the lists). A headline of 5–11
    words, a quote of 1–4 words (for a typo, one of its words misspelt, corrected in the
    suggestion; for a fact, another phrase as the suggestion), 6 words of context each side,
    a reader's comment of 4–14 words."""

    name = "news-like text (en + ru, real word frequencies)"

    def __init__(self, rng: random.Random):
        from itertools import accumulate

        from wordfreq import get_frequency_list

        self.rng = rng
        self.words, self.cum = {}, {}
        for lang in ("en", "ru"):
            # Buckets of words, most frequent first; bucket i holds words of frequency
            # 10^(-i/100).
            words, weights = [], []
            for i, bucket in enumerate(get_frequency_list(lang)):
                for w in bucket:
                    if len(words) < 30_000 and w.replace("'", "").isalpha():
                        words.append(w)
                        weights.append(10 ** (-i / 100))
            self.words[lang] = words
            self.cum[lang] = list(accumulate(weights))

    def lang(self, site_id: int) -> str:
        return "ru" if site_id % 2 else "en"

    def _words(self, lang: str, lo: int, hi: int) -> list[str]:
        return self.rng.choices(self.words[lang], cum_weights=self.cum[lang],
                                k=self.rng.randint(lo, hi))

    def _typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word + word[-1]
        i = rng.randrange(len(word) - 1)
        how = rng.randrange(3)
        if how == 0:  # two letters swapped
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if how == 1:  # a letter doubled
            return word[:i] + word[i] + word[i:]
        return word[:i] + word[i + 1:]  # a letter dropped

    def texts(self, cid: int, lang: str, kind: str) -> tuple[str, str, str, str, str]:
        title = " ".join(self._words(lang, 5, 11)).capitalize()
        words = self._words(lang, 1, 4)
        if kind == "typo":
            i = self.rng.randrange(len(words))
            exact = " ".join(words[:i] + [self._typo(words[i])] + words[i + 1:])
            suggestion = " ".join(words)
        else:
            exact = " ".join(words)
            suggestion = " ".join(self._words(lang, 1, 4)) if kind == "fact" else ""
        return (title, exact, " ".join(self._words(lang, 6, 6)) + " ",
                " " + " ".join(self._words(lang, 6, 6)), suggestion)

    def comment(self, lang: str) -> str:
        return " ".join(self._words(lang, 4, 14))


CORPORA = {"news": NewsText, "vocab24": Vocab24}


def generate(n_reports: int, seed: int = 7, corpus: str = "vocab24", small_every: int = 0):
    """Rows for corrections and reports (as tuples in column order).

    ``small_every``: every that many'th correction goes to one more, small site (number
    SITES + 1) instead of site 1; both are Russian on the news corpus, so the rest of the
    data is drawn exactly as without it."""
    rng = random.Random(seed)
    text_of = CORPORA[corpus](rng)
    n_corr = max(1, n_reports // REPORTS_PER_CORRECTION)
    corrections, reports = [], []
    left = n_reports
    for cid in range(1, n_corr + 1):
        site_id = 1 + (cid % SITES)
        if small_every and cid % small_every == 0:
            site_id = SITES + 1  # instead of site 1 (cid % SITES == 0 here)
        spread = rng.randint(1, 2 * REPORTS_PER_CORRECTION - 1)
        count = left if cid == n_corr else max(1, min(left - (n_corr - cid), spread))
        left -= count
        last = NOW - timedelta(seconds=rng.randint(0, 365 * 86400))
        first = last - timedelta(seconds=rng.randint(0, 30 * 86400)) if count > 1 else last
        status = pick(rng, STATUS_MIX)
        kind = pick(rng, KIND_MIX)
        url = f"https://site{site_id}.example/news/{cid // 7}"
        lang = text_of.lang(site_id)
        title, exact, prefix, suffix, suggestion = text_of.texts(cid, lang, kind)
        closed = status in ("fixed", "rejected", "spam")
        assignee = 2 + site_id - 1 if status == "in_progress" else None
        corrections.append((
            cid, site_id, url, title, exact, prefix, suffix, suggestion,
            f"{url}#:~:text={exact}", lang, kind, status, assignee, count, first, last,
            last + timedelta(hours=2) if closed else None, "", last,
            last + timedelta(hours=2) if closed else last, "",
        ))
        step = (last - first) / max(1, count - 1)
        for i in range(count):
            reports.append((
                cid, site_id, url, f"https://site{site_id}.example", title, lang,
                exact, prefix, suffix, kind, suggestion,
                text_of.comment(lang) if rng.random() < 0.3 else "", None, False,
                f"{rng.getrandbits(64):016x}", "bench", first + step * i,
            ))
    return corrections, reports


def _sqlite_dt(value):
    # The format SQLAlchemy's SQLite DateTime writes, so comparisons match what the app binds.
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(app, n_reports: int, corpus: str = "vocab24",
         small_every: int = 0) -> tuple[float, int]:
    """Sites, editors (an admin and one editor per site), corrections and reports."""
    from service.accounts.core import create_editor
    from service.extensions import db
    from service.models import Site

    started = time.perf_counter()
    with app.app_context():
        sites = []
        for i in range(1, SITES + 1 + bool(small_every)):
            site = Site(id=i, name=f"Site {i:02d}", key=f"site{i}",
                        origins=[f"https://site{i}.example"], notify_emails=[])
            db.session.add(site)
            sites.append(site)
        db.session.flush()
        create_editor(db.session, "admin@bench.example", role="admin", password=None)
        for i, site in enumerate(sites, start=1):
            create_editor(db.session, f"editor{i}@bench.example", password=None, sites=[site])
        create_editor(db.session, "group@bench.example", password=None, sites=sites[:10])
        db.session.commit()
        corrections, reports = generate(n_reports, corpus=corpus, small_every=small_every)
        engine = db.engine
        raw = engine.raw_connection()
        try:
            if engine.dialect.name == "postgresql":
                with raw.cursor() as cur:
                    with cur.copy(f"COPY corrections ({', '.join(CORRECTION_COLS)}) "
                                  "FROM STDIN") as copy:
                        for row in corrections:
                            copy.write_row(row)
                    with cur.copy(f"COPY reports ({', '.join(REPORT_COLS)}) FROM STDIN") as copy:
                        for row in reports:
                            copy.write_row(row)
                    cur.execute("SELECT setval('corrections_id_seq', "
                                "(SELECT max(id) FROM corrections))")
                raw.commit()
            else:
                dt_c = [CORRECTION_COLS.index(c) for c in
                        ("first_reported_at", "last_reported_at", "resolved_at", "notified_at",
                         "updated_at")]
                dt_r = REPORT_COLS.index("created_at")
                cur = raw.cursor()
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("BEGIN")
                cur.executemany(
                    f"INSERT INTO corrections ({', '.join(CORRECTION_COLS)}) VALUES "
                    f"({', '.join('?' * len(CORRECTION_COLS))})",
                    (tuple(_sqlite_dt(v) if i in dt_c else v for i, v in enumerate(row))
                     for row in corrections))
                cur.executemany(
                    f"INSERT INTO reports ({', '.join(REPORT_COLS)}) VALUES "
                    f"({', '.join('?' * len(REPORT_COLS))})",
                    (row[:dt_r] + (_sqlite_dt(row[dt_r]),) for row in reports))
                cur.execute("COMMIT")
                cur.close()
        finally:
            raw.close()
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))
            else:
                conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started, len(corrections)


def make_app(url: str, instance: str):
    from service import create_app
    from service.migrate import upgrade

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench",
        "ERRATA_IP_SALT": "bench", "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    })
    upgrade(app)
    return app


def signed_in(app, email: str):
    """A test client logged in through the real form (sessions are server-side)."""
    from sqlalchemy import select

    from service.accounts.core import set_password
    from service.extensions import db
    from service.models import Editor

    with app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == email))
        set_password(editor, "bench password 1234")
        db.session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"csrf_token": token, "email": email,
                                       "password": "bench password 1234"})
    assert resp.status_code == 302, resp.status_code
    return client


def deep_cursor(app, status_filter: str = "all") -> str:
    """The "after" cursor of the row halfway down the whole queue (set up with OFFSET once;
    the measured request itself uses only the cursor)."""
    from sqlalchemy import func, select

    from service.extensions import db
    from service.models import STATUSES, Correction
    from service.queue.listing import encode_cursor

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Correction))
        row = db.session.scalar(
            select(Correction).where(Correction.status.in_(STATUSES))
            .order_by(Correction.last_reported_at.desc(), Correction.id.desc())
            .offset(total // 2).limit(1))
        return encode_cursor("last", row)


def timed_get(client, path: str) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one request. CPU time (this process: the app, and
    on SQLite the database too) hardly moves when other programs load the machine."""
    c0, t0 = time.process_time(), time.perf_counter()
    resp = client.get(path)
    resp.get_data()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert resp.status_code == 200, (path, resp.status_code)
    return elapsed * 1000, cpu * 1000


def timed_queries(app, email: str, path: str) -> float:
    """The database part of a page alone: its listing and the navigation's open counts."""
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import select

    from service.extensions import db
    from service.models import Editor
    from service.queue.listing import list_corrections, open_counts, parse_filters

    args = {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}
    with app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == email))
        t0 = time.perf_counter()
        list_corrections(db.session, editor, parse_filters(args))
        open_counts(db.session, editor)
        elapsed = time.perf_counter() - t0
        db.session.remove()
    return elapsed * 1000


def rows_on(client, path: str) -> int:
    return len(re.findall(r"data-row ", client.get(path).get_data(as_text=True)))


def pages(app) -> dict[str, tuple[str, str]]:
    """name -> (who, path). Each page is a full page (50 rows) at both sizes."""
    return {
        "first page (admin, open)": ("admin@bench.example", "/queue"),
        "first page (editor of 10 sites)": ("group@bench.example", "/queue"),
        "filtered (one site, all statuses)": ("admin@bench.example", "/queue?site=5&status=all"),
        "filtered (kind=fact, most reported)": ("admin@bench.example",
                                                "/queue?status=all&kind=fact&sort=most"),
        "deep page (all, halfway down)": ("admin@bench.example",
                                          f"/queue?status=all&after={deep_cursor(app)}"),
        "deep page back (all, Previous page)": ("admin@bench.example",
                                                f"/queue?status=all&before={deep_cursor(app)}"),
    }


# Searches measured on each corpus (issue 19 §4: within 1.5x of the first page at 1M):
# name -> the text searched for.
SEARCHES = {
    "vocab24": {
        "search 'minister said' (phrase)": "minister said",
        "search 'inist' (inside a word)": "inist",
    },
    "news": {
        "search 'minister said' (phrase, rare)": "minister said",
        "search 'of the' (phrase, frequent)": "of the",
        "search 'said' (word)": "said",
        "search 'inist' (inside a word)": "inist",
        "search 'министр' (Russian word)": "министр",
        "search 'ещё' (finds еще and ещё)": "ещё",
        "search 'the' (in 40 % of texts)": "the",
    },
}
FIRST = "first page (admin, open)"


BEFORE = " [before: every match read]"


def informative_pages(corpus: str = "vocab24") -> dict[str, tuple[str, str]]:
    """Measured and printed, but not held to the ratio: their size differs with the data.
    Each search is measured twice: as the app runs it, and as it ran before (BEFORE)."""
    searches = {name: ("admin@bench.example", "/queue?" + urlencode({"q": q}))
                for name, q in SEARCHES[corpus].items()}
    return {
        "mine (editor, assigned to them)": ("editor3@bench.example", "/queue?mine=1"),
        **searches,
        **{name + BEFORE: page for name, page in searches.items()},
    }


@contextmanager
def strategy(name: str):
    """For a BEFORE page, the baseline in the same run: a page reads every match from the
    index (search.matches, as the export does), as every page did before issue 19's rework."""
    from service.queue import search

    if not name.endswith(BEFORE):
        yield
        return
    current = search.page_condition
    search.page_condition = lambda session, q, page_size, scope=None: search.matches(
        q, session.get_bind().dialect.name)
    try:
        yield
    finally:
        search.page_condition = current


class Setup:
    """One seeded database and the signed-in clients for its pages."""

    def __init__(self, url_factory, n_reports: int, corpus: str = "vocab24"):
        self.url, self.cleanup = url_factory()
        self._inst = tempfile.TemporaryDirectory()
        self.app = make_app(self.url, self._inst.name)
        secs, n_corr = seed(self.app, n_reports, corpus)
        print(f"  {n_reports:,} reports / {n_corr:,} corrections seeded in {secs:.1f} s",
              flush=True)
        self.pages = {**pages(self.app), **informative_pages(corpus)}
        self.clients = {}
        for name, (who, path) in self.pages.items():
            client = self.clients.setdefault(who, signed_in(self.app, who))
            with strategy(name):
                for _ in range(3):  # warm-up
                    timed_get(client, path)
        self.rows = {}
        for name, (who, path) in self.pages.items():
            with strategy(name):
                self.rows[name] = rows_on(self.clients[who], path)

    def close(self) -> None:
        from service.extensions import db

        with self.app.app_context():
            db.engine.dispose()
        self._inst.cleanup()
        self.cleanup()


def sqlite_factory():
    tmp = tempfile.TemporaryDirectory()
    return f"sqlite:///{tmp.name}/bench.db", tmp.cleanup


def postgres_factory(admin_url: str):
    def factory():
        admin = make_url(admin_url)
        if admin.drivername in ("postgresql", "postgres"):
            admin = admin.set(drivername="postgresql+psycopg")
        name = f"errata_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def cleanup():
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()

        return admin.set(database=name).render_as_string(hide_password=False), cleanup
    return factory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=5_000,
                        help="reports in the small database (5,000 = 1,000 corrections)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server URL (a scratch database is created on it); "
                             "default: SQLite in a temporary directory")
    parser.add_argument("--corpus", choices=("both", *CORPORA), default="both",
                        help="the reports' text: news-like (real word frequencies, en + ru), "
                             "the 24-word vocabulary (a text search's worst case), or both "
                             "one after the other")
    args = parser.parse_args()
    factory = postgres_factory(args.database_url) if args.database_url else sqlite_factory
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Queue benchmark on {backend}, median of {args.samples} requests (ms)", flush=True)
    for corpus in CORPORA if args.corpus == "both" else (args.corpus,):
        print(f"\n## Text: {CORPORA[corpus].name}\n", flush=True)
        run(factory, backend, corpus, args)


def run(factory, backend: str, corpus: str, args) -> None:
    setups = []
    try:
        for n in (args.small, args.reports):
            print(f"- seeding {n:,} reports", flush=True)
            setups.append(Setup(factory, n, corpus))
        small, large = setups
        # Rounds alternate small/large, page by page, so load from elsewhere on the machine
        # falls on both sizes alike.
        times = {(name, i): [] for name in small.pages for i in (0, 1)}
        cpu_times = {(name, i): [] for name in small.pages for i in (0, 1)}
        db_times = {(name, i): [] for name in small.pages for i in (0, 1)}
        loads = []
        for _ in range(args.samples):
            loads.append(os.getloadavg()[0])
            for name in small.pages:
                for i, setup in enumerate(setups):
                    who, path = setup.pages[name]
                    with strategy(name):
                        wall, cpu = timed_get(setup.clients[who], path)
                        db_ms = timed_queries(setup.app, who, path)
                    times[(name, i)].append(wall)
                    cpu_times[(name, i)].append(cpu)
                    db_times[(name, i)].append(db_ms)
        held = list(pages(small.app))
        print(f"\nload average while measuring: {statistics.median(loads):.1f} (median; "
              f"{min(loads):.1f}–{max(loads):.1f}) on {os.cpu_count()} CPUs")
        what_cpu = "app and database" if backend == "SQLite" else "app only"
        for title, data in (("Whole request (server time, wall clock)", times),
                            (f"Whole request, CPU time ({what_cpu})", cpu_times),
                            ("Database part only (listing + open counts, wall clock)",
                             db_times)):
            print(f"\n{title} (searches: the target is the last column)\n")
            print(f"| page | {args.small:,} reports | {args.reports:,} reports | ratio |"
                  f" ÷ first page at {args.reports:,} |")
            print("|---|---:|---:|---:|---:|")
            base = statistics.median(data[(FIRST, 1)])
            for name in small.pages:
                a = statistics.median(data[(name, 0)])
                b = statistics.median(data[(name, 1)])
                mark = "" if name in held or name in SEARCHES[corpus] else " (not a target)"
                vs_first = (f"**{b / base:.2f}**" if name in SEARCHES[corpus]
                            else f"{b / base:.2f}" if name.endswith(BEFORE) else "")
                print(f"| {name}{mark} | {a:.1f} ms ({small.rows[name]} rows) | "
                      f"{b:.1f} ms ({large.rows[name]} rows) | {b / a:.2f} | {vs_first} |",
                      flush=True)
    finally:
        for setup in setups:
            setup.close()


if __name__ == "__main__":
    main()
