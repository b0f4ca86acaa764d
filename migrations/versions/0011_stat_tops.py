"""stats: each site's top articles and sections per period (stat_tops); stat_days by kind

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 04:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_tops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=2048), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_stat_tops_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_tops")),
    )
    op.create_index("ix_stat_tops_site_period", "stat_tops", ["site_id", "period", "kind"],
                    unique=False)
    op.create_index("ix_stat_days_bucket_site_day", "stat_days", ["bucket", "site_id", "day"],
                    unique=False)
    # Rolled-up days so far have no per-kind totals: roll everything up again.
    op.execute("DELETE FROM stat_days")
    op.execute("DELETE FROM stat_hours")
    op.execute("DELETE FROM stat_rollups")


def downgrade() -> None:
    op.drop_index("ix_stat_days_bucket_site_day", table_name="stat_days")
    op.drop_index("ix_stat_tops_site_period", table_name="stat_tops")
    op.drop_table("stat_tops")
