"""``errata mail``: deliver the outbox (once, or in a loop for production) and inspect it."""

from __future__ import annotations

import logging
import signal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from service.extensions import db
from service.heartbeats import beat
from service.mail import sender
from service.models import OutboxMail
from service.pagecheck import loop as pagecheck_loop
from service.privacy import purge_if_due

log = logging.getLogger("errata.mail")


@click.group("mail")
def mail_group() -> None:
    """Mail: deliver the outbox, see what is waiting or failed."""


def _report(tally: sender.Tally) -> str:
    return f"sent {tally.sent}, to retry {tally.retried}, failed {tally.failed}"


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep running; deliver new mail as it is due.")
@click.option("--interval", type=float, default=5.0, show_default=True,
              help="Seconds to sleep between rounds with --loop.")
@click.option("--page-checks/--no-page-checks", default=True, show_default=True,
              help="With --loop, also check article pages in a sibling thread.")
@with_appcontext
def send(loop: bool, interval: float, page_checks: bool) -> None:
    """Deliver the mail that is due (notifications, digests, thank-yous) and exit.

    With --loop it keeps running until SIGTERM or Ctrl+C; run one or more in production.
    It then also checks article pages in a sibling thread (see docs/page-checks.md), and
    both record a heartbeat that /healthz reports.
    With MAIL_SERVER unset, mail is printed here instead of sent (the demo's sink).
    """
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: mail is printed here, not sent "
                   "(see docs/mail.md to use a real SMTP server).", err=True)
    if not loop:
        tally = sender.run_once(db.session)
        click.echo(_report(tally))
        for error in tally.errors:
            click.echo(f"  {error}", err=True)
        return

    def _stop(_signum, _frame):
        sender.STOP.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Mail sender running (every {interval:g}s); Ctrl+C to stop.", err=True)
    checker = None
    if page_checks:
        checker = pagecheck_loop.start(current_app._get_current_object(),  # type: ignore[attr-defined]
                                       sender.STOP)
        click.echo("Page checks running beside it.", err=True)
    while not sender.STOP.is_set():
        try:
            tally = sender.run_once(db.session)
            beat(db.session, "mail", _report(tally))
            if tally.sent or tally.retried or tally.failed:
                click.echo(_report(tally), err=True)
            # The long-running process is also where old reader data is forgotten, daily.
            purge_if_due(db.session, current_app._get_current_object())  # type: ignore[attr-defined]
        except SQLAlchemyError:
            # The database may be restarting; the outbox is still there next round.
            db.session.rollback()
            log.exception("mail sender: database error; trying again")
        except Exception:  # noqa: BLE001 - a bug must not stop mail for everyone; it is logged
            db.session.rollback()
            log.exception("mail sender: unexpected error; trying again next round")
        finally:
            db.session.remove()
        sender.STOP.wait(interval)
    if checker is not None:
        checker.join(timeout=15)  # a fetch in progress ends within its 10 s
    click.echo("Mail sender stopped.", err=True)


@mail_group.command("status")
@with_appcontext
def status() -> None:
    """Count the outbox by status; list failed mail."""
    counts = dict(db.session.execute(
        select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    click.echo(", ".join(f"{name} {counts.get(name, 0)}"
                         for name in ("pending", "sending", "sent", "failed")))
    failed = db.session.scalars(select(OutboxMail).where(OutboxMail.status == "failed")
                                .order_by(OutboxMail.id.desc()).limit(20))
    for row in failed:
        click.echo(f"#{row.id}\t{row.recipient}\t{row.subject}\t{row.last_error}")
