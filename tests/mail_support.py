"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1, a free port) and helpers
to read what it received. Imported by ``tests/test_mail*.py``."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0].lower()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "no text/html part"
        return part.get_content()

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.text)


@dataclass
class Inbox:
    """What the server received, and knobs for fault tests."""

    messages: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)  # RCPT TO answered 550
    peers: set[tuple] = field(default_factory=set)
    hold_at: int | None = None  # the n-th DATA (1-based) waits for `release`
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    wait_for_peers: int = 0  # the first DATA waits until this many clients connected
    data_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if m.to == address.lower()]


class Handler:
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.inbox.peers.add(session.peer)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.inbox.reject:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        inbox = self.inbox
        with inbox.lock:
            inbox.data_seen += 1
            nth = inbox.data_seen
        if inbox.wait_for_peers:
            for _ in range(3000):  # at most 30 s, so a broken test can't hang the run
                if len(inbox.peers) >= inbox.wait_for_peers:
                    break
                await asyncio.sleep(0.01)
        if inbox.hold_at is not None and nth == inbox.hold_at:
            inbox.holding.set()
            for _ in range(6000):
                if inbox.release.is_set():
                    break
                await asyncio.sleep(0.01)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with inbox.lock:
            inbox.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                           message))
        return "250 2.0.0 Accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    """Start/stop on a fixed port, so a test can take the server down and bring it back."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        # aiosmtpd's default 5 s to come up is short on a loaded CI machine.
        self._controller = Controller(Handler(self.inbox), hostname="127.0.0.1",
                                      port=self.port, ready_timeout=30)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def sender_env(app, smtp: SMTPServer, **extra: str) -> dict[str, str]:
    """The environment of an ``errata mail send`` subprocess on the test app's database."""
    cfg = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRATA_", "MAIL_"))}
    env.update(
        ERRATA_DATABASE_URL=cfg["SQLALCHEMY_DATABASE_URI"],
        ERRATA_SECRET_KEY=cfg["SECRET_KEY"],
        ERRATA_IP_SALT=cfg["ERRATA_IP_SALT"],
        ERRATA_BASE_URL=cfg["ERRATA_BASE_URL"],
        ERRATA_INSTANCE_PATH=app.instance_path,
        ERRATA_MAIL_SETTLE_SECONDS="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


SENDER_CMD = [sys.executable, "-m", "service.cli", "mail", "send"]


def run_sender(app, now=None):
    """One round of the sender in this process, as ``errata mail send`` does it."""
    from service.extensions import db
    from service.mail.sender import run_once

    with app.app_context():
        try:
            return run_once(db.session, now)
        finally:
            db.session.remove()


def set_status(app, correction_id: int, action: str, editor_email: str,
               applied_fix: str | None = None) -> None:
    """An editor marks a correction (the queue's own function, committed)."""
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Correction, Editor
    from service.queue.actions import change_status

    with app.app_context():
        editor = db.session.scalar(select(Editor).where(Editor.email == editor_email))
        change_status(db.session, db.session.get(Correction, correction_id), editor, action,
                      applied_fix=applied_fix)
        db.session.commit()
        db.session.remove()


def outbox_rows(app):
    from sqlalchemy import select

    from service.extensions import db
    from service.models import OutboxMail

    with app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return rows
