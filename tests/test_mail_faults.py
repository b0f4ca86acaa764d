"""Mail is never lost: SMTP down, a rejected recipient, a sender killed mid-batch, two
senders at once. Against a real SMTP server (aiosmtpd) and real sender processes."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.extensions import db
from service.mail.messages import enqueue, render
from service.models import Report, utcnow
from tests.conftest import PG_URL, post_report
from tests.mail_support import (
    ROOT,
    SENDER_CMD,
    outbox_rows,
    run_sender,
    sender_env,
    set_status,
)

EDITOR = "editor@news.example"


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "ERRATA_MAIL_SETTLE_SECONDS": 0, "ERRATA_MAIL_THANKS_DELAY_SECONDS": 0,
            "ERRATA_MAIL_MAX_ATTEMPTS": 4, "ERRATA_MAIL_TIMEOUT_SECONDS": 10}


@pytest.fixture
def site(factory):
    site = factory.site(notify_emails=["desk@news.example"])
    factory.editor(EDITOR, sites=[site])
    return site


def readers_fixed(app, client, site, count):
    """``count`` readers each report an error and ask to hear; the editor fixes them all."""
    for i in range(count):
        resp = post_report(client, site.key, exact=f"wrod{i}", prefix=f"a{i} ", suffix=f" b{i}",
                           suggestion=f"word{i}", notify=True, email=f"reader{i}@mail.example")
        assert resp.status_code == 201
        set_status(app, resp.get_json()["correction"], "fixed", EDITOR)
    return {f"reader{i}@mail.example" for i in range(count)}


def test_smtp_down_while_reports_arrive_loses_nothing(app, client, site, smtp):
    smtp.stop()
    readers = readers_fixed(app, client, site, 5)
    tally = run_sender(app)
    assert tally.sent == 0 and tally.retried == 5  # fixed before anyone was told: thanks only
    rows = outbox_rows(app)
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 1 and "could not reach the mail server" in r.last_error
               for r in rows)

    run_sender(app)  # still inside the backoff: nothing is hammered, nothing is lost
    assert {r.attempts for r in outbox_rows(app)} == {1}

    smtp.start()
    run_sender(app, now=utcnow() + timedelta(minutes=2))
    received = Counter(m.to for m in smtp.inbox.messages)
    assert received == Counter({r: 1 for r in readers})
    assert {r.status for r in outbox_rows(app)} == {"sent"}


def test_a_rejected_recipient_does_not_block_the_others(app, client, site, smtp):
    smtp.inbox.reject = {"reader1@mail.example"}
    readers = readers_fixed(app, client, site, 4)
    tally = run_sender(app)
    assert tally.sent == 3 and tally.failed == 1
    assert {m.to for m in smtp.inbox.messages} == readers - {"reader1@mail.example"}
    [failed] = [r for r in outbox_rows(app) if r.status == "failed"]
    assert failed.recipient == "reader1@mail.example"
    assert "550" in failed.last_error and "No such mailbox" in failed.last_error


def test_an_unsendable_address_fails_alone_and_an_idn_domain_is_delivered(
        app, client, site, smtp):
    readers = readers_fixed(app, client, site, 2)
    # Intake refuses a non-ASCII mailbox name now; a row stored before that rule (or by
    # another path) must still fail alone rather than stop the sender.
    refused = post_report(client, site.key, notify=True, email="читатель@почта.рф")
    assert refused.status_code == 400
    for address in ("legacy@mail.example", "reader@почта.рф"):
        resp = post_report(client, site.key, exact="ошибка", prefix="это ", suffix=" тут",
                           notify=True, email=address)
    with app.app_context():
        db.session.execute(update(Report).where(Report.email == "legacy@mail.example")
                           .values(email="читатель@почта.рф"))
        db.session.commit()
    set_status(app, resp.get_json()["correction"], "fixed", EDITOR)
    tally = run_sender(app)
    assert tally.sent == 3 and tally.failed == 1
    assert {m.to for m in smtp.inbox.messages} == readers | {"reader@xn--80a1acny.xn--p1ai"}
    [failed] = [r for r in outbox_rows(app) if r.status == "failed"]
    assert failed.recipient == "читатель@почта.рф"
    assert "not ASCII" in failed.last_error


def test_failures_back_off_then_fail_and_show_in_the_outbox(app, client, site, smtp, factory):
    smtp.stop()
    post_report(client, site.key)
    now = utcnow()
    for minutes in (0, 2, 5, 10):  # retries after 1, 2, 4 minutes; the 4th attempt is the last
        run_sender(app, now=now + timedelta(minutes=minutes))
    rows = outbox_rows(app)
    assert sorted(r.recipient for r in rows) == ["desk@news.example", EDITOR]
    assert all(r.status == "failed" and r.attempts == 4 for r in rows)
    row = rows[0]

    from tests.conftest import login, page_token

    factory.editor("admin@news.example", role="admin")
    assert login(client, "admin@news.example").status_code == 302
    page = client.get("/outbox").get_data(as_text=True)
    assert row.recipient in page and "could not reach the mail server" in page
    token = page_token(client, "/outbox")
    assert client.post(f"/outbox/{row.id}/retry").status_code == 400  # no CSRF token
    resp = client.post(f"/outbox/{row.id}/retry", data={"csrf_token": token})
    assert resp.status_code == 302

    smtp.start()
    run_sender(app)
    assert [m.to for m in smtp.inbox.messages] == [row.recipient]
    assert [r.status for r in outbox_rows(app)] == ["sent", "failed"]


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_mail_in_flight(
        app, client, site, smtp):
    readers = readers_fixed(app, client, site, 8)
    smtp.inbox.hold_at = 3  # the server sits on the 3rd mail's DATA...
    proc = subprocess.Popen([*SENDER_CMD, "--loop", "--interval", "0.2"], cwd=ROOT,
                            env=sender_env(app, smtp), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        assert smtp.inbox.holding.wait(60), proc.stderr.read1(4000) if proc.poll() else ""
        os.kill(proc.pid, signal.SIGKILL)  # ...while the sender is killed outright
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    smtp.inbox.release.set()
    sent_before = [r.id for r in outbox_rows(app) if r.status == "sent"]
    assert len(sent_before) == 2

    app.config["ERRATA_MAIL_LEASE_SECONDS"] = 0  # the dead sender's claim has expired
    run_sender(app)

    received = Counter(m.to for m in smtp.inbox.messages)
    assert set(received) == readers  # nothing lost
    repeated = [to for to, n in received.items() if n > 1]
    assert len(repeated) <= 1 and max(received.values()) <= 2  # only the one in flight
    ids = Counter(m.header("Message-ID") for m in smtp.inbox.messages)
    assert len(ids) == 8  # a repeat carries the same Message-ID, so clients can tell
    assert {r.status for r in outbox_rows(app)} == {"sent"}


def test_a_claim_takes_at_most_a_batch_and_never_a_claimed_row(app):
    from service.mail.sender import claim

    with app.app_context():
        for i in range(10):
            enqueue(db.session, render("password_reset", f"e{i}@news.example",
                                       editor={"email": f"e{i}@news.example"}, link="x", hours=2))
        db.session.commit()
        batches = [claim(db.session, utcnow(), 4)[1] for _ in range(4)]
        db.session.remove()
    assert [[job.recipient for job in jobs] for jobs in batches] == [
        [f"e{i}@news.example" for i in range(4)], [f"e{i}@news.example" for i in range(4, 8)],
        ["e8@news.example", "e9@news.example"], []]


def test_sent_mail_is_deleted_after_the_keep_period(app, client, site, smtp):
    readers_fixed(app, client, site, 2)
    run_sender(app)
    assert [r.status for r in outbox_rows(app)] == ["sent", "sent"]
    run_sender(app, now=utcnow() + timedelta(days=29))
    assert len(outbox_rows(app)) == 2
    run_sender(app, now=utcnow() + timedelta(days=31))
    assert outbox_rows(app) == []


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (ERRATA_TEST_DATABASE_URL)")
def test_two_senders_at_once_never_send_a_mail_twice(app, smtp):
    with app.app_context():
        for i in range(60):
            enqueue(db.session, render("password_reset", f"editor{i}@news.example",
                                       editor={"email": f"editor{i}@news.example"},
                                       link="http://errata.test/reset/x", hours=2))
        db.session.commit()
    smtp.inbox.wait_for_peers = 2  # the first mail waits until both senders are connected
    env = sender_env(smtp=smtp, app=app, ERRATA_MAIL_BATCH="4")
    procs = [subprocess.Popen(SENDER_CMD, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert len(smtp.inbox.peers) >= 2  # they really did run at the same time
    received = Counter(m.to for m in smtp.inbox.messages)
    assert len(received) == 60 and set(received.values()) == {1}, outputs
    assert {r.status for r in outbox_rows(app)} == {"sent"}
    sent_by = [int(out.split("sent ")[1].split(",")[0]) for out, _err in outputs]
    assert sum(sent_by) == 60 and min(sent_by) > 0


@pytest.mark.parametrize("app_config", [{"ERRATA_DEFAULT_LANGUAGE": "ru"}])
def test_a_mail_taken_back_from_a_dead_sender_says_why_in_the_outbox_language(app):
    # What the Outbox page shows for the row: in ERRATA_DEFAULT_LANGUAGE, like the sender's
    # other reasons, not English on a Russian page.
    from service.mail.sender import reclaim_stale
    from service.models import OutboxMail

    with app.app_context():
        enqueue(db.session, render("password_reset", "e@news.example",
                                   editor={"email": "e@news.example"}, link="x", hours=2))
        db.session.execute(update(OutboxMail).values(
            status="sending", claimed_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert reclaim_stale(db.session) == 1
        row = db.session.scalar(select(OutboxMail))
        assert (row.status, row.last_error) == ("pending",
                                               "остановился процесс, который его отправлял")
