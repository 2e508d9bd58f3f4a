"""The store map: bundled country outlines inline (no network), zoomed to the stores, tooltips kept."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cx.analysis.executive import store_map
from cx.config import make_engine
from cx.periods import Period
from cx.present.maps import OUTLINES_FILE, country_outlines, map_chart, store_extent
from cx.store.queries import store_directory
from cx.store.scope import Scope
from tests.brands import load_brand, small_brand

# Dubai, London and Casablanca, as the demo brand places them; the last store has no answers yet.
STORES = pd.DataFrame({
    "store_id": ["ST001", "ST002", "ST003"], "name": ["Marina", "Kensington", "Maarif"],
    "city": ["Dubai", "London", "Casablanca"], "region": ["Gulf", "Europe", "North Africa"],
    "latitude": [25.2048, 51.5074, 33.5731], "longitude": [55.2708, -0.1278, -7.5898],
    "value": [41.5, 28.0, float("nan")], "n": [120, 95, 0],
})  # fmt: skip


def corners(feature: dict) -> tuple[list[float], list[float]]:
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "MultiPoint"
    south_west, north_east = feature["geometry"]["coordinates"]
    return south_west, north_east


def test_outlines_ship_with_the_package_small_and_licensed():
    assert OUTLINES_FILE.stat().st_size < 1_000_000
    assert (OUTLINES_FILE.parent / "LICENSE.md").read_text(encoding="utf-8").count("Natural Earth") >= 1
    topology = json.loads(country_outlines())
    assert topology["type"] == "Topology"
    names = {country["properties"]["name"] for country in topology["objects"]["countries"]["geometries"]}
    assert len(names) == 177 and {"United Arab Emirates", "Jordan", "Lebanon", "Morocco", "France"} <= names


def test_outline_layer_is_inline_topojson_and_nothing_is_fetched():
    spec = map_chart(STORES, metric="nps").to_dict()
    sea, land, stores = spec["layer"]
    assert sea["data"] == {"sphere": True} and sea["mark"]["type"] == "geoshape"
    assert land["mark"]["type"] == "geoshape" and stores["mark"]["type"] == "circle"
    assert land["data"]["format"] == {"type": "topojson", "feature": "countries"}
    assert json.loads(land["data"]["values"])["type"] == "Topology"  # the file's text, parsed by Vega-Lite
    assert '"url"' not in json.dumps(spec)  # no data loaded from an address


def test_projection_is_fitted_to_the_stores_with_a_margin():
    spec = map_chart(STORES, metric="nps").to_dict()
    assert spec["projection"]["type"] == "mercator"
    (west, south), (east, north) = corners(spec["projection"]["fit"])
    # Hand-worked: longitudes -7.5898 to 55.2708 (width 62.8606, 10 % = 6.28606), latitudes 25.2048
    # to 51.5074 (height 26.3026, 10 % = 2.63026).
    assert (west, east) == pytest.approx((-13.87586, 61.55686))
    assert (south, north) == pytest.approx((22.57454, 54.13766))
    assert STORES["longitude"].between(west, east).all() and STORES["latitude"].between(south, north).all()


def test_one_store_still_shows_its_surroundings():
    (west, south), (east, north) = corners(store_extent(STORES.iloc[[0]]))
    assert (west, south, east, north) == pytest.approx((54.2708, 24.2048, 56.2708, 26.2048))  # 1 degree


def test_extent_stays_on_the_mercator_map():
    polar = pd.DataFrame({"latitude": [78.2, 89.0], "longitude": [15.6, 179.5]})
    (west, south), (east, north) = corners(store_extent(polar))
    assert north == 85.0 and east == 180.0 and south == pytest.approx(77.12) and west == pytest.approx(-0.79)


def test_map_needs_a_store_with_coordinates():
    with pytest.raises(ValueError, match="latitude and a longitude"):
        store_extent(pd.DataFrame({"latitude": [None], "longitude": [None]}))


def test_store_tooltips_and_grey_for_stores_without_answers():
    stores = map_chart(STORES, metric="nps").to_dict()["layer"][2]
    fields = [tip["field"] for tip in stores["encoding"]["tooltip"]]
    assert fields == ["store_id", "name", "city", "region", "value", "n"]
    titles = {tip["field"]: tip["title"] for tip in stores["encoding"]["tooltip"]}
    assert titles["store_id"] == "Store" and titles["value"] == "NPS" and titles["n"] == "n"
    colour = stores["encoding"]["color"]
    assert colour["condition"]["test"] == "(datum.n > 0)" and colour["value"] == "#cccccc"


def test_the_map_shows_only_the_stores_its_caller_may_see(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    load_brand(engine, small_brand(), tmp_path)
    every = store_directory(engine)["store_id"].tolist()
    allowed = frozenset(every[:2])
    period = Period(pd.Timestamp("2000-01-01").date(), pd.Timestamp("2100-01-01").date())
    whole = store_map(engine, scope=Scope(), period=period)
    seen = store_map(engine, scope=Scope(visible_stores=allowed), period=period)
    engine.dispose()
    assert sorted(whole["store_id"]) == sorted(every) and len(every) == 8
    assert sorted(seen["store_id"]) == sorted(allowed)
