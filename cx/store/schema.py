"""Schema upgrades: Alembic migrations to the newest revision, then the default touchpoint catalogue."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cx.store.catalogue import ensure_default_touchpoints

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create the schema or bring it to the newest revision, keeping all rows."""
    command.upgrade(alembic_config(engine), "head")
    ensure_default_touchpoints(engine)
