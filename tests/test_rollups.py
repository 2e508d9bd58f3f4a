"""Rollups equal a GROUP BY over the raw rows, whatever the batches, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import SQLModel

from cx.config import make_engine
from cx.store.rollups import rebuild_rollups
from cx.store.schema import alembic_config, upgrade_schema
from tests.brands import load_brand, small_brand


@pytest.fixture
def loaded(engine, tmp_path):
    brand = small_brand()
    load_brand(engine, brand, tmp_path, split=True)
    return engine, brand


def frame(engine, sql: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(text(sql)).mappings().all())


def test_nps_rollups_match_raw_answers(loaded):
    engine, brand = loaded
    nps = brand.frames["nps"].assign(month=lambda f: f["responded_at"].str.slice(0, 7))
    expected = nps.groupby(["store_id", "month", "score"]).size().rename("count")
    monthly = frame(engine, "SELECT * FROM nps_monthly")
    monthly["month"] = monthly["month"].astype(str).str.slice(0, 7)
    long = monthly.melt(
        ["store_id", "month", "touchpoint_id"], [f"s{i}" for i in range(11)], "score", "count"
    )
    long["score"] = long["score"].str.slice(1).astype(int)
    got = long.groupby(["store_id", "month", "score"])["count"].sum()
    assert got[got > 0].sort_index().equals(expected.sort_index().astype(got.dtype))
    daily_total = frame(
        engine, "SELECT SUM(" + " + ".join(f"s{i}" for i in range(11)) + ") AS n FROM nps_daily"
    )
    assert daily_total["n"][0] == len(nps)


def test_survey_and_review_rollups_match_raw_rows(loaded):
    engine, brand = loaded
    surveys = brand.frames["surveys"]
    got = frame(
        engine,
        "SELECT SUM(n) n, SUM(csat_sum) s, SUM(top2) t, SUM(ces_n) cn, SUM(ces_agree) ca FROM survey_monthly",
    )
    ces = pd.to_numeric(surveys["ces"], errors="coerce")
    assert got.iloc[0].tolist() == [len(surveys), surveys["csat"].sum(), (surveys["csat"] >= 4).sum(),
                                    ces.notna().sum(), (ces >= 5).sum()]  # fmt: skip
    counts = frame(
        engine, "SELECT " + ", ".join(f"SUM(e{i}) e{i}" for i in range(1, 8)) + " FROM survey_daily"
    )
    assert counts.iloc[0].tolist() == [(ces.round() == i).sum() for i in range(1, 8)]
    reviews = brand.frames["reviews"]
    got = frame(engine, "SELECT SUM(n) n, SUM(low) low, SUM(r5) r5 FROM review_daily")
    assert got.iloc[0].tolist() == [
        len(reviews),
        (reviews["rating"] <= 2).sum(),
        (reviews["rating"] == 5).sum(),
    ]
    sales = brand.frames["sales"]
    got = frame(engine, "SELECT SUM(days) d, SUM(revenue) r, SUM(transactions) t FROM sales_monthly")
    assert got["d"][0] == len(sales) and got["t"][0] == sales["transactions"].sum()
    assert got["r"][0] == pytest.approx(sales["revenue"].sum())


def test_driver_moments_match_raw_cross_products(loaded):
    engine, brand = loaded
    surveys = brand.frames["surveys"]
    pair = surveys[["csat", "attr_speed"]].apply(pd.to_numeric, errors="coerce").dropna()
    got = frame(
        engine,
        "SELECT SUM(n) n, SUM(sum_ab) ab FROM driver_moments WHERE var_a = 'attr:speed' AND var_b = 'csat'",
    )
    assert got["n"][0] == len(pair)
    assert got["ab"][0] == pytest.approx((pair["csat"] * pair["attr_speed"]).sum())


def test_rebuild_equals_incremental(loaded):
    engine, _ = loaded
    tables = (
        "nps_daily",
        "survey_monthly",
        "attribute_daily",
        "review_monthly",
        "sales_monthly",
        "driver_moments",
    )
    before = {t: frame(engine, f"SELECT * FROM {t}") for t in tables}
    with engine.begin() as connection:
        rebuild_rollups(connection)
    for table in tables:
        after = frame(engine, f"SELECT * FROM {table}")
        keys = [column.name for column in SQLModel.metadata.tables[table].primary_key]
        pd.testing.assert_frame_equal(
            before[table].sort_values(keys).reset_index(drop=True),
            after.sort_values(keys).reset_index(drop=True),
        )


def old_database(tmp_path, revision: str):
    """A SQLite database migrated only to ``revision``, holding one store ``S1``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), revision)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO brand (id, name) VALUES (1, 'B')"))
        connection.execute(text("INSERT INTO region (id, brand_id, name) VALUES (1, 1, 'R')"))
        connection.execute(text("INSERT INTO store (store_id, name, region_id) VALUES ('S1', 'One', 1)"))
    return engine


def test_migration_backfills_rollups_of_existing_rows(tmp_path):
    engine = old_database(tmp_path, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO import_batch (id, kind, file_name, sha256, rows_read, rows_loaded, rows_duplicate, "
                "rows_updated, rows_rejected, imported_at) VALUES (1, 'nps', 'f', 'x', 2, 2, 0, 0, 0, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO nps_response (response_id, store_id, responded_at, date_precision, score, batch_id) "
                "VALUES ('a', 'S1', '2026-01-05 10:00:00.000000', 'day', 10, 1), "
                "('b', 'S1', '2026-01-06 00:00:00.000000', 'day', 3, 1)"
            )
        )
    upgrade_schema(engine)
    got = frame(engine, "SELECT month, s3, s10 FROM nps_monthly")
    assert got.to_dict("records") == [{"month": "2026-01-01", "s3": 1, "s10": 1}]


def test_ces_count_migration_fills_survey_rollups_of_existing_rows(tmp_path, capsys):
    """A database at revision 0003 (survey rollups without CES counts), left by an earlier version, is
    upgraded by the first read command and gets the counts from its raw rows."""
    from cx.cli import main

    engine = old_database(tmp_path, "0003")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO touchpoint (id, name) VALUES (1, 'Checkout')"))
        connection.execute(
            text(
                "INSERT INTO import_batch (id, kind, file_name, sha256, rows_read, rows_loaded, rows_duplicate, "
                "rows_updated, rows_rejected, imported_at) VALUES (1, 'surveys', 'f', 'x', 3, 3, 0, 0, 0, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO survey_response (response_id, store_id, responded_at, date_precision, touchpoint_id, "
                "csat, ces, batch_id) VALUES ('a', 'S1', '2026-01-05 10:00:00.000000', 'day', 1, 5, 7, 1), "
                "('b', 'S1', '2026-01-06 00:00:00.000000', 'day', 1, 2, 2, 1), "
                "('c', 'S1', '2026-01-07 00:00:00.000000', 'day', 1, 4, 6.4, 1)"
            )
        )
    capsys.readouterr()
    assert main(["metrics", "--db", str(engine.url), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ces_low_effort"] == pytest.approx(100 * 2 / 3)  # 7 and 6.4
    got = frame(engine, "SELECT n, ces_n, e2, e6, e7 FROM survey_monthly")
    assert got.to_dict("records") == [{"n": 3, "ces_n": 3, "e2": 1, "e6": 1, "e7": 1}]
