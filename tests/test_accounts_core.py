"""The account rules as plain functions (no HTTP): what an admin may change, passwords."""

from __future__ import annotations

import pytest

from service.accounts import sessions
from service.accounts.core import authenticate, change_own_password, create_editor, update_editor
from service.errors import FieldErrors
from service.extensions import db

PASSWORD = "correct horse battery"


@pytest.fixture
def people(ctx, factory):
    site = factory.site()
    admin = create_editor(db.session, "admin@news.example", role="admin", password=PASSWORD)
    editor = create_editor(db.session, "ed@news.example", password=PASSWORD)
    db.session.commit()
    return admin, editor, db.session.merge(site)


def test_admin_changes_someone(people):
    admin, editor, site = people
    update_editor(editor, actor=admin, display_name="  Ed   Itor ", role="editor", active=False,
                  sites=[site], password="a new password")
    db.session.commit()
    assert (editor.display_name, editor.active, [s.id for s in editor.sites]) == (
        "Ed Itor", False, [site.id])
    assert authenticate(db.session, "ed@news.example", "a new password") is None  # inactive
    editor.active = True
    assert authenticate(db.session, "ed@news.example", "a new password") is editor


def test_a_new_password_or_deactivation_ends_the_persons_sessions(people):
    admin, editor, _ = people
    first, second = sessions.start(db.session, editor), sessions.start(db.session, editor)
    update_editor(editor, actor=admin, display_name="", role="editor", active=True, sites=[])
    assert sessions.find(db.session, first) is not None  # nothing that matters changed
    update_editor(editor, actor=admin, display_name="", role="editor", active=True, sites=[],
                  password="a new password")
    assert sessions.find(db.session, first) is None and sessions.find(db.session, second) is None
    third = sessions.start(db.session, editor)
    update_editor(editor, actor=admin, display_name="", role="editor", active=False, sites=[])
    update_editor(editor, actor=admin, display_name="", role="editor", active=True, sites=[])
    assert sessions.find(db.session, third) is None  # reactivation brings none back


def test_changing_my_own_password_keeps_only_this_session(people):
    _, editor, _ = people
    here, elsewhere = sessions.start(db.session, editor), sessions.start(db.session, editor)
    change_own_password(editor, PASSWORD, "a new password", keep_session=here)
    assert sessions.find(db.session, here) is not None
    assert sessions.find(db.session, elsewhere) is None


@pytest.mark.parametrize("changes,field", [
    ({"role": "editor"}, "role"),
    ({"active": False}, "active"),
])
def test_admin_cannot_demote_or_deactivate_themself(people, changes, field):
    admin, _, _ = people
    args = {"display_name": "", "role": "admin", "active": True, "sites": [], **changes}
    with pytest.raises(FieldErrors) as err:
        update_editor(admin, actor=admin, **args)
    assert field in err.value.fields
    assert admin.is_admin and admin.active


def test_another_admin_can_be_demoted(people):
    admin, editor, _ = people
    update_editor(editor, actor=admin, display_name="", role="admin", active=True, sites=[])
    update_editor(admin, actor=editor, display_name="", role="editor", active=True, sites=[])
    assert editor.is_admin and not admin.is_admin


@pytest.mark.parametrize("changes,field", [
    ({"role": "owner"}, "role"),
    ({"password": "short"}, "password"),
])
def test_invalid_changes_change_nothing(people, changes, field):
    admin, editor, site = people
    args = {"display_name": "Renamed", "role": "editor", "active": True, "sites": [site],
            **changes}
    with pytest.raises(FieldErrors) as err:
        update_editor(editor, actor=admin, **args)
    assert field in err.value.fields
    assert editor.display_name == "" and editor.sites == []


def test_change_own_password(people):
    _, editor, _ = people
    with pytest.raises(FieldErrors) as err:
        change_own_password(editor, "wrong", "a new password")
    assert "current" in err.value.fields
    with pytest.raises(FieldErrors):
        change_own_password(editor, PASSWORD, "short")
    change_own_password(editor, PASSWORD, "a new password")
    assert authenticate(db.session, "ed@news.example", "a new password") is editor
