"""Accounts in the editor UI: login, logout, passwords, settings, People, through the real
forms with CSRF enabled (tokens are read from the pages, as a browser would)."""

from __future__ import annotations

import re

import pytest

from service.extensions import db
from service.models import Editor
from tests.conftest import csrf_token, login, page_token

PASSWORD = "correct horse battery"
ADMIN = "admin@news.example"
EDITOR = "ed@news.example"


@pytest.fixture
def admin(factory):
    return factory.editor(ADMIN, PASSWORD, role="admin")


@pytest.fixture
def editor(factory):
    return factory.editor(EDITOR, PASSWORD)


def logged_in(app, email):
    c = app.test_client()
    assert login(c, email, PASSWORD).status_code == 302
    return c


def get_editor(app, email) -> Editor:
    with app.app_context():
        ed = db.session.query(Editor).filter_by(email=email).one()
        db.session.expunge(ed)
        return ed


def editor_sites(app, email) -> list[str]:
    with app.app_context():
        ed = db.session.query(Editor).filter_by(email=email).one()
        return [s.name for s in ed.sites]


# -- login -------------------------------------------------------------------------------------

def test_login_page_has_a_csrf_token_and_labels(client):
    html = client.get("/login").get_data(as_text=True)
    assert csrf_token(html)
    assert '<label for="email">Email</label>' in html
    assert 'autocomplete="current-password"' in html


def test_login_then_logout(client, admin):
    resp = login(client, ADMIN, PASSWORD)
    assert resp.status_code == 302
    page = client.get("/account/settings")
    assert page.status_code == 200
    assert ADMIN in page.get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert client.get("/account/settings").status_code == 302


@pytest.mark.parametrize("app_config", [{"PASSWORD_HASH_METHOD": None}])
def test_login_with_the_real_password_hash(app, client, admin):
    """The rest of the suite stores cheap hashes (tests/conftest.py); this one is production's."""
    assert get_editor(app, ADMIN).password_hash.startswith("scrypt:")
    assert login(client, ADMIN, "not the password").status_code == 401
    assert login(client, "nobody@news.example", PASSWORD).status_code == 401
    assert login(client, ADMIN, PASSWORD).status_code == 302


def test_login_records_the_time(app, client, admin):
    login(client, ADMIN, PASSWORD)
    assert get_editor(app, ADMIN).last_login_at is not None


def test_email_is_case_insensitive(client, editor):
    assert login(client, "ED@News.Example", PASSWORD).status_code == 302


@pytest.mark.parametrize("email,password", [
    (EDITOR, "not the password"),
    ("nobody@news.example", PASSWORD),
])
def test_wrong_login_is_refused_with_one_sentence(client, editor, email, password):
    resp = login(client, email, password)
    assert resp.status_code == 401
    html = resp.get_data(as_text=True)
    assert "That email and password don&#39;t match an active account." in html
    assert password not in html  # never echoed back
    assert client.get("/account/settings").status_code == 302


def test_empty_login_form_says_what_is_missing(client):
    token = page_token(client, "/login")
    resp = client.post("/login", data={"csrf_token": token, "email": "", "password": ""})
    html = resp.get_data(as_text=True)
    assert "Enter your email address." in html and "Enter your password." in html


def test_login_without_csrf_token_is_a_400_page(client, editor):
    resp = client.post("/login", data={"email": EDITOR, "password": PASSWORD})
    assert resp.status_code == 400
    assert "This form has expired" in resp.get_data(as_text=True)
    assert client.get("/account/settings").status_code == 302


def test_logout_needs_post_and_csrf(app, editor):
    c = logged_in(app, EDITOR)
    assert c.get("/logout").status_code == 405
    assert c.post("/logout").status_code == 400
    assert c.get("/account/settings").status_code == 200


@pytest.mark.parametrize("target", ["/account/password", "/account/settings?x=1"])
def test_next_goes_to_a_local_page(client, editor, target):
    resp = login(client, EDITOR, PASSWORD, next=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example/",
    "https://evil.example/",
    "http://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example".replace("%09", "\t"),
    "javascript:alert(1)",
    "evil.example",
])
def test_next_never_leaves_the_site(client, editor, target):
    from urllib.parse import quote

    resp = login(client, EDITOR, PASSWORD, next=quote(target, safe=""))
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "evil" not in location and "javascript" not in location


def test_anonymous_is_sent_to_login_with_next(client):
    resp = client.get("/account/settings")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_logged_in_visit_to_login_goes_home(app, editor):
    c = logged_in(app, EDITOR)
    assert c.get("/login").status_code == 302


def test_session_cookie_is_httponly_and_lax(client, editor):
    resp = login(client, EDITOR, PASSWORD)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http test server


@pytest.mark.parametrize("app_config", [{"ERRATA_BASE_URL": "https://errata.example"},
                                        {"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_is_secure_behind_https(client, editor, app_config):
    resp = login(client, EDITOR, PASSWORD)
    assert "Secure" in resp.headers.get("Set-Cookie", "")


# -- deactivated editors -----------------------------------------------------------------------

def test_deactivated_editor_cannot_log_in(app, client, editor):
    with app.app_context():
        db.session.query(Editor).filter_by(email=EDITOR).update({"active": False})
        db.session.commit()
    assert login(client, EDITOR, PASSWORD).status_code == 401


def test_deactivating_logs_the_editor_out(app, admin, editor):
    ed = logged_in(app, EDITOR)
    assert ed.get("/account/settings").status_code == 200
    adm = logged_in(app, ADMIN)
    target = get_editor(app, EDITOR)
    url = f"/people/{target.id}"
    resp = adm.post(url, data={"csrf_token": page_token(adm, url), "display_name": "",
                               "role": "editor"})  # "active" unchecked
    assert resp.status_code == 302
    assert get_editor(app, EDITOR).active is False
    assert ed.get("/account/settings").status_code == 302


# -- throttling --------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"ERRATA_LOGIN_LIMIT_ACCOUNT": "3/15 minutes"}])
def test_failed_logins_are_throttled_per_account(app, editor, factory, app_config):
    factory.editor("other@news.example", PASSWORD)
    c = app.test_client()
    for _ in range(3):
        assert login(c, EDITOR, "wrong password!").status_code == 401
    resp = login(c, EDITOR, PASSWORD)  # even the right password waits now
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "Too many failed logins" in html and "Wait 15 minutes and try again" in html
    assert 0 < int(resp.headers["Retry-After"]) <= 901
    assert '<form method="post"' in html  # still the login page, not a bare error
    # Another account from the same address is not affected.
    assert login(c, "other@news.example", PASSWORD).status_code == 302


@pytest.mark.parametrize("app_config", [{"ERRATA_LOGIN_LIMIT_IP": "4/15 minutes"}])
def test_failed_logins_are_throttled_per_address(app, editor, app_config):
    c = app.test_client()
    for n in range(4):
        assert login(c, f"nobody{n}@news.example", "wrong password!").status_code == 401
    assert login(c, EDITOR, PASSWORD).status_code == 429
    other = app.test_client()
    resp = login(other, EDITOR, PASSWORD)  # the test client always comes from 127.0.0.1
    assert resp.status_code == 429


@pytest.mark.parametrize("app_config", [{"ERRATA_LOGIN_LIMIT_ACCOUNT": "2/15 minutes"}])
def test_successful_logins_do_not_count(app, editor, app_config):
    for _ in range(4):
        c = app.test_client()
        assert login(c, EDITOR, PASSWORD).status_code == 302


# -- my password -------------------------------------------------------------------------------

def change_password(c, current, new, confirm=None):
    token = page_token(c, "/account/password")
    return c.post("/account/password", data={"csrf_token": token, "current": current,
                                             "new": new, "confirm": confirm or new})


def test_change_password_ends_other_sessions(app, editor):
    here = logged_in(app, EDITOR)
    elsewhere = logged_in(app, EDITOR)
    resp = change_password(here, PASSWORD, "a brand new passphrase")
    assert resp.status_code == 302
    assert here.get("/account/settings").status_code == 200  # this session goes on
    assert elsewhere.get("/account/settings").status_code == 302
    fresh = app.test_client()
    assert login(fresh, EDITOR, PASSWORD).status_code == 401
    assert login(fresh, EDITOR, "a brand new passphrase").status_code == 302


@pytest.mark.parametrize("current,new,confirm,message", [
    ("wrong current pw", "a brand new passphrase", None, "That is not your current password."),
    (PASSWORD, "short", None, "at least 10 characters"),
    (PASSWORD, "a brand new passphrase", "another passphrase", "are not the same"),
])
def test_change_password_errors(app, editor, current, new, confirm, message):
    c = logged_in(app, EDITOR)
    resp = change_password(c, current, new, confirm)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True).replace("&#39;", "'")
    assert login(app.test_client(), EDITOR, PASSWORD).status_code == 302  # unchanged


def test_change_password_needs_login_and_csrf(app, client, editor):
    assert client.get("/account/password").status_code == 302
    c = logged_in(app, EDITOR)
    resp = c.post("/account/password", data={"current": PASSWORD, "new": "x" * 12,
                                              "confirm": "x" * 12})
    assert resp.status_code == 400


# -- my settings -------------------------------------------------------------------------------

def test_settings_saves_mail_preferences(app, editor):
    c = logged_in(app, EDITOR)
    token = page_token(c, "/account/settings")
    resp = c.post("/account/settings", data={"csrf_token": token, "display_name": " Ed  Itor ",
                                             "notify_mode": "digest", "digest_hour": "17"})
    assert resp.status_code == 302
    ed = get_editor(app, EDITOR)
    assert (ed.notify_mode, ed.digest_hour, ed.display_name) == ("digest", 17, "Ed Itor")


@pytest.mark.parametrize("mode,hour,message", [
    ("weekly", "8", "Not a valid choice"),
    ("digest", "24", "Give an hour from 0 to 23."),
    ("digest", "soon", "Give an hour from 0 to 23."),
])
def test_settings_validation(app, editor, mode, hour, message):
    c = logged_in(app, EDITOR)
    token = page_token(c, "/account/settings")
    resp = c.post("/account/settings", data={"csrf_token": token, "display_name": "",
                                             "notify_mode": mode, "digest_hour": hour})
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert get_editor(app, EDITOR).notify_mode == "immediate"


# -- people (admins) ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/people", "/people/new", "/people/1"])
def test_people_pages_need_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/people", "/people/new"])
def test_people_pages_are_for_admins(app, editor, path):
    c = logged_in(app, EDITOR)
    resp = c.get(path)
    assert resp.status_code == 403
    assert "Only an admin can open this page." in resp.get_data(as_text=True)


def test_editor_cannot_post_to_people(app, admin, editor):
    c = logged_in(app, EDITOR)
    token = page_token(c, "/account/settings")
    target = get_editor(app, ADMIN)
    resp = c.post(f"/people/{target.id}", data={"csrf_token": token, "role": "editor"})
    assert resp.status_code == 403
    assert get_editor(app, ADMIN).is_admin


def test_admin_lists_people(app, admin, editor):
    c = logged_in(app, ADMIN)
    html = c.get("/people").get_data(as_text=True)
    assert ADMIN in html and EDITOR in html


def test_admin_adds_an_editor_with_sites(app, admin, factory):
    a = factory.site("Alpha Daily", origins=("https://alpha.example",))
    factory.site("Beta Weekly", origins=("https://beta.example",))
    c = logged_in(app, ADMIN)
    token = page_token(c, "/people/new")
    resp = c.post("/people/new", data={
        "csrf_token": token, "email": "New.Person@News.Example", "display_name": "New Person",
        "role": "editor", "sites": [str(a.id)], "active": "y",
        "password": "first password here",
    })
    assert resp.status_code == 302
    assert editor_sites(app, "new.person@news.example") == ["Alpha Daily"]
    assert login(app.test_client(), "new.person@news.example",
                 "first password here").status_code == 302


@pytest.mark.parametrize("fields,message", [
    ({"email": "not-an-email"}, "Email is not a valid email address."),
    ({"email": EDITOR}, "Email is already used by another editor."),
    ({"password": ""}, "Set an initial password"),
    ({"password": "short"}, "at least 10 characters"),
    ({"role": "owner"}, "Not a valid choice"),
])
def test_add_editor_errors(app, admin, editor, fields, message):
    c = logged_in(app, ADMIN)
    data = {"csrf_token": page_token(c, "/people/new"), "email": "x@news.example",
            "display_name": "", "role": "editor", "active": "y",
            "password": "first password here"}
    data.update(fields)
    resp = c.post("/people/new", data=data)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Editor).count() == 2


def test_admin_edits_role_sites_and_password(app, admin, editor, factory):
    a = factory.site("Alpha Daily", origins=("https://alpha.example",))
    b = factory.site("Beta Weekly", origins=("https://beta.example",))
    ed_session = logged_in(app, EDITOR)
    c = logged_in(app, ADMIN)
    target = get_editor(app, EDITOR)
    url = f"/people/{target.id}"
    resp = c.post(url, data={"csrf_token": page_token(c, url), "display_name": "Ed",
                             "role": "editor", "sites": [str(a.id), str(b.id)], "active": "y",
                             "password": "set by the admin"})
    assert resp.status_code == 302
    assert editor_sites(app, EDITOR) == ["Alpha Daily", "Beta Weekly"]
    assert ed_session.get("/account/settings").status_code == 302  # new password: logged out
    assert login(app.test_client(), EDITOR, "set by the admin").status_code == 302
    resp = c.post(url, data={"csrf_token": page_token(c, url), "display_name": "Ed",
                             "role": "admin", "active": "y"})
    assert get_editor(app, EDITOR).is_admin
    assert editor_sites(app, EDITOR) == []


def test_edit_page_shows_current_values(app, admin, editor, factory):
    a = factory.site("Alpha Daily", origins=("https://alpha.example",))
    with app.app_context():
        ed = db.session.query(Editor).filter_by(email=EDITOR).one()
        from service.models import Site

        ed.sites = [db.session.get(Site, a.id)]
        db.session.commit()
        ed_id = ed.id
    c = logged_in(app, ADMIN)
    html = c.get(f"/people/{ed_id}").get_data(as_text=True)
    assert f'checked id="sites-0" name="sites" type="checkbox" value="{a.id}"' in html
    assert re.search(r'<input checked [^>]*id="active"', html)


@pytest.mark.parametrize("fields,message", [
    ({"role": "editor", "active": "y"}, "You can&#39;t take away your own admin role."),
    ({"role": "admin"}, "You can&#39;t deactivate yourself."),
])
def test_admin_cannot_demote_or_deactivate_themself(app, admin, fields, message):
    c = logged_in(app, ADMIN)
    me = get_editor(app, ADMIN)
    url = f"/people/{me.id}"
    resp = c.post(url, data={"csrf_token": page_token(c, url), "display_name": "", **fields})
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    me = get_editor(app, ADMIN)
    assert me.is_admin and me.active


def test_unknown_person_is_404(app, admin):
    c = logged_in(app, ADMIN)
    assert c.get("/people/99999").status_code == 404


def test_people_page_escapes_names(app, admin, factory):
    factory.editor("x@news.example", PASSWORD)
    with app.app_context():
        db.session.query(Editor).filter_by(email="x@news.example").update(
            {"display_name": "<script>alert(1)</script>"})
        db.session.commit()
    html = logged_in(app, ADMIN).get("/people").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# -- the layout --------------------------------------------------------------------------------

def test_layout_for_an_editor_and_an_admin(app, admin, editor):
    ed_html = logged_in(app, EDITOR).get("/account/settings").get_data(as_text=True)
    assert 'href="#main"' in ed_html and '<main id="main"' in ed_html
    assert "/people" not in ed_html and 'href="/sites"' not in ed_html
    assert 'action="/logout"' in ed_html
    ad_html = logged_in(app, ADMIN).get("/account/settings").get_data(as_text=True)
    assert 'href="/people"' in ad_html and 'href="/sites"' in ad_html


def test_pages_have_no_inline_script_or_style(app, admin):
    html = logged_in(app, ADMIN).get("/people").get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0",
                                         socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.parametrize("app_config", [{
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "RATELIMIT_SWALLOW_ERRORS": False,
    # Redis outlives the test: a fresh prefix so no count leaks between tests or runs.
    "RATELIMIT_KEY_PREFIX": f"errata-test-{__import__('uuid').uuid4().hex}",
    "ERRATA_LOGIN_LIMIT_ACCOUNT": "2/15 minutes",
}])
def test_throttling_is_shared_through_redis(app, editor, app_config):
    if not _redis_up():
        from tests.conftest import IN_CI

        if IN_CI:
            pytest.fail("Redis at 127.0.0.1:6379 is unreachable under CI")
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable")
    from service import create_app
    from tests.conftest import base_config

    # A second app instance opens its own storage connection, as another worker process
    # would; the counts are still shared (with memory:// they would start again from 0).
    first = app.test_client()
    assert login(first, EDITOR, "wrong password!").status_code == 401
    other_app = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                       app.instance_path, **app_config))
    second = other_app.test_client()
    assert login(second, EDITOR, "wrong password!").status_code == 401
    assert login(first, EDITOR, PASSWORD).status_code == 429
    with other_app.app_context():
        db.engine.dispose()


def test_each_app_counts_under_its_own_rate_limit_settings(app, editor):
    """The limiter outlives every app of the process (service/extensions.py, AppLimiter).
    Flask-Limiter alone keeps the first app's key prefix (and more): a later app's
    failed logins were counted under the earlier one's prefix (and a test of them depended on
    which tests ran before)."""
    import uuid

    import redis

    from service import create_app
    from tests.conftest import IN_CI, base_config

    if not _redis_up():
        if IN_CI:
            pytest.fail("Redis at 127.0.0.1:6379 is unreachable under CI")
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable")
    store = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefixes = [f"errata-test-{uuid.uuid4().hex}" for _ in range(2)]
    counted = []
    for prefix in prefixes:
        one = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path,
                                     RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                                     RATELIMIT_KEY_PREFIX=prefix))
        assert login(one.test_client(), EDITOR, "wrong password!").status_code == 401
        counted.append({p: len(list(store.scan_iter(match=f"*{p}*"))) for p in prefixes})
        with one.app_context():
            db.engine.dispose()
    for prefix in prefixes:
        keys = list(store.scan_iter(match=f"*{prefix}*"))
        if keys:
            store.delete(*keys)
    first, second = prefixes
    assert counted[0][first] > 0 and counted[0][second] == 0
    # The second app's failure is under its own prefix; the first's keys are as they were.
    assert counted[1][second] > 0 and counted[1][first] == counted[0][first]


def test_field_errors_are_tied_to_their_inputs(app, editor):
    c = logged_in(app, EDITOR)
    resp = c.post("/account/password", data={"csrf_token": page_token(c, "/account/password"),
                                             "current": PASSWORD, "new": "short",
                                             "confirm": "short"})
    html = resp.get_data(as_text=True)
    assert 'aria-describedby="new-hint new-error"' in html and 'aria-invalid="true"' in html
    assert '<div id="new-error"><p class="error">The new password must be at least' in html
