"""A stores file that changes existing stores says which store changed which attribute, and with
``--strict`` changes nothing unless ``--allow-updates``; look-alike ids are named."""

from __future__ import annotations

import pytest

from tests.helpers import count, load, write_csv

HEADER = "store_id,name,region,city"


@pytest.fixture
def stores(database_url, tmp_path, capsys):
    path = write_csv(tmp_path / "s.csv", HEADER, "S1,Harbour,North,Oslo", "S2,Station,North,Oslo")
    assert load(capsys, database_url, "stores", path)[0] == 0
    return database_url


def test_an_update_lists_each_changed_attribute(stores, tmp_path, capsys):
    path = write_csv(tmp_path / "u.csv", HEADER, "S1,Harbour Front,South,Oslo", "S2,Station,North,Oslo")
    code, summary = load(capsys, stores, "stores", path)
    assert code == 0 and summary["rows_updated"] == 1 and summary["rows_loaded"] == 0
    assert summary["changes"] == [
        {"store_id": "S1", "field": "name", "from": "Harbour", "to": "Harbour Front"},
        {"store_id": "S1", "field": "region", "from": "North", "to": "South"},
    ]


def test_strict_refuses_updates_unless_allowed(stores, tmp_path, capsys):
    path = write_csv(tmp_path / "u.csv", HEADER, "S1,Harbour Front,North,Oslo", "S3,New,North,Bergen")
    code, summary = load(capsys, stores, "stores", path, "--strict")
    assert code == 1 and summary["batch_id"] is None
    assert (
        "S1 name 'Harbour' -> 'Harbour Front'" in summary["error"] and "--allow-updates" in summary["error"]
    )
    assert count(stores, "store") == 2 and count(stores, "import_batch") == 1  # S3 not created either
    code, summary = load(capsys, stores, "stores", path, "--strict", "--allow-updates")
    assert code == 0 and summary["rows_updated"] == 1 and summary["rows_loaded"] == 1
    assert count(stores, "store", "WHERE name = 'Harbour Front'") == 1


def test_strict_loads_a_stores_file_that_changes_nothing(stores, tmp_path, capsys):
    path = write_csv(tmp_path / "same.csv", HEADER, "S1,Harbour,North,Oslo", "S4,Quay,North,Oslo")
    code, summary = load(capsys, stores, "stores", path, "--strict")
    assert code == 0 and summary["rows_loaded"] == 1 and summary["changes"] == []


def test_an_id_that_differs_only_by_case_is_named(stores, tmp_path, capsys):
    path = write_csv(tmp_path / "case.csv", HEADER, "s2,Lower,North,Oslo")
    code, summary = load(capsys, stores, "stores", path)
    assert code == 0 and summary["rows_loaded"] == 1
    assert any("only by case" in notice and "'s2' and 'S2'" in notice for notice in summary["notices"])
