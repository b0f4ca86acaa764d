"""server-side editor sessions; blocks name their report and count what they stopped

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:40:00

Origin blocks are gone (origins are managed on the site page); any still stored are
deleted, so none can go on switching a site off.
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "editor_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=False),
        sa.Column("created_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", service.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["editor_id"], ["editors.id"],
                                name=op.f("fk_editor_sessions_editor_id_editors"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_editor_sessions_token_hash")),
    )
    with op.batch_alter_table("editor_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_editor_sessions_editor_id"), ["editor_id"],
                              unique=False)

    op.execute("DELETE FROM blocks WHERE kind = 'origin'")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stopped", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.create_foreign_key(batch_op.f("fk_blocks_report_id_reports"), "reports",
                                    ["report_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.alter_column("stopped", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_blocks_report_id_reports"), type_="foreignkey")
        batch_op.drop_column("stopped")
        batch_op.drop_column("report_id")
    with op.batch_alter_table("editor_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editor_sessions_editor_id"))
    op.drop_table("editor_sessions")
