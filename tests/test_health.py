"""Data health against hand-worked weeks, on SQLite and PostgreSQL.

Weeks start on Monday. In January 2025: week 1 = 6-12 Jan, week 2 = 13-19, week 3 = 20-26,
week 4 = 27 Jan - 2 Feb, week 5 = 3-9 Feb.

- ST1 answers NPS on 8 Jan and 12 Jan 23:30 (both week 1), 13 Jan (week 2) and 9 Feb (week 5):
  4 rows in weeks 1, 2 and 5, so 2 empty weeks in 1 gap of 2 weeks; 4 rows / 5 weeks = 0.8 a week.
- ST2 answers twice on 21 Jan (week 3): no gap; 2 rows / 3 weeks (3 to 5); 2 weeks behind week 5.
- ST3 has no NPS answer. Reviews: ST1 on 7 and 22 Jan (weeks 1 and 3: one gap of 1 week) only.
- Surveys and sales are never loaded.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cx.analysis.health import HEALTH_COLUMNS, data_health, health_findings, weekly_volume
from cx.config import make_engine
from cx.present.charts import volume_heatmap
from tests.helpers import load, write_csv


@pytest.fixture
def loaded(database_url, tmp_path, capsys):
    stores = write_csv(tmp_path / "stores.csv", "store_id,name,region", "ST1,One,North", "ST2,Two,North",
                       "ST3,Three,South")  # fmt: skip
    nps = write_csv(
        tmp_path / "nps.csv", "store_id,responded_at,score",
        "ST1,2025-01-08,9", "ST1,2025-01-12 23:30,7", "ST1,2025-01-13,10", "ST1,2025-02-09,3",
        "ST2,2025-01-21 09:00,8", "ST2,2025-01-21 10:00,6",
    )  # fmt: skip
    reviews = write_csv(tmp_path / "reviews.csv", "store_id,posted_at,rating", "ST1,2025-01-07,4",
                        "ST1,2025-01-22,2")  # fmt: skip
    for kind, path in (("stores", stores), ("nps", nps), ("reviews", reviews)):
        code, summary = load(capsys, database_url, kind, path)
        assert code == 0 and summary["rows_rejected"] == 0, summary
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def health_of(engine, source: str) -> pd.DataFrame:
    return data_health(engine).query("source == @source").set_index("store")


def test_gaps_rates_and_dates_per_store(loaded):
    nps = health_of(loaded, "nps")
    one, two = nps.loc["ST1"], nps.loc["ST2"]
    assert (one["first"], one["last"]) == (pd.Timestamp("2025-01-08"), pd.Timestamp("2025-02-09"))
    assert (one["rows"], one["empty_weeks"], one["gaps"], one["longest_gap"], one["weeks_behind"]) == (
        4,
        2,
        1,
        2,
        0,
    )
    assert one["rows_per_week"] == pytest.approx(4 / 5)
    assert (two["rows"], two["empty_weeks"], two["gaps"], two["longest_gap"], two["weeks_behind"]) == (
        2,
        0,
        0,
        0,
        2,
    )
    assert two["rows_per_week"] == pytest.approx(2 / 3)
    assert not one["no_data"] and not two["no_data"]
    reviews = health_of(loaded, "reviews").loc["ST1"]
    assert (reviews["rows"], reviews["empty_weeks"], reviews["gaps"], reviews["longest_gap"]) == (2, 1, 1, 1)


def test_stores_without_data_and_sources_never_loaded(loaded):
    health = data_health(loaded)
    assert list(health.columns) == list(HEALTH_COLUMNS)
    assert len(health) == 4 * 3  # every source x every store
    three = health_of(loaded, "nps").loc["ST3"]
    assert three["no_data"] and three["rows"] == 0
    assert pd.isna(three["first"]) and pd.isna(three["rows_per_week"]) and pd.isna(three["gaps"])
    assert health.loc[health["source"].isin(["surveys", "sales"]), "no_data"].all()


def test_summary_names_the_stores_and_sources(loaded):
    summary = health_findings(data_health(loaded))
    assert summary["stores"] == 3
    assert summary["never_loaded"] == ["surveys", "sales"]
    assert summary["no_data"]["nps"] == ["ST3"]
    assert summary["no_data"]["reviews"] == ["ST2", "ST3"]
    assert summary["gaps"] == {"nps": ["ST1"], "surveys": [], "reviews": ["ST1"], "sales": []}
    assert summary["sentences"]["nps"] == (
        "NPS: 6 rows from 2025-01-08 to 2025-02-09; 2 of 3 stores have data; 1 store has none: ST3. "
        "1 store has gaps of empty weeks (longest: 2 weeks, ST1)."
    )
    assert summary["sentences"]["surveys"] == "Surveys: never loaded."


def test_weekly_volume_fills_empty_weeks_inside_each_range(loaded):
    volume = weekly_volume(loaded, source="nps")
    weeks = pd.to_datetime(
        ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27", "2025-02-03", "2025-01-20"]
    )
    expected = pd.DataFrame({"store": ["ST1"] * 5 + ["ST2"], "week": weeks, "rows": [2, 1, 0, 0, 1, 2]})
    pd.testing.assert_frame_equal(volume, expected, check_dtype=False)
    assert weekly_volume(loaded, source="sales").empty
    with pytest.raises(ValueError, match="Unknown source 'visits'"):
        weekly_volume(loaded, source="visits")


def test_empty_database(engine):
    health = data_health(engine)
    assert health.empty and list(health.columns) == list(HEALTH_COLUMNS)
    summary = health_findings(health)
    assert summary["stores"] == 0
    assert summary["never_loaded"] == ["nps", "surveys", "reviews", "sales"]


def test_heatmap_marks_empty_weeks(loaded):
    spec = volume_heatmap(weekly_volume(loaded, source="nps"), source="nps").to_dict()
    assert spec["mark"]["type"] == "rect"
    encoding = spec["encoding"]
    assert (encoding["x"]["type"], encoding["y"]["type"]) == ("temporal", "nominal")
    assert encoding["color"]["condition"]["test"] == "(datum.rows === 0)"
    assert [tooltip["field"] for tooltip in encoding["tooltip"]] == ["store", "week", "rows"]
