"""CX to revenue (``python -m cx linkage``): return rates and revenue per customer by NPS group, with
intervals checked against published and hand-worked values, and censoring of windows not yet over."""

from __future__ import annotations

import json

import pytest

from cx.analysis.linkage import katz_ratio, newcombe_difference, two_proportion_p, wilson_interval
from cx.cli import main
from tests.helpers import load, write_csv


def test_wilson_intervals_match_published_values():
    # Newcombe (1998), Stat. Med. 17:857, Table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert wilson_interval(0, 5)[1] == pytest.approx(1.959964**2 / (5 + 1.959964**2), abs=1e-6)


def test_newcombe_difference_matches_the_published_example():
    # Newcombe (1998), Stat. Med. 17:873, Table II, example (a) 56/70 - 48/80, method 10: 0.0524 to 0.3339
    difference, low, high = newcombe_difference(56, 70, 48, 80)
    assert difference == pytest.approx(0.2) and (low, high) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_ratio_and_z_test_by_hand():
    # 6/10 vs 2/10: ratio 3, log SE sqrt(1/6 - 1/10 + 1/2 - 1/10) = 0.68313, so 3 exp(+-1.95996 x 0.68313)
    assert katz_ratio(6, 10, 2, 10) == pytest.approx((3.0, 0.78638, 11.4448), rel=1e-4)
    # pooled p 0.4, SE sqrt(0.4 x 0.6 x 0.2) = 0.219089, z = 1.825742, p = 0.067889
    assert two_proportion_p(6, 10, 2, 10) == pytest.approx(0.067889, abs=1e-6)


STORES = ("store_id,name,region", "S1,Marina,Gulf")


@pytest.fixture
def brand(database_url, tmp_path, capsys):
    """10 promoters (6 buy again 31 days after their answer, for 100 each), 10 detractors (2 do), 5
    passives (none); a detractor's purchase 120 days after is outside the window; a promoter answering 20
    days before the last purchase on record is censored; a promoter's second answer (a 2) does not count."""
    ids = [f"P{i}" for i in range(1, 12)] + [f"D{i}" for i in range(1, 11)] + [f"M{i}" for i in range(1, 6)]
    crm = ["customer_id", *ids]
    nps = ["response_id,store_id,responded_at,score,customer_id"]
    nps += [
        f"A-{c},S1,2026-01-01 10:00,{10 if c[0] == 'P' else 2 if c[0] == 'D' else 7},{c}"
        for c in ids
        if c != "P11"
    ]
    nps += ["A-P11,S1,2026-06-10 10:00,9,P11", "B-P1,S1,2026-03-01 10:00,2,P1"]
    pos = ["transaction_id,store_id,purchased_at,amount,customer_id"]
    pos += [f"T-P{i},S1,2026-02-01 12:00,100,P{i}" for i in range(1, 7)]
    pos += [f"T-D{i},S1,2026-02-01 12:00,50,D{i}" for i in range(1, 3)]
    pos += ["T-late,S1,2026-05-01 12:00,500,D3", "T-end,S1,2026-06-30 12:00,10,D4"]
    for kind, lines in (("stores", STORES), ("customers", crm), ("nps", nps), ("transactions", pos)):
        assert load(capsys, database_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    assert main(["customers", "link", "--db", database_url]) == 0
    return database_url


def test_linkage_by_nps_group_with_intervals_and_censoring(brand, capsys):
    capsys.readouterr()
    assert main(["linkage", "--db", brand, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    groups = {row["group"]: row for row in result["groups"]}
    assert [row["group"] for row in result["groups"]] == ["promoter", "passive", "detractor"]
    assert result["customers"] == 25 and result["censored"] == 1 and result["days"] == 90
    promoter, passive, detractor = groups["promoter"], groups["passive"], groups["detractor"]
    assert (promoter["n"], promoter["return_rate"]) == (10, 0.6)
    assert (promoter["return_low"], promoter["return_high"]) == pytest.approx((0.3127, 0.8318), abs=5e-5)
    assert (detractor["n"], detractor["return_rate"]) == (10, 0.2)
    assert (detractor["return_low"], detractor["return_high"]) == pytest.approx((0.0567, 0.5098), abs=5e-5)
    assert (passive["n"], passive["return_rate"], passive["return_low"]) == (5, 0.0, 0.0)
    # promoters' revenue: six 100s and four 0s, mean 60, SD 51.6398, t(0.975, 9) = 2.262157: 60 +- 36.941
    assert promoter["revenue_per_customer"] == pytest.approx(60.0)
    assert (promoter["revenue_low"], promoter["revenue_high"]) == pytest.approx((23.059, 96.941), abs=1e-3)
    assert detractor["revenue_per_customer"] == pytest.approx(10.0)  # the 500 came after 120 days
    difference = result["difference"]
    assert difference["return_rate"] == pytest.approx(0.4)
    assert difference["return_ratio"] == pytest.approx(3.0) and difference["p_value"] == pytest.approx(
        0.067889, abs=1e-6
    )
    assert difference["revenue_per_customer"] == pytest.approx(50.0)


def test_a_shorter_window_and_a_period(brand, capsys):
    capsys.readouterr()
    assert main(["linkage", "--db", brand, "--json", "--days", "30"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {row["group"]: row["return_rate"] for row in result["groups"]}["promoter"] == 0.0  # 31 days later
    assert main(["linkage", "--db", brand, "--json", "--from", "2026-02-15", "--to", "2026-12-31"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["customers"] == 1 and result["groups"][2]["n"] == 1  # P1's second answer, a 2
    assert main(["linkage", "--db", brand, "--days", "0"]) == 2


def test_the_summary_says_what_a_promoter_is_worth(monkeypatch, sqlite_url, tmp_path, capsys):
    """40 promoters of whom 30 buy again, 40 detractors of whom 10 do: 3.0x, Katz interval
    3 exp(+-1.95996 sqrt(1/30 - 1/40 + 1/10 - 1/40)) = 1.70 to 5.28."""
    from tests.apptest import open_page

    ids = [f"P{i}" for i in range(40)] + [f"D{i}" for i in range(40)]
    nps = ["response_id,store_id,responded_at,score,customer_id"]
    nps += [f"A-{c},S1,2026-01-01 10:00,{9 if c[0] == 'P' else 3},{c}" for c in ids]
    pos = ["transaction_id,store_id,purchased_at,amount,customer_id", "T-end,S1,2026-06-30 12:00,1,D39"]
    pos += [f"T-{c},S1,2026-02-01 12:00,100,{c}" for c in ids[:30] + ids[40:50]]
    for kind, lines in (("stores", STORES), ("customers", ["customer_id", *ids]), ("nps", nps),
                        ("transactions", pos)):  # fmt: skip
        assert load(capsys, sqlite_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    assert main(["customers", "link", "--db", sqlite_url]) == 0
    app = open_page(monkeypatch, sqlite_url, "ui/summary.py")
    assert "Value of CX" in [header.value for header in app.subheader]
    said = " ".join(markdown.value for markdown in app.markdown).replace("\\", "")
    assert (
        "A promoter bought again within 90 days 3.0x as often as a detractor (95 % interval 1.7-5.3" in said
    )
    assert "75% of promoters against 25% of detractors, n = 40 and 40" in said
    assert "a promoter spent" in said and "more than a detractor" in said
