"""The Outbox page and the ``errata mail`` commands, with the mails read from a real SMTP
server (or, for the demo, from the printing sink). Invitations and password resets:
tests/test_accounts_links.py."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.extensions import db
from service.mail.messages import enqueue, render
from service.models import Report, utcnow
from tests.conftest import login, page_token, post_report
from tests.mail_support import ROOT, SENDER_CMD, free_port, sender_env

ADMIN = "admin@news.example"


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "ERRATA_MAIL_SETTLE_SECONDS": 0, "ERRATA_MAIL_THANKS_DELAY_SECONDS": 0}


@pytest.fixture
def admin(factory):
    return factory.editor(ADMIN, role="admin")


def test_the_outbox_is_for_admins_only(client, factory, admin):
    factory.editor("plain@news.example")
    assert client.get("/outbox").status_code == 302  # to the login page
    login(client, "plain@news.example")
    assert client.get("/outbox").status_code == 403
    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    login(client, ADMIN)
    page = client.get("/outbox")
    assert page.status_code == 200 and "Nothing is waiting and nothing has failed." in \
        page.get_data(as_text=True)


def test_errata_mail_send_delivers_and_reports(app, runner, factory, smtp):
    site = factory.site(notify_emails=["desk@news.example"])
    post_report(app.test_client(), site.key)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, to retry 0, failed 0" in result.output
    assert [m.to for m in smtp.inbox.messages] == ["desk@news.example"]
    status = runner.invoke(args=["mail", "status"])
    assert "pending 0, sending 0, sent 1, failed 0" in status.output


def test_without_mail_server_mail_is_printed_by_the_sink(app, runner, factory):
    app.config["MAIL_SERVER"] = ""
    site = factory.site(notify_emails=["desk@news.example"])
    post_report(app.test_client(), site.key)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "debugging sink" in result.output
    assert "To: desk@news.example" in result.output
    assert "Subject: 1 new correction on News Example" in result.output
    assert "http://errata.test/queue/" in result.output


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)


def _read_until(lines: queue.Queue, needle: str, seen: list[str]) -> None:
    while not any(needle in line for line in seen):
        try:
            seen.append(lines.get(timeout=60))
        except queue.Empty:
            raise AssertionError(f"{needle!r} never appeared in:\n{''.join(seen)}") from None


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_errata_run_with_mail_sender_prints_demo_mail_and_stops_it(app, smtp):
    with app.app_context():
        enqueue(db.session, render("password_reset", "demo@errata.example",
                                   editor={"email": "demo@errata.example"},
                                   link="http://errata.test/reset/x", hours=2))
        db.session.commit()
    env = sender_env(app, smtp)
    del env["MAIL_SERVER"]  # the demo: no mail server configured
    cmd = [SENDER_CMD[0], "-m", "service.cli", "run", "--port", str(free_port()),
           "--with-mail-sender"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        _read_until(lines, "Subject: Reset your Errata password", seen)
        _read_until(lines, "http://errata.test/reset/x", seen)
        children = _children(proc.pid)
        assert children, "the mail sender is not running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        for child in children:
            assert not Path(f"/proc/{child}").exists() or \
                "zombie" in Path(f"/proc/{child}/status").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        proc.stdout.close()
    assert smtp.inbox.messages == []  # printed, not sent


def test_mail_send_loop_delivers_purges_old_reader_data_and_stops_on_sigterm(
        app, client, factory, smtp):
    site = factory.site(notify_emails=["desk@news.example"])
    post_report(client, site.key, notify=True, email="old@mail.example")
    with app.app_context():
        for report in db.session.scalars(select(Report)):
            report.created_at = utcnow() - timedelta(days=100)
        db.session.commit()
    proc = subprocess.Popen([*SENDER_CMD, "--loop", "--interval", "0.1"], cwd=ROOT,
                            env=sender_env(app, smtp, ERRATA_PURGE_DAYS="30"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        _read_until(lines, "sent 1, to retry 0, failed 0", seen)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(60) == 0
        _read_until(lines, "Mail sender stopped.", seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        proc.stderr.close()
    assert [m.to for m in smtp.inbox.messages] == ["desk@news.example"]
    with app.app_context():
        assert db.session.scalars(select(Report.email)).all() == [None]
