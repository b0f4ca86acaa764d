"""The Alembic chain builds exactly the schema the models describe (the `alembic check` idea)."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from service.extensions import db
from service.migrate import current_revision, head_revision
from service.models import Base


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_database_is_at_the_head_revision(app):
    assert current_revision(app) == head_revision(app)


def test_upgrade_is_idempotent(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
