"""Who sees what: an editor sees only the corrections of their sites; an admin sees all."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from service.i18n import _
from service.models import Correction, Editor, Site, site_editors


def visible_site_ids(editor: Editor) -> Select | None:
    """A subquery of the site ids ``editor`` may see, or None when they see every site."""
    if editor.is_admin:
        return None
    return select(site_editors.c.site_id).where(site_editors.c.editor_id == editor.id)


def restrict(stmt: Select, editor: Editor, site_column=Correction.site_id) -> Select:
    """Limit a query over corrections (or anything with a site id) to what ``editor`` sees."""
    ids = visible_site_ids(editor)
    return stmt if ids is None else stmt.where(site_column.in_(ids))


def can_see_site(editor: Editor, site: Site | int) -> bool:
    site_id = site if isinstance(site, int) else site.id
    return editor.is_admin or any(s.id == site_id for s in editor.sites)


def can_see(editor: Editor, correction: Correction) -> bool:
    return can_see_site(editor, correction.site_id)


def admin_required(view):
    """Anonymous visitors go to the login page; editors who are not admins get a 403 page."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, _("Only an admin can open this page."))
        return view(*args, **kwargs)

    return wrapped
