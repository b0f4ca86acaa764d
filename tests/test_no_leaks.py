"""A correction an editor may not see is answered exactly like one that does not exist.

Every route with a correction id (found in the URL map, so a new route is covered the day it
is added) and every bulk action is asked twice: once about another site's correction, once
about a number no correction has. The two answers (status, redirect, flashed messages, page)
must be the same once the number itself is taken out, and nothing may change.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Event, Report
from tests.conftest import login, page_token, post_report

PASSWORD = "correct horse battery"
OTHER = "https://other.example"
_TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


@pytest.fixture
def world(app, client, factory):
    site_a = factory.site("Site A")
    site_b = factory.site("Site B", origins=(OTHER,))
    a = factory.editor("a@news.example", sites=[site_a])
    b = factory.editor("b@other.example", sites=[site_b])
    admin = factory.editor("admin@news.example", role="admin")
    assert post_report(client, site_a.key).status_code == 201
    assert post_report(client, site_b.key, origin=OTHER,
                       url=f"{OTHER}/story").status_code == 201
    with app.app_context():
        from service.api.tokens import create_token
        from service.models import Site

        ids = list(db.session.scalars(select(Correction.id).order_by(Correction.id)))
        report_b = db.session.scalar(select(Report.id).where(Report.correction_id == ids[1]))
        _token, secret = create_token(db.session, db.session.get(Site, site_a.id), "probe")
        db.session.commit()
    return {"mine": ids[0], "hidden": ids[1], "missing": ids[1] + 1000, "report_b": report_b,
            "editor_a": a.id, "editor_b": b.id, "admin": admin.id, "token_a": secret}


def snapshot(app, correction_id):
    with app.app_context():
        c = db.session.get(Correction, correction_id)
        events = db.session.scalars(select(Event.action).where(
            Event.correction_id == correction_id)).all()
        return (c.status, c.assignee_id, c.resolution_note, tuple(events))


def answer(client, method, path, data, number, token=None):
    """What the editor learns: status, where it sends them, what it flashes, the page.

    The token API (``/api/``) is asked with site A's token instead of the editor's cookie."""
    if path.startswith("/api/"):
        resp = client.open(path, method=method, json=data or None,
                           headers={"Authorization": f"Bearer {token}"})
    else:
        resp = client.open(path, method=method, data=data)
    with client.session_transaction() as cookie:
        flashes = cookie.pop("_flashes", [])
    body = _TOKEN.sub(r'\1"', resp.get_data(as_text=True))
    location = resp.headers.get("Location", "")
    resp.close()
    return tuple(re.sub(rf"\b{number}\b", "N", str(part))
                 for part in (resp.status_code, location, flashes, body))


# Form variants per endpoint: what an editor could send to probe a number.
def variants(endpoint, w):
    return {
        "queue.status": [{"action": a, "note": "probe"} for a in
                         ("fixed", "rejected", "spam", "reopen")],
        "queue.assign": [{"assignee": a} for a in
                         ("me", "", str(w["editor_a"]), str(w["editor_b"]), str(w["admin"]),
                          "999999")],
        "queue.note": [{"note": "probe"}],
        "moderation.block_reader": [{}, {"hours": "24", "reason": "probe"}],
        "api.set_status": [{"status": "fixed"}, {"status": "nonsense"}, {}],
    }.get(endpoint, [{}])


def test_every_correction_route_answers_a_hidden_correction_like_a_missing_one(app, world):
    client = app.test_client()
    assert login(client, "a@news.example").status_code == 302
    before = snapshot(app, world["hidden"])
    checked = set()
    for rule in app.url_map.iter_rules():
        if "correction_id" not in rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for data in variants(rule.endpoint, world):
                if method == "POST" and not rule.rule.startswith("/api/"):
                    data = {**data, "csrf_token": page_token(client, "/queue")}
                got = {}
                for which in ("hidden", "missing"):
                    values = {k: world.get(k, 1) for k in rule.arguments}
                    values["correction_id"] = world[which]
                    if "report_id" in rule.arguments:
                        values["report_id"] = world["report_b"]
                    path = rule.build(values)[1]
                    got[which] = answer(client, method, path, data, world[which],
                                        world["token_a"])
                assert got["hidden"] == got["missing"], (method, rule.rule, data)
                assert got["hidden"][0] in ("404", "302"), (method, rule.rule, got["hidden"][0])
                checked.add((method, rule.endpoint))
    assert {("GET", "queue.show"), ("POST", "queue.status"), ("POST", "queue.assign"),
            ("POST", "queue.note")} <= checked
    assert snapshot(app, world["hidden"]) == before


@pytest.mark.parametrize("action, assignee", [
    ("fixed", ""), ("rejected", ""), ("spam", ""),
    ("assign", "me"), ("assign", ""), ("assign", "EDITOR_A"), ("assign", "EDITOR_B"),
    ("assign", "ADMIN"),
    ("assign", "999999"),
])
def test_every_bulk_action_answers_hidden_ids_like_missing_ones(app, world, action, assignee):
    client = app.test_client()
    assert login(client, "a@news.example").status_code == 302
    before = snapshot(app, world["hidden"])
    assignee = {"EDITOR_A": str(world["editor_a"]), "EDITOR_B": str(world["editor_b"]),
                "ADMIN": str(world["admin"])}.get(assignee, assignee)

    def bulk(ids, number):
        data = {"csrf_token": page_token(client, "/queue"), "action": action,
                "ids": [str(i) for i in ids], "assignee": assignee, "next": "/queue"}
        return answer(client, "POST", "/queue/bulk", data, number)

    assert bulk([world["hidden"]], world["hidden"]) == bulk([world["missing"]], world["missing"])
    if action == "assign":
        # Next to one of my own, too: the other site's id changes nothing in the answer.
        mine_before = snapshot(app, world["mine"])
        with_hidden = bulk([world["mine"], world["hidden"]], world["hidden"])
        mine_after = snapshot(app, world["mine"])
        if mine_after != mine_before:  # it was assigned: undo, so both runs start alike
            with app.app_context():
                c = db.session.get(Correction, world["mine"])
                c.assignee_id, c.status = None, "new"
                db.session.commit()
        assert with_hidden == bulk([world["mine"], world["missing"]], world["missing"])
    assert snapshot(app, world["hidden"]) == before
