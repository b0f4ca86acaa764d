"""corrections.applied_fix and events.applied_fix: the text an editor published on "Fixed"

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: a plain ALTER TABLE ADD COLUMN on SQLite and PostgreSQL alike.
    op.add_column("corrections", sa.Column("applied_fix", sa.String(length=500), nullable=True))
    op.add_column("events", sa.Column("applied_fix", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("applied_fix")
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("applied_fix")
