"""The root-cause investigation's sentences, drill path and comment slices, checked against hand-worked
numbers; the query functions on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cx.analysis import drilldown
from cx.analysis.explain import weekly_series
from cx.config import make_engine
from cx.periods import Period
from cx.present import charts
from cx.present import root_cause as investigation
from cx.store.scope import Scope
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


def test_what_sentence_says_the_change_in_plain_words():
    assert investigation.what_sentence("nps", ST007_NPS, where="At store ST007") == (
        "At store ST007, NPS fell 7.5 points (36.4 → 28.8); that is within what chance alone could produce."
    )
    since = investigation.what_sentence("nps", ST007_NPS, where="At store ST007", since=dt.date(2026, 3, 1))
    assert since.startswith("At store ST007, NPS fell 7.5 points since March 2026 (36.4 → 28.8)")
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
        "CSAT top-2-box rose 10.5 percentage points (70.0 % → 80.5 %); that is far more than chance would explain."
    )
    assert investigation.what_sentence("csat_top2", {**rise, "p_value": 0.03}).endswith(
        "that is more than chance would explain."
    )


def test_what_details_carry_n_interval_test_and_p():
    assert investigation.what_details("nps", ST007_NPS) == (
        "n 415 → 423 answers · 95 % interval of the change -17.6 to +2.5 · p = 0.14 (z-test of the difference "
        "of two NPS on the answer counts, two-sided)."
    )
    top2 = investigation.what_details("csat_top2", {**ST007_NPS, "p_value": 0.0004})
    assert top2.endswith("p < 0.001 (two-proportion z-test, two-sided).")


def test_a_change_on_fewer_than_30_answers_is_a_small_sample():
    # 9 answers before, 15 after: the sentence names the counts instead of a verdict
    small = {**ST007_NPS, "before": 20.0, "after": 88.9, "delta": 68.9, "p_value": 0.04, "n_before": 9.0,
             "n_after": 15.0}  # fmt: skip
    assert investigation.what_sentence("nps", small, where="At ST007 · Checkout") == (
        "At ST007 · Checkout, NPS rose 68.9 points (20.0 → 88.9), but on only 9 and 15 answers: too few to tell "
        "from chance."
    )


def test_what_sentence_for_sales_and_for_missing_data():
    # 1,000,000 -> 900,000 is -10.0 %; sales have no sampling test
    sales = {"before": 1_000_000.0, "after": 900_000.0, "delta": -100_000.0, "p_value": None, "n_before": 90.0,
             "n_after": 90.0, "low": None, "high": None}  # fmt: skip
    money = f"{investigation.format_money(1e6)} → {investigation.format_money(9e5)}"
    assert investigation.what_sentence("revenue", sales) == (
        f"Revenue fell 10.0 % ({money}); sales are counted in full, so this is the actual change, not an estimate."
    )
    assert investigation.what_details("revenue", sales) == "90 → 90 store-days with sales; no sampling test."
    empty = dict.fromkeys(ST007_NPS) | {"n_before": 0.0, "n_after": 12.0}
    assert investigation.what_sentence("rating", empty, where="In region Gulf") == (
        "In region Gulf, Review rating cannot be compared: a window has no data."
    )
    apart = {**empty, "comparable": False}
    assert (
        investigation.what_sentence("nps", apart)
        == "NPS cannot be compared between these windows (see below)."
    )


def test_too_few_answers():
    assert not investigation.too_few_answers("nps", ST007_NPS)
    assert investigation.too_few_answers("nps", {**ST007_NPS, "n_after": 29.0})
    assert investigation.too_few_answers("csat_top2", {**ST007_NPS, "n_before": None})
    assert not investigation.too_few_answers("revenue", {**ST007_NPS, "n_after": 3.0})  # sales: not a sample


def test_when_sentence():
    ongoing = {"start": "2026-03-01", "end": None, "duration_days": 245, "ongoing": True, "p_value": 0.024,
               "series": "touchpoint Delivery", "searched_months": 19}  # fmt: skip
    assert investigation.when_sentence(ongoing) == (
        "Searching every part month by month, the clearest change larger than chance is in touchpoint Delivery: "
        "it began in March 2026 and is still going on (245 days so far)."
    )
    ended = {
        **ongoing,
        "end": "2026-06-01",
        "duration_days": 93,
        "ongoing": False,
        "series": "the whole scope",
    }
    assert (
        investigation.when_sentence(ended) == "It began in March 2026 and lasted until 2026-06-01 (93 days)."
    )
    none = {**dict.fromkeys(ongoing), "searched_months": 19}
    assert investigation.when_sentence(none) == (
        "No change stands out in the last 19 months: none is larger than chance would explain."
    )


# Hand-made nodes in the engine's order; q_value is each node's own before/after test after
# Benjamini-Hochberg across its level, z the engine's ranking (change beyond the expected one).
NODES = [
    {"store_id": "ST007", "touchpoint": "Delivery", "before": 60.0, "after": 23.0, "delta": -37.0, "p_value": 0.0002,
     "q_value": 0.001, "contribution": -0.9, "z": -3.4, "n_before": 94.0, "n_after": 171.0, "share_before": 17.9,
     "share_after": 38.8},
    {"store_id": "ST007", "touchpoint": None, "before": 40.0, "after": 25.9, "delta": -14.1, "p_value": 0.002,
     "q_value": 0.08, "contribution": -2.2, "z": -1.5, "n_before": 579.0, "n_after": 501.0},
    {"store_id": "ST004", "touchpoint": "Website", "before": 50.0, "after": 3.8, "delta": -46.2, "p_value": 0.01,
     "q_value": 0.04, "contribution": -0.3, "z": None, "n_before": 8.0, "n_after": 23.0, "measured": "nps"},
    # a rise whose share of the answers rose too: the engine's combined z is negative, the change is not
    {"store_id": "ST002", "touchpoint": "Checkout", "before": 40.0, "after": 60.0, "delta": 20.0, "p_value": 0.001,
     "q_value": 0.01, "contribution": 0.2, "z": -2.0, "n_before": 50.0, "n_after": 60.0},
]  # fmt: skip


def test_node_verdicts_follow_the_change_and_its_corrected_test():
    frame = investigation.node_frame(NODES, metric="csat_top2")
    assert list(frame["label"]) == ["ST007 · Delivery", "ST007", "ST004 · Website", "ST002 · Checkout"]
    assert list(frame["verdict"]) == [
        "worse (significant)",
        "within noise",
        "small sample",
        "better (significant)",
    ]
    assert list(frame["measured"]) == ["csat_top2", "csat_top2", "nps", "csat_top2"]
    assert frame["share_after"].iloc[0] == 38.8 and frame["share_after"].iloc[1:3].isna().all()
    sales = investigation.node_frame([{**NODES[1], "z": None}], metric="revenue")
    assert list(sales["verdict"]) == ["not like-for-like"]
    assert investigation.node_frame([], metric="nps").empty


def test_where_sentence_names_the_first_significant_node_in_plain_words():
    frame = investigation.node_frame(NODES, metric="csat_top2")
    assert investigation.where_sentence("csat_top2", frame, scope_name="the whole brand") == (
        "ST007 · Delivery stands out: it fell 37.0 percentage points (60.0 % → 23.0 %); that is far more than "
        "chance would explain, and far more than the same touchpoint moved across the brand. ST002 · Checkout "
        "moved the other way, also beyond chance."
    )
    calm = investigation.node_frame(NODES[1:2], metric="nps")
    assert investigation.where_sentence("nps", calm, scope_name="region Gulf") == (
        "Nothing below region Gulf changed by more than chance would explain. The clearest change, ST007, fell "
        "14.1 points: within noise."
    )
    tiny = investigation.node_frame(NODES[2:3], metric="nps")
    assert investigation.where_sentence("nps", tiny, scope_name="region Gulf") == (
        "Nothing below region Gulf has 30 answers in both windows: too few to tell changes from chance."
    )


def test_a_touchpoint_measured_in_nps_says_so():
    nodes = investigation.node_frame([
        {"store_id": "ST002", "touchpoint": "Returns", "before": 40.0, "after": 65.0, "delta": 25.0, "p_value": 0.01,
         "q_value": 0.03, "contribution": 0.1, "z": 2.6, "n_before": 40.0, "n_after": 45.0, "measured": "nps"},
    ], metric="rating")  # fmt: skip
    assert investigation.where_sentence("rating", nodes, scope_name="the whole brand") == (
        "ST002 · Returns stands out: it rose 25.0 points in NPS (40.0 → 65.0); that is more than chance would "
        "explain, and far more than the same touchpoint moved across the brand."
    )


def test_sales_nodes_are_shown_by_contribution():
    # no z for sales (no store traded like-for-like): the page shows the largest contribution first
    nodes = investigation.node_frame([
        {"store_id": "ST001", "touchpoint": None, "delta": 1e5, "p_value": None, "contribution": 2e3, "z": None,
         "n_before": 90.0, "n_after": 90.0},
        {"store_id": "ST002", "touchpoint": None, "delta": -4e5, "p_value": None, "contribution": -9e3, "z": None,
         "n_before": 90.0, "n_after": 90.0},
    ], metric="revenue")  # fmt: skip
    assert list(investigation.display_order(nodes)["label"]) == ["ST002", "ST001"]
    assert investigation.where_sentence("revenue", nodes, scope_name="the whole brand") == (
        "ST002 contributes most to the change (-9,000); no store traded on enough days of both windows to compare "
        "its growth with its peers'."
    )
    details = investigation.where_details("revenue", {"delta": -7e3, "p_value": None}, scope_name="the whole brand",
                                          store=False)  # fmt: skip
    assert details.startswith(
        "Sales carry no sampling error, so each store's growth is judged against its peers"
    )
    assert "1.4826 × MAD" in details and "contribution" in details


def test_sales_growth_against_peers():
    # ST002 went from 500,000 to 400,000: -20.0 % growth; its peer z of -3.1 survives the correction
    nodes = investigation.node_frame([
        {"store_id": "ST002", "touchpoint": None, "before": 5e5, "delta": -1e5, "p_value": None, "contribution": -9e3,
         "z": -3.1, "q_value": 0.004, "n_before": 90.0, "n_after": 90.0},
        {"store_id": "ST001", "touchpoint": None, "before": 4e5, "delta": 1e4, "p_value": None, "contribution": 2e3,
         "z": 0.4, "q_value": 0.69, "n_before": 90.0, "n_after": 90.0},
    ], metric="revenue")  # fmt: skip
    assert list(nodes["verdict"]) == ["worse (significant)", "within noise"]
    assert investigation.where_sentence("revenue", nodes, scope_name="the whole brand") == (
        "ST002 stands out: its sales fell 20.0 % (-100,000), far from the growth of the whole brand and its other "
        "stores."
    )
    assert investigation.where_sentence("revenue", nodes.iloc[1:], scope_name="the whole brand") == (
        "No store's sales growth stands out from its peers': the furthest, ST001, rose 2.5 % (+10,000)."
    )


def test_region_nodes_are_labelled_by_their_region():
    nodes = investigation.node_frame([{"region": "Gulf", "store_id": None, "touchpoint": None, "delta": -2.0,
                                       "p_value": 0.04, "contribution": -1.0, "z": -2.5, "n_before": 900.0,
                                       "n_after": 880.0}], metric="nps")  # fmt: skip
    assert list(nodes["label"]) == ["Gulf"]
    assert investigation.expected_change(None, None) == "the brand's change"


def test_expected_change_follows_the_engine():
    assert investigation.expected_change("ST007", None) == "the brand's change"
    assert (
        investigation.expected_change("ST007", "Delivery") == "the same touchpoint's change across the brand"
    )
    assert investigation.expected_change(None, "Delivery") == "the same touchpoint's change across the brand"
    assert investigation.expected_change(None, "Delivery", whole_brand=True) == "no change"
    assert investigation.whole_brand(Scope()) and investigation.whole_brand(
        Scope(visible_stores=frozenset({"S1"}))
    )
    assert not investigation.whole_brand(Scope(region="Gulf")) and not investigation.whole_brand(
        Scope(format="mall")
    )


def test_brand_touchpoints_are_measured_against_no_change():
    delivery = {"touchpoint": "Delivery", "before": 30.0, "after": 27.4, "delta": -2.6, "p_value": 0.0004,
                "q_value": 0.003, "z": -3.0, "n_before": 3034.0, "n_after": 3160.0, "share_before": 16.4,
                "share_after": 16.8, "measured": "nps"}  # fmt: skip
    touchpoints = investigation.node_frame([delivery], metric="nps", by_touchpoint=True)
    assert investigation.touchpoints_sentence("revenue", touchpoints, whole_brand=True) == (
        "Delivery moved most: it fell 2.6 points in NPS (30.0 → 27.4); that is far more than chance would explain."
    )
    assert investigation.touchpoints_sentence("nps", touchpoints).endswith(
        ", and far more than the same touchpoint moved across the brand."
    )
    calm = investigation.node_frame([{**delivery, "p_value": 0.17, "q_value": 0.17}], metric="nps",
                                    by_touchpoint=True)  # fmt: skip
    assert investigation.touchpoints_sentence("nps", calm, whole_brand=True) == (
        "No touchpoint changed by more than chance would explain; the clearest, Delivery, fell 2.6 points: within "
        "noise."
    )
    brand = investigation.touchpoints_details("nps", {"delta": -0.5, "p_value": 0.48}, scope_name="the whole brand",
                                              brand=True)  # fmt: skip
    assert brand.startswith("z = the touchpoint's change / its standard error (the brand's own touchpoints are "
                            "measured against no change), combined over NPS and top-2-box")  # fmt: skip
    store = investigation.touchpoints_details("csat_top2", {"delta": -15.0, "p_value": 1e-6}, scope_name="store ST007",
                                              brand=False)  # fmt: skip
    assert (
        "− the same touchpoint's change across the brand" in store
        and "share of the answers of store ST007" in store
    )


def test_ranking_note_follows_the_significance_of_the_scopes_change():
    # explain._ranked: z times the sign of a significant change, else |z|
    assert investigation.ranking_note("nps", {"delta": -10.3, "p_value": 0.0306}, scope_name="store ST007",
                                      parts="touchpoints") == (
        "Order: NPS of store ST007 fell significantly (p = 0.03), so touchpoints are ordered by how far they moved "
        "down beyond what was expected (z × the sign of that change); any that moved the other way come last."
    )  # fmt: skip
    assert investigation.ranking_note("rating", {"delta": 0.1, "p_value": 0.56}, scope_name="region Gulf",
                                      parts="nodes") == (
        "Order: the change in review rating of region Gulf is not significant (p = 0.56), so nodes are ordered by "
        "|z|, whichever way they moved."
    )  # fmt: skip
    assert "has no test" in investigation.ranking_note(
        "nps", None, scope_name="the whole brand", parts="nodes"
    )


def test_where_details_name_the_expected_change_of_each_level():
    brand = investigation.where_details("nps", {"delta": -0.5, "p_value": 0.48}, scope_name="the whole brand",
                                        store=False)  # fmt: skip
    assert "Expected: the brand's change for a region or a store; the same touchpoint's change across the brand " \
           "for a store × touchpoint cell." in brand  # fmt: skip
    assert "A region's or store's z combines NPS, top-2-box and review rating" in brand
    assert "ordered by |z|" in brand
    store = investigation.where_details("rating", {"delta": -0.95, "p_value": 4e-5}, scope_name="store ST007",
                                        store=True)  # fmt: skip
    assert store.startswith("z = (the touchpoint's change − the same touchpoint's change across the brand)")
    assert (
        "combined over NPS and top-2-box and over each one's share of the store's answers as Σz / √k" in store
    )
    assert "review rating of store ST007 fell significantly (p < 0.001)" in store


def test_the_main_sentences_carry_no_statistical_jargon():
    frame = investigation.node_frame(NODES, metric="nps")
    sentences = [
        investigation.what_sentence("nps", ST007_NPS, where="At store ST007"),
        investigation.where_sentence("nps", frame, scope_name="the whole brand"),
        investigation.touchpoints_sentence(
            "nps", frame.assign(label=["Delivery", "Staff", "Website", "Checkout"])
        ),
        investigation.themes_sentence([{"term": "late", "z": 9.0, "count": 12}]),
        investigation.when_sentence(
            {"start": "2026-03-01", "ongoing": True, "duration_days": 9, "p_value": 0.01}
        ),
    ]
    for word in ("Bonferroni", "Σz", "√k", "Dirichlet", "EWMA", "z =", "q =", "p =", "log-odds"):
        assert not any(word in sentence for sentence in sentences), word


def test_search_note_describes_the_candidate_series():
    store = investigation.search_note("nps", scope=Scope(store="ST007"), series="touchpoint Delivery")
    assert store.startswith(
        "Searched: the store's own monthly series and those of each of its touchpoints, each relative to the "
        "brand's matching series (for a touchpoint, the same touchpoint's) so that brand-wide seasonality cancels."
    )
    assert "read in NPS, top-2-box and review rating together" in store and "share of the answers" in store
    assert "clearest in touchpoint Delivery" in store and "Westfall-Young max-T" in store
    brand = investigation.search_note("csat_top2", scope=Scope(), series="store ST007 Delivery")
    assert brand.startswith("Searched: the brand's own monthly series as it is, and those of each store and each "
                            "store × touchpoint cell relative to")  # fmt: skip
    sales = investigation.search_note("revenue", scope=Scope(region="Gulf"), series=None)
    assert sales.startswith("Searched: the monthly series of the scope and of each of its stores, each relative to "
                            "the brand's matching series so that")  # fmt: skip
    assert "Revenue per day is read on its own (sales carry no sampling variance). The single" in sales
    assert "clearest in the whole scope" in sales
    cell = investigation.search_note("nps", scope=Scope(store="ST007", touchpoint="Delivery"), series=None)
    assert cell.startswith(
        "Searched: this touchpoint's own monthly series at the store, relative both to the brand's series and to "
        "the same touchpoint's across the brand so that brand-wide seasonality cancels. It is read in NPS and "
        "top-2-box together (and in its share of the answers;"
    )


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
        "Customers now write “cold” (43 times) and “late” (49 times) far more often than in the comparison comments."
    )
    assert (
        investigation.themes_sentence([])
        == "No word is used markedly more often than in the comparison comments."
    )


def test_drill_path_crumbs_go_back_up():
    crumbs = drilldown.drill_path(brand="Oasis Market", region="Gulf", store="ST007", touchpoint="Delivery",
                                      term="late")  # fmt: skip
    assert [c.label for c in crumbs] == ["Oasis Market", "Gulf", "ST007", "Delivery", "“late”"]
    assert [c.current for c in crumbs] == [False, False, False, False, True]
    assert crumbs[0].params == {"region": None, "store": None, "touchpoint": None, "term": None}
    assert crumbs[1].params == {"region": "Gulf", "store": None, "touchpoint": None, "term": None}
    assert crumbs[2].params == {"touchpoint": None, "term": None}
    assert crumbs[3].params == {"term": None}
    short = drilldown.drill_path(brand="Oasis Market", region=None, store=None, touchpoint=None, term="dirty")
    assert [(c.label, c.current) for c in short] == [("Oasis Market", False), ("“dirty”", True)]


def test_windows_are_read_back_from_the_result():
    result = {"period": {"before": "2025-06-29 to 2026-02-28", "after": "2026-03-01 to 2026-10-31"}}
    before, after = drilldown.windows(result)
    assert before == Period(dt.date(2025, 6, 29), dt.date(2026, 2, 28))
    assert after == Period(dt.date(2026, 3, 1), dt.date(2026, 10, 31)) and after.days == 245


def test_comments_with_term_match_normalised_words_newest_first():
    texts = pd.DataFrame({
        "date": ["2026-03-02", "2026-03-09", "2026-03-05", "2026-03-07"],
        "source": ["nps", "review", "survey", "nps"],
        "text": ["Delivery was LATE again!", "The latest offers are good", "تأخر التوصيل كثيراً", "late, cold"],
    })  # fmt: skip
    assert drilldown.comments_with_term(texts, "late")["text"].tolist() == [
        "late, cold",
        "Delivery was LATE again!",
    ]
    assert drilldown.comments_with_term(texts, "توصيل")["text"].tolist() == ["تأخر التوصيل كثيراً"]
    assert drilldown.comments_with_term(texts, "missing").empty
    assert drilldown.comments_with_term(texts.iloc[0:0], "late").empty


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
    share = drilldown.complaint_share(two_stores, metric="nps", scope=Scope(store="S1"), touchpoint="Delivery",
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
    comments = drilldown.touchpoint_comments(two_stores, scope=Scope(store="S1"), touchpoint="Delivery",
                                                 period=FEBRUARY)  # fmt: skip
    assert list(comments.columns) == list(drilldown.COMMENT_COLUMNS)
    assert set(comments["store_id"]) == {"S1"}  # S2's comments stay out
    assert sorted(comments["text"]) == sorted(
        [f"cold food {i}" for i in range(6)] + ["Delivery never arrives"]
    )
    assert comments["source"].value_counts().to_dict() == {"nps": 6, "review": 1}
    assert pd.to_datetime(comments["date"]).is_monotonic_decreasing


def test_timeline_chart_layers():
    series = pd.DataFrame({"bucket": pd.to_datetime(["2026-02-23", "2026-03-02"]), "value": [40.0, 10.0],
                           "low": [12.0, -20.0], "high": [62.0, 38.0], "n": [30, 25]})  # fmt: skip
    windows = pd.DataFrame({"window": ["before", "after"], "start": pd.to_datetime(["2026-02-23", "2026-03-02"]),
                            "end": pd.to_datetime(["2026-03-02", "2026-03-09"])})  # fmt: skip
    actions = pd.DataFrame({"date": ["2026-03-01"], "description": ["New delivery partner"]})
    spec = charts.timeline_chart(series, metric="nps", windows=windows, actions=actions).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rect", "area", "line", "circle", "rule"]
    band = spec["layer"][1]
    assert band["mark"]["opacity"] < 1
    assert band["encoding"]["y"]["field"] == "low" and band["encoding"]["y2"]["field"] == "high"
    assert spec["layer"][3]["encoding"]["size"]["field"] == "n"
    tooltip = spec["layer"][3]["encoding"]["tooltip"]
    assert [t["field"] for t in tooltip] == ["bucket", "value", "low", "high", "n"]
    assert [t["title"] for t in tooltip][2:4] == ["95 % low", "95 % high"]
    without = charts.timeline_chart(
        series, metric="nps", windows=windows, actions=actions.iloc[0:0]
    ).to_dict()
    assert len(without["layer"]) == 4


def test_timeline_chart_of_sales_has_no_band():
    sales = pd.DataFrame({"bucket": pd.to_datetime(["2026-02-23", "2026-03-02"]), "value": [8.8e6, 7.5e6],
                          "low": [math.nan] * 2, "high": [math.nan] * 2, "n": [280, 240]})  # fmt: skip
    windows = pd.DataFrame({"window": ["after"], "start": pd.to_datetime(["2026-03-02"]),
                            "end": pd.to_datetime(["2026-03-09"])})  # fmt: skip
    spec = charts.timeline_chart(sales, metric="revenue", windows=windows, actions=pd.DataFrame()).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "line", "circle"]
    assert [t["field"] for t in spec["layer"][2]["encoding"]["tooltip"]] == ["bucket", "value", "n"]
    assert "No interval band" in investigation.timeline_caption("revenue", "week")
    assert "95 % interval (band)" in investigation.timeline_caption("nps", "month")


def test_deviation_chart_draws_each_change_with_its_sign_and_interval():
    nodes = investigation.node_frame([{**NODES[0], "low": -50.0, "high": -24.0}, {**NODES[3], "low": 8.0, "high": 32.0}],
                                     metric="nps")  # fmt: skip
    spec = charts.deviation_chart(nodes, metric="nps").to_dict()
    assert spec["params"][0]["name"] == "node"
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["field"] == "delta"  # a rise to the right, a fall to the left
    assert (
        spec["layer"][1]["encoding"]["x"]["field"] == "low"
        and spec["layer"][1]["encoding"]["x2"]["field"] == "high"
    )
    tooltips = {t["field"] for t in bars["encoding"]["tooltip"]}
    assert {
        "before",
        "after",
        "delta",
        "low",
        "high",
        "q_value",
        "n_before",
        "n_after",
        "verdict",
    } <= tooltips
    assert "z" not in tooltips


def test_small_weekly_samples_are_shown_by_month_with_intervals(two_stores):
    weekly = weekly_series(two_stores, metric="nps", scope=Scope(store="S1"))
    assert weekly["n"].max() < 20
    months, grain = drilldown.readable_timeline(
        two_stores, metric="nps", scope=Scope(store="S1"), weekly=weekly
    )
    assert grain == "month" and list(months.columns) == ["bucket", "value", "low", "high", "n"]
    assert list(months["bucket"]) == list(pd.to_datetime(["2026-01-01", "2026-02-01"]))
    assert months["n"].tolist() == [5.0, 9.0]
    # January: 1 promoter, 0 passives, 4 detractors -> NPS -60. Adjusted Wald (Rocks 2016): add 0.75, 1.5, 0.75,
    # n' = 8, p' = 0.21875, d' = 0.59375, V' = p' + d' - (p' - d')^2 = 0.671875,
    # 100 (-0.375 -+ 1.959964 sqrt(0.671875 / 8)) = -94.30 to 19.30.
    # February: 1 promoter (9), 0 passives, 8 detractors -> -77.8; n' = 12, p' = 0.145833, d' = 0.729167,
    # V' = 0.534722 -> -99.71 to -16.96.
    assert months["value"].tolist() == pytest.approx([-60.0, -700 / 9])
    assert months["low"].tolist() == pytest.approx([-94.30, -99.71], abs=0.01)
    assert months["high"].tolist() == pytest.approx([19.30, -16.96], abs=0.01)
    weeks, grain = drilldown.readable_timeline(two_stores, metric="nps", scope=Scope(store="S1"), weekly=weekly,
                                                   min_weekly=1)  # fmt: skip
    assert grain == "week"  # the same weeks as the engine's series, each with its interval
    assert list(weeks["bucket"]) == list(pd.to_datetime(weekly["bucket"]))
    assert weeks["value"].tolist() == pytest.approx(weekly["value"].tolist())
    assert weeks["n"].tolist() == weekly["n"].tolist()
    # the adjusted-Wald interval is centred on the adjusted estimate: an all-detractor week (-100) has
    # its interval partly above it, so only the order of the bounds is checked
    assert (weeks["low"] < weeks["high"]).all()


def test_sales_timeline_stays_weekly_without_an_interval(two_stores):
    weekly = pd.DataFrame({"bucket": pd.to_datetime(["2026-03-02", "2026-03-09"]), "value": [9e5, 8e5],
                           "n": [7, 7]})  # fmt: skip
    series, grain = drilldown.readable_timeline(two_stores, metric="revenue", scope=Scope(), weekly=weekly)
    assert grain == "week" and series["value"].tolist() == [9e5, 8e5]
    assert series[["low", "high"]].isna().all().all()


def test_source_table_cells_carry_units():
    sources = {"nps": {"delta": -10.27, "p_value": 0.0306, "delta_pct": None},
               "csat_top2": {"delta": -17.18, "p_value": 1e-9, "delta_pct": None},
               "rating": None, "revenue": {"delta": -1295047.99, "p_value": None, "delta_pct": -14.5}}  # fmt: skip
    table = investigation.source_agreement(sources, "nps")
    assert table["change"].tolist() == ["-10.3 pts", "-17.2 pp", "", "-14.5 %"]
    assert table["p"].tolist() == ["p = 0.03", "p < 0.001", "", "no test"]


def test_action_sentence():
    effect = {**ST007_NPS, "id": 1, "date": "2026-03-01", "description": "New delivery partner"}
    assert investigation.action_sentence("csat_top2", effect) == (
        "After “New delivery partner” (2026-03-01), comparing 56 days either side: CSAT top-2-box fell 7.5 "
        "percentage points (36.4 % → 28.8 %); that is within what chance alone could produce."
    )
    empty = {**dict.fromkeys(ST007_NPS), "id": 2, "date": "2026-10-30", "description": "Late action"}
    assert investigation.action_sentence("nps", empty) == (
        "After “Late action” (2026-10-30): not enough data 56 days either side to compare."
    )


def test_a_node_is_significant_only_after_the_correction_and_with_30_answers():
    # p = 0.04 alone would pass; its q = 0.85 after Benjamini-Hochberg across the level does not, and
    # 12 and 10 answers are a small sample anyway
    nodes = investigation.node_frame([
        {"store_id": "ST007", "touchpoint": "Delivery", "before": 50.0, "after": 24.0, "delta": -26.0, "p_value": 0.008,
         "contribution": -2.0, "z": -11.7, "q_value": 0.03, "n_before": 87.0, "n_after": 186.0},
        {"store_id": "ST006", "touchpoint": "Returns", "delta": 30.0, "p_value": 0.04, "contribution": 0.1,
         "z": 2.6, "q_value": 0.85, "n_before": 120.0, "n_after": 100.0},
        {"store_id": "ST005", "touchpoint": "Returns", "delta": 60.0, "p_value": 0.001, "contribution": 0.1,
         "z": 2.6, "q_value": 0.01, "n_before": 12.0, "n_after": 10.0},
    ], metric="nps")  # fmt: skip
    assert list(investigation.significant(nodes)) == [True, False, False]
    assert list(nodes["verdict"]) == ["worse (significant)", "within noise", "small sample"]


def test_p_values_read_as_text_in_tables():
    values = pd.Series([0.1432, 0.0034, 2e-9, None])
    assert list(investigation.p_column(values)) == ["0.14", "0.003", "< 0.001", "no test"]
