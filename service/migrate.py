"""Alembic, driven from the app: ``errata db upgrade`` and the drift check in the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from service import asset_dir
from service.extensions import db


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", asset_dir("migrations"))
    cfg.attributes["app"] = app
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    with app.app_context():
        command.upgrade(alembic_config(app), revision)


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app: Flask) -> str | None:
    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()
