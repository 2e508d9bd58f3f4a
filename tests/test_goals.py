"""Goals on SQLite and PostgreSQL: storing and checking them, and their progress against hand-worked numbers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from scipy import stats

from cx.analysis.goals import (
    at_risk_goals,
    create_goal,
    delete_goal,
    goal_progress,
    goal_sentence,
    goal_table,
    list_goals,
    update_goal,
)
from cx.config import make_engine
from cx.metrics.tables import metric_table
from cx.periods import Period
from cx.present.charts import progress_chart
from cx.stats.forecasting import goal_forecast, weighted_trend
from cx.store.scope import Scope
from tests.helpers import load, write_csv

approx = pytest.approx
D = dt.date
STORES = ("store_id,name,region,format", "A,Alpha,North,mall", "B,Beta,North,street", "C,Gamma,South,mall")
# Store A NPS, 10 answers a month: January 3 promoters, 5 passives, 2 detractors (NPS 10); February
# 4/4/2 (20); March 5/4/1 (40). January to March: P = 12, passives 13, D = 5, n = 30, NPS 23.33.
NPS_MONTHS = {1: (3, 5, 2), 2: (4, 4, 2), 3: (5, 4, 1)}
# Store C sales, 1-10 January 2026: 1,000 in total, 100 a day, sample variance 2400 / 9 = 266.67.
SALES = (100, 120, 80, 100, 120, 80, 100, 120, 80, 100)
JANUARY, END_OF_APRIL = D(2026, 1, 1), D(2026, 4, 30)


def nps_rows() -> list[str]:
    rows = []
    for month, (promoters, passives, detractors) in NPS_MONTHS.items():
        scores = [10] * promoters + [8] * passives + [3] * detractors
        rows += [f"a{month}-{i},A,2026-{month:02d}-{i + 1:02d},{score}" for i, score in enumerate(scores)]
    return rows + [f"c{day},C,2026-01-0{day},10" for day in (1, 2, 3)]  # store C: 3 promoters of 3


@pytest.fixture
def loaded(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score", *nps_rows()))  # fmt: skip
    surveys = ["v1,B,2026-01-05,Phone,5", "v2,B,2026-01-06,Phone,4", "v3,B,2026-01-07,Phone,2",
               "v4,B,2026-02-03,Phone,5", "v5,B,2026-02-04,Phone,1", "v6,C,2026-01-05,Phone,4"]  # fmt: skip
    load(capsys, database_url, "surveys",
         write_csv(tmp_path / "v.csv", "response_id,store_id,responded_at,touchpoint,csat", *surveys))  # fmt: skip
    reviews = ["r1,A,2026-01-05,5", "r2,A,2026-01-20,4", "r3,A,2026-02-02,2"]
    load(capsys, database_url, "reviews", write_csv(tmp_path / "r.csv", "review_id,store_id,posted_at,rating", *reviews))  # fmt: skip
    sales = [f"C,2026-01-{day:02d},{revenue},10" for day, revenue in enumerate(SALES, start=1)]
    load(capsys, database_url, "sales", write_csv(tmp_path / "x.csv", "store_id,date,revenue,transactions", *sales))  # fmt: skip
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def goal(engine, metric="nps", scope_type="store", scope_value="A", start=JANUARY, end=END_OF_APRIL,
         target=40.0) -> int:  # fmt: skip
    return create_goal(engine, metric=metric, scope_type=scope_type, scope_value=scope_value,
                       period_start=start, period_end=end, target=target)  # fmt: skip


def progress_of(engine, goal_id: int, as_of: dt.date) -> pd.Series:
    progress = goal_progress(engine, as_of=as_of)
    return progress.set_index("id").loc[goal_id]


# --- Storing goals -----------------------------------------------------------------------------------


def test_create_list_update_delete(loaded):
    first = goal(loaded)
    second = goal(loaded, metric="revenue", scope_type="brand", scope_value=None, target=5000)
    goals = list_goals(loaded)
    assert goals["id"].tolist() == [first, second]
    assert goals.loc[0, ["metric", "scope_type", "scope_value", "target"]].tolist() == [
        "nps",
        "store",
        "A",
        40.0,
    ]
    assert goals.loc[0, "period_start"] == D(2026, 1, 1) and goals.loc[0, "period_end"] == D(2026, 4, 30)
    assert goals.loc[1, "scope_value"] is None
    update_goal(loaded, first, version=1, target=45, period_end=D(2026, 6, 30))
    changed = list_goals(loaded).set_index("id").loc[first]
    assert (changed["target"], changed["period_end"], changed["metric"]) == (45.0, D(2026, 6, 30), "nps")
    delete_goal(loaded, first, version=2)
    assert list_goals(loaded)["id"].tolist() == [second]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": "loyalty"}, "Unknown metric 'loyalty': choose one of nps, csat_top2"),
        ({"scope_type": "city"}, "Unknown scope type 'city': choose one of brand, region, store, format"),
        ({"scope_type": "region", "scope_value": None}, "A region goal needs the region it is for"),
        ({"scope_type": "region", "scope_value": "Atlantis"}, "No store has region 'Atlantis'; known values: North, South."),
        ({"scope_type": "format", "scope_value": "kiosk"}, "No store has format 'kiosk'; known values: mall, street."),
        ({"scope_type": "brand", "scope_value": "Other"}, "No store has brand 'Other'; known values: Default brand."),
        ({"end": D(2025, 12, 1)}, "The goal period ends (2025-12-01) before it starts (2026-01-01); swap the dates."),
        ({"target": 101}, "The NPS target must be between -100 and 100; got 101."),
        ({"metric": "csat_top2", "target": -1}, "The CSAT top-2-box (%) target must be between 0 and 100; got -1."),
        ({"metric": "csat_mean", "target": 5.5}, "The CSAT mean (1-5) target must be between 1 and 5; got 5.5."),
        ({"metric": "rating", "target": 0}, "The Review rating (1-5) target must be between 1 and 5; got 0."),
        ({"metric": "revenue", "target": -10}, "The Revenue target must be 0 or more; got -10."),
        ({"target": "forty"}, "The target must be a number, got 'forty'."),
        ({"target": math.nan}, "The target must be a finite number"),
    ],
)  # fmt: skip
def test_bad_goals_are_refused_with_a_sentence(loaded, fields, message):
    with pytest.raises(ValueError) as error:
        goal(loaded, **fields)
    assert message in str(error.value)
    assert list_goals(loaded).empty


def test_bad_changes_are_refused_and_change_nothing(loaded):
    goal_id = goal(loaded)
    with pytest.raises(ValueError, match="The NPS target must be between -100 and 100; got 150"):
        update_goal(loaded, goal_id, version=1, target=150)
    with pytest.raises(ValueError, match="A goal has no field colour; you can change metric"):
        update_goal(loaded, goal_id, version=1, colour="red")
    with pytest.raises(ValueError, match="ends .* before it starts"):
        update_goal(loaded, goal_id, version=1, period_start=D(2026, 5, 1))
    assert list_goals(loaded).loc[0, ["target", "period_start"]].tolist() == [40.0, D(2026, 1, 1)]
    delete_goal(loaded, goal_id, version=1)
    with pytest.raises(ValueError, match=f"There is no goal {goal_id}"):
        delete_goal(loaded, goal_id, version=1)
    with pytest.raises(ValueError, match=f"There is no goal {goal_id}"):
        update_goal(loaded, goal_id, version=1, target=10)


def test_goals_need_stores(sqlite_url):
    engine = make_engine(sqlite_url)
    with pytest.raises(ValueError, match="No stores are loaded yet; import the stores file"):
        goal(engine)
    engine.dispose()


# --- The statistics ----------------------------------------------------------------------------------


def test_weighted_trend_hand_worked():
    # t̄ = 1, ȳ = 33; S = 100 (1 + 0 + 1) = 200; b = 100 (-1 * -3 + 1 * 4) / 200 = 3.5.
    # Residuals 0.5, -1, 0.5: sigma^2 = 100 * 1.5 / (3 - 2) = 150; se(b) = sqrt(150 / 200) = 0.8660.
    trend = weighted_trend([0, 1, 2], [30.0, 32.0, 37.0], [100, 100, 100])
    assert (trend.slope, trend.se, trend.centre, trend.level, trend.k) == (
        3.5,
        approx(0.8660254),
        1.0,
        33.0,
        3,
    )
    # A sampling variance of 400 per response is larger than the residual 150: se = sqrt(400 / 200).
    assert weighted_trend([0, 1, 2], [30.0, 32.0, 37.0], [100] * 3, unit_variance=400).se == approx(
        math.sqrt(2)
    )
    # Unequal weights: the line passes through the weighted means t̄ = 18/8, ȳ = 210/8.
    unequal = weighted_trend([0, 1, 2, 3], [10.0, 20.0, 30.0, 30.0], [1, 1, 1, 5])
    assert (unequal.centre, unequal.level) == (approx(2.25), approx(26.25))


def test_weighted_trend_needs_three_months():
    trend = weighted_trend([0, 1, 1], [10.0, 20.0, 22.0], [5, 5, 5])
    assert math.isnan(trend.slope) and trend.k == 2 and trend.reason == "fewer than 3 months: no trend"
    assert trend.level == approx(52 / 3)
    with pytest.raises(ValueError, match="weights must be finite and not negative"):
        weighted_trend([0, 1, 2], [1.0, 2.0, 3.0], [1, -1, 1])
    with pytest.raises(ValueError, match="1-D of equal length"):
        weighted_trend([0, 1], [1.0, 2.0, 3.0], [1, 1, 1])


def test_goal_forecast_hand_worked():
    # No trend: se = sqrt(1 - 0.75) * 4 = 2; z = (40 - 42) / 2 = -1; Phi(-1) = 0.158655.
    flat = goal_forecast(40.0, 4.0, 42.0, elapsed_share=0.75)
    assert (flat.projected, flat.se, flat.probability) == (40.0, 2.0, approx(0.158655, abs=1e-6))
    assert (flat.low, flat.high) == (approx(40 - 1.959964 * 2), approx(40 + 1.959964 * 2))
    # Trend 2 a month, 4 months ahead, a quarter left: 30 + 0.25 * 2 * 4 = 32;
    # se^2 = 0.25 (2^2 + 0.25 * 4^2 * 1^2) = 2.
    trended = goal_forecast(30.0, 2.0, 32.0, elapsed_share=0.75, slope=2.0, slope_se=1.0, horizon=4.0)
    assert (trended.projected, trended.se, trended.probability) == (32.0, approx(math.sqrt(2)), approx(0.5))
    harder = goal_forecast(
        30.0, 2.0, 32 + math.sqrt(2), elapsed_share=0.75, slope=2.0, slope_se=1.0, horizon=4.0
    )
    assert harder.probability == approx(stats.norm.cdf(-1))
    # The period is over: the value is known.
    assert goal_forecast(30.0, 2.0, 30.0, elapsed_share=1.0).probability == 1.0
    assert goal_forecast(30.0, 2.0, 30.1, elapsed_share=1.0).probability == 0.0
    unknown = goal_forecast(4.0, math.nan, 4.5, elapsed_share=0.5)
    assert math.isnan(unknown.probability) and "no standard error" in unknown.reason
    with pytest.raises(ValueError, match="elapsed_share must lie in"):
        goal_forecast(1.0, 1.0, 1.0, elapsed_share=1.5)


def test_forecast_probability_falls_as_the_target_rises():
    targets = [-100, -20, 0, 10, 20, 25, 30, 40, 60, 100]
    chances = [goal_forecast(23.3, 13.1, t, elapsed_share=0.4, slope=5, slope_se=6, horizon=3).probability
               for t in targets]  # fmt: skip
    assert all(a > b for a, b in zip(chances, chances[1:], strict=False))


# --- Progress -----------------------------------------------------------------------------------------


def test_nps_progress_hand_worked(loaded):
    goal_id = goal(loaded, target=40)
    row = progress_of(loaded, goal_id, D(2026, 3, 31))
    # 90 of 120 days (January to April 2026) have passed.
    assert row["elapsed_share"] == approx(0.75)
    # NPS = 100 (12 - 5) / 30 = 23.33. Adjusted Wald: p' = 12.75/33, d' = 5.75/33, V' = 0.515611,
    # 100 (0.212121 -/+ 1.959964 * 0.125) = -3.2875 .. 45.7117.
    assert (row["current"], row["n"], row["months"]) == (approx(70 / 3), 30, 3)
    assert (row["current_low"], row["current_high"]) == (approx(-3.2875, abs=1e-3), approx(45.7117, abs=1e-3))
    # Monthly NPS 10, 20, 40 with 10 answers each: slope (40 - 10) / 2 = 15 a month. Residual variance
    # 10 (1.667^2 + 3.333^2 + 1.667^2) = 166.7 is below the per-answer variance 10^4 V = 5122.2
    # (V = 0.4 + 1/6 - (7/30)^2 = 0.512222), so se(b)^2 = 5122.2 / 20 = 256.11.
    assert (row["trend"], row["note"]) == (approx(15.0), "")
    # April is month 3, the data's centre month 1: horizon 2. projected = 23.33 + 0.25 * 15 * 2 = 30.83;
    # se^2 = 0.25 (170.74 + 0.25 * 2^2 * 256.11) = 106.713, se = 10.3302.
    assert row["projected"] == approx(30 + 5 / 6)
    assert (row["projected_high"] - row["projected_low"]) / (2 * 1.959964) == approx(10.3302, abs=1e-4)
    # z = (30.833 - 40) / 10.3302 = -0.88737: P = 0.18744.
    assert (row["probability"], row["status"]) == (approx(0.18744, abs=1e-4), "off track")


def test_all_alike_answers_still_leave_doubt(loaded):
    goal_id = goal(loaded, scope_value="C", target=90)
    row = progress_of(loaded, goal_id, D(2026, 1, 31))
    # NPS 100 with raw SE 0. Adjusted Wald: p' = 3.75/6, d' = 0.75/6, V' = 0.5,
    # 100 (0.5 - 1.959964 sqrt(0.5 / 6)) = -6.5793, the top clipped at 100: SE = 106.5793 / 3.919928 = 27.1891.
    # 31 of 120 days: se = sqrt(89/120) * 27.1891 = 23.4153; P = Phi(10 / 23.4153) = 0.66534.
    assert (row["current"], row["current_low"], row["current_high"]) == (
        100.0,
        approx(-6.5793, abs=1e-4),
        100.0,
    )
    assert (row["probability"], row["status"]) == (approx(0.66534, abs=1e-4), "at risk")


def test_progress_current_equals_the_metric_engine(loaded):
    ids = {
        "nps": goal(loaded, scope_type="region", scope_value="North"),
        "csat_top2": goal(loaded, metric="csat_top2", scope_type="store", scope_value="B", target=50),
        "csat_mean": goal(loaded, metric="csat_mean", scope_type="format", scope_value="street", target=4),
        "rating": goal(loaded, metric="rating", scope_type="brand", scope_value="Default brand", target=4),
    }
    progress = goal_progress(loaded, as_of=D(2026, 2, 28)).set_index("id")
    period = Period(D(2026, 1, 1), D(2026, 2, 28))
    scopes = {"nps": Scope(region="North"), "csat_top2": Scope(store="B"), "csat_mean": Scope(format="street"),
              "rating": Scope(brand="Default brand")}  # fmt: skip
    columns = {"nps": ("nps", "nps_low", "nps_high", "nps_n"),
               "csat_top2": ("csat_top2", "csat_top2_low", "csat_top2_high", "csat_n"),
               "csat_mean": ("csat_mean", "csat_mean_low", "csat_mean_high", "csat_n"),
               "rating": ("rating", "rating_low", "rating_high", "reviews_n")}  # fmt: skip
    for metric, goal_id in ids.items():
        expected = metric_table(loaded, scope=scopes[metric], period=period, by=()).iloc[0]
        row = progress.loc[goal_id]
        got = [row[name] for name in ("current", "current_low", "current_high", "n")]
        assert got == approx([float(expected[name]) for name in columns[metric]]), metric
    # Store B CSAT: 5, 4, 2, 5, 1 -> top-2-box 3/5 = 60 %, mean 17/5 = 3.4.
    assert progress.loc[ids["csat_top2"], "current"] == approx(60.0)
    assert progress.loc[ids["csat_mean"], "current"] == approx(3.4)


def test_revenue_progress_hand_worked(loaded):
    on_track = goal(loaded, metric="revenue", scope_value="C", end=D(2026, 1, 31), target=3000)
    off_track = goal(loaded, metric="revenue", scope_value="C", end=D(2026, 1, 31), target=3300)
    reached = goal(loaded, metric="revenue", scope_value="C", end=D(2026, 1, 31), target=900)
    progress = goal_progress(loaded, as_of=D(2026, 1, 10)).set_index("id")
    row = progress.loc[on_track]
    # 1,000 in 10 of 31 days; one month, so no trend: projected 1,000 + 21 * 100 = 3,100.
    assert (row["current"], row["n"], row["elapsed_share"]) == (1000.0, 10, approx(10 / 31))
    assert row["projected"] == approx(3100.0) and row["note"] == "fewer than 3 months: no trend"
    # Daily rate 100 with se^2 = 266.67 / 10; se of the total = 31 sqrt(21/31 * 26.667) = sqrt(17360) = 131.757.
    assert (row["projected_high"] - row["projected"]) / 1.959964 == approx(131.757, abs=1e-3)
    # P = Phi(100 / 131.757) = 0.77607; Phi(-200 / 131.757) = 0.06451.
    assert (row["probability"], row["status"]) == (approx(0.77607, abs=1e-4), "on track")
    assert (progress.loc[off_track, "probability"], progress.loc[off_track, "status"]) == (
        approx(0.06451, abs=1e-4), "off track",
    )  # fmt: skip
    assert (progress.loc[reached, "probability"], progress.loc[reached, "status"]) == (1.0, "met")


def test_probability_falls_as_the_target_rises(loaded):
    targets = [-100, -20, 0, 10, 20, 25, 30, 40, 60, 100]
    ids = [goal(loaded, target=target) for target in targets]
    progress = goal_progress(loaded, as_of=D(2026, 3, 31)).set_index("id")
    chances = progress.loc[ids, "probability"].tolist()
    assert all(a > b for a, b in zip(chances, chances[1:], strict=False))
    # Projected 30.83 with se 10.330: targets 20, 25, 30, 40 give P = 0.853, 0.714, 0.532, 0.187.
    assert progress.loc[ids[4:8], "probability"].tolist() == approx(
        [0.85284, 0.71389, 0.53215, 0.18744], abs=1e-4
    )
    assert progress.loc[ids[4:8], "status"].tolist() == ["on track", "on track", "at risk", "off track"]


def test_statuses_before_during_and_after_the_period(loaded):
    ids = {
        "not started": goal(loaded, start=D(2026, 6, 1), end=D(2026, 6, 30)),
        "no data": goal(loaded, scope_value="B"),
        "met": goal(loaded, end=D(2026, 1, 31), target=10),  # January NPS is exactly 10
        "missed": goal(loaded, end=D(2026, 1, 31), target=11),
        "one answer": goal(loaded, metric="csat_mean", scope_value="C", target=3),
    }
    progress = goal_progress(loaded, as_of=D(2026, 3, 31)).set_index("id")
    status = {name: progress.loc[goal_id, "status"] for name, goal_id in ids.items()}
    assert status == {"not started": "not started", "no data": "no data", "met": "met", "missed": "missed",
                      "one answer": "no data"}  # fmt: skip
    assert progress.loc[ids["not started"], "elapsed_share"] == 0
    assert math.isnan(progress.loc[ids["not started"], "current"])
    assert progress.loc[ids["no data"], "note"] == "no data in the goal period yet"
    assert "no standard error" in progress.loc[ids["one answer"], "note"]
    assert progress.loc[ids["met"], "projected"] == approx(10.0)


def test_progress_of_no_goals_and_the_default_day(loaded):
    assert goal_progress(loaded).empty
    goal_id = goal(loaded)
    # Without as_of the last day with data (the last NPS answer, 10 March 2026) is "now".
    assert progress_of(loaded, goal_id, None)["as_of"] == D(2026, 3, 10)


# --- What the page shows ----------------------------------------------------------------------------


def synthetic_progress() -> pd.DataFrame:
    base = {"metric": "nps", "scope_type": "region", "scope_value": "Gulf", "period_start": D(2026, 1, 1),
            "period_end": D(2026, 12, 31), "as_of": D(2026, 10, 31), "current": 31.2, "current_low": 29.0,
            "current_high": 33.4, "n": 900, "elapsed_share": 0.8, "projected": 33.0, "projected_low": 30.0,
            "projected_high": 36.0, "target": 40.0, "note": ""}  # fmt: skip
    rows = [
        {**base, "id": 1, "label": "#1", "probability": 0.12, "status": "off track"},
        {**base, "id": 2, "label": "#2", "probability": 0.9, "status": "on track"},
        {**base, "id": 3, "label": "#3", "probability": 0.5, "status": "at risk"},
        {**base, "id": 4, "label": "#4", "probability": 0.05, "status": "off track", "period_end": D(2027, 3, 31)},
        {**base, "id": 5, "label": "#5", "metric": "revenue", "scope_type": "brand", "scope_value": None,
         "current": 1234567.4, "projected": 3100000.0, "target": 3000000.0, "probability": 0.78, "status": "on track",
         "current_low": math.nan, "current_high": math.nan},
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_at_risk_goals_worst_first():
    assert at_risk_goals(synthetic_progress())["id"].tolist() == [4, 1, 3]


def test_goal_sentence():
    progress = synthetic_progress().set_index("id")
    assert (
        goal_sentence(progress.loc[1])
        == "NPS in Gulf: 31.2 now, projected 33.0 by 31 Dec, target 40: 12 % chance"
    )
    assert goal_sentence(progress.loc[4]).endswith("by 31 Mar 2027, target 40: 5 % chance")
    assert goal_sentence(progress.loc[5]) == (
        "Revenue in the whole brand: 1,234,567 so far, projected 3,100,000 by 31 Dec, target 3,000,000: 78 % chance"
    )


def test_goal_table_writes_values_in_each_metrics_units():
    table = goal_table(synthetic_progress())
    assert table.loc[0, ["current", "interval", "projected", "target"]].tolist() == ["31.2", "29.0 to 33.4", "33.0", "40"]  # fmt: skip
    assert table.loc[4, ["current", "interval", "target"]].tolist() == ["1,234,567", "–", "3,000,000"]
    assert table.loc[0, "probability"] == 0.12


def test_progress_chart_panels_and_encodings():
    progress = synthetic_progress()
    progress.loc[1, "projected"] = math.nan  # e.g. not started: left out
    spec = progress_chart(progress).to_dict()
    panels = spec["vconcat"]
    assert [panel["title"] for panel in panels] == ["NPS", "Revenue"]
    bars, whiskers, ticks = panels[0]["layer"]
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["x"]["field"] == "projected"
    assert bars["encoding"]["x"]["type"] == "quantitative" and bars["encoding"]["y"]["type"] == "nominal"
    assert (whiskers["encoding"]["x"]["field"], whiskers["encoding"]["x2"]["field"]) == (
        "projected_low",
        "projected_high",
    )
    assert ticks["mark"]["type"] == "tick" and ticks["encoding"]["x"]["field"] == "target"
    formats = {t["field"]: t.get("format") for t in bars["encoding"]["tooltip"]}
    assert formats["projected"] == "+.1f" and formats["probability"] == ".0%"
    revenue_tooltip = {t["field"]: t.get("format") for t in panels[1]["layer"][0]["encoding"]["tooltip"]}
    assert revenue_tooltip["target"] == ",.0f"
    data = spec["datasets"][panels[0]["data"]["name"]]
    assert sorted(row["label"] for row in data) == ["#1", "#3", "#4"]


def test_a_goal_period_that_starts_before_the_data_is_not_comparable(loaded):
    # Store A's answers begin on 1 January 2026; a goal from 1 October 2025 has no data for its first
    # 92 of the 182 days to 31 March (more than 20 %): no projection is made from the half it has.
    early = goal(loaded, start=D(2025, 10, 1), end=D(2026, 6, 30))
    row = progress_of(loaded, early, D(2026, 3, 31))
    assert row["status"] == "no data"
    assert row["note"] == "not comparable: the goal period so far has no data for its first 92 of 182 days"
    in_time = goal(loaded, start=D(2025, 12, 20), end=D(2026, 4, 30))  # 12 of 102 days missing: fine
    assert progress_of(loaded, in_time, D(2026, 3, 31))["status"] != "no data"
