"""``customers link``: every NPS answer, survey answer and transaction that carries a customer key is
linked to the one CRM customer its keys name, flagged when they name several, left unlinked when they
name none; incremental, and a second run changes nothing."""

from __future__ import annotations

import json

import pytest

from cx.cli import main
from cx.store import users
from tests.helpers import load, rows, write_csv

STORES = ("store_id,name,region,country", "S1,Marina,Gulf,AE")
CRM = (
    "customer_id,name,email,phone,loyalty_id",
    "C1,Alice,alice@example.com,050 123 4567,",
    "C2,Bilal,bilal@example.org,,",
    "C3,Carla,,,L-003",
    "C4,Alice S.,,+971501234567,",  # Alice again under another id: shares her phone
)
NPS = (
    "response_id,store_id,responded_at,score,customer_id,email,loyalty_id",
    "N1,S1,2026-03-01,9,,ALICE@example.com,",  # e-mail: C1
    "N2,S1,2026-03-01,4,,,L-003",  # loyalty: C3
    "N3,S1,2026-03-02,10,C2,bilal@example.org,",  # id and e-mail agree: C2
    "N4,S1,2026-03-02,2,,alice@example.com,L-003",  # e-mail says C1, loyalty C3: a conflict
    "N5,S1,2026-03-03,7,,unknown@example.net,",  # nobody
    "N6,S1,2026-03-03,8,,,",  # no key: not a candidate
)
POS = (
    "transaction_id,store_id,purchased_at,amount,phone,email",
    "T1,S1,2026-03-04,20,0501234567,",  # the phone of C1 and C4: a conflict
    "T2,S1,2026-03-04,35,,Bilal@Example.org",  # C2
)


@pytest.fixture
def brand(database_url, tmp_path, capsys):
    for kind, lines in (("stores", STORES), ("customers", CRM), ("nps", NPS), ("transactions", POS)):
        assert load(capsys, database_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    return database_url


def link(capsys, url: str, *options: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["customers", "link", "--db", url, "--json", *options])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def links(url: str) -> list[tuple]:
    return rows(url, "SELECT source, record_id, status, customer_id, matched_on, candidates "
                     "FROM customer_link ORDER BY source, record_id")  # fmt: skip


def test_each_record_is_linked_flagged_or_left_unlinked_by_its_keys(brand, capsys):
    code, summary = link(capsys, brand)
    assert code == 0
    assert summary == {"customers": 4, "records_linked": 4, "records_unlinked": 1, "conflicts": 2,
                       "duplicate_pairs": 1}  # fmt: skip
    assert links(brand) == [
        ("nps", "N1", "linked", "C1", "email", None),
        ("nps", "N2", "linked", "C3", "loyalty", None),
        ("nps", "N3", "linked", "C2", "customer_id email", None),
        ("nps", "N4", "conflict", None, None, "C1 C3"),
        ("nps", "N5", "unlinked", None, None, None),
        ("transaction", "T1", "conflict", None, None, "C1 C4"),
        ("transaction", "T2", "linked", "C2", "email", None),
    ]


def test_a_second_run_changes_nothing_and_a_new_batch_links_only_what_is_new(brand, tmp_path, capsys):
    link(capsys, brand)
    before = links(brand)
    code, summary = link(capsys, brand)
    assert code == 0 and links(brand) == before and summary["records_linked"] == 4
    crm = write_csv(tmp_path / "crm2.csv", "customer_id,name,email", "C5,Dana,unknown@example.net")
    load(capsys, brand, "customers", crm)
    nps = write_csv(tmp_path / "nps2.csv", "response_id,store_id,responded_at,score,email",
                    "N7,S1,2026-03-05,6,dana@example.net")  # fmt: skip
    load(capsys, brand, "nps", nps)
    capsys.readouterr()
    assert main(["customers", "link", "--db", brand]) == 0
    said = capsys.readouterr().out
    assert "5 customers; 4 records looked at" in said, said  # N5 (unlinked), N4 and T1 (conflicts), N7 (new)
    after = links(brand)
    assert [link for link in after if link[1] not in ("N5", "N7")] == [b for b in before if b[1] != "N5"]
    assert ("nps", "N5", "linked", "C5", "email", None) in after
    assert ("nps", "N7", "unlinked", None, None, None) in after


def test_a_merge_settles_the_conflicts_between_the_two_and_can_be_undone(brand, capsys):
    code, summary = link(capsys, brand)
    assert summary["duplicate_pairs"] >= 1  # C1 and C4 share a phone
    capsys.readouterr()
    assert main(["customers", "merge", "C1", "C4", "--db", brand, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["merged_id"] == "C4"
    code, summary = link(capsys, brand)
    assert ("transaction", "T1", "linked", "C1", "phone", None) in links(brand)  # C1 or C4: both Alice
    assert summary["conflicts"] == 1 and summary["records_linked"] == 5
    assert main(["customers", "unmerge", "C4", "--db", brand]) == 0
    assert main(["customers", "merge", "C4", "C9", "--db", brand]) == 1
    assert "There is no customer C9" in capsys.readouterr().err


def test_raw_keys_never_reach_the_links(brand, capsys):
    link(capsys, brand)
    text = repr(rows(brand, "SELECT * FROM customer_link")).lower()
    assert "alice" not in text and "bilal" not in text and "123 4567" not in text and "l-003" not in text


def test_linking_is_for_those_who_may_import(brand, engine, capsys):
    users.add_user(engine, "lead@example.com", role="cx_lead")
    users.add_user(engine, "admin@example.com", role="admin")
    capsys.readouterr()
    assert main(["customers", "link", "--db", brand, "--json", "--as", "lead@example.com"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "may not" in err
    code, summary = link(capsys, brand, "--as", "admin@example.com")
    assert code == 0 and summary["records_linked"] == 4
    actors = rows(brand, "SELECT actor FROM audit_event WHERE action = 'customers_link'")
    assert actors == [("admin@example.com",)]
