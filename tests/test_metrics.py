"""Metric engine and its CLI on SQLite and PostgreSQL, checked against hand-worked numbers."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from cx.cli import main
from cx.config import make_engine
from cx.metrics.tables import metric_table
from cx.periods import Period
from cx.store.scope import Scope
from tests.helpers import load, write_csv

STORES = ("store_id,name,region,format", "A,Alpha,North,mall", "B,Beta,North,street", "C,Gamma,South,mall")
# Store A, January 2026: scores 10, 10, 9, 8, 7, 6, 3 -> P = 3, passives = 2, D = 2, n = 7.
# Store B: 81 top-2-box answers of 263 (Newcombe 1998, Table I: Wilson 0.2553 to 0.3662).
# Store C, 15 February 2026: one detractor.


@pytest.fixture
def loaded(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    nps = [f"a{i},A,2026-01-{i + 10},{s},Checkout" for i, s in enumerate((10, 10, 9, 8, 7, 6, 3))]
    nps.append("c1,C,2026-02-15,0,Delivery")
    load(
        capsys,
        database_url,
        "nps",
        write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score,touchpoint", *nps),
    )
    surveys = [f"b{i},B,2026-01-{1 + i % 28:02d},Phone,{5 if i < 81 else 2}" for i in range(263)]
    load(
        capsys,
        database_url,
        "surveys",
        write_csv(tmp_path / "v.csv", "response_id,store_id,responded_at,touchpoint,csat", *surveys),
    )
    reviews = [
        "r1,A,2026-01-05,5,great",
        "r2,A,2026-01-06,4,good",
        "r3,A,2026-01-31,3,ok",
        "r4,C,2026-02-01,1,bad",
    ]
    load(
        capsys,
        database_url,
        "reviews",
        write_csv(tmp_path / "r.csv", "review_id,store_id,posted_at,rating,text", *reviews),
    )
    sales = ["A,2026-01-05,100,4", "A,2026-01-06,50,", "C,2026-01-06,80,2"]
    load(
        capsys,
        database_url,
        "sales",
        write_csv(tmp_path / "x.csv", "store_id,date,revenue,transactions", *sales),
    )
    return database_url


def report(capsys, url: str, *args: str):
    capsys.readouterr()
    assert main([*args, "--db", url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_store_metrics_match_hand_worked_values(loaded, capsys):
    rows = {row["store"]: row for row in report(capsys, loaded, "metrics", "--by", "store")}
    a = rows["A"]
    assert a["nps"] == pytest.approx(100 * (3 - 2) / 7)
    # adjusted Wald: p' = 3.75/10, d' = 2.75/10, V' = 0.375 + 0.275 - 0.1^2 = 0.64,
    # 100 * (0.1 -/+ 1.959964 * sqrt(0.64 / 10)) = -39.58 .. 59.58
    assert (a["nps_low"], a["nps_high"]) == pytest.approx((-39.5836, 59.5836), abs=1e-3)
    assert (a["nps_n"], a["promoters_pct"], a["detractors_pct"]) == (
        7,
        pytest.approx(300 / 7),
        pytest.approx(200 / 7),
    )
    assert a["rating"] == pytest.approx(4.0) and a["reviews_n"] == 3
    # average ticket only over days with both revenue and transactions: 100 / 4
    assert (a["revenue"], a["transactions"], a["avg_ticket"]) == (150.0, 4.0, 25.0)
    assert a["csat_n"] is None and a["csat_top2"] is None
    b = rows["B"]
    assert b["csat_top2"] == pytest.approx(100 * 81 / 263)
    assert (b["csat_top2_low"], b["csat_top2_high"]) == pytest.approx((25.53, 36.62), abs=0.01)
    assert b["csat_mean"] == pytest.approx((81 * 5 + 182 * 2) / 263) and b["nps"] is None
    assert rows["C"]["nps"] == -100.0


def test_brand_nps_is_response_weighted_store_nps(loaded, capsys):
    brand = report(capsys, loaded, "metrics")[0]
    stores = [r for r in report(capsys, loaded, "metrics", "--by", "store") if r["nps_n"]]
    weighted = sum(r["nps"] * r["nps_n"] for r in stores) / sum(r["nps_n"] for r in stores)
    assert brand["nps"] == pytest.approx(weighted) == pytest.approx(100 * (3 - 3) / 8)


def test_period_with_partial_months_and_shrinkage(loaded):
    engine = make_engine(loaded)
    # 5 Jan .. 14 Feb: whole months none, edges from the daily rollup; store C's answer is outside
    table = metric_table(
        engine, scope=Scope(), period=Period(dt.date(2026, 1, 12), dt.date(2026, 2, 14)), by=("store",)
    )
    a = table.set_index("store").loc["A"]
    assert a["nps_n"] == 5  # scores 9, 8, 7, 6, 3 fall on 12..16 January
    assert a["rating"] == pytest.approx(3.0)  # only the 31 January review
    both = metric_table(engine, scope=Scope(), by=("store",)).set_index("store")
    # two stores with reviews: shrunk ratings lie between the raw rating and the pooled mean
    pooled = (5 + 4 + 3 + 1) / 4
    for store in ("A", "C"):
        raw, shrunk = both.loc[store, "rating"], both.loc[store, "rating_shrunk"]
        assert min(raw, pooled) - 1e-9 <= shrunk <= max(raw, pooled) + 1e-9


def test_visible_stores_limit_every_query(loaded):
    engine = make_engine(loaded)
    table = metric_table(engine, scope=Scope(visible_stores=frozenset({"A"})), by=("region",))
    assert table["region"].tolist() == ["North"]
    assert table["nps_n"].tolist() == [7] and np.isnan(table["csat_top2"][0])


def test_metrics_by_touchpoint_and_stage(loaded, capsys):
    rows = {r["touchpoint"]: r for r in report(capsys, loaded, "metrics", "--by", "touchpoint")}
    assert rows["Checkout"]["nps_n"] == 7 and rows["Phone"]["csat_n"] == 263
    assert rows["Checkout"]["rating"] is None  # reviews carry no touchpoint
    stages = {r["stage"]: r for r in report(capsys, loaded, "metrics", "--by", "stage")}
    assert stages["conversion"]["nps_n"] == 7 and stages["retention"]["nps_n"] == 1


def test_cli_contract_keys(loaded, capsys):
    metric_keys = {"nps", "nps_low", "nps_high", "nps_n", "promoters_pct", "passives_pct", "detractors_pct",
                   "csat_mean", "csat_top2", "csat_top2_low", "csat_top2_high", "csat_n", "ces_mean", "ces_n",
                   "rating", "rating_shrunk", "reviews_n", "revenue", "transactions", "avg_ticket",
                   "ces_low_effort", "ces_low_effort_low", "ces_low_effort_high"}  # fmt: skip
    assert set(report(capsys, loaded, "metrics", "--by", "region")[0]) == metric_keys | {"region"}
    compare = report(capsys, loaded, "compare", "--metric", "nps")
    assert [r["store_id"] for r in compare] == ["A", "C"]
    assert set(compare[0]) == {"store_id", "value", "low", "high", "n", "shrunk", "rank", "rank_low", "rank_high",
                               "funnel_95", "funnel_998"}  # fmt: skip
    assert {r["funnel_95"] for r in compare} <= {"above", "below", "within"}
    consistency = report(capsys, loaded, "consistency", "--metric", "rating")
    assert set(consistency) == {"metric", "n_stores", "sd", "iqr", "range", "cv", "true_sd", "icc", "kruskal_p",
                                "anova_p", "within_band_pct", "band", "index"}  # fmt: skip
    assert consistency["n_stores"] == 2 and consistency["range"] == pytest.approx(3.0)
    assert report(capsys, loaded, "drivers", "--target", "csat") == []  # no attribute ratings loaded


def test_period_options(loaded, capsys):
    rows = report(capsys, loaded, "metrics", "--from", "2026-02-01", "--to", "2026-02-28")
    assert rows[0]["nps_n"] == 1 and rows[0]["csat_n"] is None
    assert main(["metrics", "--from", "2026-13-01", "--db", loaded]) == 2


def test_edge_cases_never_crash(database_url, tmp_path, capsys):
    # empty database: every command answers with empty results, not a traceback
    assert report(capsys, database_url, "metrics", "--by", "store") == []
    assert report(capsys, database_url, "compare", "--metric", "nps") == []
    assert report(capsys, database_url, "consistency", "--metric", "nps")["n_stores"] == 0
    assert report(capsys, database_url, "drivers", "--target", "nps") == []
    # one store, one promoter: n = 1, all promoters
    load(
        capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "A,Alpha,North")
    )
    load(
        capsys,
        database_url,
        "nps",
        write_csv(tmp_path / "n.csv", "store_id,responded_at,score", "A,2026-01-05,10"),
    )
    row = report(capsys, database_url, "metrics", "--by", "store")[0]
    assert row["nps"] == 100 and row["nps_n"] == 1 and -100 <= row["nps_low"] < row["nps_high"] <= 100
    league = report(capsys, database_url, "compare", "--metric", "nps")
    assert [(r["store_id"], r["rank"], r["funnel_95"]) for r in league] == [("A", 1.0, "within")]
    one = report(capsys, database_url, "consistency", "--metric", "nps")
    assert one["n_stores"] == 1 and one["sd"] is None and one["range"] == 0.0


def test_all_alike_answers_do_not_break_comparisons(database_url, tmp_path, capsys):
    load(
        capsys,
        database_url,
        "stores",
        write_csv(tmp_path / "s.csv", "store_id,name,region", "A,A,N", "B,B,N"),
    )
    rows = [f"{s},2026-01-0{d},10" for s in "AB" for d in range(1, 4)]
    load(capsys, database_url, "nps", write_csv(tmp_path / "n.csv", "store_id,responded_at,score", *rows))
    league = report(capsys, database_url, "compare", "--metric", "nps")
    assert {r["value"] for r in league} == {100.0} and {r["shrunk"] for r in league} == {100.0}
    assert report(capsys, database_url, "consistency", "--metric", "nps")["true_sd"] is None


def test_like_for_like_sales_growth(database_url, tmp_path, capsys):
    from cx.analysis.sales import like_for_like, sales_growth

    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    rows = [f"A,2025-01-{d:02d},100,10" for d in range(1, 11)] + [
        f"A,2026-01-{d:02d},110,11" for d in range(1, 11)
    ]
    rows += [f"B,2025-01-{d:02d},100,10" for d in range(1, 11)] + [
        f"B,2026-01-{d:02d},300,30" for d in range(1, 6)
    ]
    rows += [f"C,2026-01-{d:02d},500,50" for d in range(1, 11)]
    load(
        capsys,
        database_url,
        "sales",
        write_csv(tmp_path / "x.csv", "store_id,date,revenue,transactions", *rows),
    )
    growth = sales_growth(
        make_engine(database_url), scope=Scope(), period=Period(dt.date(2026, 1, 1), dt.date(2026, 1, 10))
    )
    growth = growth.set_index("store")
    assert growth.loc["A", "revenue_growth_ly_pct"] == pytest.approx(10.0)  # 1100 vs 1000
    assert growth["lfl_ly"].to_dict() == {"A": True, "B": False, "C": False}  # B: 5 days vs 10; C: new
    result = like_for_like(growth.reset_index(), against="ly")
    assert (result["growth_pct"], result["stores"], result["excluded"]) == (pytest.approx(10.0), 1, 2)


def test_touchpoint_heatmap_and_stages(loaded):
    from cx.analysis.touchpoints import stage_rollup, touchpoint_heatmap

    engine = make_engine(loaded)
    heat = touchpoint_heatmap(engine, scope=Scope(), metric="nps").set_index(["store", "touchpoint"])
    assert heat.loc[("A", "Checkout"), "n"] == 7 and heat.loc[("A", "Checkout"), "value"] == pytest.approx(
        100 / 7
    )
    assert (
        heat.loc[("C", "Delivery"), "value"] == -100 and heat.loc[("C", "Delivery"), "stage"] == "retention"
    )
    stages = stage_rollup(engine, scope=Scope())
    assert stages["stage"].tolist() == ["consideration", "conversion", "retention"]  # journey order


def test_cx_sales_association_against_fisher_z(database_url, tmp_path, capsys):
    """Five like-for-like stores: NPS change vs revenue growth, r and its Fisher-z interval by hand."""
    from cx.analysis.sales import cx_sales_association

    stores = ["store_id,name,region", *(f"S{i},Store {i},North" for i in range(5))]
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *stores))
    # before (Jan 2025): every store 5 promoters, 5 detractors (NPS 0); after (Jan 2026): store i has
    # 5 + i promoters and 5 - i detractors, so its NPS change is 20 i points
    nps, sales = [], []
    for i in range(5):
        for n, score in enumerate([10] * 5 + [0] * 5):
            nps.append(f"b{i}_{n},S{i},2025-01-{n + 1:02d},{score}")
        for n, score in enumerate([10] * (5 + i) + [0] * (5 - i)):
            nps.append(f"a{i}_{n},S{i},2026-01-{n + 1:02d},{score}")
        growth = (0, 5, 4, 12, 15)[i]  # revenue growth in percent
        sales += [f"S{i},2025-01-{d:02d},100,10" for d in range(1, 11)]
        sales += [f"S{i},2026-01-{d:02d},{100 + growth},10" for d in range(1, 11)]
    load(
        capsys,
        database_url,
        "nps",
        write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score", *nps),
    )
    load(
        capsys,
        database_url,
        "sales",
        write_csv(tmp_path / "x.csv", "store_id,date,revenue,transactions", *sales),
    )
    result = cx_sales_association(make_engine(database_url), scope=Scope(),
                                  period=Period(dt.date(2026, 1, 1), dt.date(2026, 1, 10)))  # fmt: skip
    # x = 0, 20, 40, 60, 80 (NPS change); y = 0, 5, 4, 12, 15 (growth %):
    # x̄ = 40, ȳ = 7.2; Σ(x-x̄)(y-ȳ) = (-40)(-7.2) + (-20)(-2.2) + 0 + 20(4.8) + 40(7.8) = 288 + 44 + 96 + 312 = 740
    # Σ(x-x̄)² = 4000; Σ(y-ȳ)² = 51.84 + 4.84 + 10.24 + 23.04 + 60.84 = 150.8; r = 740 / sqrt(603200) = 0.95280
    # Fisher z: atanh(0.95280) = 1.8612; ± 1.959964 / sqrt(2) -> tanh(0.4753) = 0.4423, tanh(3.2471) = 0.9970
    assert result["stores"] == 5 and result["label"] == "association, not cause"
    assert result["change"]["r"] == pytest.approx(0.95280, abs=1e-4)
    assert (result["change"]["low"], result["change"]["high"]) == pytest.approx((0.4423, 0.9970), abs=1e-3)
