"""Every report arrives whole (issue 13): cleaning is safe under threads, text the database
can't store is refused with the field named, one bad report never fails another in its
batch, entity-encoded controls are stripped, huge numbers and missing fields are 400.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service import create_app
from service.extensions import db
from service.ingest.batch import Job, store_batch
from service.ingest.reports import Outcome, Pending
from service.ingest.sitecache import get_site
from service.ingest.validation import _TEXT_FIELDS, parse_report
from service.models import Report
from service.sanitize import clean_text
from tests.conftest import ORIGIN, base_config, post_report, report_body


@pytest.fixture
def site(factory):
    return factory.site()


# -- 1. cleaning under threads ----------------------------------------------------------------

def _markup_inputs(n: int) -> list[str]:
    """Inputs that make bleach parse (tags, comments, runs of "<", entities), each with a
    marker of its own, of different lengths so the threads' parses overlap unevenly."""
    out = []
    for i in range(n):
        out.append(
            f"Markets &amp; Economy <b>m{i:04d}</b> {'<' * (i % 40)} "
            f"<i class='x'>x{i}</i> & <!-- c{i} --> {'&lt;' * (i % 7)} "
            f"<a href='https://e.example/{i}'>tail {i}</a>" + " word" * (i % 13))
    return out


def test_clean_text_on_eight_threads_gives_exactly_the_serial_results():
    inputs = _markup_inputs(1200)
    serial = [clean_text(text, multiline=bool(i % 2)) for i, text in enumerate(inputs)]
    start = threading.Barrier(8)

    def work(offset: int) -> list[tuple[int, str]]:
        start.wait()
        return [(i, clean_text(inputs[i], multiline=bool(i % 2)))
                for i in range(offset, len(inputs), 8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for part in pool.map(work, range(8)) for pair in part]
    wrong = [i for i, text in results if text != serial[i]]
    assert len(results) == 1200
    assert wrong == []
    assert serial[7].startswith("Markets & Economy m0007")  # the fixture really has markup


# -- 6. controls are stripped after entities are decoded --------------------------------------

_STORED_TEXT = ["title", "lang", "exact", "prefix", "suffix", "suggestion", "comment"]


@pytest.mark.parametrize("field", _STORED_TEXT)
@pytest.mark.parametrize("encoded", ["&#x202e;", "&#8238;", "&#x2066;", "&#x7;", "&#0;",
                                     "&#x8d;", "&#x1b;"])
def test_entity_encoded_controls_are_stripped_from_every_text_field(field, encoded):
    data = parse_report(report_body("k", **{field: f"ab{encoded}cd"}))
    # HTML decodes &#0; as U+FFFD, the replacement character; the others are controls.
    assert getattr(data, field).strip() == ("ab\ufffdcd" if encoded == "&#0;" else "abcd")


def test_entity_encoded_controls_in_urls_are_stripped_too():
    data = parse_report(report_body("k", url=f"{ORIGIN}/a&#x202e;b"))
    assert "\u202e" not in data.url


# -- 2. lone surrogates ------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["exact", "prefix", "suffix", "comment", "title", "lang",
                                   "site", "suggestion", "url", "canonical", "email", "client"])
def test_a_lone_surrogate_in_any_field_is_400_naming_the_field(client, app, site, field):
    value = {"url": f"{ORIGIN}/news/\ud800", "canonical": f"{ORIGIN}/c/\udfff",
             "email": "a\ud800@b.example"}.get(field, "text \ud800 more")
    body = report_body(site.key, **{field: value})
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as "\ud800"
    assert b"\\ud800" in raw or b"\\udfff" in raw
    resp = post_report(client, site.key, raw=raw)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["fields"] == {
        field: "holds a broken character (half of a UTF-16 surrogate pair)"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_whole_surrogate_pair_is_an_emoji_and_is_kept(client, app, site):
    raw = json.dumps(report_body(site.key, prefix="\U0001f600\U0001f600 ",
                                 exact="\U00020000x")).encode()
    assert b"\\ud83d\\ude00" in raw
    assert post_report(client, site.key, raw=raw).status_code == 201
    with app.app_context():
        row = db.session.scalars(select(Report)).one()
    assert (row.prefix, row.exact) == ("\U0001f600\U0001f600 ", "\U00020000x")


def test_nul_and_controls_are_still_stripped(client, app, site):
    assert post_report(client, site.key, exact="ty\x00po\x07s").status_code == 201
    with app.app_context():
        assert db.session.scalars(select(Report.exact)).one() == "typos"


def test_controls_beside_markup_and_noncharacters_are_stripped_not_turned_into_marks(
        client, app, site):
    """Before, the HTML cleaner turned a control next to markup into "?", and U+FFFE passed
    (it is not allowed in XML: a quote holding it broke the public Atom feed)."""
    assert post_report(client, site.key, exact="ty\x01po <b>s</b>\ufffe\uffff",
                       comment="a\x07 <i>b</i> \U0010ffffc").status_code == 201
    with app.app_context():
        row = db.session.scalars(select(Report)).one()
    assert (row.exact, row.comment) == ("typo s", "a b c")


def _job(app, site, ip_hash: str, **fields) -> Job:
    with app.app_context():
        info = get_site(db.session, site.key)
    data = parse_report(report_body(site.key, **fields))
    return Job(site=info, pending=Pending(site_id=site.id, data=data, origin=ORIGIN,
                                          ip_hash=ip_hash, user_agent="test"))


def test_a_report_that_can_not_be_stored_does_not_fail_the_others_in_its_batch(app, site):
    """A report whose text the database refuses (validation is the first line; this is the
    second) and an exception while grouping: the rest of the batch is stored."""
    import dataclasses

    good = [_job(app, site, f"r{i}", exact=f"good{i}", comment=f"g{i}") for i in range(6)]
    poisoned = _job(app, site, "bad", exact="poison")
    poisoned.pending = dataclasses.replace(
        poisoned.pending, data=dataclasses.replace(poisoned.pending.data, comment="x\ud800"))
    broken = _job(app, site, "broken", exact="broken")
    # A report whose page the grouping can't look up: an exception, not a database error.
    broken.pending = dataclasses.replace(
        broken.pending, data=dataclasses.replace(broken.pending.data, exact=None))
    batch = good[:3] + [poisoned, broken] + good[3:]
    with app.app_context():
        store_batch(batch)
        db.session.remove()
    assert all(isinstance(job.result, Outcome) for job in good)
    assert poisoned.error is not None and broken.error is not None
    with app.app_context():
        stored = sorted(db.session.scalars(select(Report.comment)))
    assert stored == [f"g{i}" for i in range(6)]


def test_poisoned_and_good_reports_sent_at_once_each_get_their_own_answer(client, app, site):
    """Half of 60 concurrent requests carry a lone surrogate: each of those is 400, every good
    one is stored (and no batch they shared failed)."""

    def send(i: int) -> tuple[int, int]:
        poisoned = i % 2 == 1
        fields = {"exact": f"spot{i}", "comment": f"c{i}" + ("\ud800" if poisoned else "")}
        raw = json.dumps(report_body(site.key, **fields)).encode()
        with app.test_client() as c:
            return i, post_report(c, site.key, raw=raw).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = dict(pool.map(send, range(60)))
    assert {i: s for i, s in answers.items() if i % 2 == 0} == {i: 201 for i in range(0, 60, 2)}
    assert {i: s for i, s in answers.items() if i % 2} == {i: 400 for i in range(1, 60, 2)}
    with app.app_context():
        assert sorted(db.session.scalars(select(Report.comment))) == \
            sorted(f"c{i}" for i in range(0, 60, 2))


# -- 4. cheap checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 5000, "1" * 20])
@pytest.mark.parametrize("field", ["start", "end", "elapsed_ms"])
def test_numbers_with_thousands_of_digits_are_400(client, site, field, number):
    raw = json.dumps(report_body(site.key)).encode()
    raw = raw[:-1] + f', "{field}": {number}}}'.encode()
    resp = post_report(client, site.key, raw=raw)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {field: "must be between 0 and 2147483647"}


@pytest.mark.parametrize("field", sorted(_TEXT_FIELDS))
def test_a_field_far_over_its_limit_is_refused_before_cleaning(client, site, field):
    limit = _TEXT_FIELDS[field][0]
    resp = post_report(client, site.key, **{field: "<" * (limit + 1)})
    assert resp.status_code == 400
    assert resp.get_json()["fields"][field] == \
        f"must be at most {limit} characters (got {limit + 1})"


# -- 7. elapsed_ms, the server's side ----------------------------------------------------------

@pytest.mark.parametrize("raw_value", [None, "missing"])
def test_a_missing_or_null_elapsed_ms_is_400(client, app, site, raw_value):
    body = report_body(site.key)
    if raw_value is None:
        body["elapsed_ms"] = None
    else:
        del body["elapsed_ms"]
    resp = post_report(client, site.key, raw=json.dumps(body).encode())
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"elapsed_ms": "is required"}


@pytest.mark.parametrize("value", [801, 5000, -1])
def test_a_minimum_above_what_the_snippet_waits_is_refused_at_start(tmp_path, value):
    with pytest.raises(RuntimeError, match="ERRATA_MIN_ELAPSED_MS"):
        create_app(base_config(f"sqlite:///{tmp_path}/e.db", str(tmp_path),
                               ERRATA_MIN_ELAPSED_MS=value))


def test_the_snippets_minimum_itself_is_accepted(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path}/e.db", str(tmp_path),
                                 ERRATA_MIN_ELAPSED_MS=800))
    assert app.config["ERRATA_MIN_ELAPSED_MS"] == 800


def test_the_server_and_the_snippet_agree_on_the_minimum():
    """The snippet waits MIN_ELAPSED ms before sending; the server may not ask for more."""
    import re
    from pathlib import Path

    from service.config import SNIPPET_MIN_ELAPSED_MS

    source = (Path(__file__).resolve().parent.parent / "snippet" / "errata-dialog.js")
    match = re.search(r"const MIN_ELAPSED = (\d+);", source.read_text())
    assert match, "the snippet's MIN_ELAPSED constant is gone"
    assert int(match.group(1)) == SNIPPET_MIN_ELAPSED_MS
