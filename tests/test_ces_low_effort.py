"""CES low-effort share (answers 6-7 on the 1-7 scale, Wilson interval) end to end: the metrics, compare and
consistency commands on SQLite and PostgreSQL, and the pages that offer the registry's metrics."""

from __future__ import annotations

import pytest
from scipy import stats as scipy_stats

from cx.metrics.registry import COMPARABLE, GOAL_METRICS, METRICS, TOUCHPOINTS, keys_for
from tests.apptest import open_page
from tests.helpers import load, write_csv
from tests.test_metrics import report

# Store A: CES 7, 6, 6, 5, 3, 1, 7, 2, 6, 4 -> 5 of 10 answers are 6 or 7.
# Store B: CES 7, 6 and eighteen 3s -> 2 of 20.
A_CES = (7, 6, 6, 5, 3, 1, 7, 2, 6, 4)
B_CES = (7, 6) + (3,) * 18


@pytest.fixture
def loaded(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores",
         write_csv(tmp_path / "s.csv", "store_id,name,region", "A,Alpha,North", "B,Beta,North"))  # fmt: skip
    rows = [f"a{i},A,2026-01-{i + 1:02d},Checkout,4,{ces}" for i, ces in enumerate(A_CES)]
    rows += [f"b{i},B,2026-01-{i + 1:02d},Delivery,4,{ces}" for i, ces in enumerate(B_CES)]
    header = "response_id,store_id,responded_at,touchpoint,csat,ces"
    load(capsys, database_url, "surveys", write_csv(tmp_path / "v.csv", header, *rows))
    return database_url


def test_metrics_json_carries_the_share_and_its_wilson_interval(loaded, capsys):
    rows = {row["store"]: row for row in report(capsys, loaded, "metrics", "--by", "store")}
    # Wilson 95 % for 5 of 10: 0.2366 to 0.7634; for 2 of 20: 0.0279 to 0.3010 (hand-worked:
    # (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964)
    assert rows["A"]["ces_low_effort"] == pytest.approx(50.0)
    assert (rows["A"]["ces_low_effort_low"], rows["A"]["ces_low_effort_high"]) == pytest.approx(
        (23.66, 76.34), abs=0.01
    )
    assert rows["B"]["ces_low_effort"] == pytest.approx(10.0)
    assert (rows["B"]["ces_low_effort_low"], rows["B"]["ces_low_effort_high"]) == pytest.approx(
        (2.79, 30.10), abs=0.01
    )
    assert rows["A"]["ces_n"] == 10 and rows["B"]["ces_n"] == 20
    brand = report(capsys, loaded, "metrics")[0]
    assert brand["ces_low_effort"] == pytest.approx(100 * 7 / 30)


def test_compare_ranks_stores_on_the_share(loaded, capsys):
    league = report(capsys, loaded, "compare", "--metric", "ces_low_effort")
    by_store = {row["store_id"]: row for row in league}
    assert by_store["A"]["rank"] == 1 and by_store["B"]["rank"] == 2
    assert (by_store["A"]["value"], by_store["A"]["n"]) == (pytest.approx(50.0), 10)
    assert (by_store["B"]["low"], by_store["B"]["high"]) == pytest.approx((2.79, 30.10), abs=0.01)


def test_consistency_of_the_share(loaded, capsys):
    result = report(capsys, loaded, "consistency", "--metric", "ces_low_effort")
    assert result["metric"] == "ces_low_effort" and result["n_stores"] == 2
    assert result["range"] == pytest.approx(40.0)
    assert result["within_band_pct"] == 0.0  # 50 and 10 are both more than 5 points from the brand's 23.3
    # Kruskal-Wallis on the answers coded 1 (low effort) or 0, as scipy computes it from the raw values
    raw = scipy_stats.kruskal([1] * 5 + [0] * 5, [1] * 2 + [0] * 18)
    assert result["kruskal_p"] == pytest.approx(raw.pvalue)


def test_the_share_is_offered_wherever_the_registry_says():
    spec = METRICS["ces_low_effort"]
    assert spec.source == "surveys" and spec.scale == (0, 100) and spec.per_touchpoint
    assert "ces_low_effort" in COMPARABLE and "ces_low_effort" in GOAL_METRICS
    assert "ces_low_effort" in keys_for(TOUCHPOINTS)


def test_pages_offer_the_share(monkeypatch, loaded):
    summary = open_page(monkeypatch, loaded, "ui/summary.py")
    assert not summary.exception
    assert any(m.label == "CES low effort" for m in summary.metric)
    compare = open_page(monkeypatch, loaded, "ui/compare.py")
    compare.selectbox(key="compare_metric").set_value("ces_low_effort").run()
    assert not compare.exception and not compare.error
    assert compare.dataframe[0].value["value"].max() == pytest.approx(50.0)
    touchpoints = open_page(monkeypatch, loaded, "ui/touchpoints.py")
    touchpoints.radio(key="touch_metric").set_value("ces_low_effort").run()
    assert not touchpoints.exception and not touchpoints.error
    goals = open_page(monkeypatch, loaded, "ui/goals.py")
    assert "CES low effort (%)" in goals.selectbox(key="goal_metric").options
    methods = open_page(monkeypatch, loaded, "ui/methods.py", section="Proportions")
    assert any("ces_low_effort" in block.value for block in methods.markdown)
