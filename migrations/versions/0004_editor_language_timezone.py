"""editors: language and time zone

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("editors") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("editors") as batch:
        batch.drop_column("timezone")
        batch.drop_column("language")
