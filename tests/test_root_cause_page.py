"""The Root cause page through ``app.py``: seven steps on a brand with the planted incident (store
ST007, touchpoint Delivery, from March 2026), drilling by URL and by buttons, comments of one theme
word, recording an action, and links from other pages that land on a store."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from cx.analysis.explain import explain_change
from cx.config import make_engine
from cx.ingest.demo import DEFAULT_INCIDENT, generate_brand
from cx.store.scope import Scope
from tests.apptest import open_page as open_app_page
from tests.brands import brand_database

PAGE = "ui/root_cause/page.py"
STEPS = ["1. What happened", "2. When and for how long", "3. Where", "4. Who noticed", "5. Why",
         "6. How customers reacted", "7. Did it change after an action"]  # fmt: skip
STORE, TOUCHPOINT = DEFAULT_INCIDENT.store_id, DEFAULT_INCIDENT.touchpoint  # ST007, Delivery
TINY = "ST010"


@pytest.fixture(scope="module")
def brand_file(tmp_path_factory) -> Path:
    """Ten stores over 18 months (May 2025 to October 2026) with the default incident and a tiny store."""
    brand = generate_brand(7, n_stores=10, n_regions=2, months=18, tiny_store=TINY, new_stores=0, low_region=None,
                           responses_per_store_month=60, reviews_per_store_month=8)  # fmt: skip
    return brand_database(tmp_path_factory.mktemp("root_cause"), brand)


@pytest.fixture(scope="module")
def brand_url(brand_file) -> str:
    return f"sqlite:///{brand_file}"


def open_page(monkeypatch, url: str, page: str = PAGE, **params) -> AppTest:
    app = open_app_page(monkeypatch, url, page, timeout=180, **params)
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(app: AppTest) -> str:
    """Markdown and plain text (the sentences built from data are plain text)."""
    return "\n".join([m.value for m in app.markdown] + [t.value for t in app.text])


def param(app: AppTest, key: str):
    value = app.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def comment_table(app: AppTest):
    """The table of customers' comments (the last table with a Comment column)."""
    return [t.value for t in app.table if "Comment" in t.value.columns][-1]


def step_headings(app: AppTest) -> list[str]:
    return [h.value for h in app.subheader if h.value[:1].isdigit()]


def captions(app: AppTest) -> str:
    """Captions and the plain text of the details expanders (how each step was worked out)."""
    return "\n".join([c.value for c in app.caption] + [t.value for t in app.text])


def timeline_spec(app: AppTest) -> dict:
    """The Vega-Lite spec of step 1's chart (the first chart on the page)."""
    return json.loads(app.get("vega_lite_chart")[0].proto.spec)


def interval_band(spec: dict) -> dict | None:
    return next((layer for layer in spec["layer"] if layer["mark"]["type"] == "area"), None)


def test_seven_steps_render_on_the_brand(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url)
    assert app.title[0].value == "Root cause"
    assert step_headings(app) == STEPS
    body = texts(app)
    assert "Across the brand, NPS" in body and " → " in body and "n " in body and "p " in body
    assert param(app, "metric") == "nps" and param(app, "mode") == "latest"  # the state is in the URL
    # "Where" ranks the planted store first (on its own or through its Delivery cell) and offers to drill in
    labels = [b.label for b in app.button]
    assert f"Investigate store {STORE}" in labels


def test_brand_where_names_the_planted_store_for_the_sidebar_period(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, period="custom", **{"from": "2026-03-01", "to": "2026-10-31"},
                    metric="csat_top2", mode="period")  # fmt: skip
    where = next(t.value for t in app.text if "stands out" in t.value)
    assert where.startswith(STORE)
    assert "(245 days) compared with 2025-06-29 to 2026-02-28 (245 days)" in captions(app)
    # step 3 says what each level is measured against, as the engine does
    assert (
        "Expected: the brand's change for a region or a store; the same touchpoint's change across the brand for a store × "
        "touchpoint cell."
    ) in captions(app)
    assert "A region's or store's z combines top-2-box, NPS and review rating" in captions(app)


def test_store_from_the_url_shows_that_stores_answers(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=STORE, metric="csat_top2")
    assert app.selectbox(key="filter_store").value == STORE
    assert step_headings(app) == STEPS
    expected = explain_change(make_engine(brand_url), metric="csat_top2", scope=Scope(store=STORE))
    what = expected["what"]
    body = texts(app)
    assert f"**{STORE}**" in body  # the current crumb
    assert f"At store {STORE}, CSAT top-2-box fell {abs(what['delta']):.1f} percentage points since " in body
    assert (
        f"({what['before']:.1f} % → {what['after']:.1f} %); that is far more than chance would explain."
        in body
    )
    assert f"n {what['n_before']:,.0f} → {what['n_after']:,.0f} answers" in body  # the details
    assert f"began in {DEFAULT_INCIDENT.start:%B %Y}" in body  # step 2: the planted start month
    assert f"{TOUCHPOINT} stands out: it fell" in body  # step 3: the store's touchpoints
    assert f"{TOUCHPOINT} moved most: it fell" in body  # step 5
    attributes = next(d.value for d in app.dataframe if "attribute" in d.value.columns)  # step 5
    assert list(attributes["attribute"]) == [a["attribute"] for a in expected["attributes"]]
    assert any(m.value == "**Survey attributes**" for m in app.markdown)
    assert any(
        t.value.endswith("of its touchpoints changed by more than chance would explain:") for t in app.text
    )
    notes = captions(app)
    assert "with their 95 % interval (band); point size shows n" in notes  # step 1
    band = interval_band(timeline_spec(app))
    assert band["encoding"]["y"]["field"] == "low" and band["encoding"]["y2"]["field"] == "high"
    assert (
        "Searched: the store's own monthly series and those of each of its touchpoints, each relative to the "
        "brand's matching series"
    ) in notes  # step 2
    assert (
        "z = (the touchpoint's change − the same touchpoint's change across the brand) / its standard error"
        in (notes)
    )  # steps 3 and 5
    assert (
        f"top-2-box of store {STORE} fell significantly" in notes
        and "ordered by how far they moved down" in notes
    )
    themes = next(d.value for d in app.dataframe if {"term", "z"} <= set(d.value.columns))
    assert {"late", "cold", "waited", "missing"} & set(themes["term"])  # the planted complaint words
    assert [b.label for b in app.button if b.key == "root_go_touchpoint"] == [
        f"Investigate touchpoint {TOUCHPOINT}"
    ]


def test_sales_have_no_interval_band_and_are_judged_against_peers(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, metric="revenue")
    assert step_headings(app) == STEPS
    notes = captions(app)
    assert "No interval band: sales are counted in full, not sampled" in notes
    assert interval_band(timeline_spec(app)) is None
    assert "Revenue per day is read on its own" in notes or any(
        "No change stands out" in i.value for i in app.info
    )
    assert "Sales carry no sampling error, so each store's growth is judged against its peers" in notes
    # the planted store lost sales (the incident's 12 % drop) while its peers grew
    assert any(t.value.startswith(f"{STORE} stands out: its sales fell") for t in app.text)


def test_touchpoint_step_shows_its_share_of_complaints_and_comments(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=STORE, touchpoint=TOUCHPOINT, metric="nps")
    body = texts(app)
    assert f"At {STORE}'s {TOUCHPOINT} touchpoint, NPS fell" in body
    share = next(m.value for m in app.markdown if "accounts for" in m.value)
    assert share.startswith(f"{TOUCHPOINT} accounts for") and ", up from " in share
    assert [b.label for b in app.button if b.key.startswith("root_crumb_")][-1] == STORE  # one level up
    comments = comment_table(app)
    assert len(comments) > 20
    named = comments["Comment"].str.contains("deliver|توصيل", case=False) | comments["Given at"].eq(
        TOUCHPOINT
    )
    assert named.all()


def test_theme_word_shows_every_comment_that_uses_it(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=STORE, metric="csat_top2")
    app.selectbox(key="root_term_pick").set_value("cold").run()
    app.button(key="root_go_term").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert param(app, "term") == "cold" and param(app, "store") == STORE
    assert texts(app).count("“cold”") >= 2  # the crumb and the sentence
    sentence = next(m.value for m in app.markdown if "use “cold”" in m.value)
    comments = comment_table(app)
    assert sentence.startswith(f"**{len(comments):,} of ")
    assert len(comments) >= 5 and comments["Comment"].str.contains("cold", case=False).all()
    assert set(comments["Store"]) == {STORE}
    assert comments["Date"].is_monotonic_decreasing
    app.button(key="root_crumb_2").click().run()  # Brand › region › ST007: back up to the store
    assert param(app, "term") is None and param(app, "store") == STORE


def test_buttons_drill_down_and_the_path_goes_back_up(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, metric="csat_top2")
    app.selectbox(key="root_where_pick").set_value(f"{STORE} · {TOUCHPOINT}").run()
    app.button(key="root_go_cell").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="filter_store").value == STORE  # the sidebar follows the drill-down
    assert param(app, "store") == STORE and param(app, "touchpoint") == TOUCHPOINT
    assert any(m.value == f"**{TOUCHPOINT}**" for m in app.markdown)
    app.button(key="root_crumb_0").click().run()  # back to the brand
    assert app.selectbox(key="filter_store").value == "All"
    assert param(app, "store") is None and param(app, "touchpoint") is None
    assert "Across the brand" in texts(app)


def test_changing_the_sidebar_store_starts_again_at_that_store(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=STORE, touchpoint=TOUCHPOINT)
    app.selectbox(key="filter_store").set_value("ST001").run()
    assert param(app, "store") == "ST001" and param(app, "touchpoint") is None
    assert "At store ST001," in texts(app)


def test_recording_an_action_shows_it_in_step_seven(monkeypatch, brand_file, tmp_path):
    copy = tmp_path / "cx.db"
    shutil.copy(brand_file, copy)
    app = open_page(monkeypatch, f"sqlite:///{copy}", store=STORE, metric="csat_top2")
    assert any("No action is recorded" in i.value for i in app.info)
    app.date_input(key="root_action_date").set_value(DEFAULT_INCIDENT.start)
    app.text_input(key="root_action_text").input("New delivery partner")
    app.button(key="FormSubmitter:root_action_form-Record action").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("Action recorded" in s.value for s in app.success)
    effect = next(m.value for m in app.markdown if "New delivery partner" in m.value)
    assert effect.startswith(f"- After “New delivery partner” ({DEFAULT_INCIDENT.start.isoformat()})")
    assert "fell" in effect and "chance" in effect
    actions = next(d.value for d in app.dataframe if "description" in d.value.columns)
    assert list(actions["description"]) == ["New delivery partner"] and actions["delta"].iloc[0] < 0
    app.run()  # a later run still shows it (the cached investigation does not hide new actions)
    assert any("New delivery partner" in m.value for m in app.markdown)


def test_empty_description_is_refused_with_a_sentence(monkeypatch, brand_file, tmp_path):
    copy = tmp_path / "cx.db"
    shutil.copy(brand_file, copy)
    app = open_page(monkeypatch, f"sqlite:///{copy}")
    app.button(key="FormSubmitter:root_action_form-Record action").click().run()
    assert any("Describe the action" in e.value for e in app.error)


@pytest.mark.parametrize(
    ("page", "prepare", "label"),
    [
        ("ui/compare.py", lambda app: app.multiselect(key="compare_side").set_value(["ST001", STORE]).run(),
         f"Investigate {STORE}"),
        ("ui/summary.py", lambda app: app, "Why?"),
    ],
    ids=["compare", "summary"],
)  # fmt: skip
def test_links_from_other_pages_open_the_investigation(monkeypatch, brand_url, page, prepare, label):
    """Follow a real link as the browser would: the URL changes, the sidebar widgets still hold the
    values of the page the link was on."""
    app = open_page(monkeypatch, brand_url, page)
    prepare(app)
    link = next(link.proto for link in app.get("page_link") if link.proto.label == label)
    assert link.page == "root_cause"
    for key in list(app.query_params):
        del app.query_params[key]
    for key, value in parse_qsl(link.query_string):
        app.query_params[key] = value
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert step_headings(app) == STEPS
    if page == "ui/compare.py":
        assert app.selectbox(key="filter_store").value == STORE
        assert f"At store {STORE}," in texts(app)
    else:
        assert app.radio(key="root_mode").value == "period"


def test_store_link_without_other_filters_lands_on_the_store(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, "ui/summary.py")
    for key in list(app.query_params):
        del app.query_params[key]
    app.query_params["store"] = STORE
    app.switch_page(PAGE)
    app.run()
    assert app.selectbox(key="filter_store").value == STORE
    assert f"At store {STORE}," in texts(app)


def test_tiny_store_says_the_sample_is_too_small(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=TINY)
    assert step_headings(app) == STEPS
    assert any("Too few answers to tell a change from chance" in w.value for w in app.warning)
    assert any("Too few answers to rank" in i.value for i in app.info)  # no ranking of noise
    assert not [b for b in app.button if b.key.startswith("root_go_")]


def test_unknown_store_in_the_url_is_refused_and_shows_nothing(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store="NOPE", touchpoint="Delivery")
    assert [error.value for error in app.error] == [
        "This address names a store that is not among the stores you may see (`store=` in the address), so "
        "nothing is shown."
    ]
    assert not app.title and not app.dataframe and "NOPE" not in texts(app)


def test_period_mode_compares_the_sidebar_period(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, mode="period", period="last_90_days")
    caption = " ".join(c.value for c in app.caption)
    latest = dt.date(2026, 10, 31)
    start = latest - dt.timedelta(days=89)
    assert f"{start.isoformat()} to {latest.isoformat()} (90 days) compared with" in caption


def test_touchpoint_the_store_lacks_falls_back_to_the_store(monkeypatch, brand_url):
    app = open_page(monkeypatch, brand_url, store=STORE, touchpoint="Teleportation")
    assert any("no answers at touchpoint Teleportation" in i.value for i in app.info)
    assert param(app, "touchpoint") is None and f"At store {STORE}," in texts(app)
