"""The article's title as its own page gives it: read by page checks from a local article
server, stored on the correction, shown in the public log (HTML and Atom) and to editors.
The title a reader's browser sent is never published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from service.extensions import db
from service.ingest.urls import display_url
from service.models import Correction
from service.pagecheck.core import check_corrections
from service.pagecheck.fetch import Backoff
from service.pagecheck.matcher import parse
from service.pagecheck.title import MAX_TITLE, page_title
from tests.article_server import Served
from tests.conftest import login, page_token, post_report

ATOM = "{http://www.w3.org/2005/Atom}"
PAGES = Path(__file__).parent / "fixtures" / "pages"
WP = (PAGES / "wordpress.html").read_bytes()
WP_FIXED = WP.replace(b"&euro;180&nbsp;milion and", b"&euro;180&nbsp;million and")
PATH = "/2024/03/12/tram-line"
HEADLINE = "City council approves new tram line to the harbour"
READER_TITLE = "Tram line (as a reader's browser named it)"
REPORT = dict(exact="milion", prefix="The line will cost an estimated €180 ",
              suffix=" and is due to open in 2029, the council’s transport committee said.",
              suggestion="million", title=READER_TITLE)


@pytest.fixture
def app_config():
    return {"ERRATA_PAGE_CHECKS": True}


@pytest.fixture
def newsroom(newsroom):
    newsroom.pages[PATH] = Served(WP)
    return newsroom


@pytest.fixture
def site(factory, newsroom):
    return factory.site("Riverside Gazette", origins=(newsroom.origin,), public_log=True)


@pytest.fixture
def editor(factory, site):
    factory.editor("desk@gazette.example", sites=[site])
    return "desk@gazette.example"


def report(client, site, newsroom, path=PATH, **fields) -> int:
    resp = post_report(client, site.key, origin=newsroom.origin, url=newsroom.url(path),
                       **{**REPORT, **fields})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return resp.get_json()["correction"]


def mark_fixed(client, cid: int) -> str:
    """The editor's "Fixed" on the correction page (the page is checked right after)."""
    token = page_token(client, f"/queue/{cid}")
    resp = client.post(f"/queue/{cid}/status", data={
        "csrf_token": token, "action": "fixed", "applied_fix": "million"},
        follow_redirects=True)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def check(app, *ids: int) -> None:
    with app.app_context():
        db.session.expire_all()
        check_corrections(db.session, [db.session.get(Correction, i) for i in ids],
                          backoff=Backoff(), spacing=0)
        db.session.commit()
        db.session.remove()


def stored_title(app, cid: int) -> str | None:
    with app.app_context():
        title = db.session.get(Correction, cid).page_title
        db.session.remove()
        return title


def feed_titles(client, site) -> list[str]:
    resp = client.get(f"/p/{site.key}/corrections.atom")
    assert resp.status_code == 200
    feed = ET.fromstring(resp.data)  # well-formed XML, whatever the page's title held
    return [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]


def test_fixed_correction_is_named_by_its_pages_own_title(app, client, site, newsroom,
                                                          editor):
    cid = report(client, site, newsroom)
    newsroom.pages[PATH] = Served(WP_FIXED)
    login(client, editor)
    editor_page = mark_fixed(client, cid)
    # The editor sees the title the log will use, on the correction page.
    assert f"Title on the page: <bdi>{HEADLINE}</bdi>" in editor_page
    assert "the public corrections log names the article by it" in editor_page

    public = client.application.test_client()
    html = public.get(f"/p/{site.key}/corrections").get_data(as_text=True)
    assert f'<a href="{newsroom.url(PATH)}"><bdi>{HEADLINE}</bdi></a>' in html
    assert "The Riverside Gazette" not in html  # the <title>'s site name is cut off
    assert READER_TITLE not in html
    assert feed_titles(public, site) == [f"Correction: {HEADLINE}"]


def test_without_a_page_check_the_link_stands_alone(app, client, site, newsroom, editor):
    app.config["ERRATA_PAGE_CHECKS"] = False  # no check after "Fixed"
    cid = report(client, site, newsroom)
    login(client, editor)
    assert "Title on the page" not in mark_fixed(client, cid)
    assert stored_title(app, cid) is None and newsroom.requests == []
    people_url = display_url(newsroom.url(PATH))
    html = client.get(f"/p/{site.key}/corrections").get_data(as_text=True)
    assert f'<a href="{newsroom.url(PATH)}">{people_url}</a>' in html
    assert READER_TITLE not in html and HEADLINE not in html
    assert feed_titles(client, site) == [f"Correction: {people_url}"]


HOSTILE = (
    "<html><head><meta charset='utf-8'><title>"
    "Mayor &#x202E;resigns&#x202C; &amp;#x202e;today &#1;&#x7f;&#xFFFE;&#xFFFF; "
    "&lt;script&gt;alert(1)&lt;/script&gt; <b>&amp;</b> ]]&gt; &lt;/title&gt;"
    + "very long " * 20_000
    + "</title></head><body><p>The line will cost an estimated €180 milion and is due to "
    "open in 2029, the council’s transport committee said.</p></body></html>"
).encode()


def test_a_hostile_title_is_cleaned_bounded_and_escaped(app, client, site, newsroom, editor):
    newsroom.pages[PATH] = Served(HOSTILE)
    cid = report(client, site, newsroom)
    login(client, editor)
    mark_fixed(client, cid)
    title = stored_title(app, cid)
    assert title.startswith("Mayor resigns today alert(1) & ]]> very long very long")
    assert len(title) <= MAX_TITLE and title.endswith("long…")
    for bad in ("\u202e", "\u202c", "\x01", "\x7f", "\ufffe", "\uffff", "<", "#x202e"):
        assert bad not in title

    html = client.get(f"/p/{site.key}/corrections").get_data(as_text=True)
    assert "Mayor resigns today alert(1) &amp; ]]&gt; very long" in html
    assert "<script" not in html and "\u202e" not in html
    (entry,) = feed_titles(client, site)
    assert entry == f"Correction: {title}"  # parsed back as the same text: escaped, not cut


def test_the_title_is_the_pages_for_every_correction_of_it_and_follows_the_page(
        app, client, site, newsroom, editor):
    login(client, editor)
    app.config["ERRATA_PAGE_CHECKS"] = False
    old = report(client, site, newsroom)
    mark_fixed(client, old)  # fixed before any check: no title yet
    assert stored_title(app, old) is None

    # A later report on the same article is checked: the fixed one gets the title too.
    newer = report(client, site, newsroom, exact="Ridley", prefix="said councillor Tom ",
                   suffix=", who voted against.", suggestion="Riddley")
    check(app, newer)
    assert stored_title(app, old) == stored_title(app, newer) == HEADLINE

    # The newsroom rewrites its headline: the next read of the page says so.
    newsroom.pages[PATH] = Served(WP.replace(HEADLINE.encode(), b"Tram line approved"),
                                  etag='"v2"')
    check(app, newer)
    assert stored_title(app, old) == "Tram line approved"
    assert feed_titles(client, site) == ["Correction: Tram line approved"]
    # A 304 keeps it; an error page says nothing about the title, so it is kept too.
    check(app, newer)
    assert newsroom.requests[-1].headers["If-None-Match"] == '"v2"'
    newsroom.pages[PATH] = Served(b"<title>Server error</title>", status=500)
    check(app, newer)
    assert stored_title(app, old) == "Tram line approved"


def test_an_empty_page_is_checked_not_crashed(app, client, site, newsroom):
    for body in (b"", b"   \n", b"<!-- nothing -->"):
        newsroom.pages[PATH] = Served(body)
        cid = report(client, site, newsroom)
        check(app, cid)
        with app.app_context():
            c = db.session.get(Correction, cid)
            assert (c.page_state, c.page_reason, c.page_title) == ("unknown", "no_text", None)
            db.session.remove()


# -- the rule, on real CMS pages and on the cases that decide it ------------------------------

@pytest.mark.parametrize("name, encoding, expected", [
    ("wordpress.html", "utf-8", HEADLINE),  # "… – The Riverside Gazette", the h1 kept
    ("drupal.html", "utf-8", "Strompreis steigt zum 1. Juli"),
    ("paywall.html", "utf-8", "Inside the chip plant that could change the valley"),
    ("bitrix.html", "windows-1251", "В Минске обсудили ремонт Немиги - Новости Вечернего "
                                    "Минска"),  # no h1 or og:title says where to cut
])
def test_cms_pages(name, encoding, expected):
    assert page_title(parse((PAGES / name).read_bytes(), encoding)) == expected


@pytest.mark.parametrize("html, expected", [
    ("<title>Headline | Site</title><h1>Headline</h1>", "Headline"),
    # og:title marks the end of the headline when no h1 does; the longest beginning wins.
    ("<title>Head: the rest — Site</title><meta property='og:title' content='Head: the rest'>"
     "<h1>Head</h1>", "Head: the rest"),
    ("<title>Site · Headline</title><h1>Headline</h1>", "Site · Headline"),  # kept whole
    ("<title>Headline-ish</title><h1>Headline</h1>", "Headline-ish"),  # no separator
    ("<title>Headline</title><h1>Headline</h1>", "Headline"),
    ("<title>  </title><meta property='og:title' content='From &lt;b&gt;og&lt;/b&gt;'>",
     "From og"),
    ("<body><svg><title>Search icon</title></svg><h1>Headline</h1></body>", ""),
    ("<p>No title at all</p>", ""),
])
def test_the_rule(html, expected):
    assert page_title(parse(html.encode(), "utf-8")) == expected
