"""channels (webhook, Slack/Mattermost, Telegram) through the outbox; sites.public_log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:50:00
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("last_sent_at", service.models.UTCDateTime(), nullable=True),
        sa.Column("created_at", service.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_channels_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
    )
    op.create_index(op.f("ix_channels_site_id"), "channels", ["site_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("event_id", sa.String(length=64), nullable=True))
        batch.create_foreign_key(op.f("fk_outbox_channel_id_channels"), "channels",
                                 ["channel_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_outbox_channel_status", ["channel_id", "status"], unique=False)
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("public_log", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("public_log")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_channel_status")
        batch.drop_constraint(op.f("fk_outbox_channel_id_channels"), type_="foreignkey")
        batch.drop_column("event_id")
        batch.drop_column("channel_id")
    op.drop_index(op.f("ix_channels_site_id"), table_name="channels")
    op.drop_table("channels")
