"""Reports never mix under threads (issue 13, §1): a live gunicorn with threaded workers, as
docs/deploy.md runs it, and many readers of two sites sending at once, every field full of
markup characters and a marker of its own. Afterwards every stored field equals what its own
sender sent, after cleaning, and nobody got a 5xx.

Runs on SQLite and on PostgreSQL (the suite's database), with Redis for the rate limits.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Report, Site
from service.sanitize import clean_text
from tests.servers import Gunicorn, request, server_env

pytestmark = pytest.mark.slow

CLIENT_THREADS = 32
REPORTS_PER_SITE = 160
SITES = {"Site A": "https://a.example", "Site B": "https://b.example"}


def body(site_key: str, origin: str, n: int) -> dict:
    """A report whose every text field holds markup and ``n``'s marker, in lengths that vary
    so that parses on different threads overlap unevenly."""
    m = f"{site_key[:4]}-{n:04d}"
    runs = "<" * (n % 50)
    return {
        "site": site_key,
        "url": f"{origin}/markets/{m}?a=1&b=2",
        "title": f"Markets & Economy <b>{m}</b> &amp; more {runs}",
        "lang": "en",
        "exact": f"<i>m{m}</i> & co",
        "prefix": f"{runs}before <span>{m}</span> &lt;tag&gt; ",
        "suffix": f" after <!-- {m} --> & {'&amp;' * (n % 9)}",
        "suggestion": f"<a href='https://x.example/{m}'>fixed {m}</a> < > &",
        "comment": f"{runs} comment of {m}\n<script>alert('{m}')</script> <p>para {m}</p>"
                   + " &lt;&gt;" * (n % 11),
        "elapsed_ms": 4000,
        "client": "live-test",
    }


def expected(sent: dict) -> dict:
    """What the server must store for ``sent``: the same cleaning, done here on one thread."""
    out = {name: clean_text(sent[name]) for name in ("title", "exact", "suggestion")}
    out["prefix"] = clean_text(sent["prefix"], keep_edges=True)
    out["suffix"] = clean_text(sent["suffix"], keep_edges=True)
    out["comment"] = clean_text(sent["comment"], multiline=True)
    out["url"] = sent["url"]
    return out


def test_many_readers_of_two_sites_at_once_each_store_exactly_their_own_report(
        app, factory, _schema, tmp_path):
    sites = [factory.site(name, origins=(origin,)) for name, origin in SITES.items()]
    jobs = []
    for n in range(REPORTS_PER_SITE):
        for site, origin in zip(sites, SITES.values(), strict=True):
            jobs.append((site, origin, body(site.key, origin, n), f"192.0.2.{n % 250}"))

    env = server_env(_schema, tmp_path, ERRATA_RATELIMIT_STORAGE_URI="memory://")
    with Gunicorn(env, workers=2) as server:  # -k gthread --threads 8 (tests/servers.py)
        def send(job):
            _site, origin, sent, reader = job
            status, answer = request(server.port, "POST", "/api/v1/reports", sent, {
                "Content-Type": "text/plain;charset=UTF-8", "Origin": origin,
                "X-Forwarded-For": reader})
            return status, answer

        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            answers = list(pool.map(send, jobs))
        log = server.log.read_text() if server.log else ""

    statuses = [status for status, _ in answers]
    assert all(status == 201 for status in statuses), \
        (sorted(set(map(str, statuses))), log[-3000:])
    assert "Traceback" not in log, log[-4000:]

    with app.app_context():
        rows = {row.id: row for row in db.session.scalars(select(Report))}
        keys = dict(db.session.execute(select(Site.id, Site.key)).all())
    assert len(rows) == len(jobs) == 2 * REPORTS_PER_SITE
    contaminated = []
    for (site, _origin, sent, _reader), (_status, answer) in zip(jobs, answers, strict=True):
        row = rows[answer["id"]]
        stored = {name: getattr(row, name) for name in expected(sent)}
        if keys[row.site_id] != site.key or stored != expected(sent):
            contaminated.append((answer["id"], json.dumps(stored)[:300]))
    print(f"\nconcurrency: {CLIENT_THREADS} client threads, 2 workers x 8 threads, "
          f"{len(jobs)} reports on 2 sites, contaminated {len(contaminated)}")
    assert contaminated == []
