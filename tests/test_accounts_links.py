"""Invitations and password resets: the People page's "Invite by mail", "Forgot your
password?", and the one-time links they mail, read from a real SMTP server."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from babel import Locale
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from service.accounts import sessions
from service.accounts.core import MIN_PASSWORD
from service.accounts.links import INVITE_DAYS, RESET_HOURS
from service.extensions import db
from service.i18n import ngettext, speaking
from service.models import Editor, OutboxMail
from tests.conftest import csrf_token, login, page_token
from tests.mail_support import run_sender

ADMIN = "admin@news.example"
RU = {"Accept-Language": "ru-RU,ru;q=0.9"}


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture
def admin(factory):
    return factory.editor(ADMIN, role="admin")


def link_in(mail, part: str) -> str:
    url = next(u for u in mail.links() if part in u)
    return url.removeprefix("http://errata.test")


def link_token(purpose: str, editor: Editor, signer=TimestampSigner) -> str:
    """A link's token made as the mails already sent made theirs (the format is a promise:
    a link in someone's inbox must keep working), without Errata's own code."""
    fingerprint = hmac.new(b"test-secret-key", (editor.password_hash or "").encode(),
                           hashlib.sha256).hexdigest()[:20]
    return URLSafeTimedSerializer("test-secret-key", salt=f"errata.{purpose}",
                                  signer=signer).dumps({"id": editor.id, "pw": fingerprint})


def test_invite_by_mail_from_the_people_page(app, client, factory, admin, smtp):
    site = factory.site()
    assert login(client, ADMIN).status_code == 302
    people = client.get("/people").get_data(as_text=True)
    assert "/people/invite" in people and "Invite by mail" in people

    form = client.get("/people/invite").get_data(as_text=True)
    resp = client.post("/people/invite", data={
        "csrf_token": csrf_token(form), "email": "New.Editor@News.example",
        "display_name": "New <Editor>", "role": "editor", "sites": [str(site.id)]})
    assert resp.status_code == 302
    assert "invited" in client.get("/people").get_data(as_text=True)
    run_sender(app)
    [mail] = smtp.inbox.to("new.editor@news.example")
    assert mail.header("Reply-To") == ADMIN
    assert "News Example" in mail.text and "7 days" in mail.text
    assert "New &lt;Editor&gt;" in mail.html and "New <Editor>" in mail.text
    path = link_in(mail, "/invite/")

    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    page = client.get(path)
    assert page.status_code == 200 and "Welcome to Errata" in page.get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                   "new": "a brand new password",
                                   "confirm": "a brand new password"})
    assert resp.status_code == 302
    assert client.get("/account/settings").status_code == 200  # logged in

    again = client.get(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    assert login(client, "new.editor@news.example", "a brand new password").status_code == 302


def test_an_invitation_is_not_sent_for_a_taken_address(client, admin, smtp):
    login(client, ADMIN)
    form = client.get("/people/invite").get_data(as_text=True)
    resp = client.post("/people/invite", data={"csrf_token": csrf_token(form), "email": ADMIN,
                                               "role": "editor"})
    assert resp.status_code == 400
    assert "already used by another editor" in resp.get_data(as_text=True)


def test_invitation_again_only_while_no_password_is_set(app, client, factory, admin, smtp):
    with app.app_context():
        from service.accounts.links import invite_editor

        invite_editor(db.session, "later@news.example")
        db.session.commit()
        later_id = db.session.scalar(select(Editor.id).where(Editor.email == "later@news.example"))
    login(client, ADMIN)
    token = page_token(client, "/people")
    client.post(f"/people/{later_id}/invite", data={"csrf_token": token})
    admin_id = admin.id
    client.post(f"/people/{admin_id}/invite", data={"csrf_token": token})
    run_sender(app)
    assert len(smtp.inbox.to("later@news.example")) == 2
    assert smtp.inbox.to(ADMIN) == []


def _reset_page(client, email):
    form = client.get("/reset").get_data(as_text=True)
    resp = client.post("/reset", data={"csrf_token": csrf_token(form), "email": email})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_password_reset_answers_the_same_and_its_link_works_once(app, client, admin, smtp):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/reset"' in login_page

    known = _reset_page(client, ADMIN.upper())
    unknown = _reset_page(client, "nobody@news.example")
    assert known == unknown and "If an Errata account uses that address" in known
    _reset_page(client, ADMIN)  # asked twice in a row: still one mail, no inbox flooding
    run_sender(app)
    assert [m.to for m in smtp.inbox.messages] == [ADMIN]
    mail = smtp.inbox.messages[0]
    assert mail.subject == "Reset your Errata password" and "2 hours" in mail.text
    path = link_in(mail, "/reset/")

    page = client.get(path).get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": csrf_token(page), "new": "short",
                                   "confirm": "short"})
    assert resp.status_code == 400  # sent back with the field's error
    assert "at least 10 characters" in resp.get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": csrf_token(page),
                                   "new": "my new long password",
                                   "confirm": "my new long password"})
    assert resp.status_code == 302
    assert client.get(path).status_code == 400  # used
    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    assert login(client, ADMIN).status_code == 401  # the old password is gone
    assert login(client, ADMIN, "my new long password").status_code == 302


class _LongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 3 * 3600


def test_an_expired_reset_link_says_so(app, client, admin):
    with app.app_context():
        editor = db.session.get(Editor, admin.id)
        token = link_token("reset", editor, signer=_LongAgo)
    resp = client.get(f"/reset/{token}")
    assert resp.status_code == 400
    assert "This link has expired." in resp.get_data(as_text=True)
    assert client.get("/reset/garbage").status_code == 400


@pytest.mark.parametrize("purpose", ["invite", "reset"])
def test_a_link_already_in_an_inbox_still_works(app, client, admin, purpose):
    with app.app_context():
        if purpose == "invite":
            from service.accounts.links import invite_editor

            editor = invite_editor(db.session, "waiting@news.example")
            db.session.commit()
        else:
            editor = db.session.get(Editor, admin.id)
        email, path = editor.email, f"/{purpose}/{link_token(purpose, editor)}"
    page = client.get(path)
    assert page.status_code == 200 and email in page.get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                   "new": "a link from last week", "confirm":
                                   "a link from last week"})
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    assert login(client, email, "a link from last week").status_code == 302


def test_setting_a_password_from_a_link_needs_the_pages_csrf_token(app, client, admin):
    with app.app_context():
        path = f"/reset/{link_token('reset', db.session.get(Editor, admin.id))}"
    resp = client.post(path, data={"new": "no token with this one", "confirm":
                                   "no token with this one"})
    assert resp.status_code == 400
    assert login(client, ADMIN, "no token with this one").status_code == 401


def test_reset_requests_are_limited_per_network_with_a_sentence(app, client, admin):
    """Ten requests for a link from one network in 15 minutes; the eleventh gets the form
    back with a sentence in the person's language, and queues nothing."""
    token = page_token(client, "/reset")
    for n in range(10):
        resp = client.post("/reset", data={"csrf_token": token,
                                           "email": f"someone{n}@news.example"})
        assert resp.status_code == 200
    resp = client.post("/reset", data={"csrf_token": token, "email": ADMIN}, headers=RU)
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 15 * 60 + 1
    html = resp.get_data(as_text=True)
    assert ("Из этой сети слишком часто запрашивали ссылку для сброса пароля. Подождите "
            "15 минут и попробуйте снова.") in html
    assert 'name="email"' in html  # the form, to try again later
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    # Another network is not held up by this one.
    other = client.post("/reset", data={"csrf_token": token, "email": ADMIN},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 200


def test_the_no_sites_question_names_the_button_that_goes_on(client, admin):
    login(client, ADMIN)
    for path, button in (("/people/invite", "Send without sites"),
                         ("/people/new", "Add without sites")):
        resp = client.post(path, data={"csrf_token": page_token(client, path),
                                       "email": "nosites@news.example", "role": "editor",
                                       "password": "first password here", "active": "y"})
        html = resp.get_data(as_text=True)
        assert "or press “" + button + "” and give them sites later" in html, path
        assert f'<button type="submit">{button}</button>' in html


# -- the numbers pages state come from the constants that enforce them -------------------------

def _counted(lang: str, n: int, en: str, ru: tuple[str, str, str]) -> str:
    """``n`` and its noun as the page must say it: ``ru`` holds the one/few/many forms."""
    if lang == "en":
        return f"{n} {en}" if n == 1 else f"{n} {en}s"
    form = Locale("ru").plural_form(n)
    return f"{n} {ru[('one', 'few', 'many').index(form)]}"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_pages_state_the_lifetimes_and_lengths_the_code_enforces(app, client, factory, lang):
    """A link's lifetime, a password's least length and a session's idle time, on every page
    that states them, are the constants' (INVITE_DAYS, RESET_HOURS, MIN_PASSWORD, IDLE), in
    the plural form their number takes: a page that says "7 days" of its own fails here as
    soon as the constant changes."""
    factory.editor(ADMIN, role="admin", language=lang)
    day = ("дня", "дней", "дней")  # в течение 1 дня, 2 дней, 5 дней
    chars = ("символа", "символов", "символов")  # не меньше 1 символа, 2 символов
    invite = _counted(lang, INVITE_DAYS, "day", day)
    minimum = _counted(lang, MIN_PASSWORD, "character", chars)
    assert login(client, ADMIN).status_code == 302

    form = client.get("/people/invite").get_data(as_text=True)
    assert (f"(it works once, for {invite})" if lang == "en"
            else f"(ссылка сработает один раз в течение {invite})") in form
    resp = client.post("/people/invite", data={
        "csrf_token": csrf_token(form), "email": "new@news.example", "role": "admin"},
        follow_redirects=True)
    assert (f"The link works once, for {invite}." if lang == "en"
            else f"Ссылка сработает один раз в течение {invite}.") in resp.get_data(as_text=True)

    for path in ("/people/new", "/account/password"):
        page = client.get(path).get_data(as_text=True)
        assert (f"At least {minimum}." if lang == "en" else f"Не меньше {minimum}.") in page, path
    settings = client.get("/account/settings").get_data(as_text=True)
    idle = _counted(lang, sessions.IDLE.days, "day", ("день", "дня", "дней"))
    assert (f"A session unused for {idle} ends" if lang == "en"
            else f"Сеанс, которым не пользовались {idle}, завершается") in settings

    client.post("/logout", data={"csrf_token": page_token(client, "/account/settings")})
    headers = RU if lang == "ru" else {}
    form = client.get("/reset", headers=headers).get_data(as_text=True)
    sent = client.post("/reset", headers=headers, data={
        "csrf_token": csrf_token(form), "email": ADMIN}).get_data(as_text=True)
    reset = _counted(lang, RESET_HOURS, "hour", ("часа", "часов", "часов"))
    assert (f"It works once, for {reset}." if lang == "en"
            else f"Она сработает один раз в течение {reset}.") in sent


@pytest.mark.parametrize(("n", "invite", "reset", "minimum", "idle"), [
    (1, "1 дня", "1 часа", "1 символа", "1 день"),
    (3, "3 дней", "3 часов", "3 символов", "3 дня"),
    (5, "5 дней", "5 часов", "5 символов", "5 дней"),
    (12, "12 дней", "12 часов", "12 символов", "12 дней"),
    (21, "21 дня", "21 часа", "21 символа", "21 день"),
])
def test_the_russian_plurals_of_those_numbers(app, n, invite, reset, minimum, idle):
    """Whatever the constants become, the Russian catalog has the right form for them."""
    with app.test_request_context("/"), speaking("ru"):
        assert f"в течение {invite})" in ngettext(
            "They get a mail with a link to choose their own password (it works once, for "
            "%(num)d day).", "They get a mail with a link to choose their own password (it "
            "works once, for %(num)d days).", n)
        assert f"в течение {invite}." in ngettext(
            "Invitation sent to %(email)s. The link works once, for %(num)d day.",
            "Invitation sent to %(email)s. The link works once, for %(num)d days.", n,
            email="x")
        assert f"в течение {reset}." in ngettext(
            "If an Errata account uses that address, a link to choose a new password is on "
            "its way. It works once, for %(num)d hour.", "If an Errata account uses that "
            "address, a link to choose a new password is on its way. It works once, for "
            "%(num)d hours.", n)
        for english in ("At least %(num)d character%(s)s. A few unrelated words work well.",
                        "At least %(num)d character%(s)s. Tell it to them in person; they can "
                        "change it under My settings."):
            assert ngettext(english.replace("%(s)s", ""), english.replace("%(s)s", "s"),
                            n).startswith(f"Не меньше {minimum}.")
        assert f"не пользовались {idle}," in ngettext(
            "Each browser you signed in with. A session unused for %(num)d day ends by "
            "itself.", "Each browser you signed in with. A session unused for %(num)d days "
            "ends by itself.", n)
