"""League table, consistency, changes and drivers on generated brands with known stories."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from cx.analysis.consistency import consistency
from cx.analysis.drivers import key_drivers
from cx.analysis.locations import league_table
from cx.config import make_engine
from cx.ingest.demo import Incident, generate_brand
from cx.metrics.changes import metric_changes
from cx.periods import Period
from cx.store.schema import upgrade_schema
from cx.store.scope import Scope
from tests.brands import load_brand
from tests.helpers import load, write_csv


@pytest.fixture(scope="module")
def incident_brand(tmp_path_factory):
    """12 stores, a planted Delivery incident at ST004 from March 2026 (SQLite, built once)."""
    folder = tmp_path_factory.mktemp("brand")
    url = f"sqlite:///{folder / 'cx.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    incident = Incident(
        "ST004",
        "Delivery",
        dt.date(2026, 3, 1),
        ("late", "cold"),
        ("تأخير", "بارد"),
        nps_drop=45,
        csat_drop=1.2,
    )
    brand = generate_brand(11, n_stores=12, n_regions=3, incident=incident, low_region=None, tiny_store="ST012",
                           new_stores=0, responses_per_store_month=60)  # fmt: skip
    load_brand(engine, brand, folder)
    return engine, brand


def test_league_table_is_coherent(incident_brand):
    engine, _ = incident_brand
    table, summary = league_table(engine, metric="nps", scope=Scope())
    assert len(table) == 12 and summary["stores"] == 12
    assert (table["rank_low"] <= table["rank"]).all() and (table["rank"] <= table["rank_high"]).all()
    target = summary["target"]
    between = np.minimum(table["value"], target) - 1e-9 <= table["shrunk"]
    assert (between & (table["shrunk"] <= np.maximum(table["value"], target) + 1e-9)).all()
    above = table["value"] > table["limit_high_95"]
    below = table["value"] < table["limit_low_95"]
    assert (table["funnel_95"] == np.select([above, below], ["above", "below"], "within")).all()
    # the tiny store has the widest rank interval
    widths = (table["rank_high"] - table["rank_low"]).set_axis(table["store"])
    assert widths.idxmax() == "ST012"


def test_changes_find_the_planted_incident_and_control_fdr(incident_brand):
    engine, _ = incident_brand
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 6, 30))
    changes = metric_changes(engine, metric="csat_top2", scope=Scope(touchpoint="Delivery"), period=period,
                             compare="previous", by=("store",))  # fmt: skip
    flagged = changes.loc[changes["significant"]]
    assert flagged["store"].tolist() == ["ST004"]
    assert flagged["delta"].iloc[0] < -10 and flagged["q_value"].iloc[0] >= flagged["p_value"].iloc[0]
    nps = metric_changes(
        engine, metric="nps", scope=Scope(store="ST004", touchpoint="Delivery"), period=period
    )
    assert nps["delta"].iloc[0] < -20 and nps["p_value"].iloc[0] < 0.01
    assert nps["compared_with"].iloc[0] == "2025-11-01 to 2026-02-28"


def test_consistency_against_scipy_on_raw_ratings(database_url, tmp_path, capsys):
    stores = ["store_id,name,region"] + [f"S{i},S{i},R" for i in range(3)]
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *stores))
    ratings = {"S0": [5, 5, 4, 4, 3], "S1": [3, 2, 2, 4, 1, 3], "S2": [4, 4, 5, 3]}
    rows = [
        f"{s}-{i},{s},2026-01-0{1 + i},{r},t" for s, values in ratings.items() for i, r in enumerate(values)
    ]
    load(
        capsys,
        database_url,
        "reviews",
        write_csv(tmp_path / "r.csv", "review_id,store_id,posted_at,rating,text", *rows),
    )
    result = consistency(make_engine(database_url), metric="rating", scope=Scope())
    means = np.array([np.mean(v) for v in ratings.values()])  # 4.2, 2.5, 4.0
    assert result["n_stores"] == 3
    assert result["sd"] == pytest.approx(np.std(means, ddof=1))
    assert result["range"] == pytest.approx(1.7)
    assert result["iqr"] == pytest.approx(np.percentile(means, 75) - np.percentile(means, 25))
    assert result["kruskal_p"] == pytest.approx(scipy_stats.kruskal(*ratings.values()).pvalue)
    assert result["anova_p"] == pytest.approx(scipy_stats.f_oneway(*ratings.values()).pvalue)
    # brand mean 52 / 15 = 3.467; none of 4.2, 2.5, 4.0 lies within 0.2 stars of it
    assert result["within_band_pct"] == 0.0
    assert 0 <= result["index"] <= 100


def test_drivers_rank_the_attribute_that_drives_csat(database_url, tmp_path, capsys):
    rng = np.random.default_rng(5)
    speed = rng.integers(1, 6, 400)
    staff = rng.integers(1, 6, 400)
    csat = np.clip(speed + rng.integers(-1, 2, 400), 1, 5)  # CSAT follows speed, not staff
    stores = ["store_id,name,region"] + [f"S{i},S{i},R" for i in range(12)]
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *stores))
    frame = pd.DataFrame({"response_id": [f"v{i}" for i in range(400)], "store_id": [f"S{i % 12}" for i in range(400)],
                          "responded_at": "2026-01-05", "touchpoint": "Checkout", "csat": csat,
                          "attr_speed": speed, "attr_staff": staff})  # fmt: skip
    frame.to_csv(tmp_path / "v.csv", index=False)
    load(capsys, database_url, "surveys", tmp_path / "v.csv")
    table, summary = key_drivers(make_engine(database_url), target="csat", scope=Scope(), draws=100)
    assert table["driver"].tolist() == ["speed", "staff"]
    speed_row, staff_row = table.iloc[0], table.iloc[1]
    r_speed = np.corrcoef(speed, csat)[0, 1]
    assert summary["r_squared"] == pytest.approx(table["weight"].sum())
    assert speed_row["weight"] == pytest.approx(r_speed**2, abs=0.02)  # staff is nearly orthogonal
    assert speed_row["weight_low"] <= speed_row["weight"] <= speed_row["weight_high"]
    assert staff_row["weight"] < 0.02 and speed_row["performance"] == pytest.approx(speed.mean())


def test_peer_groups(incident_brand):
    from cx.analysis.locations import peer_scope

    engine, brand = incident_brand
    stores = brand.frames["stores"].set_index("store_id")
    peers = peer_scope(engine, store_id="ST004", by="format")
    table, _ = league_table(engine, metric="nps", scope=peers)
    expected = set(stores.index[stores["format"] == stores.loc["ST004", "format"]])
    assert set(table["store"]) == expected and "ST004" in expected
