"""URLs are read as browsers read them (issue 13, §3).

The expected reading of every URL of the corpus is computed in this test by a browser's URL
parser: Node's ``URL`` (the WHATWG URL Standard), run as a subprocess. Our host, origin and
re-serialised URL must agree with it, and what a browser would not open is refused.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sqlalchemy import select

from service.extensions import db
from service.ingest.urls import BadURL, browser_url, display_origin, link_on, origin_of
from service.models import Correction, Report, Site
from tests.conftest import IN_CI, post_report

NODE = shutil.which("node")

CORPUS = [
    "https://evil.example\\@a.example/article",  # the report: "\" is "/" to browsers
    "https://a.example\\evil.example/x",
    "https:\\\\evil.example\\x",
    "https://a.ex\tample/x",  # tab and newline inside are removed
    "https://a.example/ar\nti\rcle",
    "  https://a.example/x \n",
    "https://user:pass@a.example/x",
    "https://a.example@evil.example/x",
    "https://evil.example#@a.example/",
    "https://evil.example?@a.example/",
    "https://%61.example/x",  # percent-encoded host
    "https://a%2Eexample/",
    "https://пример.рф/статья",
    "https://ПРИМЕР.РФ/",
    "https://xn--e1afmkfd.xn--p1ai/",
    "https://a.example\uff0ecom/",  # fullwidth full stop
    "https://a\u3002example/",  # ideographic full stop
    "https://ex\u00adample.com/",  # a soft hyphen IDNA maps away
    "http://0x7f.1/",  # IPv4 shorthands
    "http://127.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "https://a.example./x",  # trailing dot
    "https://a.example:443/x",  # default ports
    "http://a.example:80/x",
    "https://a.example:0443/x",
    "https://a.example:8443/x",
    "https:a.example/x",  # no slashes
    "https:/a.example/x",
    "https:///a.example/x",
    "HTTPS://A.EXAMPLE/X",
    "https://[::1]:443/x",
    "http://[::ffff:127.0.0.1]/",
    "https://a.example/../../etc",
    "https://a.example/%2e%2e/x",
    "https://a.example/\u202eevil",
    "https://a.example/?q=<script>&x=\"'",
    "javascript:alert(1)",
    "ftp://a.example/",
    "https://",
    "https://a b.example/",
    "https://a.example:99999/",
    "//a.example/x",
    "https://exa<mple.com/",
]


def _node_reading(urls: list[str]) -> list[dict | None]:
    script = """
const urls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(urls.map(s => {
  try { const u = new URL(s); return {protocol: u.protocol, hostname: u.hostname,
                                      origin: u.origin, href: u.href, hash: u.hash}; }
  catch (e) { return null; }
})));
"""
    out = subprocess.run([NODE, "-e", script], input=json.dumps(urls), capture_output=True,
                         text=True, timeout=30, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def browser():
    if NODE is None:
        if IN_CI:
            pytest.fail("node is needed to read URLs as a browser does; CI must install it")
        pytest.skip("node is not installed: the browser's reading of URLs can't be computed")
    return dict(zip(CORPUS, _node_reading(CORPUS), strict=True))


def test_the_corpus_is_large_and_tricky(browser):
    assert len(CORPUS) >= 30
    # The corpus holds URLs on which urllib and a browser disagree about the host.
    assert browser["https://evil.example\\@a.example/article"]["hostname"] == "evil.example"


@pytest.mark.parametrize("url", CORPUS)
def test_our_reading_of_each_url_is_the_browsers(browser, url):
    expected = browser[url]
    if expected is None or expected["protocol"] not in ("http:", "https:") \
            or not expected["hostname"]:
        with pytest.raises(BadURL):
            browser_url(url)
        return
    assert origin_of(url) == expected["origin"]
    without_hash = expected["href"][: len(expected["href"]) - len(expected["hash"])]
    assert browser_url(url) == without_hash


@pytest.fixture
def site_a(factory):
    return factory.site("A News", origins=("https://a.example",))


def test_a_url_whose_browser_host_is_another_is_refused(client, app, site_a):
    resp = post_report(client, site_a.key, origin="https://a.example",
                       url="https://evil.example\\@a.example/article")
    assert resp.status_code == 403
    assert resp.get_json()["fields"] == {
        "url": "https://evil.example is not an allowed origin of this site"}
    with app.app_context():
        assert db.session.scalars(select(Report)).all() == []


def test_the_stored_url_and_jump_link_are_the_browsers(client, app, site_a):
    resp = post_report(client, site_a.key, origin="https://a.example",
                       url="HTTPS://A.EXAMPLE:443/a\tb/../story?x=1#top")
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        correction = db.session.scalars(select(Correction)).one()
    assert report.url == "https://a.example/story?x=1"
    assert correction.link.startswith("https://a.example/story?x=1#:~:text=")


def test_an_idn_origin_is_saved_as_browsers_send_it_and_shown_in_unicode(client, app, factory):
    site = factory.site("Пример", origins=("https://Пример.РФ/",))
    with app.app_context():
        assert db.session.get(Site, site.id).origins == ["https://xn--e1afmkfd.xn--p1ai"]
    assert display_origin("https://xn--e1afmkfd.xn--p1ai") == "https://пример.рф"
    # The snippet on that site: the browser sends the Punycode origin and page URL.
    resp = post_report(client, site.key, origin="https://xn--e1afmkfd.xn--p1ai",
                       url="https://пример.рф/новости/1")
    assert resp.status_code == 201, resp.get_json()


@pytest.mark.parametrize(("stored", "link"), [
    ("https://a.example/story", "https://a.example/story"),
    ("https://evil.example\\@a.example/story", ""),  # urllib's host was a.example
    ("javascript:alert(1)//https://a.example/", ""),
    ("https://a.example.evil.example/", ""),
    ("HTTPS://A.EXAMPLE/x", "https://a.example/x"),
])
def test_a_stored_url_is_a_link_only_to_the_sites_own_pages(stored, link):
    assert link_on(stored, ["https://a.example"]) == link


def test_the_queue_links_only_to_the_sites_pages_and_shows_urls_in_unicode(
        client, app, factory):
    import re

    from tests.conftest import login

    site = factory.site("Пример", origins=("https://пример.рф",))
    editor = factory.editor(sites=[site])
    page = "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"
    # Stored before URLs were read as browsers read them: urllib saw the site's host here.
    spoofed = "https://evil.example\\@xn--e1afmkfd.xn--p1ai/story"
    with app.app_context():
        ids = []
        for url in (page, spoofed):
            c = Correction(site_id=site.id, url=url, exact="teh", suggestion="the",
                           link=f"{url}#:~:text=teh")
            db.session.add(c)
            db.session.flush()
            ids.append(c.id)
        db.session.commit()
    assert login(client, editor.email).status_code == 302
    good = client.get(f"/queue/{ids[0]}").get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]+)"', good)
    assert f"{page}#:~:text=teh" in hrefs and page in hrefs
    assert "https://пример.рф/новости" in good  # shown to people in Unicode
    bad = client.get(f"/queue/{ids[1]}").get_data(as_text=True)
    assert not [h for h in re.findall(r'href="([^"]+)"', bad) if "evil.example" in h]
    assert "data-article" not in bad  # no "Open in the article" to another host
    assert "evil.example\\@xn--e1afmkfd.xn--p1ai/story" in bad  # still shown, as text
