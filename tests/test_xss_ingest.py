"""The XSS corpus through the ingest API: every payload in every text field of a report and in
the page URL is taken (or refused with a 4xx), never a 5xx, and no markup is stored.

This is the API half; the browser half (queue, correction and site pages, mails) opens the
same stored rows in Chromium once those pages exist.
"""

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Report
from tests.conftest import ORIGIN, post_report
from tests.xss_payloads import PAYLOADS, payloads_for_url

# A whole tag: "<name ...>". A lone "<" is plain text (stored text is text, escaped on output).
TAG = re.compile(r"<\s*[a-zA-Z!/?][^>]*>")
TEXT_FIELDS = ("title", "exact", "prefix", "suffix", "suggestion", "comment")


@pytest.fixture
def site(factory):
    return factory.site()


def test_every_payload_in_every_field_is_stored_inert(client, app, site):
    urls = payloads_for_url(ORIGIN)
    accepted = 0
    for n, payload in enumerate(PAYLOADS):
        fields = {name: f"{payload} {n}" for name in TEXT_FIELDS}
        fields["exact"] = f"{payload} exact{n}"
        resp = post_report(client, site.key, url=urls[n], canonical=urls[n],
                           headers={"User-Agent": " ".join(payload.split())[:300]}, **fields)
        assert resp.status_code < 500, (payload, resp.get_data(as_text=True))
        if resp.status_code < 300:
            accepted += 1
        else:
            assert resp.get_json()["message"]
    assert accepted >= len(PAYLOADS) * 0.9  # a few payloads clean away to an empty quote
    with app.app_context():
        for report in db.session.scalars(select(Report)):
            for name in (*TEXT_FIELDS, "url"):
                assert not TAG.search(getattr(report, name) or ""), (name, report.id)
        for corr in db.session.scalars(select(Correction)):
            for name in ("title", "exact", "prefix", "suffix", "suggestion", "url", "link"):
                assert not TAG.search(getattr(corr, name) or ""), (name, corr.id)
