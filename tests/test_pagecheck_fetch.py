"""Safe fetching against a local article server: origins only, bounded redirects, time and
size; User-Agent, Retry-After and conditional requests."""

from __future__ import annotations

import pytest

from service.pagecheck.fetch import Backoff, fetch, retry_after_seconds
from tests.article_server import ArticleServer, Served

UA = "Errata-PageCheck/test (+http://errata.test)"
PAGE = b"<html><body><p>The mayor said teh budget was balanced.</p></body></html>"


@pytest.fixture
def site():
    server = ArticleServer().start()
    yield server
    server.stop()


@pytest.fixture
def elsewhere():
    server = ArticleServer().start()
    yield server
    server.stop()


def get(server, path, **kwargs):
    kwargs.setdefault("backoff", Backoff())
    return fetch(server.url(path), [server.origin], user_agent=UA, **kwargs)


def test_an_article_is_read_with_errata_user_agent(site):
    site.pages["/news/budget"] = Served(PAGE)
    got = get(site, "/news/budget")
    assert got.ok and got.body == PAGE and got.encoding == "utf-8"
    assert site.requests[0].headers["User-Agent"] == UA


def test_a_redirect_to_a_foreign_origin_is_not_followed(site, elsewhere):
    elsewhere.pages["/stolen"] = Served(PAGE)
    site.pages["/news/moved"] = Served(status=301, headers={"Location": elsewhere.url("/stolen")})
    got = get(site, "/news/moved")
    assert not got.ok and got.reason == "foreign_redirect"
    assert elsewhere.requests == []


def test_redirects_within_the_origin_are_followed_up_to_three(site):
    site.pages["/a"] = Served(status=302, headers={"Location": "/b"})
    site.pages["/b"] = Served(status=301, headers={"Location": site.url("/c")})
    site.pages["/c"] = Served(status=308, headers={"Location": "/article"})
    site.pages["/article"] = Served(PAGE)
    assert get(site, "/a").body == PAGE
    site.pages["/z"] = Served(status=302, headers={"Location": "/a"})  # four hops
    got = get(site, "/z")
    assert not got.ok and got.reason == "too_many_redirects"


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "streamed"])
def test_a_5_mb_page_is_refused_after_2_mb(site, chunked):
    site.pages["/huge"] = Served(b"<p>" + b"x" * (5 * 1024 * 1024), chunked=chunked)
    got = get(site, "/huge")
    assert not got.ok and got.reason == "too_large" and got.body == b""


def test_a_page_that_never_finishes_times_out(site):
    site.pages["/slow"] = Served(trickle=True)
    got = get(site, "/slow", total_timeout=1.5)
    assert not got.ok and got.reason == "timeout"


def test_a_port_nobody_listens_on_is_unreachable(site):
    site.stop()
    got = get(site, "/gone")
    assert not got.ok and got.reason in ("unreachable", "read_error:ProtocolError")


def test_a_404_is_not_a_page(site):
    got = get(site, "/missing")
    assert not got.ok and got.reason == "status:404"


def test_a_non_html_answer_is_not_read(site):
    site.pages["/file.pdf"] = Served(b"%PDF-1.7", content_type="application/pdf")
    got = get(site, "/file.pdf")
    assert not got.ok and got.reason == "not_html:application/pdf"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "javascript:alert(1)", "file:///etc/passwd",
                                 "http://127.0.0.1.evil.example/x"])
def test_only_the_sites_origins_are_fetched(site, url):
    got = fetch(url, [site.origin], user_agent=UA, backoff=Backoff())
    assert not got.ok and got.reason == "not_origin"
    assert site.requests == []


def test_retry_after_is_obeyed_per_origin(site):
    backoff = Backoff()
    site.pages["/busy"] = Served(b"busy", status=429, headers={"Retry-After": "120"})
    site.pages["/other"] = Served(PAGE)
    assert get(site, "/busy", backoff=backoff).reason == "busy:429"
    got = get(site, "/other", backoff=backoff)  # the same origin: not asked again yet
    assert not got.ok and got.reason.startswith("wait:")
    assert [r.path for r in site.requests] == ["/busy"]


def test_503_with_an_http_date_retry_after(site):
    backoff = Backoff()
    site.pages["/down"] = Served(b"", status=503,
                                 headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    assert get(site, "/down", backoff=backoff).reason == "busy:503"
    assert backoff.wait_for(site.origin) > 3600


def test_retry_after_values():
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("99999999999") == 6 * 3600  # capped
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_conditional_requests_with_etag_and_last_modified(site):
    site.pages["/news/budget"] = Served(PAGE, etag='"v1"',
                                        headers={"Last-Modified": "Mon, 02 Sep 2024 10:00:00 GMT"})
    first = get(site, "/news/budget")
    assert first.ok and first.etag == '"v1"'
    again = get(site, "/news/budget", etag=first.etag, last_modified=first.last_modified)
    assert again.ok and again.not_modified and again.body == b""
    sent = site.requests[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 02 Sep 2024 10:00:00 GMT"
    site.pages["/news/budget"] = Served(PAGE.replace(b"teh", b"the"), etag='"v2"')
    changed = get(site, "/news/budget", etag=first.etag)
    assert changed.ok and not changed.not_modified and b"the budget" in changed.body


def test_origin_spacing_is_claimed_once_per_second():
    backoff = Backoff()
    assert backoff.reserve("http://a.example", 1.0)
    assert not backoff.reserve("http://a.example", 1.0)
    assert backoff.reserve("http://b.example", 1.0)  # each origin has its own turn
