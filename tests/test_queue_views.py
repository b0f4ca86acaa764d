"""The queue pages through the test client: every action and every permission rule."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Event, Report, utcnow
from tests.conftest import csrf_token, login, post_report


@pytest.fixture
def world(factory, client):
    a = factory.site("Alpha")
    b = factory.site("Beta", origins=("https://beta.example",))
    factory.editor("admin@news.example", role="admin")
    factory.editor("a@news.example", sites=[a])
    factory.editor("a2@news.example", sites=[a])
    factory.editor("b@news.example", sites=[b])
    assert post_report(client, a.key).status_code == 201
    assert post_report(client, b.key, origin="https://beta.example",
                       url="https://beta.example/x", exact="recieve",
                       prefix="to ", suffix=" it", suggestion="receive").status_code == 201
    return a, b


def signed_in(client, email):
    """A fresh client logged in as ``email`` (a logged-in client can't open /login again)."""
    fresh = client.application.test_client()
    assert login(fresh, email).status_code == 302
    return fresh


@pytest.fixture(autouse=True)
def _app_for_helpers(app):
    """View tests must not hold an app context open: ``g`` (with the CSRF token and the
    logged-in user) would then be shared by every request. Helpers open their own."""
    global APP
    APP = app
    yield
    APP = None


APP = None


def sql(fn):
    """Run ``fn()`` in a fresh app context and return its (plain) result."""
    with APP.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def cid(site_id):
    stmt = select(Correction.id).where(Correction.site_id == site_id)
    return sql(lambda: db.session.scalar(stmt))


def status_of(correction_id):
    return sql(lambda: db.session.get(Correction, correction_id).status)


def assignee_of(correction_id):
    return sql(lambda: db.session.get(Correction, correction_id).assignee_id)


def ids_on(html):
    return [int(x) for x in re.findall(r'name="ids" value="(\d+)"', html)]


def post(client, path, data, page=None):
    """POST a queue form with the CSRF token of ``page`` (the page the form is on)."""
    html = client.get(page or path.rsplit("/", 1)[0]).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(html), **data})


def events(correction_id):
    return sql(lambda: [(e.action, e.to_status, e.note) for e in db.session.scalars(
        select(Event).where(Event.correction_id == correction_id).order_by(Event.id))])


@pytest.mark.parametrize("path", ["/queue", "/queue/1"])
def test_anonymous_is_sent_to_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("action", ["status", "assign", "note"])
def test_anonymous_posts_are_sent_to_login(client, app, world, action):
    app.config["WTF_CSRF_ENABLED"] = False  # past CSRF, the login check must still hold
    resp = client.post(f"/queue/{cid(world[0].id)}/{action}", data={"action": "fixed"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert status_of(cid(world[0].id)) == "new"


def test_queue_lists_only_my_sites_with_open_counts(client, world):
    a, b = world
    client = signed_in(client, "a@news.example")
    html = client.get("/queue").get_data(as_text=True)
    assert ids_on(html) == [cid(a.id)]
    assert "collegiums" in html and "recieve" not in html
    assert '<del>collegiums</del><ins>collegia</ins>' in html
    assert '<span class="nav-count"' in html
    client = signed_in(client, "admin@news.example")
    html = client.get("/queue").get_data(as_text=True)
    assert set(ids_on(html)) == {cid(a.id), cid(b.id)}
    assert "Open by site" in html


@pytest.mark.parametrize(("path", "data"), [
    ("/queue/{id}", None),
    ("/queue/{id}/status", {"action": "fixed"}),
    ("/queue/{id}/assign", {"assignee": "me"}),
    ("/queue/{id}/note", {"note": "x"}),
])
def test_other_sites_correction_is_404(client, world, path, data):
    a, b = world
    client = signed_in(client, "a@news.example")
    token = csrf_token(client.get("/queue").get_data(as_text=True))

    def visit(correction_id):
        url = path.format(id=correction_id)
        if data is None:
            return client.get(url)
        return client.post(url, data={"csrf_token": token, **data})

    assert visit(cid(b.id)).status_code == 404
    assert visit(999999).status_code == 404
    assert status_of(cid(b.id)) == "new"
    assert events(cid(b.id)) == []
    # The same address answers for the editor's own site: the 404 is about access.
    assert visit(cid(a.id)).status_code != 404


@pytest.mark.parametrize("action", ["status", "assign", "note"])
def test_missing_csrf_token_is_400(client, world, action):
    client = signed_in(client, "admin@news.example")
    resp = client.post(f"/queue/{cid(world[0].id)}/{action}",
                       data={"action": "fixed", "assignee": "me", "note": "x", "kind": "ip",
                             "report_id": "1"})
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)
    assert status_of(cid(world[0].id)) == "new"
    assert client.post("/queue/bulk", data={"action": "fixed", "ids": [1]}).status_code == 400


def test_detail_page_shows_context_diff_reports_and_link(client, world):
    a, _ = world
    post_report(client, a.key, comment="Plural of collegium", email="reader@example.org",
                notify=True)
    client = signed_in(client, "a@news.example")
    c_id = cid(a.id)
    link_ = sql(lambda: db.session.get(Correction, c_id).link)
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert "Foreign Ministry </span><mark>collegiums</mark>" in html
    assert "<del>collegiums</del><ins>collegia</ins>" in html
    assert "Plural of collegium" in html and "reader@example.org" in html
    assert "Reports (2)" in html
    link = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="noopener"', html)
    assert link and link.group(1).replace("&amp;", "&") == link_ and "#:~:text=" in link_
    assert "Block this reader" not in html  # admins only


@pytest.mark.parametrize("action, status", [("fixed", "fixed"), ("rejected", "rejected"),
                                            ("spam", "spam")])
def test_status_actions_with_note_write_events(client, world, action, status):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    resp = post(client, f"/queue/{c_id}/status", {"action": action, "note": "Done in CMS"},
                page=f"/queue/{c_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/queue/{c_id}")
    assert status_of(c_id) == status
    assert events(c_id) == [(action, status, "Done in CMS")]
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert "Done in CMS" in html and "a@news.example" in html
    # ... and Reopen brings it back.
    post(client, f"/queue/{c_id}/status", {"action": "reopen"}, page=f"/queue/{c_id}")
    assert status_of(c_id) == "new"


def test_fixed_records_the_published_text_shown_in_the_history(client, world):
    c_id = cid(world[1].id)  # "recieve", suggested "receive"
    client = signed_in(client, "b@news.example")
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    prefill = re.search(r'<textarea id="decide-fix" name="applied_fix"[^>]*>([^<]*)</textarea>',
                        html)
    assert prefill and prefill.group(1) == "receive"  # the suggestion, ready to confirm
    resp = post(client, f"/queue/{c_id}/status",
                {"action": "fixed", "applied_fix": "get", "note": "Changed to “get” in the CMS."},
                page=f"/queue/{c_id}")
    assert resp.status_code == 302
    assert sql(lambda: db.session.get(Correction, c_id).applied_fix) == "get"
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert 'Published:</strong> <span class="diff"><del>recieve</del><ins>get</ins>' in html
    assert 'Published: <span class="diff"><del>recieve</del><ins>get</ins>' in html  # history
    # The note is quoted once, with its own full stop and no second one.
    assert "Fixed: “Changed to “get” in the CMS.”" in html
    assert "CMS.”." not in html


@pytest.mark.parametrize("note, shown", [("", "Fixed."), ("Done", "Fixed: “Done”."),
                                         ("Done?", "Fixed: “Done?”")])
def test_the_decision_is_one_sentence(client, world, note, shown):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    post(client, f"/queue/{c_id}/status", {"action": "fixed", "note": note},
         page=f"/queue/{c_id}")
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert f"<p>{shown}" in html and "not recorded" in html


def test_published_text_too_long_is_400_naming_it(client, world):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    resp = post(client, f"/queue/{c_id}/status", {"action": "fixed", "applied_fix": "é" * 501},
                page=f"/queue/{c_id}")
    assert resp.status_code == 400 and "published text is too long" in resp.get_data(as_text=True)
    assert status_of(c_id) == "new" and events(c_id) == []


def test_row_action_returns_to_the_filtered_list(client, world):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    resp = post(client, f"/queue/{c_id}/status",
                {"action": "fixed", "next": "/queue?kind=typo&sort=most"}, page="/queue")
    assert resp.headers["Location"].endswith("/queue?kind=typo&sort=most")
    for evil in ("https://evil.example/", "//evil.example/queue", "/queue\\@evil", "/login"):
        resp = post(client, f"/queue/{c_id}/status", {"action": "reopen", "next": evil},
                    page="/queue")
        assert resp.headers["Location"].endswith(f"/queue/{c_id}"), evil


def test_bad_action_is_400_with_a_sentence(client, world):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    resp = post(client, f"/queue/{c_id}/status", {"action": "delete"}, page="/queue")
    assert resp.status_code == 400 and "Not a valid choice" in resp.get_data(as_text=True)
    resp = post(client, f"/queue/{c_id}/note", {"note": " "}, page="/queue")
    assert resp.status_code == 400 and "Write something" in resp.get_data(as_text=True)
    resp = post(client, f"/queue/{c_id}/assign", {"assignee": "nobody-id"}, page="/queue")
    assert resp.status_code == 400


def test_assign_to_me_someone_and_nobody(client, world):
    a, b = world
    c_id = cid(a.id)
    client = signed_in(client, "a@news.example")
    post(client, f"/queue/{c_id}/assign", {"assignee": "me"}, page="/queue")
    assert assignee_of(c_id) == _editor_id("a@news.example")
    assert status_of(c_id) == "in_progress"
    html = client.get("/queue?mine=1").get_data(as_text=True)
    assert ids_on(html) == [c_id]
    other = _editor_id("a2@news.example")
    post(client, f"/queue/{c_id}/assign", {"assignee": str(other)}, page="/queue")
    assert assignee_of(c_id) == other
    # Someone from another site can't be given this correction.
    resp = post(client, f"/queue/{c_id}/assign", {"assignee": str(_editor_id("b@news.example"))},
                page="/queue")
    assert resp.status_code == 400
    post(client, f"/queue/{c_id}/assign", {"assignee": ""}, page="/queue")
    assert assignee_of(c_id) is None
    assert [e[0] for e in events(c_id)] == ["assign", "assign", "unassign"]


def _editor_id(email):
    from service.models import Editor
    return sql(lambda: db.session.scalar(select(Editor.id).where(Editor.email == email)))


def test_private_note(client, world):
    c_id = cid(world[0].id)
    client = signed_in(client, "a@news.example")
    resp = post(client, f"/queue/{c_id}/note", {"note": "Asked the author"}, page="/queue")
    assert resp.status_code == 302
    assert events(c_id) == [("note", None, "Asked the author")]
    assert "Asked the author" in client.get(f"/queue/{c_id}").get_data(as_text=True)


def test_bulk_actions(client, world):
    a, b = world
    post_report(client, a.key, url="https://news.example/other", exact="teh", prefix="in ",
                suffix=" end", suggestion="the")
    client = signed_in(client, "a@news.example")
    mine = ids_on(client.get("/queue").get_data(as_text=True))
    assert len(mine) == 2
    resp = post(client, "/queue/bulk", {"action": "rejected", "ids": mine + [cid(b.id)],
                                        "next": "/queue?sort=oldest"}, page="/queue")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/queue?sort=oldest")
    statuses = sql(lambda: dict(db.session.execute(select(Correction.id, Correction.status)).all()))
    assert [statuses[i] for i in mine] == ["rejected", "rejected"]
    assert statuses[cid(b.id)] == "new"  # not theirs: untouched
    assert "2 corrections marked as not an error" in client.get("/queue").get_data(as_text=True)
    post(client, "/queue/bulk", {"action": "assign", "assignee": "me", "ids": mine},
         page="/queue")
    assert all(assignee_of(i) == _editor_id("a@news.example") for i in mine)
    # Nothing selected: a warning, not an error page.
    resp = post(client, "/queue/bulk", {"action": "spam"}, page="/queue")
    assert resp.status_code == 302
    assert "Select at least one" in client.get("/queue").get_data(as_text=True)
    resp = post(client, "/queue/bulk", {"action": "spam", "ids": ["x"]}, page="/queue")
    assert resp.status_code == 400


@pytest.mark.parametrize("args", ["status=done", "site=x", "sort=random", "after=zzz",
                                  "before=zzz", "after=1_1&before=1_1"])
def test_bad_filters_are_400_with_a_sentence(client, world, args):
    client = signed_in(client, "a@news.example")
    resp = client.get(f"/queue?{args}")
    assert resp.status_code == 400
    assert "<h1>400" in resp.get_data(as_text=True)


def test_filters_and_pages_in_the_url(client, world):
    a, _ = world
    for i in range(55):
        post_report(client, a.key, url=f"https://news.example/p{i}", exact=f"wrod{i}",
                    prefix="a ", suffix=" b", suggestion=f"word{i}",
                    kind="fact" if i % 2 else "typo")
    client = signed_in(client, "admin@news.example")
    html = client.get("/queue?kind=fact").get_data(as_text=True)
    assert len(ids_on(html)) == 27
    html = client.get("/queue").get_data(as_text=True)
    first = ids_on(html)
    assert len(first) == 50
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = client.get(nxt).get_data(as_text=True)
    second = ids_on(html)
    assert len(second) == 7 and not set(first) & set(second)
    assert 'rel="next"' not in html
    # Previous page, from the second page: the first page again, all 50 rows.
    html = client.get(link(html, "prev"), follow_redirects=True).get_data(as_text=True)
    assert ids_on(html) == first
    assert 'rel="prev"' not in html and 'rel="next"' in html
    html = client.get("/queue?q=wrod17").get_data(as_text=True)
    assert len(ids_on(html)) == 1 and 'value="wrod17"' in html


def link(html, rel):
    return re.search(rf'rel="{rel}" href="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_previous_page_links_and_where_they_lead(client, world):
    a, _ = world
    for i in range(110):  # with the world's one: 111 corrections of site a, pages 50+50+11
        post_report(client, a.key, url=f"https://news.example/p{i}", exact=f"wrod{i}",
                    prefix="a ", suffix=" b")
    client = signed_in(client, "admin@news.example")
    html = client.get("/queue?site=" + str(a.id)).get_data(as_text=True)
    first = ids_on(html)
    html = client.get(link(html, "next")).get_data(as_text=True)
    second = ids_on(html)
    third_url = link(html, "next")
    third = ids_on(client.get(third_url).get_data(as_text=True))
    assert [len(first), len(second), len(third)] == [50, 50, 11]

    # Back from the third page: the second again, with every way out.
    html = client.get(link(client.get(third_url).get_data(as_text=True), "prev")).get_data(
        as_text=True)
    assert ids_on(html) == second
    assert 'rel="prev"' in html and 'rel="next"' in html and ">First page</a>" in html
    # Back again reaches the top: a redirect to the first page's own address.
    resp = client.get(link(html, "prev"))
    assert resp.status_code == 302 and resp.location == f"/queue?site={a.id}"

    # The third page's rows are all dealt with: the empty page still leads back.
    sql(lambda: (db.session.query(Correction).filter(Correction.id.in_(third))
                 .update({"status": "spam"}), db.session.commit()))
    html = client.get(third_url).get_data(as_text=True)
    assert "No more corrections" in html and ids_on(html) == []
    assert ids_on(client.get(link(html, "prev")).get_data(as_text=True)) == second


def test_reader_text_is_escaped_everywhere(client, world):
    a, _ = world
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">"\''
    now = utcnow()
    c = Correction(site_id=a.id, url='https://news.example/"><script>alert(3)</script>',
                   title=payload, exact=payload, prefix=payload, suffix=payload,
                   suggestion=payload + " fixed", link="javascript:alert(4)", status="new",
                   first_reported_at=now, last_reported_at=now)
    with APP.app_context():
        db.session.add(c)
        db.session.flush()
        db.session.add(Report(correction_id=c.id, site_id=a.id, url=c.url, exact=payload,
                              comment=payload, suggestion=payload, email="x@example.org",
                              origin='https://x"><script>', ip_hash="h"))
        db.session.add(Event(correction_id=c.id, action="note", note=payload))
        db.session.commit()
        c_id = c.id
        db.session.remove()
    client = signed_in(client, "admin@news.example")
    for path in ("/queue", f"/queue/{c_id}", f"/queue?q={payload[:20]}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "javascript:" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_fixing_queues_the_thank_you_in_the_same_transaction(client, world):
    from service.models import OutboxMail

    a, _ = world
    post_report(client, a.key, email="reader@example.org", notify=True)
    c_id = cid(a.id)
    client = signed_in(client, "a@news.example")
    post(client, f"/queue/{c_id}/status", {"action": "rejected"}, page="/queue")
    recipients = lambda: sql(lambda: [m.recipient for m in db.session.scalars(  # noqa: E731
        select(OutboxMail).where(OutboxMail.recipient == "reader@example.org"))])
    assert recipients() == []  # "not an error" thanks nobody
    post(client, f"/queue/{c_id}/status", {"action": "reopen"}, page="/queue")
    post(client, f"/queue/{c_id}/status", {"action": "fixed"}, page="/queue")
    assert recipients() == ["reader@example.org"]


def test_fixed_says_when_the_thank_you_leaves_and_reopen_withdraws_it(client, world):
    a, _ = world
    post_report(client, a.key, email="reader@example.org", notify=True)
    c_id = cid(a.id)
    client = signed_in(client, "a@news.example")
    post(client, f"/queue/{c_id}/status", {"action": "fixed"}, page=f"/queue/{c_id}")
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert ("The thank-you to 1 reader leaves in 2 minutes; Reopen before then to "
            "withdraw it.") in html
    post(client, f"/queue/{c_id}/status", {"action": "reopen"}, page=f"/queue/{c_id}")
    html = client.get(f"/queue/{c_id}").get_data(as_text=True)
    assert "The thank-you to 1 reader was withdrawn before it left." in html
    # Nobody asked to hear back: nothing to say about a thank-you.
    post(client, f"/queue/{cid(a.id)}/status", {"action": "rejected"}, page="/queue")
    c2 = cid(world[0].id)
    assert "thank-you" not in client.get(f"/queue/{c2}").get_data(as_text=True)


def test_numbers_beyond_the_id_column_are_not_found_not_500(client, world):
    """PostgreSQL refuses to compare an INTEGER with 2**31; that must never become a 500."""
    big = 2**31
    client = signed_in(client, "admin@news.example")
    assert client.get(f"/queue/{big}").status_code == 404
    assert client.get(f"/queue?site={big}").status_code == 400
    assert client.get(f"/queue?after=1_{big}").status_code == 400
    c_id = cid(world[0].id)
    resp = post(client, f"/queue/{big}/status", {"action": "fixed"}, page="/queue")
    assert resp.status_code == 404
    assert client.get(f"/queue/{c_id}/reports/{big}/block").status_code == 404
    resp = post(client, f"/queue/{c_id}/assign", {"assignee": str(big)}, page="/queue")
    assert resp.status_code == 400
    resp = post(client, "/queue/bulk", {"action": "fixed", "ids": [big]}, page="/queue")
    assert resp.status_code == 302
    assert status_of(c_id) == "new"
