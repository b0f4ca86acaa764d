"""Delivering the outbox: claim due rows, send each over SMTP, record what happened.

Several senders may run at once. A sender first *claims* a batch: on PostgreSQL the due
rows are picked with ``FOR UPDATE SKIP LOCKED``, so concurrent senders take disjoint rows;
on SQLite the claiming transaction holds the database's write lock (BEGIN IMMEDIATE).
The claim stamps a random token; every later change to the row requires that token.

A row is touched just before it is sent and marked sent right after, each in its own
commit, so a sender killed mid-batch loses nothing: its claim expires after the lease and
the rows are handed out again. At most the one mail in flight when it died can arrive
twice, which is what SMTP itself allows (the server accepted it; we never heard).

With ``MAIL_SERVER`` unset (the demo) mail goes to a debugging sink that prints it.
"""

from __future__ import annotations

import email
import email.policy
import secrets
import smtplib
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.extensions import begin_write
from service.i18n import _
from service.models import Channel, OutboxMail, utcnow

# Set by the SIGTERM/SIGINT handler of ``errata mail send --loop``: finish the mail in
# flight, hand the rest of the batch back, stop.
STOP = threading.Event()


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """A claimed row, copied out of the session so a concurrent delete can't trip us."""

    id: int
    template: str
    recipient: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    attempts: int
    created_at: datetime
    channel_id: int | None = None  # a message to a channel, not a mail
    event_id: str | None = None


# -- transports -------------------------------------------------------------------------------

class SMTPConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a hung server can't hang us."""

    def configure_host(self):
        timeout = current_app.config["ERRATA_MAIL_TIMEOUT_SECONDS"]
        mail = self.mail
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class PrintSink:
    """The demo's mail server: prints each message (headers and the text part) to stdout."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: Message) -> None:
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        lines = ["", "=" * 72, "Mail (debugging sink: MAIL_SERVER is not set, nothing is sent)"]
        for name in ("From", "To", "Reply-To", "Subject", "List-Unsubscribe"):
            if parsed[name]:
                lines.append(f"{name}: {parsed[name]}")
        text_part = parsed.get_body(preferencelist=("plain",))
        lines += ["", text_part.get_content().rstrip() if text_part else "", "=" * 72]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()


def open_transport():
    if not current_app.config.get("MAIL_SERVER"):
        return PrintSink()
    conn = SMTPConnection(current_app.extensions["mail"])
    return conn.__enter__()


def _close(conn) -> None:
    try:
        conn.__exit__(None, None, None)
    except (OSError, smtplib.SMTPException):
        pass  # the server is gone already; nothing to say goodbye to


# -- building ---------------------------------------------------------------------------------

class UnsendableAddress(ValueError):
    """An address this mailer can't put on the wire; that mail fails, the others go."""


def build(job: Job) -> Message:
    if not job.recipient.rpartition("@")[0].isascii():
        # "reader@почта.рф" is fine (Flask-Mail turns the domain into IDNA), but a mailbox
        # name in another script needs SMTPUTF8, which Flask-Mail cannot send.
        raise UnsendableAddress("the part before @ is not ASCII; Flask-Mail can't send to it")
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    headers = {k: v for k, v in job.headers.items() if not k.startswith("X-Errata-")}
    reply_to = headers.pop("Reply-To", None)
    message = Message(subject=job.subject, recipients=[job.recipient], body=job.text,
                      html=job.html or None, sender=sender, reply_to=reply_to,
                      extra_headers=headers or None)
    # Stable per outbox row: if a mail is ever delivered twice, clients can tell.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "errata.localhost"
    message.msgId = f"<errata.{job.id}.{int(job.created_at.timestamp())}@{domain}>"
    return message


# -- claiming and recording -------------------------------------------------------------------

def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim(session: Session, now: datetime, limit: int) -> tuple[str, list[Job]]:
    """Claim up to ``limit`` rows due at ``now`` for this sender. Commits.

    Two statements in one transaction: pick the ids (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
    so a concurrent sender picks other rows; SQLite: the transaction holds the database's
    write lock from BEGIN IMMEDIATE), then stamp them. A single ``UPDATE … WHERE id IN
    (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` looks equivalent but PostgreSQL may run the
    sub-select more than once, and then it claims far more than ``n`` rows.
    """
    token = secrets.token_hex(16)
    due = (select(OutboxMail.id)
           .where(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now)
           .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
           .limit(limit))
    if _is_pg(session):
        due = due.with_for_update(skip_locked=True)
    else:
        begin_write(session)
    ids = list(session.scalars(due))
    if not ids:
        session.commit()
        return token, []
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), OutboxMail.status == "pending")
        .values(status="sending", claim_token=token, claimed_at=utcnow())
        .execution_options(synchronize_session=False))
    session.commit()
    rows = session.scalars(
        select(OutboxMail).where(OutboxMail.claim_token == token).order_by(OutboxMail.id))
    jobs = [Job(id=r.id, template=r.template, recipient=r.recipient, subject=r.subject,
                text=r.body_text, html=r.body_html, headers=dict(r.headers or {}),
                attempts=r.attempts, created_at=r.created_at, channel_id=r.channel_id,
                event_id=r.event_id) for r in rows]
    session.commit()
    return token, jobs


def _update_claimed(session: Session, job_id: int, token: str, **values) -> bool:
    """Change a row only while this sender still holds its claim. Commits."""
    result = session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == job_id, OutboxMail.claim_token == token,
               OutboxMail.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def backoff(attempts: int) -> timedelta:
    """Exponential: the first retry after ERRATA_MAIL_RETRY_SECONDS, doubling, capped."""
    base = current_app.config["ERRATA_MAIL_RETRY_SECONDS"]
    cap = current_app.config["ERRATA_MAIL_RETRY_MAX_SECONDS"]
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _failure_values(attempts_before: int, error: str, permanent: bool) -> dict:
    attempts = attempts_before + 1
    now = utcnow()
    values = {"attempts": attempts, "last_error": error[:2000], "claim_token": None}
    if permanent or attempts >= current_app.config["ERRATA_MAIL_MAX_ATTEMPTS"]:
        values.update(status="failed", next_attempt_at=now)
    else:
        values.update(status="pending", next_attempt_at=now + backoff(attempts))
    return values


def reclaim_stale(session: Session, now: datetime | None = None) -> int:
    """Hand back rows claimed by a sender that died (claim older than the lease). Counts as
    an attempt, so a mail that crashes every sender ends up failed, not in a loop."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["ERRATA_MAIL_LEASE_SECONDS"])
    stmt = select(OutboxMail).where(OutboxMail.status == "sending",
                                    OutboxMail.claimed_at < cutoff)
    if _is_pg(session):
        stmt = stmt.with_for_update(skip_locked=True)
    else:
        begin_write(session)
    rows = list(session.scalars(stmt))
    for row in rows:
        values = _failure_values(row.attempts, _("the sender delivering it stopped"), False)
        values["next_attempt_at"] = now or utcnow()  # its send may never have begun: due now
        for key, value in values.items():
            setattr(row, key, value)
    session.commit()
    return len(rows)


# -- sending ----------------------------------------------------------------------------------

def _classify(exc: Exception) -> tuple[bool, bool]:
    """(permanent, connection_broken) for a failed send."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes), False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, exc.smtp_code in (421,)
    if isinstance(exc, BadHeaderError | UnsendableAddress | UnicodeError):
        return True, False  # this mail can't be sent as it is; the connection is fine
    return False, True  # disconnected, refused, timed out, or unknown: try again later


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: {code} {_text(msg)}"
                         for rcpt, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _send_batch(session: Session, token: str, jobs: list[Job], tally: Tally) -> None:
    conn = None
    try:
        for index, job in enumerate(jobs):
            if STOP.is_set():
                for rest in jobs[index:]:
                    _update_claimed(session, rest.id, token, status="pending",
                                    claim_token=None)
                return
            # Refresh the claim; a row deleted (reader unsubscribed) or reclaimed is skipped.
            if not _update_claimed(session, job.id, token, claimed_at=utcnow()):
                continue
            if job.channel_id is not None:
                _deliver_to_channel(session, token, job, tally)
                continue
            if conn is None:
                try:
                    conn = open_transport()
                except (OSError, smtplib.SMTPException) as exc:
                    error = _("could not reach the mail server: %(problem)s",
                              problem=_describe(exc))
                    tally.errors.append(error)
                    for rest in jobs[index:]:
                        values = _failure_values(rest.attempts, error, False)
                        if _update_claimed(session, rest.id, token, **values):
                            tally.failed += values["status"] == "failed"
                            tally.retried += values["status"] == "pending"
                    return
            try:
                conn.send(build(job))
            except Exception as exc:  # noqa: BLE001 - one bad mail must not stop the others
                permanent, broken = _classify(exc)
                values = _failure_values(job.attempts, _describe(exc), permanent)
                _update_claimed(session, job.id, token, **values)
                tally.failed += values["status"] == "failed"
                tally.retried += values["status"] == "pending"
                tally.errors.append(f"#{job.id} to {job.recipient}: {_describe(exc)}")
                if broken:
                    _close(conn)
                    conn = None
            else:
                _update_claimed(session, job.id, token, status="sent", sent_at=utcnow(),
                                claim_token=None, last_error="")
                tally.sent += 1
    finally:
        if conn is not None:
            _close(conn)


def _deliver_to_channel(session: Session, token: str, job: Job, tally: Tally) -> None:
    """A channel's message: one HTTP POST (service/channels/), retried like a mail."""
    from service.channels.core import send
    from service.channels.http import DeliveryError

    channel = session.get(Channel, job.channel_id)
    try:
        if channel is None:
            raise DeliveryError(_("the channel was removed"), permanent=True)
        send(channel, job.text, job.event_id)
    except DeliveryError as exc:
        values = _failure_values(job.attempts, str(exc), exc.permanent)
        _update_claimed(session, job.id, token, **values)
        tally.failed += values["status"] == "failed"
        tally.retried += values["status"] == "pending"
        tally.errors.append(f"#{job.id} to {job.recipient}: {exc}")
    else:
        _update_claimed(session, job.id, token, status="sent", sent_at=utcnow(),
                        claim_token=None, last_error="")
        tally.sent += 1


def deliver_due(session: Session, now: datetime | None = None) -> Tally:
    """Send every row due at ``now``. Rows that fail now wait for their backoff, so one
    pass never spins on a dead server."""
    start = now or utcnow()
    tally = Tally()
    batch = current_app.config["ERRATA_MAIL_BATCH"]
    while not STOP.is_set():
        token, jobs = claim(session, start, batch)
        if not jobs:
            break
        _send_batch(session, token, jobs, tally)
    return tally


def retry(session: Session, mail_id: int) -> bool:
    """An admin's Retry: a failed (or waiting) mail is due again now, with fresh attempts."""
    row = session.get(OutboxMail, mail_id)
    if row is None or row.status not in ("failed", "pending"):
        return False
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.claim_token = None
    return True


def purge_mail(session: Session, before: datetime, statuses: tuple[str, ...] = ("sent",)) -> int:
    """Delete mail in ``statuses`` that fell due before ``before``: sent mail holds reader
    addresses, and the Outbox only needs recent counts. The one purge of the outbox, for the
    sender's rounds (sent mail after ERRATA_MAIL_KEEP_DAYS) and for the privacy purge (sent
    and failed mail after ERRATA_PURGE_DAYS or ``errata purge``). Pending mail is never
    touched. Returns how many were deleted; the caller commits."""
    # next_attempt_at is when it last fell due, shortly before it was sent; the
    # (status, next_attempt_at) index makes this cheap to run every round.
    result = session.execute(
        delete(OutboxMail)
        .where(OutboxMail.status.in_(statuses), OutboxMail.next_attempt_at < before)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def run_once(session: Session, now: datetime | None = None) -> Tally:
    """One round of the sender: hand back dead claims, turn new corrections into
    notifications and digests and held chat events into batched messages, deliver what is
    due (mail over SMTP, channel messages over HTTP)."""
    from service.channels.events import collect_batches
    from service.mail.notify import collect_digests, collect_new
    from service.stats.rollup import rollup

    now = now or utcnow()
    reclaim_stale(session, now)
    purge_mail(session, now - timedelta(days=current_app.config["ERRATA_MAIL_KEEP_DAYS"]))
    session.commit()
    collect_new(session, now)
    collect_digests(session, now)
    collect_batches(session, now)
    rollup(session, now)
    return deliver_due(session, now)
