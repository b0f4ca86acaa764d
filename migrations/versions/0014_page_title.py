"""corrections.page_title: the article's title as its own page gives it (page checks), for
the public corrections log

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not Alembic's batch mode: on SQLite that would rebuild ``corrections``
# and drop the search index's triggers with it (migration 0012).


def upgrade() -> None:
    op.add_column("corrections", sa.Column("page_title", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("corrections", "page_title")
