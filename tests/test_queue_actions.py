"""Editor actions as plain functions: status changes, assignment, notes, bulk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Correction, Editor, Event, Report, utcnow
from service.queue import actions
from service.queue.actions import ActionError
from service.queue.diff import diff_ops, word_diff


@pytest.fixture
def world(factory):
    a = factory.site("Alpha")
    b = factory.site("Beta", origins=("https://beta.example",))
    factory.editor("admin@news.example", role="admin")
    factory.editor("a@news.example", sites=[a])
    factory.editor("b@news.example", sites=[b])
    return a, b


def ed(email):
    return db.session.scalar(select(Editor).where(Editor.email == email))


def make(site_id, status="new"):
    now = utcnow()
    c = Correction(site_id=site_id, url="https://news.example/a", exact="teh", suggestion="the",
                   status=status, first_reported_at=now, last_reported_at=now)
    db.session.add(c)
    db.session.flush()
    r = Report(correction_id=c.id, site_id=site_id, url=c.url, exact="teh",
               origin="https://news.example", ip_hash="abc123")
    db.session.add(r)
    db.session.commit()
    return c, r


def events(c):
    return [(e.action, e.from_status, e.to_status, e.note)
            for e in db.session.scalars(select(Event).where(Event.correction_id == c.id)
                                        .order_by(Event.id))]


def test_fix_with_note_then_reopen(ctx, world):
    c, _ = make(world[0].id)
    editor = ed("a@news.example")
    actions.change_status(db.session, c, editor, "fixed", "  Corrected in print too ")
    db.session.commit()
    assert c.status == "fixed" and c.resolved_by_id == editor.id and c.resolved_at
    assert c.resolution_note == "Corrected in print too"
    assert actions.change_status(db.session, c, editor, "fixed") is None  # nothing changes
    actions.change_status(db.session, c, editor, "reopen")
    db.session.commit()
    assert c.status == "new" and c.resolved_at is None
    assert events(c) == [("fixed", "new", "fixed", "Corrected in print too"),
                         ("reopen", "fixed", "new", "")]


def test_reopen_of_open_correction_is_a_no_op(ctx, world):
    c, _ = make(world[0].id)
    assert actions.change_status(db.session, c, ed("a@news.example"), "reopen") is None


def test_unknown_action_and_long_note_are_refused(ctx, world):
    c, _ = make(world[0].id)
    with pytest.raises(ActionError, match="not something"):
        actions.change_status(db.session, c, ed("a@news.example"), "delete")
    with pytest.raises(ActionError, match="too long"):
        actions.change_status(db.session, c, ed("a@news.example"), "fixed", "x" * 2001)


def test_assign_moves_new_to_in_progress_and_reopen_keeps_assignee(ctx, world):
    c, _ = make(world[0].id)
    a = ed("a@news.example")
    actions.assign(db.session, c, a, a)
    assert c.status == "in_progress" and c.assignee_id == a.id
    actions.change_status(db.session, c, a, "rejected")
    actions.change_status(db.session, c, a, "reopen")
    assert c.status == "in_progress"
    actions.assign(db.session, c, a, None)
    db.session.commit()
    assert c.assignee_id is None
    assert [e[0] for e in events(c)] == ["assign", "rejected", "reopen", "unassign"]


def test_cannot_assign_to_someone_who_cannot_see_the_site(ctx, world):
    c, _ = make(world[0].id)
    with pytest.raises(ActionError, match="can't see"):
        actions.assign(db.session, c, ed("a@news.example"), ed("b@news.example"))


def test_note_is_an_event_and_must_not_be_empty(ctx, world):
    c, _ = make(world[0].id)
    actions.add_note(db.session, c, ed("a@news.example"), "Checked with the desk")
    with pytest.raises(ActionError, match="Write something"):
        actions.add_note(db.session, c, ed("a@news.example"), "   ")
    db.session.commit()
    assert events(c) == [("note", None, None, "Checked with the desk")]


def test_fixed_records_the_published_text_and_reopen_forgets_it(ctx, world):
    c, _ = make(world[0].id)  # "teh", suggested "the"
    editor = ed("a@news.example")
    event = actions.change_status(db.session, c, editor, "fixed", "Changed in the CMS.",
                                  applied_fix="  the <b>very</b>\n best ")
    db.session.commit()
    assert c.applied_fix == event.applied_fix == "the very best"  # cleaned like reader text
    actions.change_status(db.session, c, editor, "reopen")
    db.session.commit()
    assert c.applied_fix is None
    actions.change_status(db.session, c, editor, "fixed", applied_fix="the")
    db.session.commit()
    fixes = db.session.scalars(select(Event.applied_fix).where(Event.correction_id == c.id)
                               .order_by(Event.id)).all()
    assert c.applied_fix == "the" and fixes == ["the very best", None, "the"]


@pytest.mark.parametrize("text", ["", "   ", "teh", " teh "])
def test_published_text_that_says_nothing_is_stored_as_none(ctx, world, text):
    c, _ = make(world[0].id)
    actions.change_status(db.session, c, ed("a@news.example"), "fixed", applied_fix=text)
    db.session.commit()
    assert c.status == "fixed" and c.applied_fix is None


def test_published_text_is_bounded_and_only_kept_for_fixed(ctx, world):
    c, _ = make(world[0].id)
    editor = ed("a@news.example")
    with pytest.raises(ActionError, match="published text is too long"):
        actions.change_status(db.session, c, editor, "fixed", applied_fix="x" * 501)
    assert c.status == "new"
    actions.change_status(db.session, c, editor, "rejected", applied_fix="the")
    db.session.commit()
    assert c.applied_fix is None


def test_bulk_fixed_records_no_published_text(ctx, world):
    """Nobody said what was published: the reader is told "fixed", not the reader's guess."""
    c, _ = make(world[0].id)
    actions.bulk(db.session, ed("a@news.example"), [c.id], "fixed")
    db.session.commit()
    assert c.status == "fixed" and c.applied_fix is None


def test_bulk_ignores_corrections_of_other_sites(ctx, world):
    a, b = world
    c1, _ = make(a.id)
    c2, _ = make(a.id, status="fixed")
    other, _ = make(b.id)
    n = actions.bulk(db.session, ed("a@news.example"), [c1.id, c2.id, other.id, 999], "spam")
    db.session.commit()
    assert n == 2
    assert (c1.status, c2.status, other.status) == ("spam", "spam", "new")
    assert events(other) == []
    with pytest.raises(ActionError, match="Select at least one"):
        actions.bulk(db.session, ed("a@news.example"), [], "fixed")
    with pytest.raises(ActionError, match="not a bulk action"):
        actions.bulk(db.session, ed("a@news.example"), [c1.id], "reopen")


def test_bulk_assign(ctx, world):
    a, _ = world
    c1, _ = make(a.id)
    c2, _ = make(a.id)
    editor = ed("a@news.example")
    assert actions.bulk(db.session, editor, [c1.id, c2.id], "assign", assignee=editor) == 2
    assert c1.assignee_id == c2.assignee_id == editor.id


@pytest.mark.parametrize("old, new, expected", [
    ("collegiums", "collegia", "<del>collegiums</del><ins>collegia</ins>"),
    ("the quick fox", "the quick brown fox", "the quick <ins>brown </ins>fox"),
    ("a <b>", "a <i>", "a &lt;<del>b</del><ins>i</ins>&gt;"),
    ("same", "same", "same"),
    ("gone", "", "<del>gone</del>"),
])
def test_word_diff(old, new, expected):
    assert str(word_diff(old, new)) == expected


def test_word_diff_escapes_payloads():
    html = str(word_diff("<script>alert(1)</script>", '<img src=x onerror="alert(1)">'))
    assert "<script" not in html and "<img" not in html
    for tag in ("<del>", "</del>", "<ins>", "</ins>"):
        html = html.replace(tag, "")
    assert "<" not in html and ">" not in html and '"' not in html
    assert "".join(t for op, t in diff_ops("a b", "a c") if op != "del") == "a c"
