"""Revenue carries the brand's currency (``CX_CURRENCY``) on the summary tile, in wording and exports."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cx.config import Settings, currency_code
from cx.ingest.demo import generate_brand
from cx.present.exports import to_csv_bytes
from cx.present.root_cause import format_money
from tests.brands import brand_database

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter, as the dashboard does: the registry reads CX_CURRENCY when it starts.
SUMMARY = """
import json
import sys
from streamlit.testing.v1 import AppTest
from cx.metrics.registry import METRICS
app = AppTest.from_file(sys.argv[1], default_timeout=120)
app.run()
print(json.dumps({
    "exception": [e.value for e in app.exception],
    "tiles": {m.label: m.value for m in app.metric},
    "captions": [c.value for c in app.caption],
    "label": METRICS["revenue"].label,
}))
"""


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)


def test_currency_code_reads_cx_currency(monkeypatch):
    monkeypatch.delenv("CX_CURRENCY", raising=False)
    assert currency_code() is None and Settings.from_env().currency is None
    monkeypatch.setenv("CX_CURRENCY", " aed ")
    assert currency_code() == "AED" and Settings.from_env().currency == "AED"
    monkeypatch.setenv("CX_CURRENCY", "dirham")
    with pytest.raises(ValueError, match="three-letter ISO 4217"):
        currency_code()


def test_money_wording_names_the_currency(monkeypatch):
    monkeypatch.setenv("CX_CURRENCY", "EUR")
    assert format_money(71_284_000) == "EUR 71.3 M"
    assert format_money(12_480) == "EUR 12.5 k"
    assert format_money(-950) == "EUR -950"
    assert format_money(1_000_000, currency="AED") == "AED 1.0 M"
    monkeypatch.delenv("CX_CURRENCY")
    assert format_money(950) == "950"  # no currency set: none shown


def test_exports_with_revenue_carry_a_currency_column(monkeypatch):
    monkeypatch.setenv("CX_CURRENCY", "EUR")
    sales = pd.DataFrame({"store": ["ST001", "ST002"], "revenue": [1200.5, 980.0]})
    table = read_csv(to_csv_bytes(sales))
    assert (
        list(table.columns) == ["store", "revenue", "currency"] and table["currency"].tolist() == ["EUR"] * 2
    )
    goals = pd.DataFrame({"metric": ["nps", "revenue"], "target": [40.0, 3_000_000.0]})
    assert read_csv(to_csv_bytes(goals))["currency"].tolist() == ["", "EUR"]  # only the revenue goal is money
    scores = pd.DataFrame({"store": ["ST001"], "nps": [31.0]})
    assert list(read_csv(to_csv_bytes(scores)).columns) == ["store", "nps"]  # no money, no column
    monkeypatch.delenv("CX_CURRENCY")
    assert list(read_csv(to_csv_bytes(sales)).columns) == ["store", "revenue"]


@pytest.fixture(scope="module")
def brand_url(tmp_path_factory):
    brand = generate_brand(4, n_stores=6, n_regions=2, months=6, incident=None, low_region=None, tiny_store=None,
                           new_stores=0, responses_per_store_month=10, reviews_per_store_month=3)  # fmt: skip
    return f"sqlite:///{brand_database(tmp_path_factory.mktemp('currency'), brand)}"


def summary_with(brand_url: str, currency: str | None) -> dict:
    env = {**os.environ, "CX_DATABASE_URL": brand_url, "PYTHONPATH": str(ROOT)}
    env.pop("CX_CURRENCY", None)
    if currency:
        env["CX_CURRENCY"] = currency
    run = subprocess.run([sys.executable, "-c", SUMMARY, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


MONEY_CAPTION = re.compile(
    r"(?:(?P<currency>[A-Z]{3}) )?(?P<amount>\d{1,3}(?:,\d{3})*) · [+-]\d+\.\d % vs comparison"
)


def revenue_tile(page: dict, name: str) -> tuple[str, re.Match]:
    """The revenue tile's value and the match of its caption (the full amount, then its change)."""
    [caption] = [match for text in page["captions"] if (match := MONEY_CAPTION.match(text))]
    return page["tiles"][name], caption


def test_summary_revenue_tile_shows_cx_currency(brand_url):
    page = summary_with(brand_url, "EUR")
    assert not page["exception"], page["exception"]
    assert page["label"] == "Revenue (EUR)"
    value, caption = revenue_tile(page, "Revenue (EUR)")  # the tile is titled with the currency
    assert caption["currency"] == "EUR"
    # The tile shows the full amount in the caption and a short one that fits: 1,234,567 -> 1.2 M.
    amount = float(caption["amount"].replace(",", ""))
    assert value == (f"{amount / 1e6:,.1f} M" if amount >= 1e6 else f"{amount / 1e3:,.1f} k"), value


def test_summary_without_a_currency_shows_plain_amounts(brand_url):
    page = summary_with(brand_url, None)
    assert page["label"] == "Revenue"
    _, caption = revenue_tile(page, "Revenue")
    assert caption["currency"] is None


def test_make_run_shows_the_demo_brand_in_its_currency():
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nrun:", 1)[1].split("\n\n", 1)[0]
    currency = generate_brand(1, n_stores=4, n_regions=1, months=2, incident=None, low_region=None,
                              tiny_store=None, new_stores=0).story["currency"]  # fmt: skip
    assert currency == "USD" and 'CX_CURRENCY="$${CX_CURRENCY:-USD}"' in recipe
