"""stats rollup: stat_hours, stat_days, stat_rollups; indexes for reading by time

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:00:00
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("hour", service.models.UTCDateTime(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            "reports", "corrections", "typo", "fact", "other", "fixed", "rejected", "spam")],
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_stat_hours_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_hours")),
        sa.UniqueConstraint("site_id", "hour", name=op.f("uq_stat_hours_site_id")),
    )
    op.create_table(
        "stat_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_stat_days_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_days")),
    )
    op.create_index("ix_stat_days_site_day", "stat_days", ["site_id", "day"], unique=False)
    op.create_table(
        "stat_rollups",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("until", service.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stat_rollups")),
    )
    op.create_index("ix_corrections_site_first", "corrections", ["site_id", "first_reported_at"],
                    unique=False)
    op.create_index("ix_events_created", "events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_created", table_name="events")
    op.drop_index("ix_corrections_site_first", table_name="corrections")
    op.drop_table("stat_rollups")
    op.drop_index("ix_stat_days_site_day", table_name="stat_days")
    op.drop_table("stat_days")
    op.drop_table("stat_hours")
