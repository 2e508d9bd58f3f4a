"""Import batches on SQLite and PostgreSQL: the history, undoing a batch (metrics and rollups return
exactly to their values before it; the data version moves on) and the undos that are refused."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import text

from cx.analysis.goals import create_goal
from cx.cli import main
from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.metrics.tables import metric_table
from cx.store.batches import BATCH_KEYS, batch_list, undo_batch
from cx.store.queries import SOURCES, data_version
from cx.store.rollups import ROLLUP_TABLES
from cx.store.scope import Scope
from cx.store.stored import stored_result
from tests.brands import load_brand, small_brand
from tests.helpers import count, load, rows, write_csv

# The scopes and groupings the metrics are recorded in: the whole brand, a region, a store, a touchpoint.
VIEWS = (
    (Scope(), "brand"),
    (Scope(), "region"),
    (Scope(region="Gulf"), "store"),
    (Scope(store="ST001"), "touchpoint"),
    (Scope(touchpoint="In-store service"), "store"),
)


def metrics(engine) -> list[pd.DataFrame]:
    """Every metric of the registry (value, n, interval) in every view, as ``python -m cx metrics``."""
    return [metric_table(engine, scope=scope, by=(by,)) for scope, by in VIEWS]


def rollups(engine) -> dict[str, pd.DataFrame]:
    with engine.connect() as connection:
        tables = {table: pd.read_sql_query(f"SELECT * FROM {table}", connection) for table in ROLLUP_TABLES}
    return {
        table: frame.sort_values(list(frame.columns)).reset_index(drop=True)
        for table, frame in tables.items()
    }


def another_file(kind: str) -> pd.DataFrame:
    """A further file of ``kind`` for the same stores: new answers and reviews over the same months;
    sales half a year later, so half its days are already there and half are new."""
    frame = small_brand(seed=5).frames[kind].copy()
    if kind == "sales":
        frame["date"] = (pd.to_datetime(frame["date"]) + pd.Timedelta(days=183)).dt.strftime("%Y-%m-%d")
    else:
        key = "review_id" if kind == "reviews" else "response_id"
        frame[key] = "extra-" + frame[key]
    return frame


@pytest.mark.parametrize("kind", ["nps", "surveys", "reviews", "sales"])
def test_undo_returns_every_metric_and_rollup_exactly_to_before_the_import(engine, tmp_path, kind):
    load_brand(engine, small_brand(), tmp_path)
    before, kept, version = metrics(engine), rollups(engine), data_version(engine)
    extra = load_frame(engine, kind, another_file(kind), ImportOptions(), name=f"extra-{kind}",
                       reports_dir=tmp_path)  # fmt: skip
    assert extra.rows_loaded > 0
    assert any(not a.equals(b) for a, b in zip(metrics(engine), before, strict=True))
    imported = data_version(engine)

    undone = undo_batch(engine, extra.batch_id)

    assert undone["removed"][SOURCES[kind][0].__tablename__] == extra.rows_loaded
    for got, expected in zip(metrics(engine), before, strict=True):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    after = rollups(engine)
    for table in ROLLUP_TABLES:
        pd.testing.assert_frame_equal(after[table], kept[table], check_exact=True, obj=table)
    assert version < imported < data_version(engine)  # kept answers of either version are not reused
    status = {batch["id"]: batch["status"] for batch in batch_list(engine)}
    assert status[extra.batch_id] == "undone"
    assert list(status.values()).count("undone") == 1


STORES = ("store_id,name,region,format", "S1,One,North,mall", "S2,Two,South,street")
NPS = ("response_id,store_id,responded_at,score", "n1,S1,2026-01-05,9", "n2,S2,2026-01-06,3")


def batches(capsys, url: str) -> list[dict]:
    capsys.readouterr()
    assert main(["batches", "list", "--db", url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["batches"]


def undo(capsys, url: str, batch_id: int) -> tuple[int, str]:
    """``python -m cx batches undo ID``: the exit code and what it printed (stdout, else stderr)."""
    capsys.readouterr()
    code = main(["batches", "undo", str(batch_id), "--db", url])
    out, err = capsys.readouterr()
    return code, out or err


def test_batches_list_prints_every_batch_with_counts_who_and_status(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", *NPS, "n3,S9,2026-01-07,10"))
    listed = batches(capsys, database_url)
    assert [tuple(batch) for batch in listed] == [BATCH_KEYS] * 2
    stores, nps = listed
    assert (stores["kind"], stores["rows_loaded"], stores["status"]) == ("stores", 2, "loaded")
    assert (nps["rows_read"], nps["rows_loaded"], nps["rows_rejected"]) == (3, 2, 1)
    assert nps["file"].endswith("n.csv") and len(nps["sha256"]) == 64 and nps["who"]
    assert dt.datetime.fromisoformat(nps["when"]) <= dt.datetime.now()
    assert undo(capsys, database_url, nps["id"])[0] == 0
    assert batches(capsys, database_url)[1]["status"] == "undone"


def test_undo_is_refused_twice_and_for_a_batch_that_is_not_there(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    _, summary = load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", *NPS))
    assert undo(capsys, database_url, summary["batch_id"]) == (
        0, f"Batch {summary['batch_id']} (nps from {tmp_path / 'n.csv'}) undone: removed 2 nps_response; "
        "0 stores given back their earlier values.\n",
    )  # fmt: skip
    code, message = undo(capsys, database_url, summary["batch_id"])
    assert code == 1 and message.startswith(f"Batch {summary['batch_id']} was already undone on ")
    assert undo(capsys, database_url, 99) == (
        1, "There is no import batch 99; the import history lists the batches.\n"
    )  # fmt: skip
    assert count(database_url, "nps_response") == 0 and count(database_url, "nps_daily") == 0


def test_stores_that_other_batches_or_goals_depend_on_are_not_undone(database_url, tmp_path, capsys):
    _, stores = load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    _, nps = load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", *NPS))
    assert undo(capsys, database_url, stores["batch_id"]) == (
        1, f"Batch {stores['batch_id']} created stores that 2 NPS answers of batch {nps['batch_id']} refer to; "
        "undo those batches first.\n",
    )  # fmt: skip
    assert undo(capsys, database_url, nps["batch_id"])[0] == 0
    _, more = load(
        capsys, database_url, "stores", write_csv(tmp_path / "t.csv", "store_id,name,region", "S3,Three,East")
    )
    engine = make_engine(database_url)
    goal = create_goal(engine, metric="nps", scope_type="region", scope_value="East",
                       period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31), target=30)  # fmt: skip
    engine.dispose()
    assert undo(capsys, database_url, more["batch_id"]) == (
        1, f"Undoing batch {more['batch_id']} would leave goal #{goal} (region East) without stores; change or "
        "delete it first.\n",
    )  # fmt: skip
    assert count(database_url, "store") == 3  # the refusal changed nothing
    assert [batch["status"] for batch in batches(capsys, database_url)] == ["loaded", "undone", "loaded"]
    assert undo(capsys, database_url, stores["batch_id"])[0] == 0
    assert rows(database_url, "SELECT store_id FROM store") == [("S3",)]


def test_undoing_a_stores_update_restores_the_earlier_values(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region,opened_on", "S1,One,North,2020-03-01", "S2,Two,South,2021-04-02"))  # fmt: skip
    _, first = load(capsys, database_url, "stores", write_csv(tmp_path / "t.csv", "store_id,name,region,opened_on", "S1,Uno,South,2020-03-09", "S2,Two,South,2021-04-02"))  # fmt: skip
    _, second = load(
        capsys, database_url, "stores", write_csv(tmp_path / "u.csv", "store_id,name,region", "S1,Eins,South")
    )
    assert (first["rows_updated"], second["rows_updated"]) == (1, 1)
    assert undo(capsys, database_url, first["batch_id"]) == (
        1, f"Batch {second['batch_id']} changed stores of batch {first['batch_id']} again afterwards; undo it "
        "first, newest first.\n",
    )  # fmt: skip
    assert undo(capsys, database_url, second["batch_id"])[0] == 0
    assert rows(database_url, "SELECT name FROM store WHERE store_id = 'S1'") == [("Uno",)]
    assert undo(capsys, database_url, first["batch_id"])[1].endswith(
        "1 store given back their earlier values.\n"
    )
    restored = (
        "SELECT s.name, r.name, s.opened_on FROM store s JOIN region r ON r.id = s.region_id ORDER BY 1"
    )
    assert [(name, region, str(day)) for name, region, day in rows(database_url, restored)] == [
        ("One", "North", "2020-03-01"),
        ("Two", "South", "2021-04-02"),
    ]
    _, third = load(capsys, database_url, "stores", write_csv(tmp_path / "v.csv", "store_id,name,region", "S2,Deux,South"))  # fmt: skip
    engine = make_engine(database_url)
    with engine.begin() as connection:  # as a batch imported before store changes were kept
        connection.execute(text("DELETE FROM store_change"))
    engine.dispose()
    assert undo(capsys, database_url, third["batch_id"]) == (
        1, f"Batch {third['batch_id']} changed existing stores before imports kept their earlier values, so "
        "undo cannot give them back; import a stores file with the earlier values instead.\n",
    )  # fmt: skip


def test_a_failure_during_undo_changes_nothing(database_url, tmp_path, capsys, monkeypatch):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    _, nps = load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", *NPS))

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("cx.store.batches.recompute_rollups", broken)
    engine = make_engine(database_url)
    with pytest.raises(RuntimeError):
        undo_batch(engine, nps["batch_id"])  # after its facts were deleted: all of it is rolled back
    engine.dispose()
    assert (count(database_url, "nps_response"), count(database_url, "nps_daily")) == (2, 2)
    assert batches(capsys, database_url)[1]["status"] == "loaded"


COMPUTED = []  # one entry per computation of ``nps_answers``


@stored_result
def nps_answers(engine) -> int:
    """A kept answer: computed once per data version."""
    COMPUTED.append(engine.url)
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM nps_response")).scalar_one()


def test_an_undo_moves_the_data_version_on_so_kept_answers_are_computed_afresh(
    database_url, tmp_path, capsys
):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", *NPS))
    engine = make_engine(database_url)
    COMPUTED.clear()
    assert (nps_answers(engine), nps_answers(engine), len(COMPUTED)) == (2, 2, 1)
    _, more = load(capsys, database_url, "nps", write_csv(tmp_path / "m.csv", NPS[0], "n3,S1,2026-02-01,7"))
    assert (nps_answers(engine), len(COMPUTED)) == (3, 2)
    versions = [data_version(engine)]
    undo_batch(engine, more["batch_id"])
    versions.append(data_version(engine))
    assert (nps_answers(engine), len(COMPUTED)) == (2, 3)  # not the answer kept before the undo
    _, again = load(capsys, database_url, "nps", write_csv(tmp_path / "o.csv", NPS[0], "n4,S1,2026-02-02,8"))
    versions.append(data_version(engine))
    undo_batch(engine, again["batch_id"])
    versions.append(data_version(engine))
    assert versions == sorted(set(versions))  # every change gives a version never seen before
    assert (nps_answers(engine), len(COMPUTED)) == (2, 4)
    engine.dispose()


def test_a_batch_whose_rows_a_later_file_skipped_as_already_there_is_undone_only_after_it(
    database_url, tmp_path, capsys
):
    """File B repeats n2 of file A, so B skipped it: undoing A alone would take n2 from B as well."""
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    _, first = load(capsys, database_url, "nps", write_csv(tmp_path / "a.csv", *NPS))
    overlap = write_csv(tmp_path / "b.csv", NPS[0], NPS[2], "n3,S1,2026-01-07,10")
    _, second = load(capsys, database_url, "nps", overlap)
    assert second["rows_duplicate"] == 1
    code, message = undo(capsys, database_url, first["batch_id"])
    assert code == 1 and f"Batch {second['batch_id']} skipped rows that were already there" in message
    assert count(database_url, "nps_response") == 3
    assert undo(capsys, database_url, second["batch_id"])[0] == 0
    assert undo(capsys, database_url, first["batch_id"])[0] == 0
    assert count(database_url, "nps_response") == 0
