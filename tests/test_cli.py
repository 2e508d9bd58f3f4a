"""The command-line contract: commands, exit codes, JSON on stdout, --db and CX_DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import inspect

from cx.cli import main
from cx.config import make_engine
from tests.helpers import count, load, write_csv

ROOT = Path(__file__).resolve().parents[1]


def test_init_creates_schema_and_is_repeatable(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["init", "--db", url]) == 0
    assert main(["init", "--db", url]) == 0
    tables = set(inspect(make_engine(url)).get_table_names())
    assert {"store", "region", "brand", "nps_response", "survey_response", "survey_attribute", "review",
            "sales", "goal", "touchpoint", "import_batch", "alembic_version"} <= tables  # fmt: skip
    assert count(url, "touchpoint", "WHERE stage = 'advocacy'") >= 1


def test_usage_errors_exit_2(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["load", "nonsense", "f.csv", "--db", url]) == 2
    assert main(["load", "nps", "f.csv", "--db", url, "--as-of", "yesterday"]) == 2
    assert main(["load", "nps", "f.csv", "--db", url, "--rescale", "csat=5-1"]) == 2
    assert "MIN must be below MAX" in capsys.readouterr().err


def test_missing_file_exits_1_with_json(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code, summary = load(capsys, url, "nps", tmp_path / "absent.csv")
    assert code == 1 and "does not exist" in summary["error"] and summary["batch_id"] is None


def test_environment_variable_selects_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    stores = write_csv(tmp_path / "stores.csv", "store_id,name,region", "A,Alpha,East")
    env = {**os.environ, "CX_DATABASE_URL": url, "CX_REPORTS_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "cx", "load", "stores", str(stores), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_loaded"] == 1
    assert count(url, "store") == 1


def test_killed_import_leaves_database_unchanged(database_url, tmp_path, capsys):
    """A process killed after writing its first chunk of facts must leave no trace of the batch."""
    load(
        capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "S1,One,North")
    )
    lines = [f"r{i},S1,2026-01-{1 + i % 28:02d},{i % 11}" for i in range(3000)]
    path = write_csv(tmp_path / "nps.csv", "response_id,store_id,responded_at,score", *lines)
    script = textwrap.dedent(
        f"""
        import os, signal
        import cx.ingest.writer as writer
        writer.CHUNK_ROWS = 1000
        original = writer._insert_facts
        def insert_then_die(*args, **kwargs):
            original(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        writer._insert_facts = insert_then_die
        from cx.cli import main
        main(["load", "nps", {str(path)!r}, "--db", {database_url!r}])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, check=False)
    assert done.returncode == -9
    assert count(database_url, "nps_response") == 0
    assert count(database_url, "import_batch") == 1  # only the stores batch
    code, summary = load(capsys, database_url, "nps", path)
    assert code == 0 and summary["rows_loaded"] == 3000
