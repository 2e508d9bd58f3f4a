"""Schema upgrades: Alembic migrations to the newest revision, then the default touchpoint catalogue."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cx.store.catalogue import ensure_default_touchpoints
from cx.store.rollups import rebuild_rollups

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create the schema or bring it to the newest revision, keeping all rows. A migration that adds
    or changes rollup columns asks for the rollups to be rebuilt from the raw rows; that happens once,
    with the schema at the newest revision, inside one transaction."""
    config = alembic_config(engine)
    command.upgrade(config, "head")
    if config.attributes.get("rebuild_rollups"):
        with engine.begin() as connection:
            rebuild_rollups(connection)
    ensure_default_touchpoints(engine)
