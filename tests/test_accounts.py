"""Logging in and out, through the real forms with CSRF on."""

from __future__ import annotations

from tests.conftest import login, page_token

PASSWORD = "correct horse battery"


def test_login_page_renders(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert 'name="csrf_token"' in resp.get_data(as_text=True)


def test_login_and_logout(client, factory):
    factory.editor("ed@news.example", PASSWORD, role="admin")
    resp = login(client, "ed@news.example", PASSWORD)
    assert resp.status_code == 302
    page = client.get("/account/settings")
    assert page.status_code == 200
    assert "ed@news.example" in page.get_data(as_text=True)
    token = page_token(client, "/account/settings")
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/account/settings").status_code == 302


def test_wrong_password_is_refused(client, factory):
    factory.editor("ed@news.example", PASSWORD)
    resp = login(client, "ed@news.example", "not the password")
    assert resp.status_code == 401
    assert "don&#39;t match an active account" in resp.get_data(as_text=True)
