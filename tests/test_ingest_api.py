"""POST /api/v1/reports through the Flask test client, on the real database."""

import json

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Correction, Counter, Report
from tests.conftest import ORIGIN, login, post_report, report_body


@pytest.fixture
def site(factory):
    return factory.site()


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_reports(app):
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        db.session.expunge_all()
        return rows


def test_new_report_opens_a_correction(client, app, site):
    resp = post_report(client, site.key)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "new"
    with app.app_context():
        corr = db.session.get(Correction, body["correction"])
        assert corr.exact == "collegiums"
        assert corr.status == "new"
        assert corr.report_count == 1
        assert corr.url == "https://news.example/politics/2014/article"
        assert corr.link.endswith(
            "#:~:text=the%20Foreign%20Ministry-,collegiums,-of%20Belarus%20and"
        )
        report = db.session.get(Report, body["id"])
        assert report.suggestion == "collegia"
        assert report.ip_hash and "127.0.0.1" not in report.ip_hash
        assert report.email is None


def test_repeat_of_the_same_spot_is_grouped_with_a_count(client, app, site):
    first = post_report(client, site.key).get_json()
    second = post_report(client, site.key, exact="Ministry collegiums",
                         prefix="The joint meeting of the Foreign ",
                         url=f"{ORIGIN}/politics/2014/article/?utm_source=tw#x")
    assert second.status_code == 200
    body = second.get_json()
    assert body == {"id": body["id"], "correction": first["correction"], "status": "grouped",
                    "count": 2}
    assert count(app, Correction) == 1
    assert count(app, Report) == 2


def test_a_suggestion_equal_to_the_quote_is_none_and_a_later_real_one_wins(client, app, site,
                                                                           factory):
    """The snippet pre-fills the selection; sent untouched, it suggests nothing."""
    first = post_report(client, site.key, suggestion=" collegiums ").get_json()
    post_report(client, site.key, suggestion="")  # nothing either
    post_report(client, site.key, exact="Ministry collegiums",
                prefix="The joint meeting of the Foreign ", suggestion="collegiums")
    assert post_report(client, site.key, suggestion="collegia").status_code == 200
    post_report(client, site.key, suggestion="collegium")  # the first real one stays
    with app.app_context():
        corr = db.session.get(Correction, first["correction"])
        assert (corr.report_count, corr.suggestion) == (5, "collegia")
        reports = db.session.scalars(select(Report.suggestion).order_by(Report.id)).all()
        assert reports == ["", "", "collegiums", "collegia", "collegium"]
    factory.editor("admin@news.example", role="admin")
    html_client = client.application.test_client()
    assert login(html_client, "admin@news.example").status_code == 302
    html = html_client.get(f"/queue/{first['correction']}").get_data(as_text=True)
    assert html.count("No suggestion") == 2  # the first two reports


def test_same_words_elsewhere_on_the_page_open_a_second_correction(client, app, site):
    post_report(client, site.key, exact="the", prefix="meeting of ", suffix=" Foreign Ministry")
    resp = post_report(client, site.key, exact="the", prefix="between ", suffix=" Head of")
    assert resp.status_code == 201
    assert count(app, Correction) == 2


def test_report_on_a_rejected_correction_is_counted_but_stays_closed(client, app, site):
    first = post_report(client, site.key).get_json()
    with app.app_context():
        corr = db.session.get(Correction, first["correction"])
        corr.status = "rejected"
        db.session.commit()
    resp = post_report(client, site.key)
    assert resp.status_code == 200
    with app.app_context():
        corr = db.session.get(Correction, first["correction"])
        assert (corr.status, corr.report_count) == ("rejected", 2)


def test_fixed_correction_does_not_swallow_a_new_report(client, app, site):
    first = post_report(client, site.key).get_json()
    with app.app_context():
        db.session.get(Correction, first["correction"]).status = "fixed"
        db.session.commit()
    assert post_report(client, site.key).status_code == 201
    assert count(app, Correction) == 2


def test_text_is_cleaned_before_it_is_stored(client, app, site):
    resp = post_report(
        client, site.key,
        exact="  colle<b>giums</b>\u0000 ",
        comment="<script>alert(1)</script>Please\u202e fix   this\n\n\n\nThanks",
        suggestion="colle&lt;i&gt;gia",
        title="<img src=x onerror=alert(1)>Title",
    )
    assert resp.status_code == 201
    (report,) = stored_reports(app)
    assert report.exact == "collegiums"
    assert report.comment == "alert(1)Please fix this\n\nThanks"
    assert report.suggestion == "collegia"
    assert report.title == "Title"


def test_cafe_in_two_unicode_forms_is_one_quote(client, app, site):
    post_report(client, site.key, exact="cafe\u0301", prefix="a ", suffix=" b")
    resp = post_report(client, site.key, exact="caf\u00e9", prefix="a ", suffix=" b")
    assert resp.get_json()["status"] == "grouped"


def test_internationalised_domain_is_fine(client, app, site):
    assert post_report(client, site.key, email="reader@почта.рф", notify=True).status_code == 201


def test_email_is_kept_only_when_the_reader_asked_to_be_notified(client, app, site):
    post_report(client, site.key, email="reader@example.org", notify=False)
    post_report(client, site.key, email="Reader@Example.org", notify=True)
    first, second = stored_reports(app)
    assert first.email is None
    assert (second.email, second.notify) == ("Reader@example.org", True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"site": None}, "site", "is required"),
        ({"url": None}, "url", "is required"),
        ({"url": "ftp://news.example/a"}, "url", "must be an http or https address"),
        ({"url": "x" * 2049}, "url", "must be at most 2048 characters (got 2049)"),
        ({"exact": "   "}, "exact", "is required"),
        ({"exact": "x" * 501}, "exact", "must be at most 500 characters (got 501)"),
        ({"exact": 42}, "exact", "must be a string"),
        ({"prefix": "p" * 257}, "prefix", "must be at most 256 characters (got 257)"),
        ({"suffix": "s" * 257}, "suffix", "must be at most 256 characters (got 257)"),
        ({"title": "t" * 301}, "title", "must be at most 300 characters (got 301)"),
        ({"lang": "x" * 36}, "lang", "must be at most 35 characters (got 36)"),
        ({"kind": "grammar"}, "kind", "must be one of typo, fact, other"),
        ({"suggestion": "s" * 501}, "suggestion", "must be at most 500 characters (got 501)"),
        ({"comment": "c" * 2001}, "comment", "must be at most 2000 characters (got 2001)"),
        ({"email": "not an address"}, "email", "is not a valid email address"),
        ({"email": "читатель@почта.рф", "notify": True}, "email",
         "must use Latin letters before the @ for us to write to it"),
        ({"email": "a@" + "b" * 260 + ".org"}, "email",
         "must be at most 254 characters (got 266)"),
        ({"notify": True}, "email", "is needed to tell you when the error is fixed"),
        ({"notify": "yes"}, "notify", "must be true or false"),
        ({"start": -1}, "start", "must be between 0 and 2147483647"),
        ({"start": "3"}, "start", "must be a whole number"),
        ({"start": True}, "start", "must be a whole number"),
        ({"start": 10, "end": 5}, "end", "must not be before start"),
        ({"elapsed_ms": 1.5}, "elapsed_ms", "must be a whole number"),
        ({"client": "c" * 33}, "client", "must be at most 32 characters (got 33)"),
    ],
)
def test_each_invalid_field_is_named_with_a_sentence(client, app, site, fields, field, message):
    resp = post_report(client, site.key, **fields)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "invalid"
    assert body["message"]
    assert body["fields"][field] == message
    assert count(app, Report) == 0 and count(app, Correction) == 0


def test_whitespace_is_collapsed_before_the_length_limit(client, site):
    # 500 letters spread over indented source lines is still a 500-character quote.
    exact = "\n      ".join(["x" * 100] * 5)
    assert post_report(client, site.key, exact=exact).status_code == 400
    assert post_report(client, site.key, exact="x" * 500).status_code == 201


def test_unknown_fields_are_ignored(client, site):
    assert post_report(client, site.key, colour="blue", nested={"a": [1]}).status_code == 201


@pytest.mark.parametrize(
    ("raw", "message_field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b"\xff\xfe", "body"),
        (b'"just a string"', "body"),
    ],
)
def test_malformed_bodies_are_400(client, app, site, raw, message_field):
    resp = post_report(client, site.key, raw=raw)
    assert resp.status_code == 400
    assert message_field in resp.get_json()["fields"]


def test_body_over_16_kib_is_413_before_parsing(client, app, site):
    raw = json.dumps(report_body(site.key, comment="x" * 17000)).encode()
    resp = post_report(client, site.key, raw=raw)
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "too_large"
    assert count(app, Report) == 0


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "multipart/form-data",
                                   "text/html"])
def test_other_content_types_are_415(client, site, ctype):
    assert post_report(client, site.key, content_type=ctype).status_code == 415


def test_application_json_is_accepted(client, site):
    assert post_report(client, site.key, content_type="application/json").status_code == 201


def test_unknown_and_inactive_sites_are_404(client, app, factory):
    assert post_report(client, "no-such-key").status_code == 404
    inactive = factory.site(name="Off", active=False)
    resp = post_report(client, inactive.key)
    assert resp.status_code == 404
    assert resp.get_json()["fields"] == {"site": "is not a known, active site key"}


@pytest.mark.parametrize(
    ("headers", "origin", "field"),
    [
        ({}, "https://evil.example", "origin"),
        ({}, None, "origin"),  # neither Origin nor Referer
        ({}, "null", "origin"),
        ({"Referer": "https://evil.example/page"}, None, "origin"),
    ],
)
def test_reports_from_other_origins_are_403(client, app, site, headers, origin, field):
    resp = post_report(client, site.key, origin=origin, headers=headers)
    assert resp.status_code == 403
    assert field in resp.get_json()["fields"]
    assert count(app, Report) == 0


def test_referer_is_used_when_origin_is_absent(client, site):
    resp = post_report(client, site.key, origin=None,
                       headers={"Referer": f"{ORIGIN}/politics/2014/article"})
    assert resp.status_code == 201


def test_page_url_must_be_on_an_allowed_origin_too(client, app, site):
    resp = post_report(client, site.key, url="https://evil.example/a")
    assert resp.status_code == 403
    assert "url" in resp.get_json()["fields"]


def test_canonical_link_groups_reports_from_two_urls_of_one_article(client, app, site):
    canonical = f"{ORIGIN}/politics/2014/article"
    post_report(client, site.key, url=f"{ORIGIN}/amp/123", canonical=canonical)
    resp = post_report(client, site.key, url=f"{ORIGIN}/?p=123", canonical=canonical)
    assert resp.get_json()["status"] == "grouped"


def test_canonical_on_another_origin_is_ignored(client, app, site):
    post_report(client, site.key, canonical="https://evil.example/x")
    with app.app_context():
        assert db.session.scalar(select(Correction.url)) == f"{ORIGIN}/politics/2014/article"


def test_cors_echoes_the_origin_and_exposes_retry_after(client, site):
    resp = post_report(client, site.key)
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
    assert "Set-Cookie" not in resp.headers


def test_preflight_is_answered_with_a_long_max_age(client):
    resp = client.options("/api/v1/reports", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert int(resp.headers["Access-Control-Max-Age"]) >= 3600


def test_no_cookies_are_read_or_set(client, site):
    client.set_cookie("session", "garbage-that-would-fail-to-decode")
    resp = post_report(client, site.key)
    assert resp.status_code == 201
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("fields", [{"hp": "http://spam.example"}, {"elapsed_ms": 50}])
def test_bots_get_202_and_nothing_is_stored_but_counted(client, app, site, fields):
    app.config["ERRATA_MIN_ELAPSED_MS"] = 800
    resp = post_report(client, site.key, **fields)
    assert resp.status_code == 202
    assert count(app, Report) == 0
    with app.app_context():
        assert db.session.scalar(select(func.sum(Counter.count))) == 1


def test_a_bots_report_is_counted_when_another_process_wrote_after_its_site_was_read(
        client, app, site):
    """The bot's count is written after the site lookup read the database. On SQLite that
    read must not become the write: if the mail sender committed in between, SQLite refuses
    the write at once ("database is locked"), and the bot would be told 503, not 202."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from service.heartbeats import beat
    from service.models import Heartbeat

    def sender_commits_after_the_site_lookup(conn, cursor, statement, *_):
        if "FROM sites" in statement and not sender_beat:
            with Session(conn.engine) as sender:
                beat(sender, "mail", "the sender commits meanwhile")
            sender_beat.append(True)

    sender_beat: list[bool] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", sender_commits_after_the_site_lookup)
    try:
        resp = post_report(client, site.key, hp="http://spam.example")
    finally:
        event.remove(engine, "after_cursor_execute", sender_commits_after_the_site_lookup)
    assert sender_beat, "the site was not read from the database"
    assert resp.status_code == 202
    with app.app_context():
        assert db.session.scalar(select(func.sum(Counter.count))) == 1
        assert db.session.scalar(select(Heartbeat.detail)) == "the sender commits meanwhile"


def test_comment_with_two_links_goes_straight_to_spam(client, app, site):
    resp = post_report(client, site.key,
                       comment="cheap http://a.example and https://b.example")
    assert resp.status_code == 201
    with app.app_context():
        corr = db.session.get(Correction, resp.get_json()["correction"])
        assert corr.status == "spam"
        assert corr.notified_at is not None  # nobody will be told


def test_healthz_reports_the_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert set(body["loops"]) == {"mail", "page_checks"}  # see tests/test_pagecheck.py


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "Этот сайт не подключён к Errata."),
    ("ru-RU", "Этот сайт не подключён к Errata."),
    ("en-GB", "This site is not registered with Errata."),
    ("de", "This site is not registered with Errata."),  # no German yet: English
])
def test_the_readers_message_is_in_the_page_language(client, lang, expected):
    resp = post_report(client, "no-such-site", lang=lang)
    assert resp.status_code == 404
    assert resp.get_json()["message"] == expected


def test_russian_validation_message_still_names_fields_for_developers(client, site):
    body = post_report(client, site.key, lang="ru", exact="").get_json()
    assert body["message"] == "Некоторые поля сообщения заполнены неверно."
    assert body["fields"] == {"exact": "is required"}
