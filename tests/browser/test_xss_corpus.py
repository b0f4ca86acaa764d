"""The XSS corpus in a real browser: hostile text in every field of every report, reaching
the queue, every correction page and the site page, runs nothing.

Two ways in: through the real ingest API (bleach strips the markup on the way), and straight
into the database, bypassing bleach, as if an old row or a future bug let raw markup through.
The pages must then escape it on output; that second path is what proves the escaping.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, select

from service.extensions import db
from service.models import Correction, Report, utcnow
from tests.conftest import post_report
from tests.xss_payloads import PAYLOADS

PASSWORD = "correct horse battery"
ADMIN = "admin@errata.example"
ORIGIN = "https://news.example"

# Whatever a payload would do is one of these; none may happen.
PROBE = """() => {
  const onAttrs = [...document.querySelectorAll('*')].filter(
      el => [...el.attributes].some(a => a.name.toLowerCase().startsWith('on')));
  const foreignScripts = [...document.scripts].filter(
      s => !s.src || new URL(s.src).origin !== location.origin);
  const jsLinks = [...document.querySelectorAll('[href],[src],[action],[formaction]')].filter(
      el => ['href', 'src', 'action', 'formaction'].some(
          n => (el.getAttribute(n) || '').trim().toLowerCase().startsWith('javascript:')));
  return {xss: !!document.getElementById('xss'), onAttrs: onAttrs.length,
          foreignScripts: foreignScripts.length, jsLinks: jsLinks.length,
          iframes: document.querySelectorAll('iframe,object,embed,base').length};
}"""
CLEAN = {"xss": False, "onAttrs": 0, "foreignScripts": 0, "jsLinks": 0, "iframes": 0}


@pytest.fixture
def hostile(live):
    """A site whose name is hostile too, an admin, and one correction per payload."""
    from service.accounts.core import create_editor
    from service.sites.core import create_site

    with live.app.app_context():
        site = create_site(db.session, PAYLOADS[0][:200], [ORIGIN], ())
        create_editor(db.session, ADMIN, role="admin", password=PASSWORD)
        db.session.commit()
        key, site_id = site.key, site.id
    client = live.app.test_client()
    n = len(PAYLOADS)
    for i, payload in enumerate(PAYLOADS[:40]):
        fields = dict(exact=f"{payload} api-{i}", prefix=PAYLOADS[(i + 1) % n] + " ",
                      suffix=" " + PAYLOADS[(i + 2) % n], title=PAYLOADS[(i + 3) % n],
                      suggestion=PAYLOADS[(i + 4) % n], comment=PAYLOADS[(i + 5) % n],
                      url=f"{ORIGIN}/api/{i}?q={payload[:50]}")
        resp = post_report(client, key, **fields)
        assert resp.status_code < 500, resp.get_data(as_text=True)
    # Raw rows, bypassing bleach: every payload in every stored field. (PostgreSQL text can't
    # hold NUL at all, so those few characters are spelled out rather than dropped.)
    raw = [p.replace("\x00", "\\0") for p in PAYLOADS]
    now = utcnow()
    with live.app.app_context():
        for i, payload in enumerate(raw):
            text = lambda k, i=i: raw[(i + k) % n]  # noqa: E731
            cid = db.session.execute(insert(Correction).returning(Correction.id), dict(
                site_id=site_id, url=f"{ORIGIN}/raw/{i}", title=text(1)[:300],
                exact=payload[:500], prefix=text(2)[:256], suffix=text(3)[:256],
                suggestion=text(4)[:500], link=f"{ORIGIN}/raw/{i}#:~:text=x", lang="en",
                kind="typo", status="new", report_count=1, first_reported_at=now,
                last_reported_at=now, resolution_note=text(5))).scalar_one()
            db.session.execute(insert(Report), dict(
                correction_id=cid, site_id=site_id, url=f"{ORIGIN}/raw/{i}", origin=ORIGIN,
                title=text(1)[:300], exact=payload[:500], prefix=text(2)[:256],
                suffix=text(3)[:256], suggestion=text(4)[:500], comment=text(6),
                email="reader@example.org", notify=True, user_agent=text(7)[:400],
                client="raw", created_at=now))
        db.session.commit()
        ids = db.session.scalars(select(Correction.id).order_by(Correction.id)).all()
    return site_id, ids


def _log_in(pg, live):
    pg.goto(f"{live.url}/login")
    pg.get_by_label("Email").fill(ADMIN)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url("**/queue")


def _assert_inert(pg, where, dialogs):
    assert not dialogs, f"{where}: a dialog opened: {dialogs}"
    assert pg.evaluate(PROBE) == CLEAN, where


def test_no_payload_runs_on_any_editor_page(page, live, hostile):
    site_id, ids = hostile
    assert len(ids) >= 100 + 40 - 5  # the corpus is at least 100 payloads
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _log_in(page, live)

    # Every page of the queue, following its "next" link.
    seen = 0
    url = f"{live.url}/queue?status=all"
    while url:
        page.goto(url)
        _assert_inert(page, url, dialogs)
        seen += page.locator("[data-row]").count()
        nxt = page.locator("a[rel=next]")
        url = nxt.first.get_attribute("href") if nxt.count() else None
        if url and not url.startswith("http"):
            url = live.url + url
    assert seen == len(ids)

    for cid in ids:
        page.goto(f"{live.url}/queue/{cid}")
        _assert_inert(page, f"/queue/{cid}", dialogs)
    # The payload is shown as text, not swallowed.
    page.goto(f"{live.url}/queue/{ids[-1]}")
    assert "<" in page.locator("main").inner_text()

    page.goto(f"{live.url}/sites/{site_id}")
    _assert_inert(page, "site page", dialogs)
    assert re.search(r"<script>", page.locator("main").inner_text(), re.I)
