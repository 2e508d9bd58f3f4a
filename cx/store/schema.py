"""Schema upgrades: Alembic migrations to the newest revision, then the default touchpoint catalogue.

A database already at the newest revision is recognised without importing Alembic (a server start
would pay for it): the revision in ``alembic_version`` is compared with the newest one the migration
files assign.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from cx.store.catalogue import ensure_default_touchpoints
from cx.store.rollups import rebuild_rollups

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@dataclass(frozen=True)
class SchemaUpgrade:
    """The revision a database was at before :func:`upgrade_schema` (None: no schema) and after it."""

    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"Schema is up to date ({self.after})"
        if self.before is None:
            return f"Schema created at {self.after}"
        return f"Schema upgraded from {self.before} to {self.after}"


def upgrade_schema(engine: Engine) -> SchemaUpgrade:
    """Create the schema or bring it to the newest revision, keeping all rows; returns the revisions
    before and after. A migration that adds or changes rollup columns asks for the rollups to be
    rebuilt from the raw rows; that happens once, with the schema at the newest revision, inside one
    transaction."""
    head = head_revision()
    before = after = current_revision(engine)
    if head is None or before != head:
        from alembic import command

        config = alembic_config(engine)
        command.upgrade(config, "head")
        if config.attributes.get("rebuild_rollups"):
            with engine.begin() as connection:
                rebuild_rollups(connection)
        after = current_revision(engine)
    ensure_default_touchpoints(engine)
    return SchemaUpgrade(before, after)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database without migrations."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


@cache
def head_revision() -> str | None:
    """The newest revision of the migration files: the one no other revises. None when there is not
    exactly one, or when a file does not assign its revision a plain string (Alembic then decides)."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        try:
            stated = _assigned(path, ("revision", "down_revision"))
        except ValueError:
            return None
        if not isinstance(stated.get("revision"), str):
            return None
        revisions.add(stated["revision"])
        parents = stated.get("down_revision")
        revised.update(parents if isinstance(parents, tuple) else [parents])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _assigned(path: Path, names: tuple[str, ...]) -> dict:
    """The literal values a Python file assigns to ``names`` at its top level (``ValueError`` for a value
    that is not a literal)."""
    assigned = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id in names:
                    assigned[target.id] = ast.literal_eval(node.value)
    return assigned
