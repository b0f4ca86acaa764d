"""The public corrections log: opt-in per site, fixed corrections only, no reader data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Editor
from service.public import log as public_log
from service.queue import actions
from tests.conftest import ORIGIN, post_report

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def site(factory):
    return factory.site("Daily Example")


def decide(app, exact, action, **kwargs):
    with app.app_context():
        editor = db.session.scalar(select(Editor)) or Editor(email="e@news.example")
        db.session.add(editor)
        db.session.flush()
        correction = db.session.scalar(select(Correction).where(Correction.exact == exact))
        actions.change_status(db.session, correction, editor, action, **kwargs)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def reported(app, client, site):
    for n, (exact, suggestion) in enumerate([("teh", "the"), ("recieve", "receive"),
                                             ("bogus", "nonsense"), ("spamword", "")]):
        assert post_report(client, site.key, exact=exact, suggestion=suggestion,
                           prefix=f"p{n} ", suffix=f" s{n}", email="reader@example.org",
                           notify=True, comment=f"secret comment {n}",
                           url=f"{ORIGIN}/story/{n}").status_code == 201
    decide(app, "teh", "fixed", applied_fix="the (corrected 30 Nov)")
    decide(app, "recieve", "fixed")
    decide(app, "bogus", "rejected")
    decide(app, "spamword", "spam")
    return site


def test_off_by_default_and_404_for_both(client, reported, runner):
    for path in (f"/p/{reported.key}/corrections", f"/p/{reported.key}/corrections.atom",
                 "/p/no-such-site/corrections"):
        assert client.get(path).status_code == 404
    assert runner.invoke(args=["site", "edit", reported.key, "--public-log"]).exit_code == 0
    assert client.get(f"/p/{reported.key}/corrections").status_code == 200
    assert runner.invoke(args=["site", "edit", reported.key, "--no-public-log"]).exit_code == 0
    assert client.get(f"/p/{reported.key}/corrections.atom").status_code == 404


def test_lists_only_fixed_with_the_editors_text(client, reported, runner):
    runner.invoke(args=["site", "edit", reported.key, "--public-log"])
    resp = client.get(f"/p/{reported.key}/corrections")
    html = resp.get_data(as_text=True)
    assert "“teh” now reads “the (corrected 30 Nov)”" in html
    assert "“recieve” was corrected to “receive”" in html
    assert html.index("recieve") < html.index("teh")  # newest first
    for private in ("bogus", "spamword", "reader@example.org", "secret comment",
                    "Development of Eurasian integration"):  # the reader-sent title too
        assert private not in html
    assert f'href="{ORIGIN}/story/0"' in html
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    etag = resp.headers["ETag"]
    again = client.get(f"/p/{reported.key}/corrections", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_atom_feed(client, reported, runner):
    runner.invoke(args=["site", "edit", reported.key, "--public-log"])
    resp = client.get(f"/p/{reported.key}/corrections.atom")
    assert resp.mimetype == "application/atom+xml" and resp.headers["ETag"]
    feed = ET.fromstring(resp.data)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[1].find(f"{ATOM}content").text == \
        "Corrected: “teh” now reads “the (corrected 30 Nov)”."
    assert entries[1].find(f"{ATOM}link").get("href") == f"{ORIGIN}/story/0"
    assert b"reader@example.org" not in resp.data and b"bogus" not in resp.data


def test_paginated(client, reported, runner, monkeypatch):
    monkeypatch.setattr(public_log, "PAGE_SIZE", 1)
    runner.invoke(args=["site", "edit", reported.key, "--public-log"])
    first = client.get(f"/p/{reported.key}/corrections").get_data(as_text=True)
    second = client.get(f"/p/{reported.key}/corrections?page=2").get_data(as_text=True)
    assert "recieve" in first and "teh" not in first and 'rel="next"' in first
    assert "teh" in second and 'rel="prev"' in second
    assert client.get(f"/p/{reported.key}/corrections?page=3").status_code == 404
    for bad in ("0", "-1", "x", "99999999999999999999", "１"):
        assert client.get(f"/p/{reported.key}/corrections?page={bad}").status_code == 400
    feed = client.get(f"/p/{reported.key}/corrections.atom?page=2").data
    assert b'rel="previous"' in feed


def test_site_page_switches_it(client, reported, factory):
    from tests.conftest import csrf_token, login

    factory.editor("admin@news.example", role="admin")
    assert login(client, "admin@news.example").status_code == 302
    form = client.get(f"/sites/{reported.id}/edit").get_data(as_text=True)
    assert "Publish a public corrections log" in form
    resp = client.post(f"/sites/{reported.id}/edit", data={
        "csrf_token": csrf_token(form), "name": "Daily Example", "origins": ORIGIN,
        "default_lang": "en", "active": "y", "public_log": "y"})
    assert resp.status_code == 302
    page = client.get(f"/sites/{reported.id}").get_data(as_text=True)
    assert f'href="/p/{reported.key}/corrections"' in page
    anonymous = client.application.test_client()
    assert anonymous.get(f"/p/{reported.key}/corrections").status_code == 200


def test_speaks_the_readers_language_else_the_sites(client, reported, runner, app):
    runner.invoke(args=["site", "edit", reported.key, "--public-log"])
    with app.app_context():
        from service.models import Site

        db.session.get(Site, reported.id).default_lang = "ru"
        db.session.commit()
        db.session.remove()
    page = client.get(f"/p/{reported.key}/corrections").get_data(as_text=True)  # no language
    assert "Исправления · Daily Example" in page
    assert "Исправлено: вместо «teh» теперь «the (corrected 30 Nov)»." in page
    assert "«recieve» исправлено на «receive»." in page
    feed = client.get(f"/p/{reported.key}/corrections.atom").get_data(as_text=True)
    assert "Исправлено: вместо «teh»" in feed
    english = client.get(f"/p/{reported.key}/corrections",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Corrections · Daily Example" in english
