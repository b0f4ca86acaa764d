"""Mail throughput: how fast the sender drains the outbox into a local SMTP server, and how
long collecting editor notifications takes over a large backlog.

    .venv/bin/python bench/mail.py [--mails 2000] [--backlog 20000] [--postgres URL]

The SMTP server is aiosmtpd on 127.0.0.1 (it accepts and discards), so the figures are the
sender's own cost per mail: claim, re-stamp, build, SMTP round trips, mark sent — two commits
per mail, on purpose (see service/mail/sender.py). Runs on SQLite, then on PostgreSQL when
reachable.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def fresh_pg(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    admin = url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS errata_bench_mail WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE errata_bench_mail"))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({exc}); skipped")
        return None
    return admin.rsplit("/", 1)[0] + "/errata_bench_mail"


def run(db_url: str, port: int, mails: int, backlog: int) -> None:
    from sqlalchemy import insert

    from service import create_app
    from service.extensions import db
    from service.mail.messages import enqueue, render
    from service.mail.notify import collect_new
    from service.mail.sender import deliver_due
    from service.migrate import upgrade
    from service.models import Correction, utcnow
    from service.sites.core import create_site

    inst = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": inst,
                      "SECRET_KEY": "bench", "ERRATA_IP_SALT": "bench",
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                      "ERRATA_MAIL_SETTLE_SECONDS": 0})
    upgrade(app)
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        message = render("password_reset", "someone@news.example",
                         editor={"email": "someone@news.example"},
                         link="http://127.0.0.1:5000/reset/x", hours=2)
        for _ in range(mails):
            enqueue(db.session, message)
        db.session.commit()
        started = time.perf_counter()
        tally = deliver_due(db.session)
        took = time.perf_counter() - started
        print(f"  deliver {tally.sent} mails: {took:.2f} s, {tally.sent / took:.0f} mails/s")

        site = create_site(db.session, "Bench", ["https://news.example"],
                           ["desk@news.example"])
        db.session.commit()
        now = utcnow() - timedelta(hours=1)
        rows = [{"site_id": site.id, "url": "https://news.example/a", "exact": f"w{i}",
                 "first_reported_at": now, "last_reported_at": now} for i in range(backlog)]
        for start in range(0, backlog, 5000):
            db.session.execute(insert(Correction), rows[start:start + 5000])
        db.session.commit()
        started = time.perf_counter()
        written = collect_new(db.session, utcnow())
        took = time.perf_counter() - started
        print(f"  collect a backlog of {backlog} new corrections into {written} mail: "
              f"{took:.2f} s")
        from service.mail.sender import run_once

        run_once(db.session)
        rounds = []
        for _ in range(20):
            started = time.perf_counter()
            run_once(db.session)
            rounds.append(time.perf_counter() - started)
        rounds.sort()
        print(f"  an idle sender round over {backlog} corrections: median "
              f"{rounds[len(rounds) // 2] * 1000:.1f} ms")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=20000)
    parser.add_argument("--postgres", default=PG_DEFAULT)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print("SQLite")
        run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", port, args.mails, args.backlog)
        pg = fresh_pg(args.postgres)
        if pg:
            print("PostgreSQL")
            run(pg, port, args.mails, args.backlog)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
