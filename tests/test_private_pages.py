"""Private pages stay private: never cached, and a warning before inviting an editor who
would see nothing. (No reader text to the invited: tests/test_mail_notify.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Correction, Editor, OutboxMail
from tests.conftest import login, page_token, post_report

PASSWORD = "correct horse battery"
ADMIN = "admin@news.example"

# Pages anyone may keep a copy of; every other GET page must say no-store.
PUBLIC_GETS = {"static", "demo.article", "ingest.healthz", "ingest.openapi_document"}


@pytest.fixture
def world(app, client, factory):
    site = factory.site()
    admin = factory.editor(ADMIN, PASSWORD, role="admin", sites=[site])
    assert post_report(client, site.key).status_code == 201
    with app.app_context():
        correction_id = db.session.scalar(select(Correction.id))
        db.session.add(OutboxMail(template="t", recipient="x@news.example", subject="s",
                                  body_text="b", status="failed"))
        db.session.commit()
        mail_id = db.session.scalar(select(OutboxMail.id))
    return {"correction_id": correction_id, "site_id": site.id, "editor_id": admin.id,
            "mail_id": mail_id, "session_id": 1, "token": "not-a-token", "block_id": 1,
            "report_id": 1, "channel_id": 1, "key": "no-such-key", "name": "activity"}


def test_every_page_behind_login_says_no_store(app, world):
    client = app.test_client()
    assert login(client, ADMIN).status_code == 302
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in PUBLIC_GETS or rule.rule.startswith("/p/"):
            continue  # public: the snippet's files, the demo, the public corrections log
        path = rule.build({k: world.get(k, 1) for k in rule.arguments})[1]  # 1: any row
        resp = client.get(path)
        assert resp.status_code < 500, path
        assert "no-store" in resp.headers.get("Cache-Control", ""), path
        checked.append(path)
        resp.close()
    assert "/queue" in checked and "/account/settings" in checked and len(checked) > 15
    anonymous = app.test_client().get(f"/queue/{world['correction_id']}")
    assert anonymous.status_code == 302 and "no-store" in anonymous.headers["Cache-Control"]


def test_public_files_may_still_be_cached(client):
    resp = client.get("/static/app/app.css")
    assert "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()


@pytest.mark.parametrize("path, fields, button", [
    ("/people/invite", {}, "Send without sites"),
    ("/people/new", {"password": "first password here", "active": "y"}, "Add without sites"),
])
def test_an_editor_without_sites_is_added_only_after_a_warning(app, client, world, path,
                                                               fields, button):
    login(client, ADMIN)
    data = {"csrf_token": page_token(client, path), "email": "new@news.example",
            "role": "editor", **fields}
    resp = client.post(path, data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "This editor would see no corrections." in html and button in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Editor)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1  # the seed

    resp = client.post(path, data={**data, "no_sites_ok": "1"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Editor.role).where(
            Editor.email == "new@news.example")) == "editor"


@pytest.mark.parametrize("path, fields", [
    ("/people/invite", {"role": "admin"}),
    ("/people/invite", {"role": "editor", "sites": "SITE"}),
    ("/people/new", {"role": "admin", "password": "first password here", "active": "y"}),
])
def test_admins_and_editors_with_a_site_are_added_without_a_warning(app, client, world, path,
                                                                   fields):
    login(client, ADMIN)
    fields = {k: (str(world["site_id"]) if v == "SITE" else v) for k, v in fields.items()}
    resp = client.post(path, data={"csrf_token": page_token(client, path),
                                   "email": "new@news.example", **fields})
    assert resp.status_code == 302
