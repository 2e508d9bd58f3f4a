"""The root-cause investigation's sentences, drill path and comment slices, checked against hand-worked
numbers; the query functions on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cx import charts, investigation
from cx.db import make_engine
from cx.periods import Period
from cx.scope import Scope
from tests.helpers import load, write_csv

# The Root cause page's own example: store ST007 of the demo brand, NPS in the latest change found.
ST007_NPS = {"before": 36.3855, "after": 28.8416, "delta": -7.5439, "p_value": 0.14246, "n_before": 415.0,
             "n_after": 423.0, "low": -17.6249, "high": 2.5371}  # fmt: skip


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.14246, "p = 0.14"),
        (0.0033, "p = 0.003"),
        (0.00009, "p < 0.001"),
        (None, "no test"),
        (math.nan, "no test"),
    ],
)
def test_format_p(p, text):
    assert investigation.format_p(p) == text


def test_what_sentence_gives_the_change_with_n_p_and_interval():
    assert investigation.what_sentence("nps", ST007_NPS, where="At store ST007") == (
        "At store ST007, NPS fell 7.5 points (36.4 → 28.8, n 415 → 423, p = 0.14). Within what sampling noise "
        "alone could produce (95 % interval of the change -17.6 to +2.5)."
    )
    rise = {
        **ST007_NPS,
        "before": 70.0,
        "after": 80.5,
        "delta": 10.5,
        "p_value": 0.0004,
        "low": 5.2,
        "high": 15.8,
    }
    assert investigation.what_sentence("csat_top2", rise) == (
        "CSAT top-2-box rose 10.5 percentage points (70.0 % → 80.5 %, n 415 → 423, p < 0.001). More than "
        "sampling noise explains (95 % interval of the change +5.2 to +15.8)."
    )


def test_what_sentence_for_sales_and_for_missing_data():
    # 1,000,000 -> 900,000 is -10.0 %; sales have no sampling test
    sales = {"before": 1_000_000.0, "after": 900_000.0, "delta": -100_000.0, "p_value": None, "n_before": 90.0,
             "n_after": 90.0, "low": None, "high": None}  # fmt: skip
    assert investigation.what_sentence("revenue", sales) == (
        "Revenue fell 10.0 % (1.0 M → 900.0 k, n 90 → 90 store-days). Sales carry no sampling test."
    )
    empty = dict.fromkeys(ST007_NPS) | {"n_before": 0.0, "n_after": 12.0}
    assert investigation.what_sentence("rating", empty, where="In region Gulf") == (
        "In region Gulf, Review rating cannot be compared: a window has no data (n 0 → 12)."
    )


def test_too_few_answers():
    assert not investigation.too_few_answers("nps", ST007_NPS)
    assert investigation.too_few_answers("nps", {**ST007_NPS, "n_after": 29.0})
    assert investigation.too_few_answers("csat_top2", {**ST007_NPS, "n_before": None})
    assert not investigation.too_few_answers("revenue", {**ST007_NPS, "n_after": 3.0})  # sales: not a sample


def test_when_sentence():
    ongoing = {"start": "2026-03-01", "end": None, "duration_days": 245, "ongoing": True, "p_value": 0.024,
               "series": "touchpoint Delivery"}  # fmt: skip
    assert investigation.when_sentence(ongoing) == (
        "It began in March 2026 (2026-03-01) and is still going on (245 days so far). Clearest in touchpoint "
        "Delivery (p = 0.02 after allowing for the number of series searched)."
    )
    ended = {**ongoing, "end": "2026-06-01", "duration_days": 93, "ongoing": False, "p_value": 0.4}
    assert "ran until 2026-06-01 (93 days)" in investigation.when_sentence(ended)
    assert investigation.when_sentence(ended).endswith("(p = 0.40 after allowing for the number of series "
                                                       "searched, so it may be chance).")  # fmt: skip
    assert investigation.when_sentence(dict.fromkeys(ongoing)).startswith("No change stands out")


def test_node_frame_labels_and_verdicts():
    nodes = [
        {"store_id": "ST007", "touchpoint": "Delivery", "delta": -37.0, "p_value": 0.0002, "contribution": -0.9,
         "z": -3.4, "n_before": 94.0, "n_after": 171.0},
        {"store_id": "ST007", "touchpoint": None, "delta": -14.1, "p_value": 0.002, "contribution": -2.2, "z": -1.5,
         "n_before": 579.0, "n_after": 501.0},
        {"store_id": "ST004", "touchpoint": "Website", "delta": -46.2, "p_value": 0.01, "contribution": -0.3,
         "z": None, "n_before": 8.0, "n_after": 23.0, "measured": "nps"},
    ]  # fmt: skip
    frame = investigation.node_frame(nodes, metric="csat_top2")
    assert list(frame["label"]) == ["ST007 · Delivery", "ST007", "ST004 · Website"]
    assert list(frame["verdict"]) == ["fell more than expected", "within noise", "too few answers"]
    assert list(frame["measured"]) == ["csat_top2", "csat_top2", "nps"]
    sentence = investigation.where_sentence("csat_top2", frame, scope_name="the whole brand")
    assert sentence == (
        "ST007 · Delivery stands out: it fell 37.0 percentage points (n 94 → 171, p < 0.001), z = -3.4 against "
        "what sampling noise and the change of the whole brand would give."
    )
    calm = investigation.node_frame(nodes[1:2], metric="nps")
    assert investigation.where_sentence("nps", calm, scope_name="region Gulf").startswith(
        "Nothing stands out"
    )
    sales = investigation.node_frame([{**nodes[1], "z": None}], metric="revenue")
    assert list(sales["verdict"]) == ["no sampling test"]
    assert investigation.node_frame([], metric="nps").empty


def test_sources_agree_when_they_move_the_same_way_with_p_below_005():
    sources = {
        "nps": {"delta": -7.5, "p_value": 0.14, "delta_pct": None},
        "csat_top2": {"delta": -15.0, "p_value": 1.8e-6, "delta_pct": None},
        "rating": {"delta": 0.2, "p_value": 0.01, "delta_pct": None},
        "revenue": {"delta": -1.2e6, "p_value": None, "delta_pct": -15.5},
    }
    table = investigation.source_agreement(sources, "nps")
    assert list(table["verdict"]) == [
        "the metric investigated", "agrees", "moved the other way", "same direction (no test)",
    ]  # fmt: skip
    assert investigation.sources_sentence(table, "nps") == (
        "CSAT top-2-box fell too (p < 0.05): more than one source saw the change. Review rating: no change in "
        "the same direction. Sales fell 15.5 % (no sampling test)."
    )
    alone = investigation.source_agreement({**sources, "csat_top2": None}, "nps")
    assert alone.loc[1, "verdict"] == "no data for this scope"
    assert investigation.sources_sentence(alone, "nps").startswith("No other source confirms")


def test_reaction_and_themes_sentences():
    reaction = {"rating_delta": -0.9922, "rating_p_value": 9.9e-5, "reviews_delta": 2.0,
                "transactions_delta_pct": -13.02, "revenue_delta_pct": -15.51}  # fmt: skip
    assert investigation.reaction_sentence(reaction) == (
        "The review rating fell 0.99 stars (p < 0.001); 2 more reviews were posted; transactions fell 13.0 % "
        "and revenue fell 15.5 % (sales carry no sampling test)."
    )
    assert investigation.reaction_sentence(dict.fromkeys(reaction)).startswith(
        "There are no reviews or sales"
    )
    terms = [{"term": "cold", "z": 14.26, "count": 43}, {"term": "late", "z": 14.08, "count": 49}]
    assert investigation.themes_sentence(terms) == (
        "Customers now write “cold” (43×, z = 14.3) and “late” (49×, z = 14.1) far more than in the comparison "
        "comments."
    )
    assert investigation.themes_sentence([]).startswith("No word is used markedly more")


def test_drill_path_crumbs_go_back_up():
    crumbs = investigation.drill_path(brand="Oasis Market", region="Gulf", store="ST007", touchpoint="Delivery",
                                      term="late")  # fmt: skip
    assert [c.label for c in crumbs] == ["Oasis Market", "Gulf", "ST007", "Delivery", "“late”"]
    assert [c.current for c in crumbs] == [False, False, False, False, True]
    assert crumbs[0].params == {"region": None, "store": None, "touchpoint": None, "term": None}
    assert crumbs[1].params == {"region": "Gulf", "store": None, "touchpoint": None, "term": None}
    assert crumbs[2].params == {"touchpoint": None, "term": None}
    assert crumbs[3].params == {"term": None}
    short = investigation.drill_path(
        brand="Oasis Market", region=None, store=None, touchpoint=None, term="dirty"
    )
    assert [(c.label, c.current) for c in short] == [("Oasis Market", False), ("“dirty”", True)]


def test_windows_are_read_back_from_the_result():
    result = {"period": {"before": "2025-06-29 to 2026-02-28", "after": "2026-03-01 to 2026-10-31"}}
    before, after = investigation.windows(result)
    assert before == Period(dt.date(2025, 6, 29), dt.date(2026, 2, 28))
    assert after == Period(dt.date(2026, 3, 1), dt.date(2026, 10, 31)) and after.days == 245


def test_comments_with_term_match_normalised_words_newest_first():
    texts = pd.DataFrame({
        "date": ["2026-03-02", "2026-03-09", "2026-03-05", "2026-03-07"],
        "source": ["nps", "review", "survey", "nps"],
        "text": ["Delivery was LATE again!", "The latest offers are good", "تأخر التوصيل كثيراً", "late, cold"],
    })  # fmt: skip
    assert investigation.comments_with_term(texts, "late")["text"].tolist() == [
        "late, cold",
        "Delivery was LATE again!",
    ]
    assert investigation.comments_with_term(texts, "توصيل")["text"].tolist() == ["تأخر التوصيل كثيراً"]
    assert investigation.comments_with_term(texts, "missing").empty
    assert investigation.comments_with_term(texts.iloc[0:0], "late").empty


STORES = ("store_id,name,region", "S1,One,North", "S2,Two,North")
# S1: before (January 2026) 4 detractors, 2 at Delivery; after (February) 8 detractors, 6 at Delivery.
NPS = [
    "n01,S1,2026-01-05,3,Delivery,late again", "n02,S1,2026-01-06,5,Delivery,", "n03,S1,2026-01-07,2,Checkout,queue",
    "n04,S1,2026-01-08,6,Checkout,", "n05,S1,2026-01-09,10,Delivery,great",
    *[f"n1{i},S1,2026-02-0{i + 1},{i % 7},Delivery,cold food {i}" for i in range(6)],
    "n20,S1,2026-02-10,4,Checkout,slow till", "n21,S1,2026-02-11,1,Checkout,", "n22,S1,2026-02-12,9,Checkout,fine",
    "n30,S2,2026-02-03,2,Delivery,late and cold",
]  # fmt: skip
REVIEWS = [
    "r1,S1,2026-02-14,2,Delivery never arrives",
    "r2,S1,2026-02-15,5,Nice staff",
    "r3,S2,2026-02-16,1,awful delivery",
]


@pytest.fixture
def two_stores(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    load(capsys, database_url, "nps",
         write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score,touchpoint,comment", *NPS))  # fmt: skip
    load(capsys, database_url, "reviews",
         write_csv(tmp_path / "r.csv", "review_id,store_id,posted_at,rating,text", *REVIEWS))  # fmt: skip
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


JANUARY = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
FEBRUARY = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_complaint_share_of_one_touchpoint(two_stores):
    share = investigation.complaint_share(two_stores, metric="nps", scope=Scope(store="S1"), touchpoint="Delivery",
                                          after=FEBRUARY, before=JANUARY)  # fmt: skip
    assert (share["k_before"], share["m_before"], share["k_after"], share["m_after"]) == (2, 4, 6, 8)
    assert share["share_before"] == pytest.approx(50.0) and share["share_after"] == pytest.approx(75.0)
    # R: prop.test(c(6, 2), c(8, 4), correct = FALSE) -> X-squared = 0.75, p-value = 0.3865
    assert share["delta"] == pytest.approx(25.0)
    assert share["p_value"] == pytest.approx(0.3865, abs=1e-4)
    assert share["low"] < 0 < share["high"]
    assert investigation.complaint_sentence(share, where="S1") == (
        "Delivery accounts for 75 % of S1's NPS detractors (6 of 8), up from 50 % (2 of 4; p = 0.39)."
    )


def test_touchpoint_comments_are_given_there_or_name_it(two_stores):
    comments = investigation.touchpoint_comments(two_stores, scope=Scope(store="S1"), touchpoint="Delivery",
                                                 period=FEBRUARY)  # fmt: skip
    assert list(comments.columns) == list(investigation.COMMENT_COLUMNS)
    assert set(comments["store_id"]) == {"S1"}  # S2's comments stay out
    assert sorted(comments["text"]) == sorted(
        [f"cold food {i}" for i in range(6)] + ["Delivery never arrives"]
    )
    assert comments["source"].value_counts().to_dict() == {"nps": 6, "review": 1}
    assert pd.to_datetime(comments["date"]).is_monotonic_decreasing


def test_timeline_chart_layers():
    series = pd.DataFrame({"bucket": pd.to_datetime(["2026-02-23", "2026-03-02"]), "value": [40.0, 10.0],
                           "n": [30, 25]})  # fmt: skip
    windows = pd.DataFrame({"window": ["before", "after"], "start": pd.to_datetime(["2026-02-23", "2026-03-02"]),
                            "end": pd.to_datetime(["2026-03-02", "2026-03-09"])})  # fmt: skip
    actions = pd.DataFrame({"date": ["2026-03-01"], "description": ["New delivery partner"]})
    spec = charts.timeline_chart(series, metric="nps", windows=windows, actions=actions).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rect", "line", "circle", "rule"]
    assert spec["layer"][2]["encoding"]["size"]["field"] == "n"
    assert {t["field"] for t in spec["layer"][2]["encoding"]["tooltip"]} == {"bucket", "value", "n"}
    without = charts.timeline_chart(
        series, metric="nps", windows=windows, actions=actions.iloc[0:0]
    ).to_dict()
    assert len(without["layer"]) == 3


def test_deviation_chart_selects_a_node_and_marks_196():
    nodes = investigation.node_frame([{"store_id": "ST007", "touchpoint": "Delivery", "delta": -37.0, "p_value": 0.0002,
                                       "contribution": -0.9, "z": -3.4, "n_before": 94.0, "n_after": 171.0}],
                                     metric="nps")  # fmt: skip
    spec = charts.deviation_chart(nodes, measure="z", metric="nps").to_dict()
    assert spec["params"][0]["name"] == "node"
    assert spec["layer"][0]["encoding"]["x"]["field"] == "z"
    assert spec["layer"][1]["mark"]["type"] == "rule"
    tooltips = {t["field"] for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert {"delta", "p_value", "z", "n_before", "n_after"} <= tooltips
    assert len(charts.deviation_chart(nodes, measure="contribution", metric="nps").to_dict()["layer"]) == 1


def test_small_weekly_samples_are_shown_by_month():
    # Two weeks of March (n 10 at 40, n 30 at 0) and one of April: March NPS = (10*40 + 30*0) / 40 = 10.
    # The week of Monday 30 March has its Thursday (2 April) in April.
    weeks = pd.DataFrame({"bucket": pd.to_datetime(["2026-03-02", "2026-03-23", "2026-03-30"]),
                          "value": [40.0, 0.0, 20.0], "n": [10.0, 30.0, 12.0]})  # fmt: skip
    months, grain = investigation.readable_timeline(weeks, "nps")
    assert grain == "month"
    assert months["value"].tolist() == [10.0, 20.0] and months["n"].tolist() == [40.0, 12.0]
    busy = weeks.assign(n=[400.0, 300.0, 500.0])
    assert investigation.readable_timeline(busy, "nps")[1] == "week"
    assert investigation.readable_timeline(weeks, "revenue")[1] == "week"  # sales: every day counts


def test_source_table_cells_carry_units():
    sources = {"nps": {"delta": -10.27, "p_value": 0.0306, "delta_pct": None},
               "csat_top2": {"delta": -17.18, "p_value": 1e-9, "delta_pct": None},
               "rating": None, "revenue": {"delta": -1295047.99, "p_value": None, "delta_pct": -14.5}}  # fmt: skip
    table = investigation.source_agreement(sources, "nps")
    assert table["change"].tolist() == ["-10.3 pts", "-17.2 pp", "", "-14.5 %"]
    assert table["p"].tolist() == ["p = 0.03", "p < 0.001", "", "no test"]


def test_action_sentence():
    effect = {**ST007_NPS, "id": 1, "date": "2026-03-01", "description": "New delivery partner"}
    assert investigation.action_sentence("csat_top2", effect).startswith(
        "After “New delivery partner” (2026-03-01), comparing 56 days either side: CSAT top-2-box fell 7.5 "
        "percentage points (36.4 % → 28.8 %, n 415 → 423, p = 0.14)."
    )
    empty = {**dict.fromkeys(ST007_NPS), "id": 2, "date": "2026-10-30", "description": "Late action"}
    assert investigation.action_sentence("nps", empty) == (
        "After “Late action” (2026-10-30): not enough data 56 days either side to compare."
    )
