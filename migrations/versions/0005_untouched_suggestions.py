"""data: a suggestion identical to its quote (the snippet's untouched pre-fill) is no suggestion

Reports keep an empty suggestion instead; a correction whose suggestion was such a pre-fill
takes the first real suggestion among its reports (or none), as ingest now does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 03:40:00
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("correction_id", sa.Integer),
                   sa.column("exact", sa.String), sa.column("suggestion", sa.String))
corrections = sa.table("corrections", sa.column("id", sa.Integer), sa.column("exact", sa.String),
                       sa.column("suggestion", sa.String),
                       sa.column("updated_at", service.models.UTCDateTime(timezone=True)))


def upgrade() -> None:
    op.execute(reports.update().where(reports.c.suggestion == reports.c.exact)
               .values(suggestion=""))
    first_real = (
        sa.select(reports.c.suggestion)
        .where(reports.c.correction_id == corrections.c.id, reports.c.suggestion != "",
               reports.c.suggestion != corrections.c.exact)
        .order_by(reports.c.id).limit(1).scalar_subquery()
    )
    op.execute(corrections.update().where(corrections.c.suggestion == corrections.c.exact)
               .values(suggestion=sa.func.coalesce(first_real, ""),
                       updated_at=service.models.utcnow()))


def downgrade() -> None:
    # What was a copy of the quote can't be told apart from no suggestion any more, and
    # nothing needs it back.
    pass
