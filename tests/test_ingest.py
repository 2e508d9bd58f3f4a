"""Importer behaviour on SQLite and PostgreSQL: idempotence, updates, mapping options, stores."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.store.queries import is_demo
from tests.helpers import count, load, rows, write_csv

STORES = ("store_id,name,region,district,city,latitude,longitude,format", "S1,Main Street,North,N1,Oslo,59.9,10.7,mall",
          "S2,Harbour,North,,Bergen,60.4,5.3,express", "S3,Old Town,South,,Rome,41.9,12.5,mall")  # fmt: skip
NPS = ("response_id,store_id,responded_at,score,touchpoint,comment", "r1,S1,2026-01-05,10,web,great",
       "r2,S1,2026-01-06,3,Phone,on hold forever", "r3,S2,2026-01-07,8,,", "r4,S3,2026-01-08,9,In-Store,nice")  # fmt: skip


@pytest.fixture
def stores_loaded(database_url, tmp_path, capsys):
    code, summary = load(capsys, database_url, "stores", write_csv(tmp_path / "stores.csv", *STORES))
    assert code == 0 and summary["rows_loaded"] == 3
    return database_url


def test_summary_keys_and_counts(stores_loaded, tmp_path, capsys):
    code, summary = load(capsys, stores_loaded, "nps", write_csv(tmp_path / "nps.csv", *NPS))
    assert code == 0
    expected = {
        "kind",
        "file",
        "rows_read",
        "rows_loaded",
        "rows_duplicate",
        "rows_rejected",
        "rejects_file",
        "batch_id",
    }
    assert expected <= set(summary)
    assert (
        summary["rows_read"],
        summary["rows_loaded"],
        summary["rows_duplicate"],
        summary["rows_rejected"],
    ) == (4, 4, 0, 0)
    assert summary["rejects_file"] is None
    assert count(stores_loaded, "import_batch", f"WHERE id = {summary['batch_id']} AND rows_loaded = 4") == 1


def test_reimport_same_and_overlapping_file_adds_no_duplicates(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "nps.csv", *NPS)
    load(capsys, stores_loaded, "nps", path)
    code, again = load(capsys, stores_loaded, "nps", path)
    assert code == 0 and (again["rows_loaded"], again["rows_duplicate"]) == (0, 4)
    overlap = write_csv(tmp_path / "nps2.csv", NPS[0], *NPS[3:], "r5,S2,2026-01-09,6,checkout,queue")
    code, third = load(capsys, stores_loaded, "nps", overlap)
    assert (third["rows_loaded"], third["rows_duplicate"]) == (1, 2)
    assert count(stores_loaded, "nps_response") == 5


def test_touchpoint_aliases_map_to_catalogue(stores_loaded, tmp_path, capsys):
    load(capsys, stores_loaded, "nps", write_csv(tmp_path / "nps.csv", *NPS))
    found = rows(
        stores_loaded,
        "SELECT n.response_id, t.name, t.stage FROM nps_response n LEFT JOIN touchpoint t "
        "ON t.id = n.touchpoint_id ORDER BY n.response_id",
    )
    assert found == [
        ("r1", "Website", "consideration"),
        ("r2", "Phone", "consideration"),
        ("r3", None, None),
        ("r4", "In-store service", "conversion"),
    ]


def test_stores_file_updates_changed_attributes_only(stores_loaded, tmp_path, capsys):
    changed = write_csv(
        tmp_path / "stores2.csv", "store_id,name,region,city", "S1,Main Street,North,Trondheim",
        "S2,Harbour,North,Bergen", "S4,New Mall,South,Milan",
    )  # fmt: skip
    code, summary = load(capsys, stores_loaded, "stores", changed)
    assert code == 0
    assert (summary["rows_loaded"], summary["rows_updated"], summary["rows_duplicate"]) == (1, 1, 1)
    # latitude was not in the file: the stored value stays
    assert rows(stores_loaded, "SELECT city, latitude FROM store WHERE store_id = 'S1'") == [
        ("Trondheim", 59.9)
    ]


def test_store_hierarchy(stores_loaded):
    found = rows(
        stores_loaded,
        "SELECT s.store_id, r.name, d.name, b.name FROM store s JOIN region r ON r.id = s.region_id "
        "JOIN brand b ON b.id = r.brand_id LEFT JOIN district d ON d.id = s.district_id ORDER BY s.store_id",
    )
    assert found == [("S1", "North", "N1", "Default brand"), ("S2", "North", None, "Default brand"),
                     ("S3", "South", None, "Default brand")]  # fmt: skip


def test_unknown_store_rejected_or_created(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "reviews.csv", "Review_ID,Branch,date,Rating,Review_Text",
                     "a,S1,2026-02-01,5,lovely", "b,Paris,2026-02-02,2,slow queue")  # fmt: skip
    code, summary = load(capsys, stores_loaded, "reviews", path)
    assert code == 0 and (summary["rows_loaded"], summary["rows_rejected"]) == (1, 1)
    code, summary = load(capsys, stores_loaded, "reviews", path, "--create-stores", "--set", "region=Europe")
    assert (summary["rows_loaded"], summary["rows_duplicate"]) == (1, 1)
    assert rows(stores_loaded, "SELECT s.name, r.name FROM store s JOIN region r ON r.id = s.region_id "
                "WHERE store_id = 'Paris'") == [("Paris", "Europe")]  # fmt: skip


def test_created_store_region_defaults_to_unassigned(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "sales.csv", "store,day,sales", "X9,2026-03-01,100.5")
    code, summary = load(capsys, stores_loaded, "sales", path, "--create-stores")
    assert code == 0 and summary["rows_loaded"] == 1
    assert rows(stores_loaded, "SELECT r.name FROM store s JOIN region r ON r.id = s.region_id "
                "WHERE store_id = 'X9'") == [("Unassigned",)]  # fmt: skip


def test_surveys_with_attributes(stores_loaded, tmp_path, capsys):
    path = write_csv(
        tmp_path / "surveys.csv", "response_id,store_id,responded_at,touchpoint,csat,ces,attr_speed,attr_staff",
        "s1,S1,2026-01-05,Checkout,5,6,4,5", "s2,S2,2026-01-06,Delivery,2,,1,", "s3,S3,2026-01-07,Phone,4,7,,",
    )  # fmt: skip
    code, summary = load(capsys, stores_loaded, "surveys", path)
    assert code == 0 and summary["rows_loaded"] == 3
    assert rows(stores_loaded, "SELECT response_id, attribute, rating FROM survey_attribute "
                "ORDER BY response_id, attribute") == [("s1", "speed", 4.0), ("s1", "staff", 5.0), ("s2", "speed", 1.0)]  # fmt: skip
    load(capsys, stores_loaded, "surveys", path)
    assert count(stores_loaded, "survey_attribute") == 3


def test_derived_ids_keep_identical_rows_and_stay_idempotent(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "nps.csv", "store_id,responded_at,score", "S1,2026-01-05,9", "S1,2026-01-05,9",
                     "S2,2026-01-05,9")  # fmt: skip
    code, summary = load(capsys, stores_loaded, "nps", path)
    assert code == 0 and summary["rows_loaded"] == 3
    code, summary = load(capsys, stores_loaded, "nps", path)
    assert (summary["rows_loaded"], summary["rows_duplicate"]) == (0, 3)


def test_rescale_is_required_for_another_scale(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "ratings.csv", "userID,placeID,rating,food_rating", "U1,S1,0,2", "U2,S1,1,1",
                     "U3,S2,2,0", "U4,S2,0,0", "U5,S3,2,1", "U6,S3,0,2")  # fmt: skip
    options = (
        "--set",
        "touchpoint=In-store service",
        "--set",
        "responded_at=2012-01-01",
        "--map",
        "food_rating=attr_food",
    )
    code, summary = load(capsys, stores_loaded, "surveys", path, *options)
    assert code == 1 and "--rescale csat=0-2" in summary["error"]
    assert count(stores_loaded, "survey_response") == 0 and count(stores_loaded, "import_batch") == 1
    code, summary = load(capsys, stores_loaded, "surveys", path, *options, "--rescale", "csat=0-2",
                         "--rescale", "attr_food=0-2")  # fmt: skip
    assert code == 0 and summary["rows_loaded"] == 6
    assert rows(stores_loaded, "SELECT csat FROM survey_response ORDER BY customer_id") == [(1.0,), (3.0,), (5.0,), (1.0,), (5.0,), (1.0,)]  # fmt: skip
    assert rows(stores_loaded, "SELECT sum(rating) FROM survey_attribute") == [(5.0 + 3 + 1 + 1 + 3 + 5,)]


def test_relative_dates_need_as_of(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "reviews.csv", "store_id,posted_at,rating,text", "S1,3 months ago,4,ok",
                     "S1,2 weeks ago,5,good")  # fmt: skip
    code, summary = load(capsys, stores_loaded, "reviews", path)
    assert code == 0 and summary["rows_rejected"] == 2
    code, summary = load(capsys, stores_loaded, "reviews", path, "--as-of", "2026-11-01")
    assert code == 0 and summary["rows_loaded"] == 2
    assert any("2026-11-01" in notice for notice in summary["notices"])
    found = sorted(
        str(r[0])[:10] + " " + r[1]
        for r in rows(stores_loaded, "SELECT posted_at, date_precision FROM review")
    )
    assert found == ["2026-08-01 month", "2026-10-18 day"]


def test_arabic_review_language_detected(stores_loaded, tmp_path, capsys):
    path = write_csv(tmp_path / "reviews.csv", "review_id,store_id,posted_at,rating,text",
                     "a,S1,2026-01-01,2,التوصيل متأخر جدا", "b,S1,2026-01-02,5,Lovely staff")  # fmt: skip
    load(capsys, stores_loaded, "reviews", path)
    assert rows(stores_loaded, "SELECT review_id, language FROM review ORDER BY review_id") == [
        ("a", "ar"),
        ("b", "en"),
    ]


def test_xlsx_file_loads(stores_loaded, tmp_path, capsys):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Store ID", "Date", "Revenue", "Transactions"])
    sheet.append(["S1", dt.datetime(2026, 1, 5), 1200.5, 40])
    sheet.append(["S2", dt.datetime(2026, 1, 5), 900, 31])
    book.save(tmp_path / "sales.xlsx")
    code, summary = load(capsys, stores_loaded, "sales", tmp_path / "sales.xlsx")
    assert code == 0 and summary["rows_loaded"] == 2
    assert rows(stores_loaded, "SELECT store_id, revenue, transactions FROM sales ORDER BY store_id") == [
        ("S1", 1200.5, 40), ("S2", 900.0, 31)]  # fmt: skip


def rows_of_csv(path: str) -> list[list[str]]:
    """The data rows of a CSV file (header left out)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def test_command_line_advice_names_its_flags(stores_loaded, tmp_path, capsys):
    path = write_csv(
        tmp_path / "nps.csv", "store_id,responded_at,score", "S9,2026-01-05,9", "S1,2026-01-05,7"
    )
    code, summary = load(capsys, stores_loaded, "nps", path, "--strict")
    assert code == 1
    assert summary["error"] == (
        f"--strict: 1 of 2 rows was rejected, so nothing was loaded; the reasons are in {summary['rejects_file']}."
    )
    reasons = rows_of_csv(summary["rejects_file"])
    assert reasons == [
        ["2", "store_id", "S9", "unknown store: load it in a stores file first, or pass --create-stores"]
    ]


def test_demo_until_an_import_of_ones_own_loads_a_row(database_url, tmp_path, capsys):
    engine = make_engine(database_url)
    assert not is_demo(engine)
    demo = pd.DataFrame({"store_id": ["D1"], "name": ["Demo"], "region": ["North"]})
    load_frame(engine, "stores", demo, ImportOptions(), name="demo:stores", reports_dir=tmp_path)
    assert is_demo(engine)
    # The demo's own stores again: every row is already there, nothing of one's own is loaded.
    load(
        capsys,
        database_url,
        "stores",
        write_csv(tmp_path / "again.csv", "store_id,name,region", "D1,Demo,North"),
    )
    assert is_demo(engine)
    load(
        capsys,
        database_url,
        "stores",
        write_csv(tmp_path / "mine.csv", "store_id,name,region", "S1,Mine,North"),
    )
    assert not is_demo(engine)
    engine.dispose()
