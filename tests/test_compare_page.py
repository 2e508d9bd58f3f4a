"""The Compare page through AppTest on a hand-made brand of three stores whose NPS is worked by hand:
the league table's order, counts and plurals, labelled and formatted side-by-side cells, and a
side-by-side selection that survives a change of region."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.store.schema import upgrade_schema
from tests.apptest import open_page

# store -> (name, region, promoters (10), passives (8), detractors (3)); 10 answers each in June 2026
STORES = {
    "G1": ("Marina Walk", "Gulf", 6, 2, 2),  # NPS 100 (6 - 2) / 10 = 40
    "G2": ("Corniche", "Gulf", 2, 4, 4),  # NPS -20
    "L1": ("Hamra", "Levant", 5, 5, 0),  # NPS 50
}
# brand: 13 promoters, 6 detractors of 30: NPS 100 * 7 / 30 = 23.3


@pytest.fixture(scope="module")
def brand_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("compare")
    url = f"sqlite:///{folder / 'cx.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    stores = pd.DataFrame(
        [(store, name, region) for store, (name, region, *_) in STORES.items()],
        columns=["store_id", "name", "region"],
    )
    rows = []
    for store, (*_, promoters, passives, detractors) in STORES.items():
        scores = [10] * promoters + [8] * passives + [3] * detractors
        rows += [(store, f"2026-06-{21 + i} 12:00:00", score) for i, score in enumerate(scores)]
    nps = pd.DataFrame(rows, columns=["store_id", "responded_at", "score"])
    nps = nps.assign(response_id=[f"N{i:03d}" for i in range(len(nps))], touchpoint="Checkout")
    for kind, frame in (("stores", stores), ("nps", nps)):
        options = ImportOptions(constants={"brand": "Hand Made"} if kind == "stores" else {})
        load_frame(engine, kind, frame, options, name=kind, reports_dir=folder)
    engine.dispose()
    return url


@pytest.fixture
def page(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/compare.py")
    assert not app.exception, [e.value for e in app.exception]
    return app


def captions(app) -> list[str]:
    return [caption.value for caption in app.caption]


def headers(frame) -> dict[str, str]:
    """Column -> the label a person sees (the column settings sent to the browser)."""
    settings = json.loads(frame.proto.columns or "{}")
    return {column: value.get("label", column) for column, value in settings.items()}


def test_league_table_worst_first_then_best_first(page):
    league = page.dataframe[0].value
    assert list(league["place"]) == ["G2 · Corniche", "G1 · Marina Walk", "L1 · Hamra"]  # -20, 40, 50
    assert list(league["rank"]) == [3, 2, 1]
    page.radio(key="compare_order").set_value("best").run()
    assert list(page.dataframe[0].value["place"]) == ["L1 · Hamra", "G1 · Marina Walk", "G2 · Corniche"]


def test_league_table_counts_are_whole_numbers_and_columns_are_labelled(page):
    league = page.dataframe[0].value
    assert list(league["n"]) == [10, 10, 10] and pd.api.types.is_integer_dtype(league["n"])
    labels = headers(page.dataframe[0])
    assert labels["n"] == "n" and labels["value"] == "NPS" and labels["place"] == "Store"
    settings = json.loads(page.dataframe[0].proto.columns)
    assert settings["n"]["type_config"]["format"] == "%d"
    assert settings["value"]["type_config"]["format"] == "%.1f"  # NPS to one decimal, as everywhere


def test_caption_counts_stores_in_the_right_number(page):
    assert any(c.startswith("3 stores · brand NPS 23.3 · limits in force:") for c in captions(page))
    assert any("3 stores have fewer than 30 answers: read their rank ranges" in c for c in captions(page))
    page.selectbox(key="filter_region").set_value("Levant").run()
    assert not page.exception, [e.value for e in page.exception]
    assert any(c.startswith("1 store · brand NPS 50.0") for c in captions(page))
    assert any("1 store has fewer than 30 answers: read its rank range" in c for c in captions(page))
    assert not any("1 stores" in c for c in captions(page))


def test_region_keeps_the_case_the_data_give_it(page):
    page.selectbox(key="filter_region").set_value("Gulf").run()
    assert captions(page)[0].startswith("Region Gulf · ")


def test_side_by_side_cells_are_formatted_and_labelled(page):
    page.multiselect(key="compare_side").set_value(["G1", "L1"]).run()
    side = page.dataframe[1].value
    assert list(side.columns) == ["G1", "L1"]
    # adjusted Wald (Rocks 2016): G1 6.75 / 3.5 / 2.75 of 13 -> 30.8 +- 1.96 sqrt(0.6361 / 13) = -12.6 to 74.1;
    # L1 5.75 / 6.5 / 0.75 of 13 -> 38.5 +- 32.3 = 6.2 to 70.7
    assert side.loc["NPS"].tolist() == ["40.0 (-12.6 to 74.1)", "50.0 (6.2 to 70.7)"]
    assert side.loc["n (answers, NPS)"].tolist() == ["10", "10"]
    assert "nps_n" not in side.index
    assert side.loc["CSAT top-2-box (%)"].tolist() == ["no data", "no data"]
    assert headers(page.dataframe[1]) == {"G1": "G1 · Marina Walk", "L1": "L1 · Hamra"}


def test_side_by_side_keeps_its_stores_across_a_region_change(page):
    page.multiselect(key="compare_side").set_value(["G2", "G1", "L1"]).run()
    page.selectbox(key="filter_region").set_value("Gulf").run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.multiselect(key="compare_side").value == ["G2", "G1"]  # L1 left the scope, the rest stay
    assert list(page.dataframe[1].value.columns) == ["G2", "G1"]
    page.radio(key="compare_order").set_value("best").run()  # a new order of the options
    assert page.multiselect(key="compare_side").value == ["G2", "G1"]
    page.selectbox(key="filter_region").set_value("All").run()
    assert page.multiselect(key="compare_side").value == ["G2", "G1"]


def test_side_by_side_survives_a_metric_without_data_and_another_page(page):
    page.multiselect(key="compare_side").set_value(["G2", "L1"]).run()
    page.selectbox(key="compare_metric").set_value("csat_top2").run()  # no surveys: the page stops early
    assert any("No store has answers" in info.value for info in page.info)
    page.selectbox(key="compare_metric").set_value("nps").run()
    assert page.multiselect(key="compare_side").value == ["G2", "L1"]
    page.switch_page("ui/summary.py").run()
    page.switch_page("ui/compare.py").run()
    assert page.multiselect(key="compare_side").value == ["G2", "L1"]
