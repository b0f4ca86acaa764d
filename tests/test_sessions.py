"""Sessions the server knows: a copied cookie opens nothing once its session has ended.

Each test replays the session cookie the way a thief with a copy would: a fresh client with
only that cookie.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import EditorSession
from tests.conftest import login, page_token

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


@pytest.fixture
def people(factory):
    site = factory.site()
    editor = factory.editor("ed@news.example", sites=[site])
    admin = factory.editor("admin@news.example", role="admin")
    return editor, admin


def signed_in(app, email, user_agent=FIREFOX):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert login(client, email, PASSWORD).status_code == 302
    return client


def cookie_of(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie: str):
    """GET /queue with nothing but a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/queue")


def opens_queue(resp) -> bool:
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
        return False
    assert resp.status_code == 200
    return True


def post_form(client, page, action, data=None):
    token = page_token(client, page)
    return client.post(action, data={"csrf_token": token, **(data or {})})


def test_a_copied_cookie_opens_the_queue_while_signed_in_and_not_after_logout(app, people):
    laptop = signed_in(app, "ed@news.example")
    phone = signed_in(app, "ed@news.example", IPHONE)
    copy = cookie_of(laptop)
    assert opens_queue(replay(app, copy))

    resp = post_form(laptop, "/account/settings", "/logout")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")

    assert not opens_queue(replay(app, copy))
    assert not opens_queue(laptop.get("/queue"))
    assert opens_queue(phone.get("/queue")), "logout ends only this browser's session"


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(app, people):
    editor, _ = people
    laptop = signed_in(app, "ed@news.example")
    phone = signed_in(app, "ed@news.example", IPHONE)
    copies = [cookie_of(laptop), cookie_of(phone)]
    admin = signed_in(app, "admin@news.example")
    page = f"/people/{editor.id}"
    form = {"display_name": "", "role": "editor"}
    assert post_form(admin, page, page, form).status_code == 302  # "active" left unticked

    assert [opens_queue(replay(app, c)) for c in copies] == [False, False]
    assert post_form(admin, page, page, {**form, "active": "y"}).status_code == 302
    assert [opens_queue(replay(app, c)) for c in copies] == [False, False]
    assert opens_queue(signed_in(app, "ed@news.example").get("/queue"))  # logs in anew


def test_sign_out_everywhere_ends_this_and_every_other_session(app, people):
    laptop = signed_in(app, "ed@news.example")
    phone = signed_in(app, "ed@news.example", IPHONE)
    other_person = signed_in(app, "admin@news.example")
    copies = [cookie_of(laptop), cookie_of(phone)]

    resp = post_form(phone, "/account/settings", "/account/sessions/end-all")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    follow = phone.get("/login")
    assert "You are signed out on every device" in follow.get_data(as_text=True)

    assert [opens_queue(replay(app, c)) for c in copies] == [False, False]
    assert opens_queue(other_person.get("/queue")), "only that person's sessions end"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EditorSession)) == 1


def test_settings_lists_each_device_with_its_last_use_and_signs_one_out(app, people):
    laptop = signed_in(app, "ed@news.example")
    phone = signed_in(app, "ed@news.example", IPHONE)
    html = laptop.get("/account/settings").get_data(as_text=True)
    assert "Where you are signed in" in html
    assert "Firefox on Windows" in html and "Mobile Safari on iOS (iPhone)" in html
    assert html.count("Last used") == 2 and "this browser" in html
    assert "Sign out everywhere" in html

    with app.app_context():
        phone_id = db.session.scalars(select(EditorSession.id).order_by(EditorSession.id)
                                      ).all()[1]
    resp = post_form(laptop, "/account/settings", f"/account/sessions/{phone_id}/end")
    assert resp.status_code == 302
    assert not opens_queue(phone.get("/queue"))
    assert opens_queue(laptop.get("/queue"))
    assert "Mobile Safari" not in laptop.get("/account/settings").get_data(as_text=True)


def test_no_one_can_end_another_persons_session_by_its_number(app, people):
    laptop = signed_in(app, "ed@news.example")
    admin = signed_in(app, "admin@news.example")
    with app.app_context():
        admins_row = db.session.scalars(select(EditorSession.id).order_by(EditorSession.id)
                                        ).all()[1]
    resp = post_form(laptop, "/account/settings", f"/account/sessions/{admins_row}/end")
    assert resp.status_code == 302
    assert opens_queue(admin.get("/queue"))


def test_changing_my_password_signs_out_my_other_devices_only(app, people):
    laptop = signed_in(app, "ed@news.example")
    phone = signed_in(app, "ed@news.example", IPHONE)
    resp = post_form(laptop, "/account/password", "/account/password", {
        "current": PASSWORD, "new": "a brand new password", "confirm": "a brand new password"})
    assert resp.status_code == 302
    assert opens_queue(laptop.get("/queue"))
    assert not opens_queue(phone.get("/queue"))


def test_a_cookie_from_before_login_is_not_the_session_after_it(app, people):
    """Session fixation: whatever id a browser held before logging in is not kept."""
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("session")
    assert login(client, "ed@news.example", PASSWORD).status_code == 302
    assert before is None or before.value != cookie_of(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EditorSession)) == 1


def test_the_database_holds_only_a_digest_of_the_cookie_id(app, people):
    client = signed_in(app, "ed@news.example")
    with app.app_context():
        row = db.session.scalar(select(EditorSession))
    with client.session_transaction() as cookie:
        token = cookie["sid"]
    assert token not in row.token_hash and len(row.token_hash) == 64
