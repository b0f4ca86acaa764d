"""Alembic environment: runs against the engine of the Flask app that invoked it."""

from alembic import context

from service.extensions import db
from service.models import Base
from service.queue.search import is_search_table

config = context.config
app = config.attributes["app"]

with app.app_context():
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            # The search index (0012) is kept by triggers, not described by a model.
            include_name=lambda name, type_, _parent: not (
                type_ == "table" and is_search_table(name)),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
