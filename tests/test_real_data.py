"""Real public exports load through mapping options alone; counts are checked against the files."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import count, load
from tests.helpers import rows as query

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [
    os.environ.get("CX_REAL_DATA_DIR", ""),
    ROOT.parent / "shared/data/real",
    "/work/shared/data/real",
]
REAL = next((Path(c) for c in CANDIDATES if c and Path(c, "disneyland").is_dir()), None)

pytestmark = pytest.mark.skipif(REAL is None, reason="the shared real datasets are not on this machine")


def read_rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return list(csv.DictReader(io.StringIO(text)))


def disneyland_expectation(rows: list[dict]) -> tuple[int, int, int]:
    """(loaded, duplicate, rejected): 'missing' dates are rejected, exact repeated rows are duplicates."""
    dated = [tuple(r.values()) for r in rows if r["Year_Month"] != "missing"]
    repeats = sum(n - 1 for n in Counter(dated).values())
    return len(dated) - repeats, repeats, len(rows) - len(dated)


def test_disneyland_reviews(database_url, capsys):
    path = REAL / "disneyland/DisneylandReviews_HK_subset.csv"
    options = ("--create-stores", "--set", "region=Asia", "--set", "platform=TripAdvisor")
    code, subset = load(capsys, database_url, "reviews", path, *options)
    assert code == 0, subset
    subset_rows = rows = read_rows(path)
    assert subset["rows_read"] == len(rows) == 4405
    assert (
        subset["rows_loaded"],
        subset["rows_duplicate"],
        subset["rows_rejected"],
    ) == disneyland_expectation(rows)
    assert (
        count(database_url, "review", "WHERE text IS NOT NULL AND length(text) > 20") == subset["rows_loaded"]
    )

    path = REAL / "disneyland/disneyland_reviews.csv"
    code, full = load(
        capsys, database_url, "reviews", path, "--create-stores", "--set", "platform=TripAdvisor"
    )
    assert code == 0, full
    rows = read_rows(path)
    loaded, repeats, rejected = disneyland_expectation(rows)
    assert full["rows_read"] == len(rows) == 42652
    assert full["rows_rejected"] == rejected == 2613
    assert full["rows_loaded"] + full["rows_duplicate"] == loaded + repeats
    dated_ids = {r["Review_ID"] for r in rows + subset_rows if r["Year_Month"] != "missing"}
    # two subset reviews are not in the full file
    assert count(database_url, "review") == len(dated_ids) == loaded + 2
    assert count(database_url, "store") == 3
    assert count(database_url, "review", "WHERE date_precision = 'month'") == len(dated_ids)


def test_favorita_stores_and_transactions(database_url, capsys):
    code, stores = load(
        capsys, database_url, "stores", REAL / "favorita/stores.csv", "--set", "brand=Favorita"
    )
    assert code == 0 and stores["rows_loaded"] == 54
    assert count(database_url, "region") == len({r["state"] for r in read_rows(REAL / "favorita/stores.csv")})
    path = REAL / "favorita/transactions.csv"
    code, sales = load(capsys, database_url, "sales", path)
    assert code == 0, sales
    rows = read_rows(path)
    assert sales["rows_read"] == len(rows) == 83488
    assert sales["rows_loaded"] == len({(r["store_nbr"], r["date"]) for r in rows})
    total = sum(int(r["transactions"]) for r in rows)
    assert count(database_url, "sales") == sales["rows_loaded"]
    assert query(database_url, "SELECT sum(transactions), min(date), max(date) FROM sales")[0][0] == total


def test_uci_restaurants(database_url, capsys):
    code, stores = load(
        capsys, database_url, "stores", REAL / "uci_restaurants/geoplaces2.csv", "--set", "brand=UCI"
    )
    assert code == 0 and stores["rows_loaded"] == 130
    assert count(database_url, "store", "WHERE latitude BETWEEN 18 AND 24") == 130
    path = REAL / "uci_restaurants/rating_final.csv"
    base = ("--set", "touchpoint=In-store service", "--set", "responded_at=2012-01-01",
            "--map", "food_rating=attr_food", "--map", "service_rating=attr_service")  # fmt: skip
    code, refused = load(capsys, database_url, "surveys", path, *base)
    assert code == 1 and "0-2" in refused["error"] and count(database_url, "survey_response") == 0
    rescale = ("--rescale", "csat=0-2", "--rescale", "attr_*=0-2")
    code, surveys = load(capsys, database_url, "surveys", path, *base, *rescale)
    assert code == 0, surveys
    rows = read_rows(path)
    assert surveys["rows_loaded"] == len(rows) == 1161
    assert count(database_url, "survey_attribute") == 2 * 1161
    assert count(database_url, "survey_response", "WHERE csat = 5") == sum(r["rating"] == "2" for r in rows)
    code, again = load(capsys, database_url, "surveys", path, *base, *rescale)
    assert (again["rows_loaded"], again["rows_duplicate"]) == (0, 1161)
