"""Every route of the app × every kind of visitor, with the answer each must get.

The test enumerates the app's URL map, so a new route fails here until someone decides who
may use it. CSRF is switched off in this module only (its own tests keep it on) so that the
answers show authorisation, not a missing token.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.accounts import sessions
from service.api.tokens import create_token
from service.extensions import db
from service.models import Correction, OutboxMail, Report
from service.moderation import blocks
from tests.conftest import post_report

ROLES = ("anonymous", "editor_a", "editor_b", "admin", "deactivated")
PUBLIC = dict.fromkeys(ROLES, "ok")
# Logged-in editors of any site; the deactivated one is treated as logged out.
SIGNED_IN = {"anonymous": "login", "editor_a": "ok", "editor_b": "ok", "admin": "ok",
             "deactivated": "login"}
ADMIN = {"anonymous": "login", "editor_a": "forbidden", "editor_b": "forbidden", "admin": "ok",
         "deactivated": "login"}
# Things that belong to site A: its editor and admins; site B's editor must not learn it exists.
SITE_A = {"anonymous": "login", "editor_a": "ok", "editor_b": "notfound", "admin": "ok",
          "deactivated": "login"}
TOKEN_ONLY = dict.fromkeys(ROLES, "unauthorized")
SITE_A_ADMIN = {"anonymous": "login", "editor_a": "forbidden", "editor_b": "notfound",
                "admin": "ok", "deactivated": "login"}

# (method, path template) -> expected answer per role. {c} = a correction of site A,
# {s} = site A, {e} = editor A, {m} = a mail in the outbox.
MATRIX: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/"): {**SIGNED_IN, "anonymous": "login"},
    ("GET", "/demo"): PUBLIC,
    ("GET", "/demo/ru"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/static/app/app.css"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/api/v1/reports"): PUBLIC,
    ("OPTIONS", "/api/v1/reports"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    # Logging out ends on the login page whoever you were.
    ("POST", "/logout"): dict.fromkeys(ROLES, "login"),
    ("GET", "/reset"): PUBLIC,
    ("POST", "/reset"): PUBLIC,
    ("GET", "/reset/<token>"): PUBLIC,
    ("POST", "/reset/<token>"): PUBLIC,
    ("GET", "/invite/<token>"): PUBLIC,
    ("POST", "/invite/<token>"): PUBLIC,
    ("GET", "/unsubscribe/<token>"): PUBLIC,
    ("POST", "/unsubscribe/<token>"): PUBLIC,
    ("GET", "/unsubscribe/notifications/<token>"): PUBLIC,
    ("POST", "/unsubscribe/notifications/<token>"): PUBLIC,
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/account/settings"): SIGNED_IN,
    ("POST", "/account/settings"): SIGNED_IN,
    # Signing out a device of one's own ({n}: a session that is nobody's).
    ("POST", "/account/sessions/{n}/end"): SIGNED_IN,
    # Signing out everywhere ends on the login page whoever you were, like logging out.
    ("POST", "/account/sessions/end-all"): dict.fromkeys(ROLES, "login"),
    ("GET", "/queue"): SIGNED_IN,
    ("GET", "/queue.csv"): SIGNED_IN,
    ("GET", "/stats"): SIGNED_IN,
    ("GET", "/stats/activity.csv"): SIGNED_IN,
    ("GET", "/queue/{c}/article"): SITE_A,
    ("POST", "/queue/bulk"): SIGNED_IN,
    ("GET", "/queue/{c}"): SITE_A,
    ("POST", "/queue/{c}/status"): SITE_A,
    ("POST", "/queue/{c}/assign"): SITE_A,
    ("POST", "/queue/{c}/note"): SITE_A,
    ("POST", "/queue/{c}/check"): SITE_A,
    ("GET", "/queue/{c}/reports/{r}/block"): SITE_A_ADMIN,
    ("POST", "/queue/{c}/reports/{r}/block"): SITE_A_ADMIN,
    ("POST", "/sites/{s}/blocks/{b}/lift"): ADMIN,
    ("GET", "/people"): ADMIN,
    ("GET", "/people/new"): ADMIN,
    ("POST", "/people/new"): ADMIN,
    ("GET", "/people/invite"): ADMIN,
    ("POST", "/people/invite"): ADMIN,
    ("GET", "/people/{e}"): ADMIN,
    ("POST", "/people/{e}"): ADMIN,
    ("POST", "/people/{e}/invite"): ADMIN,
    ("GET", "/sites"): ADMIN,
    ("GET", "/sites/new"): ADMIN,
    ("POST", "/sites/new"): ADMIN,
    ("GET", "/sites/{s}"): ADMIN,
    ("GET", "/sites/{s}/edit"): ADMIN,
    ("POST", "/sites/{s}/edit"): ADMIN,
    ("POST", "/sites/{s}/channels"): ADMIN,
    ("POST", "/sites/{s}/channels/{ch}/test"): ADMIN,
    ("POST", "/sites/{s}/channels/{ch}/remove"): ADMIN,
    ("POST", "/sites/{s}/tokens"): ADMIN,
    ("POST", "/sites/{s}/tokens/{t}/revoke"): ADMIN,
    # The token API takes a bearer token, never an editor's cookie.
    ("GET", "/api/v1/corrections"): TOKEN_ONLY,
    ("GET", "/api/v1/corrections/{c}"): TOKEN_ONLY,
    ("POST", "/api/v1/corrections/{c}/status"): TOKEN_ONLY,
    ("POST", "/api/v1/corrections/{c}/check"): TOKEN_ONLY,
    # Site A publishes its log; no login needed.
    ("GET", "/p/{k}/corrections"): PUBLIC,
    ("GET", "/p/{k}/corrections.atom"): PUBLIC,
    ("GET", "/outbox"): ADMIN,
    ("POST", "/outbox/{m}/retry"): ADMIN,
    ("POST", "/outbox/retry-failed"): ADMIN,
}

_CONVERTERS = {"<int:correction_id>": "{c}", "<int:site_id>": "{s}", "<int:editor_id>": "{e}",
               "<int:mail_id>": "{m}", "<path:filename>": "app/app.css",
               "<int:channel_id>": "{ch}", "<key>": "{k}", "<int:session_id>": "{n}",
               "<int:token_id>": "{t}", "<name>": "activity",
               "<int:report_id>": "{r}", "<int:block_id>": "{b}"}


def _template(rule: str) -> str:
    for converter, placeholder in _CONVERTERS.items():
        rule = rule.replace(converter, placeholder)
    return rule


def test_every_route_is_in_the_matrix(app):
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD"}):
            if method == "OPTIONS" and rule.endpoint != "ingest.preflight":
                continue  # Flask answers OPTIONS itself for every route
            if (method, _template(rule.rule)) not in MATRIX:
                missing.append(f"{method} {rule.rule}")
    assert not missing, "decide who may use these routes: " + ", ".join(missing)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


@pytest.fixture
def world(app, client, factory):
    site_a = factory.site(name="Site A", origins=("https://news.example",))
    site_b = factory.site(name="Site B", origins=("https://other.example",))
    people = {
        "editor_a": factory.editor("a@news.example", sites=[site_a]),
        "editor_b": factory.editor("b@other.example", sites=[site_b]),
        "admin": factory.editor("admin@errata.example", role="admin"),
        "deactivated": factory.editor("gone@news.example", sites=[site_a]),
    }
    post_report(client, site_a.key)
    with app.app_context():
        from service.models import Channel, Editor, Site

        db.session.get(Editor, people["deactivated"].id).active = False
        db.session.get(Site, site_a.id).public_log = True
        # Nothing listens there: "send a test message" fails at once, as an answer.
        db.session.add(Channel(site_id=site_a.id, kind="webhook", url="http://127.0.0.1:1/x",
                               secret="whsec_test"))
        db.session.add(OutboxMail(template="test", recipient="x@news.example", subject="s",
                                  body_text="b", status="failed"))
        token, _raw = create_token(db.session, db.session.get(Site, site_a.id), "tool")
        block = blocks.block(db.session, "ip", "somehash", site_a.id, 2)
        db.session.commit()
        ids = {"c": db.session.scalar(select(Correction.id)), "t": token.id, "b": block.id,
               "m": db.session.scalar(select(OutboxMail.id)),
               "r": db.session.scalar(select(Report.id)),
               "ch": db.session.scalar(select(Channel.id))}
    ids.update(s=site_a.id, e=people["editor_a"].id, k=site_a.key, n=2**31 - 1)
    return people, ids


def _as(app, role, people):
    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            token = sessions.start(db.session, people[role])
            db.session.commit()
        with client.session_transaction() as session:
            session["sid"] = token
            session["_user_id"] = people[role].get_id()
            session["_fresh"] = True
    return client


def _classify(resp) -> str:
    location = resp.headers.get("Location", "")
    if resp.status_code in (301, 302, 303) and "/login" in location:
        return "login"
    if resp.status_code == 401:
        return "unauthorized"
    if resp.status_code == 403:
        return "forbidden"
    if resp.status_code == 404:
        return "notfound"
    assert resp.status_code < 500, f"{resp.status_code}: {resp.get_data(as_text=True)[:300]}"
    return "ok"  # 2xx, other redirects, or a 4xx about the (empty) form itself


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_everywhere(app, world, role):
    people, ids = world
    client = _as(app, role, people)
    wrong = []
    for (method, template), answers in MATRIX.items():
        expected = answers[role]
        path = template.format(**ids).replace("<token>", "not-a-valid-token")
        headers = {"Origin": "https://news.example"} if path.startswith("/api/") else {}
        resp = client.open(path, method=method, data={}, headers=headers)
        got = _classify(resp)
        resp.close()
        if path in ("/logout", "/account/sessions/end-all") or got != expected:
            client = _as(app, role, people)  # logging out, or a failure, resets the session
        if got != expected:
            wrong.append(f"{method} {path}: expected {expected}, got {got} ({resp.status_code})")
    assert not wrong, "\n".join(wrong)
