"""Every page renders on a loaded and on an empty database; filters round-trip through the URL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cx.ingest.demo import generate_brand
from tests.apptest import open_page
from tests.brands import brand_database
from tests.helpers import as_read

PAGES = {
    "ui/summary.py": "Executive summary",
    "ui/compare.py": "Compare locations",
    "ui/touchpoints.py": "Touchpoints & journey",
    "ui/root_cause/page.py": "Root cause",
    "ui/goals.py": "Goals",
    "ui/data.py": "Data",
    "ui/methods.py": "Methods",
}


@pytest.fixture(scope="module")
def brand_url(tmp_path_factory):
    brand = generate_brand(5, n_stores=12, n_regions=3, months=14, tiny_store="ST012", new_stores=1,
                           responses_per_store_month=30, reviews_per_store_month=5)  # fmt: skip
    return f"sqlite:///{brand_database(tmp_path_factory.mktemp('pages'), brand)}"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(monkeypatch, brand_url, page):
    app = open_page(monkeypatch, brand_url, page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]  # a ValueError would be shown as an error box
    assert app.title[0].value == PAGES[page]
    assert not any("demo brand" in info.value for info in app.info)  # not loaded by `python -m cx demo`


def test_summary_tiles_carry_n_and_intervals(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/summary.py")
    labels = [metric.label for metric in app.metric]
    assert labels[:5] == ["NPS", "CSAT top-2-box", "CES low effort", "Review rating", "Revenue"]
    captions = " ".join(c.value for c in app.caption)
    assert (
        "n = " in captions
        and "95 % CI" in captions
        and ("not significant" in captions or "significant" in captions)
    )


@pytest.mark.parametrize(
    "page", ["ui/summary.py", "ui/compare.py", "ui/touchpoints.py", "ui/root_cause/page.py"]
)
def test_empty_database_shows_a_sentence(monkeypatch, sqlite_url, page):
    app = open_page(monkeypatch, sqlite_url, page)
    assert not app.exception
    assert any("No data is loaded yet" in info.value for info in app.info)


def test_bad_input_shows_its_sentence_and_the_page_goes_on():
    """``cx`` raises ``ValueError`` with a sentence a person can act on; the boundary shows it instead
    of a traceback, and what follows the block still renders."""

    def page():
        import streamlit as st

        from ui.shared.errors import shown_as_error

        with shown_as_error():
            raise ValueError("The period ends (2026-01-01) before it starts (2026-05-01); swap the dates.")
        st.caption("after the block")

    app = AppTest.from_function(page).run()
    assert not app.exception
    assert [as_read(error.value) for error in app.error] == [
        "The period ends (2026-01-01) before it starts (2026-05-01); swap the dates."
    ]
    assert [caption.value for caption in app.caption] == ["after the block"]


def test_filters_round_trip_through_the_url(monkeypatch, brand_url):
    app = open_page(
        monkeypatch, brand_url, "ui/summary.py", period="last_month", compare="last_year", region="Levant"
    )
    assert not app.exception
    assert app.selectbox(key="filter_period").value == "last_month"
    assert app.radio(key="filter_compare").value == "last_year"
    assert app.selectbox(key="filter_region").value == "Levant"
    assert "region levant" in " ".join(c.value for c in app.caption).lower()
    app.selectbox(key="filter_region").set_value("Gulf").run()
    assert app.query_params["region"] == ["Gulf"] or app.query_params["region"] == "Gulf"
    assert app.query_params["period"] in (["last_month"], "last_month")


def test_compare_side_by_side_and_peer_group(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/compare.py")
    app.selectbox(key="compare_metric").set_value("rating").run()
    assert not app.exception
    league = app.dataframe[0].value
    assert league["rank"].min() == 1 and {"verdict", "funnel_95", "shrunk", "n"} <= set(league.columns)
    app.multiselect(key="compare_side").set_value(["ST001", "ST002", "ST003"]).run()
    side = app.dataframe[1].value
    assert list(side.columns) == ["ST001", "ST002", "ST003"] and "NPS" in side.index
    assert "nps_n" not in side.index  # rows are named for people, not by column keys
    app.radio(key="compare_peer").set_value("same format").run()
    assert not app.exception


def test_touchpoints_drivers_switch(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/touchpoints.py")
    app.radio(key="touch_driver_target").set_value("csat").run()
    assert not app.exception
    assert any("relative weights" in c.value for c in app.caption)


@pytest.fixture(scope="module")
def real_url(tmp_path_factory):
    """Only the public real exports: reviews of 3 parks, Favorita sales, UCI restaurant surveys."""
    from tests.test_real_data import REAL

    if REAL is None:
        pytest.skip("the shared real datasets are not on this machine")
    from cx.cli import main

    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'cx.db'}"
    loads = [
        ["reviews", REAL / "disneyland/disneyland_reviews.csv", "--create-stores", "--set", "region=Parks"],
        ["stores", REAL / "favorita/stores.csv", "--set", "brand=Favorita"],
        ["sales", REAL / "favorita/transactions.csv"],
        ["stores", REAL / "uci_restaurants/geoplaces2.csv", "--set", "brand=UCI"],
        ["surveys", REAL / "uci_restaurants/rating_final.csv", "--set", "touchpoint=In-store service", "--set",
         "responded_at=2012-01-01", "--map", "food_rating=attr_food", "--map", "service_rating=attr_service",
         "--rescale", "csat=0-2", "--rescale", "attr_*=0-2"],
    ]  # fmt: skip
    for kind, path, *options in loads:
        assert main(["load", kind, str(path), "--db", url, "--no-prepare", *options]) == 0
    return url


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_copes_with_real_exports(monkeypatch, real_url, page):
    """Sources cover different stores and years; no page may fail or show an empty chart frame."""
    app = open_page(
        monkeypatch, real_url, page, period="custom", **{"from": "2013-01-01", "to": "2017-12-31"}
    )
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == PAGES[page]


def test_compare_relates_cx_change_to_sales_growth(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/compare.py", compare="previous")
    assert not app.exception and not app.error
    assert "CX and sales" in [header.value for header in app.subheader]
    sentence = next(block.value for block in app.markdown if "like-for-like stores" in block.value)
    assert sentence.startswith("Across ") and "95 % interval" in sentence
    assert sentence.endswith("An association, not a cause.")
    # a brand of 14 months has no whole year before the last 12 months: not comparable, said, not charted
    app = open_page(monkeypatch, brand_url, "ui/compare.py", period="last_12_months", compare="last_year")
    sentence = next(block.value for block in app.markdown if block.value.startswith("Not comparable"))
    assert sentence.startswith("Not comparable: the comparison period has data for ")
    assert sentence.endswith("so the NPS change cannot be related to sales growth.")
