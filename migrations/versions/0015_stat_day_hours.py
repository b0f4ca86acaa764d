"""stats: hourly counts as one row per site and UTC day (stat_day_hours, 24 hours each),
replacing stat_hours (a row per hour): the Stats page sums 24 times fewer rows

Rows already rolled up are carried over; the per-hour kinds and outcomes of stat_hours were
never read (the page takes them from stat_days) and are not kept.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 07:20:00
"""

from collections import defaultdict
from datetime import UTC

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

HOURS = range(24)
NAMES = [f"{prefix}{hour:02d}" for prefix in "rc" for hour in HOURS]


def upgrade() -> None:
    day_hours = op.create_table(
        "stat_day_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in NAMES],
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_stat_day_hours_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_day_hours")),
        sa.UniqueConstraint("site_id", "day", name=op.f("uq_stat_day_hours_site_id")),
    )
    carry_over(day_hours)
    op.drop_table("stat_hours")


def carry_over(day_hours: sa.Table) -> None:
    """Rows of stat_hours into stat_day_hours: each hour's reports and new corrections in
    its site's row for the UTC day."""
    hours = sa.table("stat_hours", sa.column("site_id", sa.Integer),
                     sa.column("hour", service.models.UTCDateTime()),
                     sa.column("reports", sa.Integer), sa.column("corrections", sa.Integer))
    days: dict[tuple[int, str], dict] = defaultdict(dict)
    for site_id, hour, reports, corrections in op.get_bind().execute(
            sa.select(hours.c.site_id, hours.c.hour, hours.c.reports, hours.c.corrections)):
        hour = hour.astimezone(UTC)
        row = days[(site_id, hour.strftime("%Y-%m-%d"))]
        row[f"r{hour.hour:02d}"] = row.get(f"r{hour.hour:02d}", 0) + reports
        row[f"c{hour.hour:02d}"] = row.get(f"c{hour.hour:02d}", 0) + corrections
    rows = [dict({name: 0 for name in NAMES}, site_id=site_id, day=day, **counts)
            for (site_id, day), counts in days.items()]
    for at in range(0, len(rows), 5000):
        op.bulk_insert(day_hours, rows[at:at + 5000])


def downgrade() -> None:
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
    op.drop_table("stat_day_hours")
    # The hours' kinds and outcomes are gone: the older code rolls everything up again.
    op.execute("DELETE FROM stat_tops")
    op.execute("DELETE FROM stat_days")
    op.execute("DELETE FROM stat_rollups")
