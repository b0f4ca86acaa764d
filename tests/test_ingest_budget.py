"""Work before limits (issue 13, §4 and §7): every request to the ingest endpoint counts
toward the per-IP budget first, garbage and bots included; IPv6 readers are one reader per
/64 in every limit and block, and blocks stored before that keep working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Counter, Report
from tests.conftest import ORIGIN, report_body
from tests.test_blocks import add_block


@pytest.fixture
def app_config():
    return {"ERRATA_IP_SALT": uuid.uuid4().hex, "ERRATA_LIMIT_IP": "3/hour",
            "ERRATA_MIN_ELAPSED_MS": 800}


@pytest.fixture
def site(factory):
    return factory.site()


def post(client, site_key: str, ip: str, raw: bytes | None = None, **fields):
    data = raw if raw is not None else json.dumps(report_body(site_key, **fields)).encode()
    return client.post("/api/v1/reports", data=data,
                       headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN},
                       environ_base={"REMOTE_ADDR": ip})


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Report))


def counted(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(Counter.count), 0)).where(Counter.name == name))


@pytest.mark.parametrize("garbage", [b"not json", b"[]", b'{"site": 5}', b'{"exact": "\\ud800"}',
                                     b'{"start": ' + b"9" * 5000 + b"}"])
def test_invalid_bodies_count_toward_the_per_ip_budget(client, app, site, garbage):
    ip = "198.51.100.20"
    assert [post(client, site.key, ip, raw=garbage).status_code for _ in range(3)] == [400] * 3
    flood = post(client, site.key, ip, raw=garbage)
    assert flood.status_code == 429
    assert int(flood.headers["Retry-After"]) > 0
    # The budget is the IP's, whatever it sends next: a valid report waits too.
    assert post(client, site.key, ip, exact=f"late-{uuid.uuid4().hex}").status_code == 429
    # Another reader is not affected.
    assert post(client, site.key, "198.51.100.21").status_code == 201


def test_honeypot_and_too_fast_reports_still_get_202_but_use_up_the_budget(client, app, site):
    ip = "198.51.100.30"
    answers = [post(client, site.key, ip, hp="http://spam.example").status_code,
               post(client, site.key, ip, elapsed_ms=100).status_code,
               post(client, site.key, ip, hp="again").status_code]
    assert answers == [202, 202, 202]
    assert post(client, site.key, ip, exact="a real typo").status_code == 429
    assert stored(app) == 0
    assert counted(app, "honeypot") == 2 and counted(app, "too_fast") == 1


def test_ipv6_readers_are_one_reader_per_64(client, app, site):
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::9", "2001:db8:1:2:ffff:ffff:ffff:ffff"]
    assert [post(client, site.key, ip, exact=f"w{i}").status_code
            for i, ip in enumerate(same_64)] == [201] * 3
    # A fourth address in the same /64 is the same reader: over the budget.
    assert post(client, site.key, "2001:db8:1:2::abcd", exact="w4").status_code == 429
    # The next /64 is someone else.
    assert post(client, site.key, "2001:db8:1:3::1", exact="w5").status_code == 201


def test_an_ipv4_mapped_address_is_its_ipv4_reader(client, app, site):
    for i in range(3):
        assert post(client, site.key, "203.0.113.5", exact=f"v{i}").status_code == 201
    assert post(client, site.key, "::ffff:203.0.113.5", exact="v4").status_code == 429


def test_a_block_from_the_queue_covers_the_readers_whole_64(client, app, site):
    app.config["ERRATA_LIMIT_IP"] = "100/hour"
    assert post(client, site.key, "2001:db8:5:6::1", exact="first").status_code == 201
    with app.app_context():
        shown = db.session.scalars(select(Report.ip_hash)).one()  # what the queue shows
    add_block(app, "ip", shown, site.id)
    assert post(client, site.key, "2001:db8:5:6::77", exact="second").status_code == 202
    assert post(client, site.key, "2001:db8:5:7::1", exact="third").status_code == 201
    assert stored(app) == 2


def test_a_block_stored_before_the_64_keying_still_holds(client, app, site):
    """Blocks set before this change hold the hash of the full IPv6 address."""
    app.config["ERRATA_LIMIT_IP"] = "100/hour"
    salt = app.config["ERRATA_IP_SALT"].encode()
    full = "2001:db8:9:9::42"
    old_hash = hmac.new(salt, full.encode(), hashlib.sha256).hexdigest()[:32]
    add_block(app, "ip", old_hash, site.id)
    assert post(client, site.key, full, exact="blocked").status_code == 202
    assert stored(app) == 0


def test_failed_logins_from_one_ipv6_64_share_one_budget(app, factory):
    """Every limit keys an IPv6 client by its /64, the editors' login limit too."""
    from tests.conftest import login

    app.config["ERRATA_LOGIN_LIMIT_IP"] = "3/15 minutes"
    factory.editor()

    def attempt(ip: str) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        return login(client, "nobody@news.example", "wrong password!").status_code

    assert [attempt(f"2001:db8:7:7::{n}") for n in range(1, 4)] == [401] * 3
    assert attempt("2001:db8:7:7:ffff::1") == 429  # same /64, another address
    assert attempt("2001:db8:7:8::1") == 401  # the next /64 is someone else


RU_BROWSER = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}


def _answer(client, site_key: str, ip: str, data: bytes, content_type: str = "text/plain",
            headers: dict | None = None):
    resp = client.post("/api/v1/reports", data=data,
                       headers={"Content-Type": content_type, "Origin": ORIGIN,
                                **(headers or {})}, environ_base={"REMOTE_ADDR": ip})
    return resp.status_code, resp.get_json().get("message")


def test_answers_before_the_body_is_parsed_speak_the_readers_browser_language(client, site):
    """The per-IP 429 (and 413, 415) come before the report's ``lang`` is read: they follow
    the browser's Accept-Language. Once a report is read, its own language wins."""
    ip = "198.51.100.40"
    body = json.dumps(report_body(site.key, lang="en", exact="first")).encode()
    assert _answer(client, site.key, ip, body, headers=RU_BROWSER)[0] == 201
    for _ in range(2):
        _answer(client, site.key, ip, b"not json")
    assert _answer(client, site.key, ip, body, headers=RU_BROWSER) == (
        429, "Слишком много сообщений от вас за короткое время; попробуйте позже.")
    assert _answer(client, site.key, ip, body)[1] == (
        "Too many reports from you right now; please try again later.")
    assert _answer(client, site.key, "198.51.100.41", body, "application/xml",
                   RU_BROWSER) == (415, "Отправьте сообщение в формате JSON (text/plain или "
                                        "application/json).")
    assert _answer(client, site.key, "198.51.100.42", b"x" * 70_000, headers=RU_BROWSER) == (
        413, "Сообщение слишком длинное, сократите, пожалуйста, комментарий.")
    # Read reports: the page's language first, the browser's when the report has none.
    for ip, lang, sentence in (("198.51.100.43", "en", "This site is not registered with Errata."),
                               ("198.51.100.44", None, "Этот сайт не подключён к Errata.")):
        unknown = json.dumps(report_body("no-such-site", lang=lang)).encode()
        assert _answer(client, site.key, ip, unknown, headers=RU_BROWSER) == (404, sentence)
