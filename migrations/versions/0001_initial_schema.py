"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:33:12.749610
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "editors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notify_mode", sa.String(length=16), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editors")),
        sa.UniqueConstraint("email", name=op.f("uq_editors_email")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("notify_emails", sa.JSON(), nullable=False),
        sa.Column("default_lang", sa.String(length=35), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("limit_reader", sa.String(length=200), nullable=True),
        sa.Column("limit_site", sa.String(length=200), nullable=True),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("key", name=op.f("uq_sites_key")),
    )
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("until", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["editors.id"],
            name=op.f("fk_blocks_created_by_id_editors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_blocks_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
    )
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.create_index("ix_blocks_kind_value", ["kind", "value"], unique=False)

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("exact", sa.String(length=500), nullable=False),
        sa.Column("prefix", sa.String(length=256), nullable=False),
        sa.Column("suffix", sa.String(length=256), nullable=False),
        sa.Column("suggestion", sa.String(length=500), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=35), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("first_reported_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_reported_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("notified_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["editors.id"],
            name=op.f("fk_corrections_assignee_id_editors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["editors.id"],
            name=op.f("fk_corrections_resolved_by_id_editors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_corrections_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_corrections_site_status_last",
            ["site_id", "status", "last_reported_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_corrections_site_url", ["site_id", "url"], unique=False)
        batch_op.create_index(
            "ix_corrections_status_last", ["status", "last_reported_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_corrections_status_count", ["status", "report_count", "id"], unique=False
        )
        batch_op.create_index(
            "ix_corrections_status_first", ["status", "first_reported_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_corrections_assignee_status_last",
            ["assignee_id", "status", "last_reported_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_corrections_notified_site", ["notified_at", "site_id"], unique=False
        )

    op.create_table(
        "counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_counters_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counters")),
        sa.UniqueConstraint("site_id", "name", "day", name=op.f("uq_counters_site_id")),
    )
    op.create_table(
        "mail_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("last_sent_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_correction_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_mail_cursors_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_cursors")),
        sa.UniqueConstraint("recipient", "site_id", "kind", name=op.f("uq_mail_cursors_recipient")),
    )
    op.create_table(
        "site_editors",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["editors.id"],
            name=op.f("fk_site_editors_editor_id_editors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_editors_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "editor_id", name=op.f("pk_site_editors")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["corrections.id"],
            name=op.f("fk_events_correction_id_corrections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["editors.id"],
            name=op.f("fk_events_editor_id_editors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_correction_id"), ["correction_id"], unique=False
        )

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("lang", sa.String(length=35), nullable=False),
        sa.Column("exact", sa.String(length=500), nullable=False),
        sa.Column("prefix", sa.String(length=256), nullable=False),
        sa.Column("suffix", sa.String(length=256), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("suggestion", sa.String(length=500), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("thanked_at", service.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["corrections.id"],
            name=op.f("fk_reports_correction_id_corrections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_reports_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reports_correction_id"), ["correction_id"], unique=False
        )
        batch_op.create_index("ix_reports_site_created", ["site_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_site_created")
        batch_op.drop_index(batch_op.f("ix_reports_correction_id"))

    op.drop_table("reports")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_correction_id"))

    op.drop_table("events")
    op.drop_table("site_editors")
    op.drop_table("mail_cursors")
    op.drop_table("counters")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_notified_site")
        batch_op.drop_index("ix_corrections_assignee_status_last")
        batch_op.drop_index("ix_corrections_status_first")
        batch_op.drop_index("ix_corrections_status_count")
        batch_op.drop_index("ix_corrections_status_last")
        batch_op.drop_index("ix_corrections_site_url")
        batch_op.drop_index("ix_corrections_site_status_last")

    op.drop_table("corrections")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_blocks_kind_value")

    op.drop_table("blocks")
    op.drop_table("sites")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_due")

    op.drop_table("outbox")
    op.drop_table("editors")
