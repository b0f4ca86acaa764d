"""outbox.correction_id: the correction a reader's thank-you belongs to, as a column

It was a key ("X-Errata-Correction") in the mail's header JSON; those rows are moved over.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 05:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEY = "X-Errata-Correction"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("correction_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_outbox_correction_id_corrections"), "corrections",
                                 ["correction_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_outbox_correction_status", ["correction_id", "status"],
                           unique=False)
    move_header_keys()


def move_header_keys() -> None:
    """Thank-yous queued before this migration: their correction from the header key."""
    bind = op.get_bind()
    outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("headers", sa.JSON),
                      sa.column("correction_id", sa.Integer))
    corrections = sa.table("corrections", sa.column("id", sa.Integer))
    known = set(bind.execute(sa.select(corrections.c.id)).scalars())
    for row_id, headers in bind.execute(sa.select(outbox.c.id, outbox.c.headers)).all():
        if isinstance(headers, str):
            headers = json.loads(headers)
        if not headers or KEY not in headers:
            continue
        rest = {k: v for k, v in headers.items() if k != KEY}
        value = str(headers[KEY])
        cid = int(value) if value.isdecimal() and value.isascii() and int(value) in known else None
        bind.execute(outbox.update().where(outbox.c.id == row_id)
                     .values(headers=rest, correction_id=cid))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_correction_status")
        batch.drop_constraint(op.f("fk_outbox_correction_id_corrections"), type_="foreignkey")
        batch.drop_column("correction_id")
