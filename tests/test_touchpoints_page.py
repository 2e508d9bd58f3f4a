"""The Touchpoints page through AppTest, on small hand-made brands whose answers are counted by hand:
store names on the heatmap rows, the heatmap's window and the sentence that states it, "fix first"
only for a driver whose importance is clearly above the others, axis titles of the NPS view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cx.analysis.drivers import clearly_important, importance_performance_quadrants
from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.store.schema import upgrade_schema
from tests.apptest import open_page

TOUCHPOINTS = ("Checkout", "Delivery")


def database(folder: Path, frames: dict[str, pd.DataFrame]) -> str:
    """A new SQLite file in ``folder`` holding ``frames`` (loaded through the importer)."""
    url = f"sqlite:///{folder / 'cx.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    for kind, frame in frames.items():
        options = ImportOptions(constants={"brand": "Hand Made"} if kind == "stores" else {})
        load_frame(engine, kind, frame, options, name=kind, reports_dir=folder)
    engine.dispose()
    return url


def stores(names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"store_id": list(names), "name": list(names.values()), "region": "Gulf"})


def nps_rows(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """``(store, touchpoint, timestamp, score)`` -> an NPS file."""
    frame = pd.DataFrame(rows, columns=["store_id", "touchpoint", "responded_at", "score"])
    return frame.assign(response_id=[f"N{i:05d}" for i in range(len(frame))])


@pytest.fixture(scope="module")
def window_url(tmp_path_factory) -> str:
    """Two stores x two touchpoints. Each cell: 4 NPS answers on 27-30 June 2026 (the last day with
    data is 30 June) and 8 on 10-17 February 2026. Over the default last 90 days (2 April - 30 June)
    every cell has 4 answers; over the 6 months to 30 June (from 1 January) 4 + 8 = 12 >= 10."""
    rows = []
    for store in ("S1", "S2"):
        for touchpoint in TOUCHPOINTS:
            rows += [(store, touchpoint, f"2026-06-{27 + i} 12:00:00", 9) for i in range(4)]
            rows += [(store, touchpoint, f"2026-02-{10 + i} 12:00:00", 6) for i in range(8)]
    frames = {"stores": stores({"S1": "Harbour Front", "S2": "Old Town"}), "nps": nps_rows(rows)}
    return database(tmp_path_factory.mktemp("window"), frames)


def charts(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def heatmap(app) -> dict:
    return next(spec for spec in charts(app) if spec.get("mark", {}).get("type") == "rect")


def test_heatmap_rows_name_the_stores(monkeypatch, window_url):
    app = open_page(monkeypatch, window_url, "ui/touchpoints.py")
    assert not app.exception, [e.value for e in app.exception]
    assert heatmap(app)["encoding"]["y"]["sort"] == ["S1 · Harbour Front", "S2 · Old Town"]


def test_heatmap_window_widens_until_most_cells_can_be_read(monkeypatch, window_url):
    app = open_page(monkeypatch, window_url, "ui/touchpoints.py")
    captions = [caption.value for caption in app.caption]
    assert (
        "Heatmap over the 6 months to 2026-06-30 so that most cells have at least 10 answers: "
        "4 of 4 cells (100 %)." in captions
    )
    app.toggle(key="touch_widen").set_value(False).run()
    captions = [caption.value for caption in app.caption]
    assert (
        "Heatmap over the selected period (2026-04-02 to 2026-06-30): only 0 of 4 cells (0 %) have at "
        "least 10 answers." in captions
    )


def driver_frames(seed: int, *, separated: bool) -> dict[str, pd.DataFrame]:
    """12 stores, April-June 2026. Each store-month has a Checkout CSAT level in 1.5-3.5 and a Delivery
    level in 3.0-4.5 (10 surveys each, rating = level + noise) and 20 NPS answers. ``separated``: the
    NPS scores follow the Checkout level (score = 2.5 level - 1 + noise); otherwise they are drawn
    independently of both touchpoints (uniform 0-10)."""
    rng = np.random.default_rng(seed)
    names = {f"D{i:02d}": f"Store {i}" for i in range(1, 13)}
    surveys, nps = [], []
    for store in names:
        for month in (4, 5, 6):
            levels = {"Checkout": rng.uniform(1.5, 3.5), "Delivery": rng.uniform(3.0, 4.5)}
            for touchpoint, level in levels.items():
                ratings = np.clip(np.round(level + rng.normal(0, 0.5, 10)), 1, 5).astype(int)
                surveys += [
                    (store, f"2026-{month:02d}-{5 + i:02d} 10:00:00", touchpoint, r)
                    for i, r in enumerate(ratings)
                ]
            if separated:
                scores = np.round(2.5 * levels["Checkout"] - 1 + rng.normal(0, 1, 20))
            else:
                scores = rng.integers(0, 11, 20)
            scores = np.clip(scores, 0, 10).astype(int)
            nps += [
                (store, TOUCHPOINTS[i % 2], f"2026-{month:02d}-{5 + i:02d} 11:00:00", s)
                for i, s in enumerate(scores)
            ]
    survey = pd.DataFrame(surveys, columns=["store_id", "responded_at", "touchpoint", "csat"])
    survey = survey.assign(response_id=[f"S{i:05d}" for i in range(len(survey))])
    return {"stores": stores(names), "nps": nps_rows(nps), "surveys": survey}


@pytest.fixture(scope="module")
def separated_url(tmp_path_factory) -> str:
    return database(tmp_path_factory.mktemp("separated"), driver_frames(1, separated=True))


@pytest.fixture(scope="module")
def overlapping_url(tmp_path_factory) -> str:
    return database(tmp_path_factory.mktemp("overlapping"), driver_frames(2, separated=False))


def drivers(app) -> pd.DataFrame:
    """The data of the drivers chart (the layer chart with whiskers from ``weight_low``)."""
    chart = next(c for c in app.get("vega_lite_chart") if "weight_low" in c.proto.spec)
    data = chart.proto.datasets[0].data.data
    return pa.ipc.open_stream(data).read_all().to_pandas()


def test_fix_first_for_a_clearly_separated_driver(monkeypatch, separated_url):
    app = open_page(monkeypatch, separated_url, "ui/touchpoints.py")
    assert not app.exception, [e.value for e in app.exception]
    table = drivers(app).set_index("driver")
    assert table.loc["Checkout", "weight_low"] > table.loc["Delivery", "weight_high"]  # the planted driver
    assert table.loc["Checkout", "quadrant"] == "Fix first"
    assert table.loc["Delivery", "quadrant"] == "Lower priority"
    assert not any("stands clearly above" in caption.value for caption in app.caption)


def test_no_fix_first_when_the_intervals_overlap(monkeypatch, overlapping_url):
    app = open_page(monkeypatch, overlapping_url, "ui/touchpoints.py")
    assert not app.exception, [e.value for e in app.exception]
    table = drivers(app).set_index("driver")
    assert table.loc["Checkout", "weight_low"] <= table.loc["Delivery", "weight_high"]
    assert table.loc["Delivery", "weight_low"] <= table.loc["Checkout", "weight_high"]
    assert set(table["quadrant"]) == {"Watch", "Lower priority"}
    assert any(
        caption.value.startswith("No driver's importance stands clearly above") for caption in app.caption
    )


def test_nps_view_axes_say_what_is_measured(monkeypatch, separated_url):
    app = open_page(monkeypatch, separated_url, "ui/touchpoints.py")
    chart = next(spec for spec in charts(app) if "weight_low" in json.dumps(spec))
    titles = {layer["encoding"][axis].get("title") for layer in chart["layer"] for axis in ("x", "y")
              if axis in layer.get("encoding", {})}  # fmt: skip
    assert {"Touchpoint rating: CSAT mean (1-5)", "Importance: share of NPS variance"} <= titles
    assert "Performance (mean rating)" not in titles


# --- the rule, on hand-worked intervals -------------------------------------------------------


def test_clearly_important_needs_the_whole_interval_above_the_median_of_the_others():
    low = pd.Series([0.30, 0.05, 0.10, 0.00])
    high = pd.Series([0.50, 0.20, 0.25, 0.15])
    # A: 0.30 > median(0.20, 0.25, 0.15) = 0.20; B: 0.05 < median(0.50, 0.25, 0.15) = 0.25; C: 0.10 <
    # median(0.50, 0.20, 0.15) = 0.20; D: 0.00 < 0.25
    assert clearly_important(low, high).tolist() == [True, False, False, False]


def test_overlapping_intervals_mark_no_driver():
    # every interval overlaps every other: 0.1-0.3, 0.2-0.4, 0.25-0.35
    assert not clearly_important(pd.Series([0.1, 0.2, 0.25]), pd.Series([0.3, 0.4, 0.35])).any()


def test_two_drivers_need_intervals_that_do_not_touch():
    assert clearly_important(pd.Series([0.5, 0.1]), pd.Series([0.6, 0.4])).tolist() == [True, False]
    assert clearly_important(pd.Series([0.4, 0.1]), pd.Series([0.6, 0.4])).tolist() == [False, False]


def test_quadrants_split_at_clear_importance_and_mean_performance():
    weight = pd.Series([0.4, 0.45, 0.05, 0.02, np.nan])
    low = pd.Series([0.3, 0.35, 0.0, 0.0, np.nan])
    high = pd.Series([0.5, 0.55, 0.1, 0.05, np.nan])
    performance = pd.Series([3.0, 4.5, 3.2, 4.3, 4.0])  # mean 3.8
    assert importance_performance_quadrants(weight, performance, low, high).tolist() == [
        "Fix first", "Keep strong", "Watch", "Lower priority", "",
    ]  # fmt: skip


def test_a_lone_driver_is_never_clearly_important():
    assert clearly_important(pd.Series([0.5]), pd.Series([0.9])).tolist() == [False]
