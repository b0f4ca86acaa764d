"""CPU per ingest request: a normal report next to the most expensive bodies we know of.

Each body is posted to the real app (every hook, check and the SQLite store, in this process,
through Flask's test client) ``--rounds`` times, and the process CPU time of each request is
taken; the median is printed, with its ratio to the normal report. Issue 13 asks the worst
body to cost at most 5x a normal one (docs/performance.md has a run).

    .venv/bin/python bench/worst_body.py [--rounds 60]

Run it with ``PYTHONPATH`` pointing at another checkout to measure that code the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout

ORIGIN = "https://news.example"
# Text field limits of the API (docs/api.md), and the markup that costs bleach the most per
# character among the ones tried (a tag name cut by a tab; entities decoding into tags).
LIMITS = {"title": 300, "exact": 500, "prefix": 256, "suffix": 256, "suggestion": 500,
          "comment": 2000}


def fill(pattern: str, n: int) -> str:
    return (pattern * (n // len(pattern) + 1))[:n]


def normal(key: str, n: int) -> dict:
    return {"site": key, "url": f"{ORIGIN}/politics/2014/article-{n}",
            "title": "Development of Eurasian integration", "lang": "en",
            "exact": "collegiums", "prefix": "The joint meeting of the Foreign Ministry ",
            "suffix": " of Belarus and Russia was held.", "kind": "typo",
            "suggestion": "collegia", "comment": "Plural is collegia, I think.",
            "elapsed_ms": 4200, "client": "bench"}


def bodies(key: str, n: int) -> dict[str, bytes]:
    base = normal(key, n)
    out = {"normal report": base}
    out["comment of 2,000 '<'"] = {**base, "comment": "<" * 2000}
    for label, pattern in (("'<a\\t'", "<a\t"), ("'<!x>'", "<!x>"),
                           ("'&lt;b&gt;<b>'", "&lt;b&gt;<b>")):
        markup = {name: fill(pattern, limit) for name, limit in LIMITS.items()}
        markup["exact"] = "x" + markup["exact"][1:]  # still a quote after cleaning
        out[f"every field at its limit of {label}"] = {**base, **markup}
    # Every text field, addresses and honeypot too (a filled honeypot is answered 202).
    out["every text field at its limit of '<a\\t'"] = {
        **base, **{name: fill("<a\t", limit) for name, limit in LIMITS.items()},
        "exact": "x" + fill("<a\t", 499), "url": f"{ORIGIN}/" + fill("<a\t", 2000),
        "canonical": f"{ORIGIN}/" + fill("<a\t", 2000), "hp": fill("<a\t", 1000),
        "email": fill("<a\t", 254), "client": fill("<a\t", 32)}
    raw = {label: json.dumps(body).encode() for label, body in out.items()}
    raw["16 KiB comment of '<' (over the limit)"] = json.dumps(
        {**base, "comment": "<" * (16 * 1024 - 400)}).encode()
    raw["16 KiB of garbage"] = b"{" * (16 * 1024)
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    from service import create_app
    from service.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="errata-worst-"))
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "INSTANCE_PATH": str(tmp),
        "SECRET_KEY": "bench", "ERRATA_IP_SALT": "bench", "RATELIMIT_STORAGE_URI": "memory://",
        "ERRATA_LIMIT_READER": "1000000/minute", "ERRATA_LIMIT_SITE": "1000000/minute",
        "ERRATA_LIMIT_IP": "1000000/minute", "ERRATA_MIN_ELAPSED_MS": 0,
    })
    upgrade(app)
    from service.extensions import db
    from service.sites.core import create_site

    with app.app_context():
        site = create_site(db.session, "Bench", [ORIGIN], [])
        db.session.commit()
        key = site.key
    client = app.test_client()
    headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN}

    times: dict[str, list[float]] = {}
    statuses: dict[str, set[int]] = {}
    for n in range(args.rounds + 5):
        for label, raw in bodies(key, n).items():
            started = time.process_time()
            resp = client.post("/api/v1/reports", data=raw, headers=headers)
            spent = time.process_time() - started
            if n >= 5:  # the first rounds warm caches and the cleaner of this thread
                times.setdefault(label, []).append(spent)
                statuses.setdefault(label, set()).add(resp.status_code)

    base = statistics.median(times["normal report"])
    print(f"{'body':48} {'status':>8} {'CPU ms':>8} {'x normal':>9}")
    for label, spent in times.items():
        med = statistics.median(spent)
        status = ",".join(map(str, sorted(statuses[label])))
        print(f"{label:48} {status:>8} {med * 1000:8.2f} {med / base:9.2f}")


if __name__ == "__main__":
    main()
