"""data: origins and page URLs re-serialised as browsers read them (WHATWG URL Standard)

Site origins take the form browsers send in ``Origin`` (IDN hosts in
Punycode, so reports from such sites stop being refused); reports' page URLs, corrections'
grouping keys and jump links are re-serialised by the same parser. A value no browser would
open is left as it was: it is shown as text, never as a link.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 04:10:00
"""

import json

import sqlalchemy as sa
from alembic import op

from service.ingest.urls import BadURL, browser_url, normalize_origin, normalize_url

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

MAX_URL = 2048
PAGE = 2000

sites = sa.table("sites", sa.column("id", sa.Integer), sa.column("origins", sa.JSON))
reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("url", sa.String))
corrections = sa.table("corrections", sa.column("id", sa.Integer), sa.column("url", sa.String),
                       sa.column("link", sa.Text))


def _origin(value: str) -> str:
    try:
        return normalize_origin(value)
    except BadURL:
        return value


def _url(value: str, convert) -> str:
    try:
        out = convert(value)
    except BadURL:
        return value
    return out if len(out) <= MAX_URL else value


def _link(value: str) -> str:
    if not value:
        return value
    base, sep, fragment = value.partition("#")
    return _url(base, browser_url) + sep + fragment


def _rows(conn, table, *columns):
    """Every row of ``table`` in pages by id, so a large table is never read at once."""
    last = 0
    while True:
        page = conn.execute(sa.select(table.c.id, *columns).where(table.c.id > last)
                            .order_by(table.c.id).limit(PAGE)).all()
        if not page:
            return
        yield from page
        last = page[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    for row in _rows(conn, sites, sites.c.origins):
        origins = row.origins if isinstance(row.origins, list) else json.loads(row.origins or "[]")
        fixed = list(dict.fromkeys(_origin(o) for o in origins))
        if fixed != origins:
            conn.execute(sites.update().where(sites.c.id == row.id).values(origins=fixed))
    for row in _rows(conn, reports, reports.c.url):
        fixed = _url(row.url, browser_url)
        if fixed != row.url:
            conn.execute(reports.update().where(reports.c.id == row.id).values(url=fixed))
    for row in _rows(conn, corrections, corrections.c.url, corrections.c.link):
        url, link = _url(row.url, normalize_url), _link(row.link)
        if (url, link) != (row.url, row.link):
            conn.execute(corrections.update().where(corrections.c.id == row.id)
                         .values(url=url, link=link))


def downgrade() -> None:
    # The browser's form is what the earlier code would have stored for every URL it read
    # the same way; nothing needs the old spelling back.
    pass
