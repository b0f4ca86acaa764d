"""Account forms refuse oversized input before hashing it, keying a limit by it or echoing it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Editor, OutboxMail
from tests.conftest import csrf_token, login, page_token

PASSWORD = "correct horse battery"
HUGE_EMAIL = "a" * 900_000 + "@news.example"  # the 900 KB address of the issue
LONG_EMAIL = "b" * 250 + "@news.example"  # 263 characters: just over the limit
LONG_PASSWORD = "p" * 1025


@pytest.fixture
def people(factory):
    site = factory.site()
    factory.editor("admin@news.example", PASSWORD, role="admin")
    return factory.editor("ed@news.example", PASSWORD, sites=[site])


@pytest.fixture
def hashed(monkeypatch):
    """Each password werkzeug is asked to hash or check (the real functions still run)."""
    from service.accounts import core

    seen: list[str] = []
    real_check, real_make = core.check_password_hash, core.generate_password_hash
    monkeypatch.setattr(core, "check_password_hash",
                        lambda h, pw: seen.append(pw) or real_check(h, pw))
    monkeypatch.setattr(core, "generate_password_hash",
                        lambda pw, *a, **k: seen.append(pw) or real_make(pw, *a, **k))
    return seen


def refused(resp, value: str, message: str) -> None:
    """A 400 page that names the limit and is not made of the value."""
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html
    assert value[:300] not in html
    assert len(html) < 20_000


@pytest.mark.parametrize("email, password, message", [
    (HUGE_EMAIL, PASSWORD, "An email address has at most 254 characters."),
    (LONG_EMAIL, PASSWORD, "An email address has at most 254 characters."),
    ("ed@news.example", LONG_PASSWORD, "A password has at most 1024 characters."),
])
def test_login_refuses_long_input_before_hashing_or_echoing(client, people, hashed, email,
                                                           password, message):
    token = page_token(client, "/login")
    resp = client.post("/login", data={"csrf_token": token, "email": email,
                                       "password": password})
    refused(resp, email if len(email) > 254 else password, message)
    assert hashed == []
    assert client.get("/queue").status_code == 302  # not logged in


def test_the_longest_allowed_password_still_works(app, client, people):
    longest = "q" * 1024
    with app.app_context():
        from service.accounts.core import set_password

        set_password(db.session.get(Editor, people.id), longest)
        db.session.commit()
    assert login(client, "ed@news.example", longest).status_code == 302


def test_reset_request_refuses_a_long_email_and_queues_nothing(app, client, people):
    token = page_token(client, "/reset")
    resp = client.post("/reset", data={"csrf_token": token, "email": HUGE_EMAIL})
    refused(resp, HUGE_EMAIL, "An email address has at most 254 characters.")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_invitation_refuses_a_long_email_and_creates_no_one(app, client, people):
    login(client, "admin@news.example")
    token = page_token(client, "/people/invite")
    resp = client.post("/people/invite", data={"csrf_token": token, "email": HUGE_EMAIL,
                                               "role": "admin"})
    refused(resp, HUGE_EMAIL, "An email address has at most 254 characters.")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Editor)) == 2


def test_accepting_an_invitation_refuses_a_long_password_before_hashing(app, client, people,
                                                                        hashed):
    from service.accounts.links import account_token, invite_editor

    with app.test_request_context():
        invited = invite_editor(db.session, "new@news.example", role="admin")
        db.session.commit()
        path = f"/invite/{account_token(invited, 'invite')}"
    page = client.get(path).get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": csrf_token(page), "new": LONG_PASSWORD,
                                   "confirm": LONG_PASSWORD})
    refused(resp, LONG_PASSWORD, "A password has at most 1024 characters.")
    assert hashed == []
    with app.app_context():
        assert db.session.scalar(select(Editor.password_hash).where(
            Editor.email == "new@news.example")) == ""


def _redis_or_skip() -> str:
    import redis

    from tests.conftest import IN_CI

    uri = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(uri, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail("Redis at 127.0.0.1:6379 is unreachable under CI")
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable")
    return uri


PREFIX = f"errata-test-{uuid.uuid4().hex}"


@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                                         "RATELIMIT_SWALLOW_ERRORS": False,
                                         "RATELIMIT_KEY_PREFIX": PREFIX}])
def test_a_huge_email_makes_no_rate_limit_key_in_redis(app, client, people, app_config):
    import redis

    store = redis.Redis.from_url(_redis_or_skip())

    def keys() -> list[bytes]:
        return list(store.scan_iter(match=f"*{PREFIX}*"))

    token = page_token(client, "/login")
    client.post("/login", data={"csrf_token": token, "email": HUGE_EMAIL, "password": "x"})
    assert keys() == [] or max(len(k) for k in keys()) < 300
    # A failed login with an ordinary address does make keys: the check above can fail.
    assert login(client, "ed@news.example", "a wrong password").status_code == 401
    made = keys()
    assert made and max(len(k) for k in made) < 300
    store.delete(*made)
