"""The queue's text search (migration 0012's index, service/queue/search.py), on whichever
database the suite runs: any case, «ё» as «е», inside words, in Russian and English; the
index follows every change to a correction's text and its readers' comments. A page finds a
frequent text by checking each row it walks instead of reading the index: both ways find
the same corrections."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, insert, select, update

from service.extensions import db
from service.models import Correction, Editor, Report, utcnow
from service.queue import search
from service.queue.listing import Filters, list_corrections, matching, parse_filters


@pytest.fixture
def site(factory):
    factory.editor("admin@news.example", role="admin")
    return factory.site()


def add(site_id, exact, *, suggestion="", title="", comment="", url="https://news.example/a"):
    now = utcnow()
    c = Correction(site_id=site_id, url=url, title=title, exact=exact, suggestion=suggestion,
                   report_count=1, first_reported_at=now, last_reported_at=now)
    db.session.add(c)
    db.session.flush()
    db.session.add(Report(correction_id=c.id, site_id=site_id, url=url, exact=exact,
                          comment=comment, created_at=now))
    db.session.commit()
    return c.id


def found(q: str) -> set[int]:
    admin = db.session.query(Editor).filter_by(email="admin@news.example").one()
    page = list_corrections(db.session, admin, parse_filters({"q": q, "status": "all"}))
    export = db.session.scalars(matching(db.session, admin, parse_filters(
        {"q": q, "status": "all"}))).unique().all()
    assert {c.id for c in export} == {c.id for c in page.rows}  # the CSV export agrees
    # The check a page makes of each row it walks when the text is frequent agrees too.
    walked = db.session.scalars(select(Correction.id).where(
        search._contains(q, db.session.get_bind().dialect.name))).all()
    assert set(walked) == {c.id for c in page.rows}
    return {c.id for c in page.rows}


@pytest.fixture
def texts(ctx, site):
    return {
        "minister": add(site.id, "The Minister said on Tuesday", suggestion="the minister says",
                        title="Council news"),
        "ещё": add(site.id, "Министр сказал ещё раз", suggestion="Министр сказал еще раз",
                   title="Новости"),
        "ёлка": add(site.id, "ЁЛКА в Кремле", title="Праздник"),
        "collegiums": add(site.id, "collegiums", suggestion="collegia",
                          comment="Латинское множественное: «коллегии»"),
        "plain": add(site.id, "teh", suggestion="the", url="https://news.example/sport/1"),
    }


@pytest.mark.parametrize(("q", "names"), [
    # Any case, English and Russian.
    ("MINISTER SAID", {"minister"}),
    ("minister said", {"minister"}),
    ("МИНИСТР", {"ещё"}),
    ("министр сказал", {"ещё"}),
    # «ё» and «е» are one letter, whichever side has which, in any case.
    ("еще", {"ещё"}),
    ("ещё", {"ещё"}),
    ("ЕЩЁ", {"ещё"}),
    ("елка", {"ёлка"}),
    ("Ёлка", {"ёлка"}),
    # Inside words.
    ("inist", {"minister"}),
    ("ollegi", {"collegiums"}),
    ("инистр", {"ещё"}),
    ("ремл", {"ёлка"}),
    ("ножеств", {"collegiums"}),  # a reader's comment
    ("/sport/", {"plain"}),  # the address
    ("council", {"minister"}),  # the title
    ("says", {"minister"}),  # the suggestion
    # Short searches (below a trigram) still find their letters, in any case.
    ("ЕЩ", {"ещё"}),
    ("ё", {"ещё", "ёлка", "collegiums"}),
    ("eh", {"plain"}),
    # Nothing that is not there.
    ("minister sad", set()),
    ("министры", set()),
])
def test_search_semantics(texts, q, names):
    assert found(q) == {texts[n] for n in names}


@pytest.mark.parametrize("q", ['"', '""', "*", "?", "[", "]", "%", "_", "a_c", "%%%", "\\",
                               'Tuesday"', "NEAR(minister", "minister OR teh", "-teh", "te*"])
def test_search_syntax_is_text(texts, q):
    """Quotes, wildcards and FTS operators are letters to look for, not syntax (and never an
    error); none of them is in these texts except as shown."""
    assert found(q) == set()


def test_the_index_follows_every_change(ctx, site):
    cid = add(site.id, "colour", comment="British spelling")
    assert found("spelling") == {cid}
    other = add(site.id, "flavour")
    # A second reader's comment, on the same correction.
    db.session.add(Report(correction_id=cid, site_id=site.id, url="https://news.example/a",
                          exact="colour", comment="Американское написание", created_at=utcnow()))
    db.session.commit()
    assert found("американское") == {cid}
    # An editor's change to the correction's text.
    db.session.execute(update(Correction).where(Correction.id == cid).values(suggestion="color"))
    db.session.commit()
    assert found("color") == {cid}
    # A purge that empties readers' comments.
    db.session.execute(update(Report).where(Report.correction_id == cid).values(comment=""))
    db.session.commit()
    assert found("spelling") == set() and found("американское") == set()
    assert found("colour") == {cid}
    # A deleted correction is gone from the index.
    db.session.execute(delete(Report).where(Report.correction_id == cid))
    db.session.execute(delete(Correction).where(Correction.id == cid))
    db.session.commit()
    assert found("colour") == set()
    assert found("flavour") == {other}


def test_search_keeps_the_other_filters(texts, ctx):
    admin = db.session.query(Editor).filter_by(email="admin@news.example").one()
    assert list_corrections(db.session, admin, Filters(q="minister", kind="fact")).rows == []
    rows = list_corrections(db.session, admin, Filters(q="minister", status="open")).rows
    assert [c.id for c in rows] == [texts["minister"]]


def test_a_frequent_text_pages_through_every_match_in_order(ctx, site):
    """So many corrections hold «ещё» (in any case, with «е» or «ё») and "MINISTER" that a
    page walks the queue's order checking each row, rather than reading every match from the
    index (3,000 corrections, 1,900 of them matching, is past the index's cap on both
    databases): the pages still hold exactly the matches, newest first, and each next page
    goes on where the last stopped."""
    now = utcnow()
    texts = ["Ещё раз: ministers", "ЕЩЁ РАЗ: MINISTERS", "Minister said", "еще раз"]
    n = 3000
    db.session.execute(insert(Correction), [
        dict(site_id=site.id, url=f"https://news.example/{i}", title="", suggestion="",
             exact=texts[i % 4] if i % 7 else "other words", report_count=1,
             first_reported_at=now - timedelta(minutes=i),
             last_reported_at=now - timedelta(minutes=i)) for i in range(n)])
    db.session.commit()
    ids = {url: cid for url, cid in db.session.execute(select(Correction.url, Correction.id))}
    admin = db.session.query(Editor).filter_by(email="admin@news.example").one()

    def three_pages(q):
        shown, filters = [], parse_filters({"q": q})
        for _ in range(3):
            page = list_corrections(db.session, admin, filters)
            shown += [c.id for c in page.rows]
            filters = parse_filters({"q": q, "after": page.next_after})
        return shown

    for q, which in [("ещё", (0, 1, 3)), ("inist", (0, 1, 2))]:
        assert three_pages(q) == [ids[f"https://news.example/{i}"] for i in range(n)
                                  if i % 7 and i % 4 in which][:150]


def _walks(condition) -> bool:
    """Whether a page's search condition checks each row (the walk) rather than listing the
    ids read from the index (SQLite: json_each of them; PostgreSQL: = ANY of them)."""
    sql = str(condition.compile(dialect=db.session.get_bind().dialect))
    return "json_each" not in sql and "ANY" not in sql


def test_a_page_weighs_the_two_ways_on_its_own_rows(ctx, factory, site):
    """A text in few corrections overall (the index's way for the whole queue) but in more
    than the rows of the one site a page shows: that page walks its own rows instead, and
    finds the same ones."""
    other = factory.site("Other", origins=("https://other.example",))
    now = utcnow()
    db.session.execute(insert(Correction), [
        dict(site_id=other.id, url=f"https://other.example/{i}", title="", suggestion="",
             exact=f"minister {i}", report_count=1, first_reported_at=now,
             last_reported_at=now) for i in range(40)])
    db.session.commit()
    mine = add(site.id, "The minister's car")
    everything = select(Correction.id)
    one_site = select(Correction.id).where(Correction.site_id == site.id)
    assert not _walks(search.page_condition(db.session, "minister", 51, everything))
    assert _walks(search.page_condition(db.session, "minister", 51, one_site))
    admin = db.session.query(Editor).filter_by(email="admin@news.example").one()
    page = list_corrections(db.session, admin, parse_filters({"q": "minister",
                                                              "site": str(site.id)}))
    assert [c.id for c in page.rows] == [mine]


def test_a_page_weighs_the_walk_by_the_rows_it_reads_not_the_rows_it_keeps(ctx, site):
    """A filter checked on each row (looks fixed, a kind) does not shorten the walk: the walk
    still reads every row of its index ranges to check it. Weighed on the rows the filter
    keeps (here one), the page walked all the open rows, twice over (counting, then
    walking): at 1M reports 'looks fixed' + "said" took 4–5 times as long as reading the
    index. The index's way it is, and the page is the same."""
    now = utcnow()
    db.session.execute(insert(Correction), [
        dict(site_id=site.id, url=f"https://news.example/{i}", title="", suggestion="",
             exact=f"minister {i}" if i % 3 else f"mayor {i}", report_count=1,
             first_reported_at=now - timedelta(minutes=i),
             last_reported_at=now - timedelta(minutes=i)) for i in range(60)])
    db.session.commit()
    gone = add(site.id, "The minister's car")
    db.session.execute(update(Correction).where(Correction.id == gone)
                       .values(page_state="gone"))
    db.session.commit()
    admin = db.session.query(Editor).filter_by(email="admin@news.example").one()
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = list_corrections(db.session, admin, parse_filters(
            {"q": "minister", "looks_fixed": "1"}))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [c.id for c in page.rows] == [gone]
    walked = [s for s in statements if re.search(r"correction_search\.\w+ = corrections\.id", s)]
    assert not walked
    assert any("json_each" in s or "ANY" in s for s in statements)  # the ids from the index
