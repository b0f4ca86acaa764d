"""Page-check figures for docs/performance.md (a benchmark, not a test).

    .venv/bin/python bench/pagecheck.py [--pages 300] [--corrections 1000] [--origins 50]

1. The matcher on a 1 MB article page: visible text (lxml) and ``locate`` for a quote still
   there, one fixed, and one whose paragraph was deleted; next to a baseline that only
   extracts lxml's ``text_content()`` and looks for the whole context with ``str.find``.
2. Page checks per minute against the local article server (tests/article_server.py), the
   whole pipeline (fetch, parse, match, store, commit) on a temporary SQLite database: with no
   spacing between requests (the capacity of one checker thread), and with the production
   spacing of one request per origin per second on one origin.
3. One hour of background checking for ``--corrections`` open corrections on ``--origins``
   origins (each its own local server), two corrections per article page: the real
   ``run_round`` loop until nothing is due, then the next hour with conditional requests.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402
from sqlalchemy import update  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.models import Correction, Site, utcnow  # noqa: E402
from service.pagecheck.core import check_corrections, run_round  # noqa: E402
from service.pagecheck.fetch import Backoff  # noqa: E402
from service.pagecheck.matcher import locate, visible_text  # noqa: E402
from tests.article_server import ArticleServer, Served  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"
SEED = (PAGES / "seed-article.html").read_text()
EXACT, PREFIX = "collegiums", "The joint meeting of the Foreign Ministry "
SUFFIX = " of Belarus and Russia was held. However, previous to it, Minsk"
SENTENCE = ("The joint meeting of the Foreign Ministry collegiums of Belarus and Russia was "
            "held.")


def big_page(size: int = 1024 * 1024) -> str:
    """The seed article padded to ``size`` bytes with other paragraphs of the fixtures
    (a live blog, an archive page), the reported sentence once near the middle."""
    paragraphs = []
    for name in ("wordpress.html", "drupal.html", "paywall.html", "seed-article.html"):
        text = (PAGES / name).read_text()
        paragraphs += [p for p in re.findall(r"<p[^>]*>.*?</p>", text, re.S)
                       if "collegiums" not in p]
    rng = random.Random(17)
    filler: list[str] = []
    while sum(map(len, filler)) < size - len(SEED):
        words = rng.choice(paragraphs).split(" ")
        rng.shuffle(words)  # no paragraph repeats word for word
        filler.append(" ".join(words))
    half = len(filler) // 2
    return SEED.replace("<article>", "<article>" + "".join(filler[:half])) \
               .replace("</article>", "".join(filler[half:]) + "</article>")


def median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def matcher_figures() -> None:
    page = big_page()
    raw = page.encode()
    print(f"1. matcher on a {len(raw) / 1024 / 1024:.2f} MB page (median of 7)")
    parse = median_ms(lambda: visible_text(raw))
    base_parse = median_ms(lambda: lxml.html.document_fromstring(raw).text_content())
    print(f"   visible text (lxml, our walk): {parse:7.1f} ms   baseline text_content(): "
          f"{base_parse:7.1f} ms")
    cases = {
        "present": page,
        "gone (fixed)": page.replace(SENTENCE, SENTENCE.replace(EXACT, "collegia")),
        "unknown (deleted)": page.replace(SENTENCE, ""),
    }
    for name, html in cases.items():
        text = visible_text(html.encode())
        result = locate(text, EXACT, PREFIX, SUFFIX)
        ms = median_ms(lambda text=text: locate(text, EXACT, PREFIX, SUFFIX))
        base = median_ms(lambda text=text: text.find(PREFIX + EXACT + SUFFIX))
        print(f"   locate, {name:18} -> {result.state:8} {ms:7.2f} ms   baseline str.find: "
              f"{base:6.2f} ms")


def make_app(tmp: str):
    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db",
                      "INSTANCE_PATH": f"{tmp}/instance", "SECRET_KEY": "bench",
                      "ERRATA_IP_SALT": "bench", "ERRATA_BASE_URL": "http://bench.local"})
    upgrade(app)
    return app


def add_corrections(session, site: Site, urls: list[str], per_page: int) -> None:
    now = utcnow()
    rows = []
    for url in urls:
        for i in range(per_page):
            exact, prefix = (EXACT, PREFIX) if i == 0 else ("Lavrov", "Mr. ")
            suffix = SUFFIX if i == 0 else " is satisfied with the results of the last joint"
            rows.append(Correction(site_id=site.id, url=url, exact=exact, prefix=prefix,
                                   suffix=suffix, first_reported_at=now, last_reported_at=now,
                                   updated_at=now))
    session.add_all(rows)
    session.commit()


def throughput_figures(app, pages: int) -> None:
    server = ArticleServer().start()
    try:
        body = SEED.encode()
        urls = []
        for i in range(pages):
            server.pages[f"/a/{i}"] = Served(body)
            urls.append(server.url(f"/a/{i}"))
        with app.app_context():
            site = Site(name="Bench", key="bench", origins=[server.origin], notify_emails=[])
            db.session.add(site)
            db.session.commit()
            add_corrections(db.session, site, urls, 1)
            corrections = db.session.query(Correction).all()
            start = time.perf_counter()
            done = check_corrections(db.session, corrections, backoff=Backoff(), spacing=0)
            db.session.commit()
            elapsed = time.perf_counter() - start
            assert {c.state for c in done} == {"present"}, {c.reason for c in done}
            print(f"2. {len(done)} checks (fetch {len(body) // 1024} KB, parse, match, store) "
                  f"in {elapsed:.1f} s: {len(done) / elapsed * 60:,.0f} checks/min, one thread,"
                  " no spacing")
            sample = corrections[:5]
            start = time.perf_counter()
            check_corrections(db.session, sample, backoff=Backoff(), spacing=1.0)
            db.session.commit()
            elapsed = time.perf_counter() - start
            print(f"   {len(sample)} checks on one origin with 1 s spacing: {elapsed:.1f} s "
                  f"(the first at once, then {(len(sample) - 1) / elapsed * 60:.0f}/min: "
                  "the per-origin cap)")
    finally:
        server.stop()


def hour_figures(app, corrections: int, origins: int) -> None:
    servers = [ArticleServer().start() for _ in range(origins)]
    try:
        pages_per_origin = corrections // 2 // origins
        with app.app_context():
            db.session.execute(update(Correction).values(status="fixed"))  # earlier figures
            db.session.commit()
            for n, server in enumerate(servers):
                urls = []
                for i in range(pages_per_origin):
                    server.pages[f"/p/{i}"] = Served(SEED.encode(), etag=f'"v{i}"')
                    urls.append(server.url(f"/p/{i}"))
                site = Site(name=f"Origin {n}", key=f"o{n}", origins=[server.origin],
                            notify_emails=[])
                db.session.add(site)
                db.session.commit()
                add_corrections(db.session, site, urls, 2)
            backoff = Backoff()
            kwargs = dict(days=30, every=timedelta(hours=1), spacing=1.0, backoff=backoff)
            start = time.perf_counter()
            rounds = 0
            while True:
                fetched = run_round(db.session, **kwargs)
                rounds += 1
                if not fetched and not _due(db.session):
                    break
                time.sleep(0.2 if fetched else 1.0)
            first = sum(len(s.requests) for s in servers)
            elapsed = time.perf_counter() - start
            again = run_round(db.session, **kwargs)
            per_origin = max(len(s.requests) for s in servers)
            print(f"3. {corrections} open corrections, {origins} origins, 2 per page: "
                  f"{first} requests in the first hour (one per page), made in "
                  f"{elapsed:.0f} s over {rounds} rounds; at most {per_origin} to one origin; "
                  f"{again} more while the hour lasts")
            db.session.execute(update(Correction).values(
                page_checked_at=utcnow() - timedelta(minutes=61)))
            db.session.commit()
            while run_round(db.session, **{**kwargs, "backoff": Backoff(), "spacing": 0}):
                pass
            second = sum(len(s.requests) for s in servers) - first
            conditional = sum(1 for s in servers for r in s.requests[-pages_per_origin:]
                              if "If-None-Match" in r.headers)
            print(f"   the next hour: {second} requests, {conditional} of them conditional "
                  "(answered 304, no body)")
    finally:
        for server in servers:
            server.stop()


def _due(session) -> int:
    from service.pagecheck.core import due

    return len(due(session, utcnow(), days=30, every=timedelta(hours=1), limit=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--corrections", type=int, default=1000)
    parser.add_argument("--origins", type=int, default=50)
    args = parser.parse_args()
    matcher_figures()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        throughput_figures(app, args.pages)
        hour_figures(app, args.corrections, args.origins)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
