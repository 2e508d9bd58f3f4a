"""The ``explain`` command: its JSON contract, actions and their effects, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from cx.analysis.explain import _peer_z, _share_z, action_effects, noise_se, record_action
from cx.cli import main
from cx.config import make_engine
from cx.ingest.demo import Incident, generate_brand
from cx.store.scope import Scope
from tests.brands import load_brand

KEYS = {"what", "when", "where", "sources", "touchpoints", "themes", "verbatims", "reaction"}


@pytest.fixture
def incident_url(engine, database_url, tmp_path):
    incident = Incident(
        "ST003", "Delivery", dt.date(2026, 3, 1), ("late", "cold"), ("تأخير", "بارد"), nps_drop=50
    )
    brand = generate_brand(2, n_stores=8, n_regions=2, incident=incident, low_region=None, tiny_store=None,
                           new_stores=0, responses_per_store_month=40, reviews_per_store_month=5)  # fmt: skip
    load_brand(engine, brand, tmp_path)
    return database_url


def explain(capsys, url: str, *args: str) -> dict:
    capsys.readouterr()
    assert main(["explain", *args, "--db", url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_explain_contract(incident_url, capsys):
    result = explain(capsys, incident_url, "--metric", "nps", "--store", "ST003", "--from", "2026-03-01",
                     "--to", "2026-10-31")  # fmt: skip
    assert set(result) >= KEYS
    assert set(result["what"]) >= {"before", "after", "delta", "p_value", "n_before", "n_after"}
    assert result["what"]["delta"] < 0 and result["what"]["n_after"] > 0
    assert set(result["when"]) >= {"start", "end", "duration_days"}
    assert set(result["sources"]) == {"nps", "csat_top2", "rating", "revenue"}
    assert all({"touchpoint", "delta", "p_value"} <= set(t) for t in result["touchpoints"])
    assert result["touchpoints"][0]["touchpoint"] == "Delivery"  # the planted touchpoint, 50 points down
    assert all(
        {"store_id", "touchpoint", "delta", "p_value", "contribution"} <= set(n) for n in result["where"]
    )
    assert all({"term", "z", "count"} <= set(t) for t in result["themes"])
    assert result["attributes"] and all(
        {"attribute", "delta", "low", "high", "p_value", "q_value", "z", "n_before", "n_after"} <= set(a)
        for a in result["attributes"]
    )
    zs = [abs(a["z"]) for a in result["attributes"] if a["z"] is not None]
    assert zs == sorted(zs, reverse=True)
    assert {"late", "cold"} & {t["term"] for t in result["themes"][:5]}
    assert all({"source", "date", "text"} <= set(v) for v in result["verbatims"])
    assert set(result["reaction"]) >= {
        "rating_delta",
        "reviews_delta",
        "transactions_delta_pct",
        "revenue_delta_pct",
    }
    assert result["reaction"]["transactions_delta_pct"] < 0


def test_brand_where_lists_stores(incident_url, capsys):
    result = explain(
        capsys, incident_url, "--metric", "csat_top2", "--from", "2026-03-01", "--to", "2026-10-31"
    )
    stores = [node["store_id"] for node in result["where"]]
    assert stores and stores[0] == "ST003"  # the planted store (as a store or through its Delivery cell)
    assert all(node["level"] in ("store", "touchpoint") for node in result["where"])
    assert sorted(region["region"] for region in result["regions"]) == ["Gulf", "Levant"]
    ranks = [node["rank"] for node in result["where"]]
    assert ranks == sorted(ranks) and not set(ranks) & {region["rank"] for region in result["regions"]}
    assert {(n["store_id"], n["touchpoint"]) for n in result["where"]} >= {("ST003", "Delivery")}


def test_actions_are_tested_before_and_after(incident_url):
    engine = make_engine(incident_url)
    record_action(engine, action_date=dt.date(2026, 3, 1), scope_type="store", scope_value="ST003",
                  description="New delivery partner")  # fmt: skip
    effects = action_effects(engine, metric="nps", scope=Scope(store="ST003"))
    assert [e["description"] for e in effects] == ["New delivery partner"]
    assert effects[0]["delta"] < 0 and effects[0]["p_value"] is not None
    with pytest.raises(ValueError, match="Describe the action"):
        record_action(
            engine, action_date=dt.date(2026, 3, 1), scope_type="brand", scope_value=None, description=" "
        )


def test_explain_on_empty_database_says_why(sqlite_url, capsys):
    assert main(["explain", "--metric", "nps", "--db", sqlite_url, "--json"]) == 1
    assert "no data" in capsys.readouterr().err


def test_share_evidence_hand_worked():
    # 20 of 200 answers before and 60 of 200 after are about the touchpoint: shares 10 % -> 30 %,
    # pooled p = 80 / 400 = 0.2, SE = 100 sqrt(0.2 * 0.8 * (1/200 + 1/200)) = 4 points, and a rise
    # of 20 points (brand-wide: none) counts as deterioration: z = -20 / 4 = -5. Brand-wide the same
    # touchpoint rose by 8 points: z = -(20 - 8) / 4 = -3.
    nodes = pd.DataFrame(
        {"n_before": [20.0], "n_after": [60.0], "share_before": [10.0], "share_after": [30.0]}
    )
    totals = pd.DataFrame({"n_before": [200.0], "n_after": [200.0]})
    assert _share_z(nodes, totals, pd.Series([0.0])).iloc[0] == pytest.approx(-5.0)
    assert _share_z(nodes, totals, pd.Series([8.0])).iloc[0] == pytest.approx(-3.0)
    few = nodes.assign(n_before=[5.0])  # under 10 answers on one side: no evidence
    assert np.isnan(_share_z(few, totals, pd.Series([0.0])).iloc[0])


def test_noise_se_uses_the_scopes_variance():
    # Scope interval -10 +- 1.96 * 2 with 400 answers each side: V = 2^2 / (1/400 + 1/400) = 800;
    # a node with 50 and 200 answers: SE = sqrt(800 * (1/50 + 1/200)) = sqrt(20) = 4.472.
    what = {"low": -10 - 1.959964 * 2, "high": -10 + 1.959964 * 2, "n_before": 400, "n_after": 400}
    se = noise_se(what, [50, 5], [200, 200])
    assert se[0] == pytest.approx(20**0.5)
    assert np.isnan(se[1])


def test_what_lists_the_parts_that_changed(incident_url, capsys):
    # The planted store is the only store whose NPS change survives FDR control across the 8 stores;
    # inside it, Delivery is the touchpoint that changed.
    period = ["--from", "2026-03-01", "--to", "2026-10-31"]
    brand = explain(capsys, incident_url, "--metric", "nps", *period)
    assert [part["key"] for part in brand["what"]["changed"]] == ["ST003"]
    assert brand["what"]["changed"][0]["q_value"] < 0.05
    store = explain(capsys, incident_url, "--metric", "csat_top2", "--store", "ST003", *period)
    assert [part["key"] for part in store["what"]["changed"]] == ["Delivery"]
    assert store["what"]["changed"][0]["q_value"] < 0.05 and not store["what"]["changed"][0]["small"]


def test_sales_growth_is_judged_against_the_peers_spread():
    # growth -20, 0, 5, 10, 15 % (before 100 each); the scope grew 2 %. Median 5, absolute deviations
    # 25, 5, 0, 5, 10 -> MAD 5, robust spread 1.4826 * 5 = 7.413: z = (-20 - 2) / 7.413 = -2.968.
    nodes = pd.DataFrame({"before": [100.0] * 5, "delta": [-20.0, 0.0, 5.0, 10.0, 15.0]})
    z = _peer_z(nodes, {"before": 500.0, "delta": 10.0})
    assert z.iloc[0] == pytest.approx(-22 / 7.413, abs=1e-3)
    assert _peer_z(nodes.head(4), {"before": 400.0, "delta": 0.0}).isna().all()  # under 5 stores: no z
