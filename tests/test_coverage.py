"""The coverage rule: a comparison whose earlier window is half empty is "not comparable", on every
surface that compares two periods (summary tiles and movers, root cause, CX and sales, CLI JSON)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from cx.analysis.executive import kpi_tiles, movers
from cx.analysis.explain import explain_change
from cx.analysis.sales import cx_sales_association
from cx.cli import main
from cx.config import make_engine
from cx.metrics.coverage import MAX_GAP_DAYS, Coverage, covered_days, window_coverage
from cx.periods import Period
from cx.store.coverage import reporting_stores
from cx.store.scope import Scope
from tests.apptest import open_page
from tests.helpers import load, write_csv

D = dt.date


def test_covered_days_hand_worked():
    # Data on 1 and 10 January and on 1 March. January 1-10 are covered (a 9-day gap); 11 January to
    # 28 February lie in a 50-day gap (> 31: missing data); 1 March has data; 2-31 March have none
    # after them. 10 + 1 = 11 of the 90 days of the quarter.
    days = [D(2026, 1, 1), D(2026, 1, 10), D(2026, 3, 1)]
    assert covered_days(days, Period(D(2026, 1, 1), D(2026, 3, 31))) == 11
    # a gap of exactly MAX_GAP_DAYS still counts as covered: 1 January to 1 February is 31 days
    assert MAX_GAP_DAYS == 31
    assert covered_days([D(2026, 1, 1), D(2026, 2, 1)], Period(D(2026, 1, 1), D(2026, 2, 1))) == 32
    assert covered_days([], Period(D(2026, 1, 1), D(2026, 1, 31))) == 0


def test_coverage_reasons():
    full = Coverage("nps", 365, 365, 365, 365, 10, 10)
    assert full.comparable and full.reason is None
    half = Coverage("nps", 365, 365, 181, 365, 10, 10)
    assert half.reason == "the comparison period has data for 181 of 365 days"
    # 7 of 10 stores reported before: below 80 %
    assert (
        Coverage("nps", 365, 365, 365, 365, 10, 7).reason
        == "the comparison period has data from 7 of 10 stores"
    )
    assert (
        Coverage("nps", 280, 365, 365, 365, 10, 10).reason
        == "the current period has data for 280 of 365 days"
    )
    assert Coverage("nps", 0, 90, 0, 90, 0, 0).reason == "neither period has any data"
    assert half.as_json()["comparable"] is False and half.as_json()["days_before"] == 181


@pytest.fixture
def late_start(database_url, tmp_path, capsys):
    """Two stores with one NPS answer and one sales day each day from 2025-01-01 to 2026-06-30: the data
    start half-way through the year before the last 12 months."""
    days = pd.date_range("2025-01-01", "2026-06-30", freq="D")
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "S1,One,North",
                                                   "S2,Two,North"))  # fmt: skip
    nps = [
        f"{s}-{d:%Y%m%d},{s},{d:%Y-%m-%d},{(i * 7) % 11}" for s in ("S1", "S2") for i, d in enumerate(days)
    ]
    code, _ = load(
        capsys,
        database_url,
        "nps",
        write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score", *nps),
    )
    assert code == 0
    sales = [f"{s},{d:%Y-%m-%d},{1000 + (i % 50)}" for s in ("S1", "S2") for i, d in enumerate(days)]
    code, _ = load(
        capsys, database_url, "sales", write_csv(tmp_path / "v.csv", "store_id,date,revenue", *sales)
    )
    assert code == 0
    return database_url


LAST_12 = Period(D(2025, 7, 1), D(2026, 6, 30))
LAST_YEAR = Period(D(2024, 7, 1), D(2025, 6, 30))  # data from 2025-01-01: 181 of its 365 days


def test_a_half_empty_comparison_year_is_not_comparable(late_start):
    engine = make_engine(late_start)
    coverage = window_coverage(engine, source="nps", scope=Scope(), now=LAST_12, before=LAST_YEAR)
    assert (coverage.days_now, coverage.of_days_now) == (365, 365)
    assert (coverage.days_before, coverage.of_days_before) == (181, 365)
    assert (coverage.stores_now, coverage.stores_before) == (2, 2)
    assert coverage.reason == "the comparison period has data for 181 of 365 days"
    # the previous 12 months are the same dates here; the previous 90 days are covered
    recent = Period(D(2026, 4, 2), D(2026, 6, 30))
    assert window_coverage(engine, source="sales", scope=Scope(store="S1"), now=recent,
                           before=recent.previous()).comparable  # fmt: skip
    tiles = kpi_tiles(engine, scope=Scope(), period=LAST_12, compare="last_year")
    for tile in tiles:
        if tile["metric"] in ("nps", "revenue"):
            assert tile["coverage"]["comparable"] is False, tile["metric"]
            assert pd.isna(tile["delta"]) and pd.isna(tile["delta_pct"]) and not tile["significant"]
    assert movers(engine, metric="nps", scope=Scope(), period=LAST_12, compare="last_year").empty
    association = cx_sales_association(engine, scope=Scope(), period=LAST_12, compare="last_year")
    assert association["coverage"]["comparable"] is False and association["stores"] == 0
    engine.dispose()


def test_root_cause_says_not_comparable_and_ranks_nothing(late_start, capsys):
    engine = make_engine(late_start)
    result = explain_change(
        engine, metric="nps", scope=Scope(), period=Period(D(2025, 1, 1), D(2025, 12, 31))
    )
    engine.dispose()
    # the window before 2025 has no data at all
    assert result["coverage"]["reason"] == "the comparison period has data for 0 of 365 days"
    assert result["what"]["comparable"] is False and result["where"] == [] and result["themes"] == []
    capsys.readouterr()
    code = main(["explain", "--metric", "revenue", "--db", late_start, "--from", "2025-01-01", "--to",
                 "2025-12-31", "--json"])  # fmt: skip
    assert code == 0
    coverage = json.loads(capsys.readouterr().out)["coverage"]
    assert set(coverage) == {"source", "comparable", "reason", "days_now", "of_days_now", "days_before",
                             "of_days_before", "stores_now", "stores_before", "min_share"}  # fmt: skip
    assert coverage["source"] == "sales" and coverage["comparable"] is False and coverage["days_now"] == 365


def test_summary_shows_not_comparable_instead_of_a_change(late_start, monkeypatch):
    app = open_page(monkeypatch, late_start, "ui/summary.py", period="last_12_months", compare="last_year")
    assert not app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "Not comparable: the comparison period has data for 181 of 365 days." in captions
    assert all(metric.delta in (None, "") for metric in app.metric if metric.label in ("NPS", "Revenue"))
    infos = " ".join(i.value for i in app.info)
    assert (
        "Not comparable: the comparison period has data for 181 of 365 days, so no store's change is shown"
        in infos
    )


def test_stores_reporting_count_the_days_around_whole_weeks(database_url, tmp_path, capsys):
    """2026-03-04 is a Wednesday: the period 2026-03-04 to 2026-03-24 is the days 4-8, the whole weeks
    9-15 and 16-22, then 23-24. S1 answers on the 5th and 6th, S2 only on the 24th, S3 on the 12th and
    19th and S4 on the 25th (outside): three stores report; within the whole weeks alone, one."""
    stores = [f"S{i},Store {i},North" for i in range(1, 5)]
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", *stores))
    answers = [
        "1,S1,2026-03-05,9",
        "2,S2,2026-03-24,3",
        "3,S3,2026-03-12,10",
        "4,S4,2026-03-25,7",
        "5,S1,2026-03-06,8",
        "6,S3,2026-03-19,2",
    ]
    assert load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score",
                                                        *answers))[0] == 0  # fmt: skip
    engine = make_engine(database_url)
    assert reporting_stores(engine, "nps", scope=Scope(), period=Period(D(2026, 3, 4), D(2026, 3, 24))) == 3
    assert reporting_stores(engine, "nps", scope=Scope(), period=Period(D(2026, 3, 9), D(2026, 3, 22))) == 1
    assert (
        reporting_stores(
            engine, "nps", scope=Scope(region="North"), period=Period(D(2026, 3, 1), D(2026, 3, 31))
        )
        == 4
    )
    assert (
        reporting_stores(engine, "nps", scope=Scope(store="S1"), period=Period(D(2026, 3, 5), D(2026, 3, 6)))
        == 1
    )
    engine.dispose()
