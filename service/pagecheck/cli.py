"""``errata check``: check article pages now, one line per correction."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.extensions import db
from service.models import OPEN_STATUSES, Correction
from service.pagecheck.core import check_corrections
from service.pagecheck.messages import describe
from service.sites.core import site_by_key


@click.command("check")
@click.option("--site", "site_key", help="Only this site's open corrections (its key).")
@click.option("--correction", "correction_id", type=click.IntRange(1, 2**31 - 1),
              help="Only this correction, whatever its status.")
@with_appcontext
def check(site_key: str | None, correction_id: int | None) -> None:
    """Check article pages now: is each correction's quote still there?

    Prints one line per correction: its id, present / gone / unknown, its page and why.
    Without options, every open correction is checked (each origin at most once a second).
    """
    stmt = select(Correction).options(selectinload(Correction.site),
                                      selectinload(Correction.reports))
    if correction_id is not None:
        stmt = stmt.where(Correction.id == correction_id)
    else:
        stmt = stmt.where(Correction.status.in_(OPEN_STATUSES))
    if site_key:
        site = site_by_key(db.session, site_key)
        if site is None:
            raise click.ClickException(f"there is no site with the key {site_key!r}")
        stmt = stmt.where(Correction.site_id == site.id)
    corrections = list(db.session.scalars(stmt.order_by(Correction.url, Correction.id)))
    if not corrections:
        raise click.ClickException("no correction to check" if correction_id is None
                                   else f"there is no correction #{correction_id}")
    for checked in check_corrections(db.session, corrections):
        db.session.commit()
        c = db.session.get(Correction, checked.correction_id)
        closed = " (closed automatically)" if checked.closed else ""
        click.echo(f"#{checked.correction_id}\t{checked.state}{closed}\t{c.url}\t"
                   f"{describe(checked.reason)}")
