"""``Correction.updated_at`` moves on every change, and the one JSON shape of a correction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from service.api.serialize import FIELDS, correction_json
from service.extensions import db
from service.mail.notify import collect_new
from service.models import Correction, Editor, utcnow
from service.queue import actions
from tests.conftest import post_report


def _long_ago(correction_id: int):
    """Push updated_at into the past, so a change that moves it is visible."""
    past = utcnow() - timedelta(days=3)
    db.session.execute(update(Correction).where(Correction.id == correction_id)
                       .values(updated_at=past))
    db.session.commit()
    db.session.expire_all()
    return past


def test_every_change_moves_updated_at_but_mail_bookkeeping_does_not(app, client, factory):
    site = factory.site()
    factory.editor("e@news.example", sites=[site])
    assert post_report(client, site.key).status_code in (200, 201)
    with app.app_context():
        c = db.session.scalar(select(Correction))
        assert c.updated_at == c.first_reported_at

        past = _long_ago(c.id)
        # Editors are told about it: bookkeeping, not a change of the correction.
        collect_new(db.session, utcnow() + timedelta(hours=1))
        c = db.session.get(Correction, c.id)
        assert c.notified_at is not None and c.updated_at == past

    assert post_report(client, site.key).status_code in (200, 201)  # a second reader joins
    with app.app_context():
        c = db.session.scalar(select(Correction))
        assert c.report_count == 2 and c.updated_at > past

        editor = db.session.scalar(select(Editor))
        steps = [lambda c: actions.assign(db.session, c, editor, editor),
                 lambda c: actions.change_status(db.session, c, editor, "fixed"),
                 lambda c: actions.change_status(db.session, c, editor, "reopen")]
        for step in steps:
            past = _long_ago(c.id)
            c = db.session.get(Correction, c.id)
            assert step(c) is not None
            db.session.commit()
            assert c.updated_at > past

        # A note is history only; the correction itself is unchanged.
        past = _long_ago(c.id)
        c = db.session.get(Correction, c.id)
        actions.add_note(db.session, c, editor, "Asked the desk")
        db.session.commit()
        assert c.updated_at == past


def test_serializer_has_exactly_the_api_fields(app, client, factory):
    site = factory.site()
    assert post_report(client, site.key, suggestion="").status_code in (200, 201)
    with app.app_context():
        data = correction_json(db.session.scalar(select(Correction)))
    assert tuple(data) == FIELDS
    assert data["site"] == site.key and data["status"] == "new"
    assert data["suggestion"] is None  # none given
    assert data["page_state"] is None and data["page_checked_at"] is None  # never checked
    assert data["updated_at"].endswith("Z") and data["report_count"] == 1
    assert data["link"].startswith("https://news.example/politics/2014/article#:~:text=")
