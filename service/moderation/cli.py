"""``errata block``: the blocks in force, and lifting one (the site page shows the same)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.extensions import db
from service.models import Block, Site
from service.moderation import blocks
from service.sites.core import site_by_key


@click.group("block")
def block_group() -> None:
    """Blocked readers: list the blocks in force, lift one."""


def _line(row: Block, keys: dict[int, str]) -> str:
    """One tab-separated line per block, its id first."""
    if row.report is not None:
        who = f"reader of report #{row.report.id} (correction #{row.report.correction_id})"
    else:
        who = f"reader {row.value[:10]}…"
    site = keys.get(row.site_id, "?") if row.site_id is not None else "*"
    by = row.created_by.email if row.created_by else "command line"
    fields = [str(row.id), site, who, f"by {by}",
              f"since {row.created_at:%Y-%m-%d %H:%M} UTC",
              f"until {row.until:%Y-%m-%d %H:%M} UTC", f"{row.stopped} stopped"]
    if row.reason:
        fields.append(row.reason)
    return "\t".join(fields)


@block_group.command("list")
@click.option("--site", "site_key", help="Only this site's blocks (and those on every site).")
@with_appcontext
def block_list(site_key: str | None) -> None:
    """One line per block in force: id, site key (* = every site), who, by whom, since,
    until, reports stopped, reason."""
    site_id = None
    if site_key is not None:
        site = site_by_key(db.session, site_key)
        if site is None:
            raise click.ClickException(f"no site with key {site_key!r} (see `errata site list`)")
        site_id = site.id
    rows = blocks.active_blocks(db.session, site_id)
    if not rows:
        click.echo("No blocks in force.", err=True)
        return
    keys = {site_id: key for site_id, key in db.session.execute(select(Site.id, Site.key))}
    for row in rows:
        click.echo(_line(row, keys))


@block_group.command("lift")
@click.argument("block_id", type=click.IntRange(1, 2**31 - 1), metavar="ID")
@with_appcontext
def block_lift(block_id: int) -> None:
    """End block ID now (the id is the first column of `errata block list`)."""
    row = db.session.get(Block, block_id)
    if row is None or not blocks.lift(db.session, row):
        raise click.ClickException(f"no block #{block_id} in force (see `errata block list`)")
    db.session.commit()
    click.echo(f"Block #{block_id} is lifted: that reader's reports are accepted again.")
