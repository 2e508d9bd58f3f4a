"""Rollups equal a GROUP BY over the raw rows, whatever the batches, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import SQLModel

from cx.config import make_engine
from cx.periods import Period
from cx.store.rollups import NPS_COUNTS, rebuild_rollups
from cx.store.schema import alembic_config, upgrade_schema
from cx.store.scope import Scope
from cx.store.sums import sums
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


def _day(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps).dt.normalize()


TIME_KEYS = {  # a rollup's time key from a raw timestamp: the day, the Monday of its week, the 1st of its month
    "day": lambda stamps: _day(stamps).dt.strftime("%Y-%m-%d"),
    "week": lambda stamps: (_day(stamps) - pd.to_timedelta(_day(stamps).dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d"),
    "month": lambda stamps: _day(stamps).dt.strftime("%Y-%m-01"),
}  # fmt: skip


def raw_rows(engine, brand) -> dict[str, tuple[pd.DataFrame, str, dict[str, str]]]:
    """Each group's raw rows with the columns the rollups sum, its time column, and rollup column ->
    the raw column it sums (summing several rollup columns when joined by "+")."""
    ids = dict(frame(engine, "SELECT name, id FROM touchpoint").to_numpy())
    nps = brand.frames["nps"].assign(
        touchpoint_id=lambda f: f["touchpoint"].replace("", None).map(ids).fillna(0).astype(int),
        one=1, promoter=lambda f: (f["score"] >= 9).astype(int), detractor=lambda f: (f["score"] <= 6).astype(int))  # fmt: skip
    surveys = brand.frames["surveys"].assign(
        touchpoint_id=lambda f: f["touchpoint"].map(ids), one=1, ces=lambda f: pd.to_numeric(f["ces"], errors="coerce"),
        top2=lambda f: (f["csat"] >= 4).astype(int))  # fmt: skip
    surveys = surveys.assign(
        ces_given=surveys["ces"].notna().astype(int), agree=(surveys["ces"] >= 5).astype(int)
    )
    attributes = surveys.melt(["responded_at", "store_id", "touchpoint_id"],
                              [c for c in surveys if c.startswith("attr_")], "attribute", "rating")  # fmt: skip
    attributes = attributes.assign(rating=pd.to_numeric(attributes["rating"], errors="coerce")).dropna(
        subset=["rating"]
    )
    attributes = attributes.assign(attribute=attributes["attribute"].str.removeprefix("attr_"), one=1)
    reviews = brand.frames["reviews"].assign(one=1, low=lambda f: (f["rating"] <= 2).astype(int))
    sales = brand.frames["sales"].assign(one=1)
    return {
        "nps": (nps, "responded_at", {NPS_N: "one", "s9 + s10": "promoter", NPS_DETRACTORS: "detractor"}),
        "survey": (surveys, "responded_at",
                   {"n": "one", "csat_sum": "csat", "top2": "top2", "ces_n": "ces_given", "ces_agree": "agree"}),
        "attribute": (attributes, "responded_at", {"n": "one", "rating_sum": "rating"}),
        "review": (reviews, "posted_at", {"n": "one", "rating_sum": "rating", "low": "low"}),
        "sales": (sales, "date", {"days": "one", "revenue": "revenue", "transactions": "transactions"}),
    }  # fmt: skip


NPS_N = " + ".join(f"s{i}" for i in range(11))
NPS_DETRACTORS = " + ".join(f"s{i}" for i in range(7))
COARSER = {  # table -> (its group, its keys)
    "nps_daily_total": ("nps", ("day", "touchpoint_id")),
    "nps_store_weekly": ("nps", ("store_id", "week")),
    "nps_store_monthly": ("nps", ("store_id", "month")),
    "survey_daily_total": ("survey", ("day", "touchpoint_id")),
    "survey_store_weekly": ("survey", ("store_id", "week")),
    "survey_store_monthly": ("survey", ("store_id", "month")),
    "attribute_daily_total": ("attribute", ("day", "touchpoint_id", "attribute")),
    "review_daily_total": ("review", ("day",)),
    "review_store_weekly": ("review", ("store_id", "week")),
    "sales_daily_total": ("sales", ("day",)),
    "sales_store_weekly": ("sales", ("store_id", "week")),
}


@pytest.mark.parametrize("table", list(COARSER))
def test_coarser_rollups_equal_a_group_by_of_the_raw_rows(loaded, table):
    """Every store's daily totals and the store x week / month tables hold, per key, the same counts
    and sums as the raw rows grouped by that key (weeks from Monday), the batches added up."""
    engine, brand = loaded
    group, keys = COARSER[table]
    rows, moment, sums = raw_rows(engine, brand)[group]
    time_key = next(key for key in keys if key in TIME_KEYS)
    rows = rows.assign(**{time_key: TIME_KEYS[time_key](rows[moment])})
    expected = rows.groupby(list(keys))[list(sums.values())].sum(min_count=1).set_axis(list(sums), axis=1)
    got = frame(engine, f"SELECT {', '.join(keys)}, "
                + ", ".join(f"SUM({column}) AS c{i}" for i, column in enumerate(sums))
                + f" FROM {table} GROUP BY {', '.join(keys)}")  # fmt: skip
    got[time_key] = got[time_key].astype(str).str.slice(0, 10)
    got = got.set_index(list(keys)).set_axis(list(sums), axis=1).astype(float)
    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(got.sort_index(), expected.astype(float).sort_index(), check_names=False)


SUMS_CASES = {  # which rollups answer: every store's totals, store x month/week, store x touchpoint
    "brand by touchpoint": ({}, ("touchpoint",), None),
    "brand by month": ({}, (), "month"),
    "by store and month": ({}, ("store",), "month"),
    "region by week": ({"region": "Gulf"}, (), "week"),
    "by store and touchpoint": ({}, ("store", "touchpoint"), None),
    "by store, touchpoint and month": ({}, ("store", "touchpoint"), "month"),
    "touchpoint by store": ({"touchpoint": "Delivery"}, ("store",), "month"),
}
PERIODS = (
    Period(dt.date(2025, 7, 9), dt.date(2025, 10, 22)),  # Wednesday to Wednesday over whole months
    Period(dt.date(2025, 6, 15), dt.date(2025, 7, 20)),  # no whole month; a week across the month's end
)


@pytest.mark.parametrize("case", list(SUMS_CASES))
def test_sums_of_any_period_equal_the_raw_rows(loaded, case):
    """NPS answers and promoters summed for a period whose edges cut months and weeks equal the raw
    answers of those days, whichever rollups answer the read (buckets: the 1st of the month, Monday)."""
    engine, brand = loaded
    fields, by, grain = SUMS_CASES[case]
    nps, _, _ = raw_rows(engine, brand)["nps"]
    region = brand.frames["stores"].set_index("store_id")["region"]
    nps = nps.assign(store=nps["store_id"], region=nps["store_id"].map(region), day=_day(nps["responded_at"]),
                     touchpoint=nps["touchpoint"].replace("", None))  # fmt: skip
    for key, value in fields.items():
        nps = nps.loc[nps[key] == value]
    keys = [*by, "bucket"] if grain else list(by)
    for period in PERIODS:
        rows = nps.loc[(nps["day"] >= pd.Timestamp(period.start)) & (nps["day"] <= pd.Timestamp(period.end))]
        if grain:
            rows = rows.assign(
                bucket=pd.to_datetime(TIME_KEYS[grain](rows["responded_at"])).astype("datetime64[ns]")
            )
        expected = rows.groupby(keys, dropna=False)[["one", "promoter"]].sum().astype(float) if keys else (
            rows[["one", "promoter"]].sum().astype(float).to_frame().T)  # fmt: skip
        got = sums(engine, "nps", scope=Scope(**fields), period=period, by=by, grain=grain)
        got = got.assign(one=got[list(NPS_COUNTS)].astype(float).sum(axis=1),
                         promoter=got[["s9", "s10"]].astype(float).sum(axis=1))  # fmt: skip
        if grain:  # PostgreSQL hands back dates, SQLite text: compare the days, whatever their resolution
            got = got.assign(bucket=got["bucket"].astype("datetime64[ns]"))
        got = (got.set_index(keys) if keys else got)[["one", "promoter"]]
        got = got.loc[got["one"] > 0]
        assert len(expected) > 1 or not keys
        pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_rebuild_equals_incremental(loaded):
    engine, _ = loaded
    tables = (
        "nps_daily",
        "survey_monthly",
        "attribute_daily",
        "review_monthly",
        "sales_monthly",
        "driver_moments",
        *COARSER,
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
