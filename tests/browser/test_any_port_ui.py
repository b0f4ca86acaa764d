"""`make run` on a port other than 5000, end to end: `errata site add` and `errata demo` print
addresses on that port, `errata run --with-mail-sender` serves there, and what an editor and a
reader see — the Sites page's embed line, every link in every mail — points there too, with
ERRATA_BASE_URL unset. The reader's thank-you is due ten seconds after "Fixed" (the web
process and the sender agree on `errata run`'s short undo window)."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Event, OutboxMail
from tests.conftest import report_body
from tests.mail_support import ROOT, SENDER_CMD, sender_env
from tests.servers import free_port

PYTHON = SENDER_CMD[0]


def errata(env, *args: str) -> str:
    out = subprocess.run([PYTHON, "-m", "service.cli", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)


def wait_for_mail(smtp, address: str, subject_part: str):
    """The mail arrives within a minute (the sender polls; not a timing assertion)."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [m for m in smtp.inbox.to(address) if subject_part in m.subject]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} about {subject_part!r}: "
                         f"{[(m.to, m.subject) for m in smtp.inbox.messages]}")


def wait_for_port(port: int) -> None:
    import socket
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def port() -> int:
    port = free_port()
    while port == 5000:
        port = free_port()
    return port


def test_every_address_follows_port_when_base_url_is_unset(app, smtp, browser, port):
    env = sender_env(app, smtp)
    del env["ERRATA_BASE_URL"]
    del env["ERRATA_MAIL_SETTLE_SECONDS"]  # errata run's own short timings apply
    env["PORT"] = str(port)
    base = f"http://127.0.0.1:{port}"

    added = errata(env, "site", "add", "Port Gazette", "--origin", "https://port.example")
    assert f'src="{base}/static/js/errata.js"' in added
    demo = errata(env, "demo")
    assert f"{base}/queue" in demo and ":5000/" not in demo
    password = re.search(r"demo@errata\.example / (\S+)", demo).group(1)

    server = subprocess.Popen([PYTHON, "-m", "service.cli", "run", "--with-mail-sender"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(server.stdout, lines), daemon=True).start()
    context = browser.new_context()
    pg = context.new_page()
    try:
        seen = ""
        while f"serving on {base}" not in seen:
            seen += lines.get(timeout=60)
        wait_for_port(port)  # the line is printed just before the socket is bound

        pg.goto(f"{base}/login")
        pg.get_by_label("Email").fill("demo@errata.example")
        pg.get_by_label("Password").fill(password)
        pg.get_by_role("button", name="Log in").click()
        pg.wait_for_url(re.compile(r".*/queue$"))

        # Invite first, while the sender has nothing to write: an editor's write that meets
        # the sender's commit on SQLite can fail "database is locked" (reported, not ours).
        pg.goto(f"{base}/people/invite")
        pg.get_by_label("Email").fill("new.editor@news.example")
        pg.get_by_label("Demo: Belarus Today").check()
        pg.get_by_role("button", name="Send invitation").click()
        expect(pg.locator(".flash")).to_contain_text("Invitation sent")

        pg.goto(f"{base}/sites")
        pg.get_by_role("link", name="Port Gazette").click()
        expect(pg.locator("#embed-code")).to_contain_text(f'src="{base}/static/js/errata.js"')

        # A reader reports an error on the demo page and asks to hear about the fix.
        body = report_body("demo", url=f"{base}/demo", notify=True,
                           email="reader@mail.example", lang="en")
        request = urllib.request.Request(
            f"{base}/api/v1/reports", data=json.dumps(body).encode(), method="POST",
            headers={"Origin": base, "Content-Type": "text/plain;charset=UTF-8"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 201
            correction_id = json.load(resp)["correction"]

        # Editors hear of open corrections only: fix it once the desk has been told.
        mails = [wait_for_mail(smtp, "demo@errata.example", "new correction"),
                 wait_for_mail(smtp, "new.editor@news.example", "invit")]
        pg.goto(f"{base}/queue/{correction_id}")
        pg.get_by_role("button", name="Fixed", exact=True).click()
        expect(pg.locator(".page-head .status")).to_contain_text("Fixed")
        mails.append(wait_for_mail(smtp, "reader@mail.example", "Fixed"))
    except BaseException:
        while not lines.empty():
            seen += lines.get()
        print(seen)
        raise
    finally:
        context.close()
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()

    links = [link for mail in mails for link in mail.links()]
    links += [mail.header("List-Unsubscribe").strip("<>") for mail in mails
              if mail.header("List-Unsubscribe")]
    paths = {link.removeprefix(base).split("?")[0].rsplit("/", 1)[0] or "/" for link in links}
    for wanted in ("/queue", "/account", "/invite", "/unsubscribe"):
        assert wanted in paths or any(p.startswith(wanted) for p in paths), (wanted, links)
    assert f"{base}/queue/{correction_id}" in links
    # Every link is on the served port (the thank-you's article link is the demo page).
    assert [link for link in links if not link.startswith(base + "/")] == [], links

    with app.app_context():
        fixed_at = db.session.scalar(select(Event.created_at).where(Event.action == "fixed"))
        thanks = db.session.scalar(select(OutboxMail).where(
            OutboxMail.recipient == "reader@mail.example"))
        assert thanks.status == "sent"
        # Due when the undo window of `errata run` ends: 10 s, set by the web process.
        assert thanks.next_attempt_at - fixed_at == pytest.approx(timedelta(seconds=10),
                                                                  abs=timedelta(seconds=1))
