"""Channels end to end: reports and decisions become outbox rows in their own transaction,
``errata mail send`` delivers them to local fake servers (webhook, Slack, Telegram) with
the signature, batching, retries and limits the docs promise."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.api.serialize import FIELDS
from service.channels import http as channel_http
from service.extensions import db
from service.mail import sender
from service.models import Channel, Correction, Editor, OutboxMail, utcnow
from service.queue import actions
from tests.conftest import post_report
from tests.fake_http import FakeHTTP, Reply, telegram_ok

TOKEN = "123456789:AAE-secret-bot-token_abcdefghijklmnop"


@pytest.fixture
def app_config():
    return {"ERRATA_MAIL_SETTLE_SECONDS": 0, "ERRATA_MAIL_WINDOW_MINUTES": 10,
            "ERRATA_MAIL_RETRY_SECONDS": 60}


@pytest.fixture
def fake():
    server = FakeHTTP().start()
    yield server
    server.stop()


@pytest.fixture
def site(factory):
    return factory.site("Daily Example")


def run_sender(app, now=None):
    with app.app_context():
        try:
            return sender.run_once(db.session, now)
        finally:
            db.session.remove()


def rows(app, **where):
    with app.app_context():
        try:
            stmt = select(OutboxMail).where(OutboxMail.channel_id.is_not(None))
            for name, value in where.items():
                stmt = stmt.where(getattr(OutboxMail, name) == value)
            found = list(db.session.scalars(stmt.order_by(OutboxMail.id)))
            db.session.expunge_all()
            return found
        finally:
            db.session.remove()


def add(runner, site, *args, input=None):
    result = runner.invoke(args=["channel", "add", "--site", site.key, *args], input=input)
    assert result.exit_code == 0, result.output
    return result


def decide(app, correction_id, action="fixed", **kwargs):
    with app.app_context():
        editor = db.session.scalar(select(Editor)) or Editor(email="e@news.example")
        db.session.add(editor)
        db.session.flush()
        actions.change_status(db.session, db.session.get(Correction, correction_id), editor,
                              action, **kwargs)
        db.session.commit()
        db.session.remove()


def _documented_verify():
    """The receiver's code from docs/integrations.md, run as written."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "integrations.md").read_text()
    code = doc.split("### Verifying a signature (Python)", 1)[1].split("```python", 1)[1]
    namespace: dict = {}
    exec(code.split("```", 1)[0], namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def verify(secret: str, header: str, body: bytes) -> bool:
    return _documented_verify()(secret, header, body)


def test_documented_verify_refuses_old_and_tampered_requests():
    documented = _documented_verify()
    body = b'{"id":"x"}'
    mac = hmac.new(b"s", b"1000." + body, hashlib.sha256).hexdigest()
    assert documented("s", f"t=1000,v1={mac}", body, now=1100)
    assert not documented("s", f"t=1000,v1={mac}", body, now=2000)  # replayed later
    assert not documented("s", f"t=1000,v1={mac}", body + b" ", now=1100)
    assert not documented("s", "garbage", body, now=1100)


# -- webhooks ----------------------------------------------------------------------------------

def test_webhook_gets_each_event_signed_with_the_api_fields(app, client, runner, site, fake):
    result = add(runner, site, "webhook", fake.url + "/hook?x=1")
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and len(secret) > 30
    resp = post_report(client, site.key, email="reader@example.org", notify=True,
                       comment="my private comment")
    correction_id = resp.get_json()["correction_id"] if resp.is_json and \
        "correction_id" in resp.get_json() else None
    assert resp.status_code == 201
    assert len(rows(app, status="pending")) == 1  # written with the report itself
    tally = run_sender(app)
    assert tally.sent == 1 and len(fake.requests) == 1
    request = fake.requests[0]
    assert request.path == "/hook?x=1"
    body = request.json()
    assert list(body) == ["id", "type", "created_at", "correction"]
    assert body["type"] == "correction.created"
    assert request.headers["Errata-Event-Id"] == body["id"]
    assert tuple(body["correction"]) == FIELDS
    assert body["correction"]["exact"] == "collegiums"
    correction_id = correction_id or body["correction"]["id"]
    assert verify(secret, request.headers["Errata-Signature"], request.body)
    assert not verify("whsec_wrong", request.headers["Errata-Signature"], request.body)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", request.headers["Errata-Signature"])
    # Nothing private about the reader.
    raw = request.body.decode()
    assert "reader@example.org" not in raw and "private comment" not in raw
    assert "ip_hash" not in raw

    decide(app, correction_id, "fixed", applied_fix="collegia")
    run_sender(app)
    changed = fake.requests[1].json()
    assert changed["type"] == "correction.status_changed"
    assert changed["correction"]["status"] == "fixed"
    assert changed["correction"]["applied_fix"] == "collegia"
    assert changed["id"] != body["id"]


def test_spam_and_repeats_are_not_announced(app, client, runner, site, fake):
    add(runner, site, "webhook", fake.url)
    assert post_report(client, site.key, comment="http://a.example http://b.example").status_code \
        in (201, 202)
    assert rows(app) == []
    assert post_report(client, site.key).status_code == 201
    assert post_report(client, site.key).status_code == 200  # joins the same correction
    assert len(rows(app)) == 1


def test_a_failed_post_is_retried_with_the_same_event_id(app, client, runner, site, fake):
    add(runner, site, "webhook", fake.url)
    fake.replies = [Reply(503, b"busy"), Reply(200)]
    post_report(client, site.key)
    first = run_sender(app)
    assert first.retried == 1
    (row,) = rows(app)
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    assert run_sender(app).sent == 0  # waits for its backoff
    later = utcnow() + timedelta(seconds=61)
    assert run_sender(app, later).sent == 1
    ids = [r.headers["Errata-Event-Id"] for r in fake.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert fake.requests[0].body == fake.requests[1].body


@pytest.mark.parametrize("reply, expected", [
    (Reply(404, b"no such hook"), "answered 404: no such hook"),
    (Reply(302, b"", {"Location": "/elsewhere"}), "a redirect (not followed)"),
])
def test_a_refusal_fails_at_once_and_is_listed_with_retry(app, client, runner, site, fake,
                                                          factory, reply, expected):
    from tests.conftest import csrf_token, login

    add(runner, site, "webhook", fake.url + "/hook")
    fake.replies = [reply]
    post_report(client, site.key)
    assert run_sender(app).failed == 1
    assert [r.path for r in fake.requests] == ["/hook"]  # the redirect was not followed
    (row,) = rows(app)
    assert row.status == "failed" and expected in row.last_error
    factory.editor("admin@news.example", role="admin")
    assert login(client, "admin@news.example").status_code == 302
    page = client.get("/outbox").get_data(as_text=True)
    assert "Webhook " + fake.url + "/hook" in page and expected in page
    client.post(f"/outbox/{row.id}/retry", data={"csrf_token": csrf_token(page)})
    assert rows(app)[0].status == "pending"
    assert run_sender(app).sent == 1


def test_reply_bodies_are_cut_at_one_kilobyte(app, client, runner, site, fake):
    add(runner, site, "webhook", fake.url)
    fake.replies = [Reply(500, b"x" * 50_000)]
    post_report(client, site.key)
    run_sender(app)
    (row,) = rows(app)
    assert row.last_error.count("x") == 1024


def test_a_slow_reply_times_out(app, client, runner, site, fake, monkeypatch):
    # The real limit is 10 s; a second here keeps the suite quick. The watchdog is the same.
    monkeypatch.setattr(channel_http, "TOTAL_SECONDS", 1.0)
    add(runner, site, "webhook", fake.url)
    fake.replies = [Reply(200, b"x" * 100, trickle_seconds=0.1)]
    post_report(client, site.key)
    assert run_sender(app).retried == 1
    assert "did not answer within 1 s" in rows(app)[0].last_error


def test_unreachable_and_non_http_targets(app, client, runner, site):
    result = runner.invoke(args=["channel", "add", "--site", site.key, "webhook",
                                 "ftp://files.example/x"])
    assert result.exit_code == 1 and "http" in result.output
    result = runner.invoke(args=["channel", "add", "--site", site.key, "webhook",
                                 "javascript:alert(1)"])
    assert result.exit_code == 1
    add(runner, site, "webhook", "http://127.0.0.1:1/closed")
    post_report(client, site.key)
    assert run_sender(app).retried == 1
    assert "could not connect to 127.0.0.1" in rows(app)[0].last_error


def test_removing_a_channel_drops_what_waits_for_it(app, client, runner, site, fake):
    add(runner, site, "webhook", fake.url)
    post_report(client, site.key)
    (row,) = rows(app)
    result = runner.invoke(args=["channel", "remove", str(row.channel_id)])
    assert result.exit_code == 0 and "removed" in result.output
    assert rows(app) == []
    run_sender(app)
    assert fake.requests == []
    assert runner.invoke(args=["channel", "remove", "999"]).exit_code == 1


# -- Slack and Telegram: batched ---------------------------------------------------------------

def test_slack_gets_one_message_per_burst_and_window(app, client, runner, site, fake):
    add(runner, site, "slack", fake.url + "/services/T0/B0/XYZ")
    post_report(client, site.key, exact="1 < 2 & `x` @channel", prefix="a ", suffix=" b",
                suggestion="the")
    post_report(client, site.key, exact="recieve", prefix="c ", suffix=" d",
                suggestion="receive", url="https://news.example/other")
    assert [r.status for r in rows(app)] == ["held", "held"]
    run_sender(app)
    assert len(fake.requests) == 1
    text = fake.requests[0].json()["text"]
    assert "2 new corrections" in text
    assert "`1 &lt; 2 &amp; ˋxˋ @channel`" in text
    assert "`recieve` → `receive`" in text
    assert "<http://errata.test/queue/" in text
    assert "<https://news.example/other|" in text  # the article, a page of the site
    # A third report inside the window waits; after the window it goes alone.
    post_report(client, site.key, exact="thrid", prefix="e ", suffix=" f")
    run_sender(app)
    assert len(fake.requests) == 1
    run_sender(app, utcnow() + timedelta(minutes=11))
    assert len(fake.requests) == 2
    assert "1 new correction" in fake.requests[1].json()["text"]
    listed = runner.invoke(args=["channel", "list"]).output
    assert "XYZ" not in listed and "Slack/Mattermost 127.0.0.1" in listed


def test_telegram_through_the_bot_api_with_html_escaped(app, client, runner, site, fake,
                                                         tmp_path):
    app.config["ERRATA_TELEGRAM_API"] = fake.url
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    result = add(runner, site, "telegram", "--chat", "-1001234567890", "--token-file",
                 str(token_file))
    assert TOKEN not in result.output
    fake.default = telegram_ok()
    post_report(client, site.key, exact="1 < 2 & co", prefix="x ", suffix=" y",
                suggestion="fine")
    run_sender(app)
    (request,) = fake.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    payload = request.json()
    assert payload["chat_id"] == "-1001234567890" and payload["parse_mode"] == "HTML"
    assert "«1 &lt; 2 &amp; co» → «fine»" in payload["text"]
    assert '<a href="http://errata.test/queue/' in payload["text"]


def test_telegram_errors_and_pages_never_show_the_token(app, client, runner, site, fake,
                                                        factory):
    from tests.conftest import login

    app.config["ERRATA_TELEGRAM_API"] = fake.url
    result = add(runner, site, "telegram", "--chat", "@newsdesk", input=TOKEN + "\n")
    assert TOKEN not in result.output  # the prompt does not echo it
    fake.replies = [Reply(400, json.dumps({"ok": False, "error_code": 400,
                                           "description": "Bad Request: chat not found"})
                          .encode())]
    post_report(client, site.key)
    run_sender(app)
    (row,) = rows(app)
    assert row.status == "failed" and "chat not found" in row.last_error
    factory.editor("admin@news.example", role="admin")
    assert login(client, "admin@news.example").status_code == 302
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    for page in ("/outbox", f"/sites/{site.id}"):
        html = client.get(page).get_data(as_text=True)
        assert "Telegram chat @newsdesk" in html and TOKEN not in html
        assert TOKEN.split(":")[1] not in html
    for args in (["channel", "list"], ["mail", "status"], ["channel", "test", str(channel_id)]):
        assert TOKEN.split(":")[1] not in runner.invoke(args=args).output


def test_telegram_needs_a_chat_and_a_real_token(app, runner, site, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("not a token")
    result = runner.invoke(args=["channel", "add", "--site", site.key, "telegram", "--chat",
                                 "-100", "--token-file", str(bad)])
    assert result.exit_code == 1 and "token" in result.output and "not a token" not in \
        result.output
    result = runner.invoke(args=["channel", "add", "--site", site.key, "telegram"])
    assert result.exit_code == 2 and "--chat" in result.output


# -- testing a channel -------------------------------------------------------------------------

def test_channel_test_reports_how_it_went(app, runner, site, fake):
    secret = add(runner, site, "webhook", fake.url).output.strip().splitlines()[-1]
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    result = runner.invoke(args=["channel", "test", str(channel_id)])
    assert result.exit_code == 0 and "HTTP 200" in result.output
    body = fake.requests[0].json()
    assert body["type"] == "test" and body["correction"] is None
    assert verify(secret, fake.requests[0].headers["Errata-Signature"], fake.requests[0].body)
    fake.replies = [Reply(410, b"gone")]
    result = runner.invoke(args=["channel", "test", str(channel_id)])
    assert result.exit_code == 1 and "410" in result.output


# -- the site page -----------------------------------------------------------------------------

def test_site_page_adds_tests_and_removes_channels(app, client, site, factory, fake):
    from tests.conftest import csrf_token, login

    factory.editor("admin@news.example", role="admin")
    factory.editor("editor@news.example", sites=[site])
    assert login(client, "admin@news.example").status_code == 302
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert "Add a channel" in page
    token = csrf_token(page)
    added = client.post(f"/sites/{site.id}/channels", data={
        "csrf_token": token, "kind": "webhook", "url": fake.url + "/in"})
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<pre id="channel-secret">([^<]+)</pre>', added.get_data(as_text=True))
    assert secret and secret.group(1).startswith("whsec_")
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert f"Webhook {fake.url}/in" in page and secret.group(1) not in page
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    resp = client.post(f"/sites/{site.id}/channels/{channel_id}/test",
                       data={"csrf_token": token}, follow_redirects=True)
    assert "Test message delivered" in resp.get_data(as_text=True)
    assert verify(secret.group(1), fake.requests[0].headers["Errata-Signature"],
                  fake.requests[0].body)
    # Bad values are named; nothing is added.
    resp = client.post(f"/sites/{site.id}/channels", data={
        "csrf_token": token, "kind": "slack", "url": "hooks.slack.com/x"}, follow_redirects=True)
    assert "The URL must start with http:// or https://" in resp.get_data(as_text=True)
    resp = client.post(f"/sites/{site.id}/channels", data={
        "csrf_token": token, "kind": "telegram", "chat_id": "-1\u202e", "token": "x"},
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "The chat id must be" in html and "The bot token must be" in html
    # Another site's channel number is not found; no CSRF token, no change.
    other = factory.site("Other", origins=("https://other.example",))
    assert client.post(f"/sites/{other.id}/channels/{channel_id}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/sites/{site.id}/channels/{channel_id}/remove").status_code == 400
    resp = client.post(f"/sites/{site.id}/channels/{channel_id}/remove",
                       data={"csrf_token": token}, follow_redirects=True)
    assert "Channel removed" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Channel.id)) is None
    # Editors can't manage channels.
    editor = app.test_client()
    assert login(editor, "editor@news.example").status_code == 302
    assert editor.post(f"/sites/{site.id}/channels", data={
        "csrf_token": csrf_token(editor.get("/queue").get_data(as_text=True)),
        "kind": "webhook", "url": fake.url}).status_code == 403


def test_chat_messages_speak_the_sites_language(app, client, runner, factory, fake):
    site = factory.site("Вести", default_lang="ru")
    add(runner, site, "slack", fake.url)
    post_report(client, site.key)
    run_sender(app)
    text = fake.requests[0].json()["text"]
    assert text.startswith("Errata · Вести: 1 новое исправление")
    assert "|открыть в Errata>" in text


def test_channel_list_by_site_and_remove_by_id(app, runner, site, factory, fake):
    other = factory.site("Other", origins=("https://other.example",))
    add(runner, site, "webhook", fake.url + "/mine")
    add(runner, other, "slack", fake.url + "/services/T/B/SECRETPART")
    everything = runner.invoke(args=["channel", "list"]).output
    assert f"\t{site.key}\twebhook\tWebhook {fake.url}/mine" in everything
    assert f"\t{other.key}\tslack\t" in everything and "SECRETPART" not in everything
    only = runner.invoke(args=["channel", "list", "--site", other.key])
    assert only.exit_code == 0 and site.key not in only.output and other.key in only.output
    assert runner.invoke(args=["channel", "list", "--site", "nope"]).exit_code == 1
    channel_id = only.output.split("\t")[0]
    assert runner.invoke(args=["channel", "remove", channel_id]).exit_code == 0
    empty = runner.invoke(args=["channel", "list", "--site", other.key]).output
    assert empty.startswith("No channels.")


def test_a_failed_test_message_is_told_in_the_admins_language(app, client, runner, site,
                                                              factory, fake):
    from tests.conftest import csrf_token, login

    add(runner, site, "webhook", fake.url)
    fake.replies = [Reply(410, b"gone")]
    factory.editor("admin@news.example", role="admin", language="ru")
    assert login(client, "admin@news.example").status_code == 302
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    resp = client.post(f"/sites/{site.id}/channels/{channel_id}/test",
                       data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "ответ 410: gone" in resp.get_data(as_text=True)
