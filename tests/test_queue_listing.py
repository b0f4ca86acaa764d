"""The queue listing as a plain function: filters, sorts and keyset pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from service.extensions import db
from service.models import Correction, Editor, Report, Site, utcnow
from service.queue.listing import (
    FilterError,
    Filters,
    decode_cursor,
    list_corrections,
    open_counts,
    parse_filters,
)


@pytest.fixture
def world(factory):
    a = factory.site("Alpha")
    b = factory.site("Beta", origins=("https://beta.example",))
    admin = factory.editor("admin@news.example", role="admin")
    ed_a = factory.editor("a@news.example", sites=[a])
    return a, b, admin, ed_a


def add(site_id, *, status="new", when=None, count=1, exact="teh", suggestion="the",
        kind="typo", assignee_id=None, url="https://news.example/a", comment=""):
    when = when or utcnow()
    c = Correction(site_id=site_id, url=url, title="A page", exact=exact, prefix="in ",
                   suffix=" end", suggestion=suggestion, kind=kind, status=status,
                   report_count=count, first_reported_at=when, last_reported_at=when,
                   assignee_id=assignee_id)
    db.session.add(c)
    db.session.flush()
    db.session.add(Report(correction_id=c.id, site_id=site_id, url=url, exact=exact,
                          comment=comment, created_at=when))
    return c


def walk(editor, filters, limit):
    """Every page in order; returns the ids seen."""
    seen, after = [], ""
    for _ in range(1000):
        page = list_corrections(db.session, editor, Filters(**{**filters.__dict__,
                                                              "after": after}), limit=limit)
        seen += [c.id for c in page.rows]
        if not page.next_after:
            return seen
        after = page.next_after
    raise AssertionError("pagination did not end")


def pages_forward(editor, filters, limit):
    """Every page from the first, as lists of ids, with each page's cursors."""
    pages, after = [], ""
    for _ in range(1000):
        page = list_corrections(db.session, editor, replace(filters, after=after), limit=limit)
        pages.append(page)
        if not page.next_after:
            return pages
        after = page.next_after
    raise AssertionError("pagination did not end")


def me(email):
    return db.session.query(Editor).filter_by(email=email).one()


@pytest.mark.parametrize("sort", ["last", "most", "oldest"])
@pytest.mark.parametrize("status", ["open", "all", "fixed"])
def test_pages_have_no_gaps_or_duplicates_even_with_tied_keys(ctx, world, sort, status):
    a, b, *_ = world
    base = utcnow() - timedelta(days=1)
    statuses = ["new", "in_progress", "fixed", "spam"]
    made = []
    for i in range(53):
        # Only 5 distinct timestamps and 3 distinct counts: most rows tie on the sort key.
        made.append(add(a.id if i % 3 else b.id, status=statuses[i % 4],
                        when=base + timedelta(minutes=i % 5), count=1 + i % 3))
    db.session.commit()
    admin = me("admin@news.example")
    filters = Filters(status=status, sort=sort)
    for limit in (1, 7, 50, 100):
        seen = walk(admin, filters, limit)
        assert len(seen) == len(set(seen))
        wanted = {"open": {"new", "in_progress"}, "all": set(statuses), "fixed": {"fixed"}}[status]
        assert set(seen) == {c.id for c in made if c.status in wanted}
    # The order is the sort's order, ties broken by id.
    rows = {c.id: c for c in made}
    seen = walk(admin, filters, 7)
    key = {"last": lambda c: (c.last_reported_at, c.id), "most": lambda c: (c.report_count, c.id),
           "oldest": lambda c: (c.first_reported_at, c.id)}[sort]
    expected = sorted((rows[i] for i in seen), key=key, reverse=sort != "oldest")
    assert seen == [c.id for c in expected]


@pytest.mark.parametrize("sort", ["last", "most", "oldest"])
@pytest.mark.parametrize("status", ["open", "all"])
def test_previous_page_gives_back_the_page_before(ctx, world, sort, status):
    a, b, *_ = world
    base = utcnow() - timedelta(days=1)
    for i in range(40):
        add(a.id if i % 3 else b.id, status=["new", "in_progress", "fixed"][i % 3],
            when=base + timedelta(minutes=i % 4), count=1 + i % 2)
    db.session.commit()
    admin = me("admin@news.example")
    filters = Filters(status=status, sort=sort)
    for limit in (1, 6, 13):
        forward = pages_forward(admin, filters, limit)
        assert len(forward) > 1
        assert forward[0].prev_before is None  # the first page has no previous one
        for earlier, page in zip(forward, forward[1:], strict=False):
            back = list_corrections(db.session, admin, replace(filters, before=page.prev_before),
                                    limit=limit)
            assert [c.id for c in back.rows] == [c.id for c in earlier.rows]
            assert (back.prev_before, back.next_after) == (earlier.prev_before,
                                                           earlier.next_after)


def test_previous_page_of_a_page_that_moved_up_is_the_full_first_page(ctx, world):
    """Rows resolved meanwhile: going back from page 2 shows a full first page, not a short
    page that merely ends where page 2 began."""
    a, *_ = world
    base = utcnow() - timedelta(days=1)
    made = [add(a.id, when=base + timedelta(minutes=i)) for i in range(12)]
    db.session.commit()
    admin = me("admin@news.example")
    first, second = pages_forward(admin, Filters(), 5)[:2]
    for c in first.rows[:3]:
        c.status = "fixed"
    db.session.commit()
    back = list_corrections(db.session, admin, Filters(before=second.prev_before), limit=5)
    assert back.prev_before is None
    assert [c.id for c in back.rows] == [c.id for c in reversed(made) if c.status == "new"][:5]


@pytest.mark.parametrize("sort", ["last", "most", "oldest"])
def test_an_emptied_last_page_leads_back_to_the_page_before_it(ctx, world, sort):
    a, *_ = world
    base = utcnow() - timedelta(days=1)
    for i in range(12):
        add(a.id, when=base + timedelta(minutes=i % 3), count=1 + i % 2)
    db.session.commit()
    admin = me("admin@news.example")
    *_, before, last = pages_forward(admin, Filters(sort=sort), 5)
    for c in last.rows:
        c.status = "fixed"
    db.session.commit()
    empty = list_corrections(db.session, admin, last.filters, limit=5)
    assert empty.rows == [] and empty.prev_before
    back = list_corrections(db.session, admin, Filters(sort=sort, before=empty.prev_before),
                            limit=5)
    assert [c.id for c in back.rows] == [c.id for c in before.rows]


def test_default_is_open_newest_activity_first(ctx, world):
    a, *_ = world
    now = utcnow()
    old = add(a.id, when=now - timedelta(hours=2))
    new = add(a.id, status="in_progress", when=now - timedelta(hours=1))
    add(a.id, status="fixed", when=now)
    add(a.id, status="rejected", when=now)
    db.session.commit()
    page = list_corrections(db.session, me("admin@news.example"), parse_filters({}))
    assert [c.id for c in page.rows] == [new.id, old.id]
    assert page.next_after is None


def test_editor_sees_only_their_sites(ctx, world):
    a, b, *_ = world
    mine = add(a.id)
    add(b.id)
    db.session.commit()
    page = list_corrections(db.session, me("a@news.example"), Filters())
    assert [c.id for c in page.rows] == [mine.id]
    # Asking for the other site by number shows nothing rather than leaking it.
    page = list_corrections(db.session, me("a@news.example"), Filters(site=b.id))
    assert page.rows == []


def test_filters_site_kind_mine(ctx, world):
    a, b, admin_, ed = world
    admin = me("admin@news.example")
    fact = add(a.id, kind="fact")
    typo_b = add(b.id)
    assigned = add(b.id, status="in_progress", assignee_id=admin.id)
    db.session.commit()
    ids = lambda **f: [c.id for c in list_corrections(db.session, admin, Filters(**f)).rows]  # noqa: E731
    assert ids(kind="fact") == [fact.id]
    assert set(ids(site=b.id)) == {typo_b.id, assigned.id}
    assert ids(mine=True) == [assigned.id]


@pytest.mark.parametrize("q", ["COLLEGIUMS", "collegia", "wrong plural", "/politics/", "50%"])
def test_search_looks_at_quote_suggestion_comment_and_url(ctx, world, q):
    a, *_ = world
    hit = add(a.id, exact="collegiums", suggestion="collegia", comment="A wrong plural, 50% sure",
              url="https://news.example/politics/2014")
    add(a.id, exact="teh", suggestion="the", comment="typo 50 percent")
    db.session.commit()
    page = list_corrections(db.session, me("admin@news.example"), parse_filters({"q": q}))
    assert [c.id for c in page.rows] == [hit.id]


def test_search_treats_like_wildcards_as_text(ctx, world):
    a, *_ = world
    add(a.id, exact="abc")
    db.session.commit()
    for q in ("%", "_", "a_c"):
        assert list_corrections(db.session, me("admin@news.example"), Filters(q=q)).rows == []


@pytest.mark.parametrize("args, message", [
    ({"status": "done"}, "no status"),
    ({"site": "x"}, "site number"),
    ({"kind": "grammar"}, "no kind"),
    ({"sort": "random"}, "sorted"),
    ({"q": "x" * 201}, "too long"),
    ({"after": "garbage"}, "damaged"),
    ({"after": "99999999999999999999999_1"}, "damaged"),
    ({"site": "2147483648"}, "site number"),
    ({"after": "1_2147483648"}, "damaged"),
    ({"sort": "most", "after": "2147483648_1"}, "damaged"),
    ({"before": "garbage"}, "damaged"),
    ({"after": "1_1", "before": "1_1"}, "damaged"),
])
def test_bad_filters_say_what_is_wrong(args, message):
    with pytest.raises(FilterError, match=message):
        parse_filters(args)


def test_filters_round_trip_through_the_url():
    f = parse_filters({"status": "fixed", "site": "3", "kind": "fact", "mine": "1", "q": "x y",
                       "sort": "most"})
    assert parse_filters(f.query_args()) == f
    back = parse_filters({"sort": "most", "before": "4_17"})
    assert parse_filters(back.query_args()) == back and back.before == "4_17"
    assert Filters().query_args() == {}
    assert decode_cursor("most", "4_17") == (4, 17)


def test_open_counts_per_site(ctx, world):
    a, b, *_ = world
    add(a.id)
    add(a.id, status="in_progress")
    add(a.id, status="fixed")
    db.session.commit()
    counts = {s.name: n for s, n in open_counts(db.session, me("admin@news.example"))}
    assert counts == {"Alpha": 2, "Beta": 0}
    counts = {s.name: n for s, n in open_counts(db.session, me("a@news.example"))}
    assert counts == {"Alpha": 2}
    assert isinstance(db.session.get(Site, a.id), Site)


def test_editor_of_many_sites_pages_through_all_of_them(ctx, factory):
    """Past SITE_BRANCHES sites the listing filters by site inside each status branch."""
    from service.queue.listing import SITE_BRANCHES

    sites = [factory.site(f"S{i}", origins=(f"https://s{i}.example",))
             for i in range(SITE_BRANCHES + 2)]
    factory.editor("many@news.example", sites=sites[:-1])
    base = utcnow() - timedelta(days=1)
    made = [add(sites[i % len(sites)].id, status=("new", "in_progress")[i % 2],
                when=base + timedelta(minutes=i % 4)) for i in range(40)]
    db.session.commit()
    seen = walk(me("many@news.example"), Filters(), 6)
    hidden = sites[-1].id
    assert sorted(seen) == sorted(c.id for c in made if c.site_id != hidden)
    assert len(seen) == len(set(seen))
