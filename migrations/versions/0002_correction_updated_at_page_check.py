"""corrections: updated_at, last page check

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 03:30:00
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", service.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("page_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("page_checked_at",
                                      service.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("page_reason", sa.String(length=300), nullable=False,
                                      server_default=""))
    # Existing rows last changed when they were last reported or decided, whichever is later.
    op.execute("UPDATE corrections SET updated_at = CASE WHEN resolved_at IS NOT NULL "
               "AND resolved_at > last_reported_at THEN resolved_at "
               "ELSE last_reported_at END")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=service.models.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.alter_column("page_reason", server_default=None)
        batch_op.create_index("ix_corrections_site_updated", ["site_id", "updated_at", "id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_site_updated")
        batch_op.drop_column("page_reason")
        batch_op.drop_column("page_checked_at")
        batch_op.drop_column("page_state")
        batch_op.drop_column("updated_at")
