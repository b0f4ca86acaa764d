"""page checks (validators, auto-close, actors, heartbeats) and API tokens

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import service.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = service.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(sa.Column("page_etag", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("page_last_modified", sa.String(length=64), nullable=True))
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("auto_close", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=120), nullable=False,
                                   server_default=""))
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("beat_at", UTC, nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["editors.id"], ondelete="SET NULL",
                                name=op.f("fk_api_tokens_created_by_id_editors")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE",
                                name=op.f("fk_api_tokens_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.create_index(batch.f("ix_api_tokens_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index(batch.f("ix_api_tokens_site_id"))
    op.drop_table("api_tokens")
    op.drop_table("heartbeats")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("auto_close")
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("page_last_modified")
        batch.drop_column("page_etag")
