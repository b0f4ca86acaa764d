"""The token API for newsroom tools: tokens, listing with keyset pages, one correction,
status changes as an editor's click, page checks, errors and limits. Real app, real database,
a local article server for the pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service.api.serialize import FIELDS
from service.api.tokens import create_token
from service.extensions import db
from service.models import ApiToken, Correction, Event, OutboxMail, Site, utcnow
from service.pagecheck import runner as pagecheck_runner
from tests.article_server import Served
from tests.conftest import ORIGIN, login, page_token, post_report

WP = (Path(__file__).parent / "fixtures" / "pages" / "wordpress.html").read_bytes()


@pytest.fixture
def app_config():
    return {"ERRATA_API_LIMIT": "1000/minute"}


@pytest.fixture
def sites(factory):
    return factory.site("Alpha"), factory.site("Beta", origins=("https://beta.example",))


def token_for(app, site, name="CMS sync") -> str:
    with app.app_context():
        _, raw = create_token(db.session, db.session.get(Site, site.id), name)
        db.session.commit()
    return raw


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def reports(client, site, n, origin=ORIGIN, **fields):
    ids = []
    for i in range(n):
        resp = post_report(client, site.key, origin=origin, url=f"{origin}/story-{i}",
                           exact=f"teh{i}", **fields)
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)
        ids.append(resp.get_json()["correction"])
    return ids


# -- tokens ----------------------------------------------------------------------------------

def test_token_cli_add_list_revoke(app, runner, client, sites):
    alpha, _ = sites
    added = runner.invoke(args=["token", "add", "--site", alpha.key, "--name", "CMS sync"])
    assert added.exit_code == 0, added.output
    raw = added.output.strip().splitlines()[-1]
    assert raw.startswith("errata_") and " " not in raw
    assert client.get("/api/v1/corrections", headers=auth(raw)).status_code == 200
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != raw and raw not in (stored.token_hash, stored.hint)
    listed = runner.invoke(args=["token", "list", "--site", alpha.key])
    (line,) = listed.output.strip().splitlines()
    token_id = line.split("\t")[0]
    assert token_id == str(stored.id) and "CMS sync" in line
    assert line.split("\t")[-1] != "never used"  # the request above used it
    revoked = runner.invoke(args=["token", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.get("/api/v1/corrections", headers=auth(raw)).status_code == 401
    assert runner.invoke(args=["token", "revoke", token_id]).exit_code == 1
    assert runner.invoke(args=["token", "add", "--site", "nope", "--name", "x"]).exit_code == 1


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz",
                                    "Bearer errata_" + "x" * 43, "Bearer errata_\ud800"])
def test_missing_or_bad_token_is_401_json(client, sites, header):
    headers = {"Authorization": header} if header else {}
    resp = client.get("/api/v1/corrections", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    body = resp.get_json()
    assert body["error"] == "unauthorized" and "Bearer TOKEN" in body["message"]


# -- reading ---------------------------------------------------------------------------------

def test_list_is_the_tokens_site_only_with_exactly_the_api_fields(app, client, sites):
    alpha, beta = sites
    mine = reports(client, alpha, 2)
    reports(client, beta, 2, origin="https://beta.example")
    body = client.get("/api/v1/corrections", headers=auth(token_for(app, alpha))).get_json()
    assert [item["id"] for item in body["items"]] == mine and body["next"] is None
    item = body["items"][0]
    assert sorted(item) == sorted(FIELDS)  # exactly these keys
    assert item["site"] == alpha.key and item["status"] == "new" and item["page_state"] is None


def test_keyset_pages_on_updated_at_then_id_even_with_ties(app, client, sites):
    alpha, _ = sites
    ids = reports(client, alpha, 7)
    same = utcnow() - timedelta(hours=1)
    with app.app_context():  # four share one updated_at: the id breaks the tie
        db.session.execute(update(Correction).where(Correction.id.in_(ids[:4]))
                           .values(updated_at=same))
        db.session.commit()
    raw = token_for(app, alpha)
    seen, after = [], ""
    for _ in range(10):
        body = client.get(f"/api/v1/corrections?limit=2&after={after}",
                          headers=auth(raw)).get_json()
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        after = body["next"]
    assert seen == ids  # each once, in (updated_at, id) order


def test_status_and_updated_since_filters(app, client, sites):
    alpha, _ = sites
    old, new, fixed = reports(client, alpha, 3)
    with app.app_context():
        db.session.execute(update(Correction).where(Correction.id == old)
                           .values(updated_at=utcnow() - timedelta(days=2)))
        db.session.execute(update(Correction).where(Correction.id == fixed)
                           .values(status="fixed"))
        db.session.commit()
    raw = token_for(app, alpha)

    def ids(query):
        resp = client.get(f"/api/v1/corrections?{query}", headers=auth(raw))
        assert resp.status_code == 200, resp.get_json()
        return [i["id"] for i in resp.get_json()["items"]]

    assert ids("") == [old, new]
    assert ids("status=all") == [old, new, fixed]
    assert ids("status=fixed") == [fixed]
    since = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"updated_since={since}") == [new]
    assert ids(f"status=all&updated_since={since[:10]}") == [new, fixed]  # a date: UTC midnight


@pytest.mark.parametrize(("query", "field"), [
    ("status=closed", "status"), ("updated_since=yesterday", "updated_since"),
    ("updated_since=99999-01-01", "updated_since"), ("after=abc", "after"),
    ("after=1_99999999999", "after"), ("after=9" * 30 + "_1", "after"),
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=-1", "limit"),
])
def test_bad_list_parameters_are_400_naming_the_field(app, client, sites, query, field):
    resp = client.get(f"/api/v1/corrections?{query}", headers=auth(token_for(app, sites[0])))
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "invalid" and field in body["fields"]


def test_one_correction_and_another_sites_is_404_not_403(app, client, sites):
    alpha, beta = sites
    (mine,) = reports(client, alpha, 1)
    (theirs,) = reports(client, beta, 1, origin="https://beta.example")
    raw = token_for(app, alpha)
    resp = client.get(f"/api/v1/corrections/{mine}", headers=auth(raw))
    assert resp.status_code == 200 and resp.get_json()["id"] == mine
    hidden = client.get(f"/api/v1/corrections/{theirs}", headers=auth(raw))
    missing = client.get("/api/v1/corrections/999999", headers=auth(raw))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"] == missing.get_json()["error"] == "not_found"
    for path in (f"/api/v1/corrections/{theirs}/status", f"/api/v1/corrections/{theirs}/check"):
        assert client.post(path, json={"status": "fixed"}, headers=auth(raw)).status_code == 404
    assert client.get(f"/api/v1/corrections/{2**40}", headers=auth(raw)).status_code == 404


# -- changing --------------------------------------------------------------------------------

def test_status_fixed_is_an_editors_click_with_the_token_as_actor(app, client, sites):
    alpha, _ = sites
    (cid,) = reports(client, alpha, 1, email="reader@example.org", notify=True)
    raw = token_for(app, alpha, "CMS sync")
    resp = client.post(f"/api/v1/corrections/{cid}/status", headers=auth(raw),
                       json={"status": "fixed", "note": "Fixed in the CMS",
                             "applied_fix": "the budget"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "fixed" and body["applied_fix"] == "the budget"
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.correction_id == cid,
                                                      Event.action == "fixed"))
        assert (event.actor, event.editor_id, event.note) == ("CMS sync", None,
                                                              "Fixed in the CMS")
        mail = db.session.scalars(select(OutboxMail)).all()
        assert [m.recipient for m in mail] == ["reader@example.org"]
        assert "the budget" in mail[0].body_text
    again = client.post(f"/api/v1/corrections/{cid}/status", headers=auth(raw),
                        json={"status": "fixed"})
    assert again.status_code == 200 and again.get_json()["status"] == "fixed"


@pytest.mark.parametrize("target", ["new", "in_progress"])
def test_new_and_in_progress_reopen_a_decided_correction(app, client, sites, target):
    alpha, _ = sites
    (cid,) = reports(client, alpha, 1, email="reader@example.org", notify=True)
    raw = token_for(app, alpha)
    client.post(f"/api/v1/corrections/{cid}/status", headers=auth(raw), json={"status": "fixed"})
    resp = client.post(f"/api/v1/corrections/{cid}/status", headers=auth(raw),
                       json={"status": target})
    assert resp.status_code == 200 and resp.get_json()["status"] == target
    with app.app_context():
        actions = [e.action for e in db.session.scalars(
            select(Event).where(Event.correction_id == cid).order_by(Event.id))]
        assert actions == ["fixed", "reopen"]
        # Reopened within minutes, as an editor's undo: the thank-you is withdrawn.
        assert db.session.scalars(select(OutboxMail).where(
            OutboxMail.status == "pending")).all() == []


@pytest.mark.parametrize(("body", "field"), [
    ({}, "status"), ({"status": "done"}, "status"), ({"status": None}, "status"),
    ({"status": "fixed", "note": 5}, "note"), ({"status": "fixed", "note": "x" * 2001}, "note"),
    ({"status": "fixed", "note": "bad \ud800 text"}, "note"),
    ({"status": "fixed", "applied_fix": "x" * 501}, "applied_fix"),
    ({"status": "rejected", "applied_fix": "the"}, "applied_fix"),
    ([1, 2], "body"), ("fixed", "body"),
])
def test_bad_status_bodies_are_400_naming_the_field(app, client, sites, body, field):
    alpha, _ = sites
    (cid,) = reports(client, alpha, 1)
    resp = client.post(f"/api/v1/corrections/{cid}/status", json=body,
                       headers=auth(token_for(app, alpha)))
    assert resp.status_code == 400
    assert field in resp.get_json()["fields"]
    with app.app_context():
        assert db.session.get(Correction, cid).status == "new"  # nothing half-written


def test_a_body_that_is_not_json_is_400(app, client, sites):
    alpha, _ = sites
    (cid,) = reports(client, alpha, 1)
    resp = client.post(f"/api/v1/corrections/{cid}/status", data=b"\xff\xfe{",
                       content_type="application/json", headers=auth(token_for(app, alpha)))
    assert resp.status_code == 400 and "body" in resp.get_json()["fields"]


def test_check_runs_a_page_check_and_answers_with_the_correction(app, client, factory,
                                                                  newsroom):
    site = factory.site("Gazette", origins=(newsroom.origin,))
    newsroom.pages["/tram"] = Served(WP)
    resp = post_report(client, site.key, origin=newsroom.origin, url=newsroom.url("/tram"),
                       exact="milion", prefix="The line will cost an estimated €180 ",
                       suffix=" and is due to open in 2029")
    cid = resp.get_json()["correction"]
    raw = token_for(app, site)
    checked = client.post(f"/api/v1/corrections/{cid}/check", headers=auth(raw))
    assert checked.status_code == 200 and checked.headers["Errata-Check"] == "done"
    assert checked.get_json()["page_state"] == "present"
    assert checked.get_json()["page_checked_at"].endswith("Z")


def test_check_that_cannot_finish_in_10_s_answers_the_previous_state(app, client, factory,
                                                                     newsroom):
    # Every checker thread is busy with a page that trickles for the whole 10 s a fetch may
    # take, and this correction's page trickles too: its check can't end before about 20 s,
    # so the 10 s answer is "running" however slowly this machine schedules threads. (A lone
    # slow page ends its fetch at 10 s too: which comes first would be a race.)
    site = factory.site("Gazette", origins=(newsroom.origin,))
    ids = []
    for n in range(pagecheck_runner.WORKERS + 1):
        newsroom.pages[f"/slow-{n}"] = Served(trickle=True)
        ids.append(post_report(client, site.key, origin=newsroom.origin,
                               url=newsroom.url(f"/slow-{n}")).get_json()["correction"])
    *busy, cid = ids
    with app.app_context():
        checks = [pagecheck_runner.start_check(other) for other in busy]
    resp = client.post(f"/api/v1/corrections/{cid}/check", headers=auth(token_for(app, site)))
    assert resp.status_code == 202 and resp.headers["Errata-Check"] == "running"
    assert resp.headers["Retry-After"] == "10"
    assert resp.get_json()["page_state"] is None  # the previous state: never checked
    with app.app_context():
        assert pagecheck_runner.is_running(cid)  # the check goes on after the answer
        checks.append(pagecheck_runner.start_check(cid))  # joins it
    newsroom.stop()  # the pages end; let the checks store what they found before teardown
    for check in checks:
        check.result(timeout=60)


@pytest.mark.parametrize("app_config", [{"ERRATA_API_LIMIT": "3/minute"}])
def test_429_past_the_per_token_limit(app, client, sites):
    alpha, _ = sites
    first, second = token_for(app, alpha, "one"), token_for(app, alpha, "two")
    codes = [client.get("/api/v1/corrections", headers=auth(first)).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/corrections", headers=auth(first))
    assert limited.get_json()["error"] == "too_many_requests"
    assert client.get("/api/v1/corrections", headers=auth(second)).status_code == 200


# -- the site page ---------------------------------------------------------------------------

def test_admin_makes_sees_once_and_revokes_a_token_on_the_site_page(app, client, factory,
                                                                     sites):
    alpha, _ = sites
    factory.editor("admin@news.example", role="admin")
    login(client, "admin@news.example")
    token = page_token(client, f"/sites/{alpha.id}")
    resp = client.post(f"/sites/{alpha.id}/tokens", data={"csrf_token": token,
                                                           "name": "Newsletter bot"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    raw = html.split('<pre id="api-token">', 1)[1].split("</pre>", 1)[0]
    assert client.get("/api/v1/corrections", headers=auth(raw)).status_code == 200
    page = client.get(f"/sites/{alpha.id}").get_data(as_text=True)
    assert "Newsletter bot" in page and raw not in page  # listed, never shown again
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/sites/{alpha.id}/tokens/{token_id}/revoke",
                data={"csrf_token": page_token(client, f"/sites/{alpha.id}")})
    assert client.get("/api/v1/corrections", headers=auth(raw)).status_code == 401


def test_editors_cant_make_tokens(app, client, factory, sites):
    alpha, _ = sites
    factory.editor("e@news.example", sites=[alpha])
    login(client, "e@news.example")
    token = page_token(client, "/queue")
    resp = client.post(f"/sites/{alpha.id}/tokens", data={"csrf_token": token, "name": "x"})
    assert resp.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_openapi_describes_every_token_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    ops = {f"{m.upper()} {p}" for p, methods in doc["paths"].items() for m in methods}
    assert {"GET /api/v1/corrections", "GET /api/v1/corrections/{correction_id}",
            "POST /api/v1/corrections/{correction_id}/status",
            "POST /api/v1/corrections/{correction_id}/check"} <= ops
    assert doc["components"]["schemas"]["Correction"]["required"] == list(FIELDS)
