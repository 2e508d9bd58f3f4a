"""Alembic migrations: they build exactly the models' schema and upgrade without losing rows."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from cx.cli import main
from cx.config import make_engine
from cx.store.schema import alembic_config, current_revision, head_revision, upgrade_schema
from tests.helpers import count, load, write_csv


def test_migrations_match_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, SQLModel.metadata) == []


def test_database_is_at_head(engine):
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_newest_revision_is_read_from_the_migration_files_as_alembic_reads_it(engine):
    assert head_revision() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head_revision()


def test_upgrade_keeps_rows(database_url, tmp_path, capsys):
    load(
        capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "S1,One,North")
    )
    upgrade_schema(make_engine(database_url))
    assert count(database_url, "store") == 1


def test_upgrade_says_from_which_revision_to_which(database_url, capsys):
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0002")
    assert current_revision(engine) == "0002"
    upgrade = upgrade_schema(engine)
    assert (upgrade.before, upgrade.after) == ("0002", head_revision())
    assert str(upgrade) == f"Schema upgraded from 0002 to {head_revision()}"
    engine.dispose()
    capsys.readouterr()
    assert main(["init", "--db", database_url]) == 0
    assert capsys.readouterr().out.startswith(f"Schema is up to date ({head_revision()}) in ")


def test_init_reports_the_upgrade_of_an_older_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0005")
    engine.dispose()
    capsys.readouterr()
    assert main(["init", "--db", url]) == 0
    assert capsys.readouterr().out == f"Schema upgraded from 0005 to {head_revision()} in {url}.\n"
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert str(upgrade_schema(engine)) == f"Schema created at {head_revision()}"
    engine.dispose()
