"""The CRM's customers and the loyalty/POS transactions go through the same import as every other
file (mapping, rejects, idempotency, undo); e-mail, phone and loyalty numbers in them and in NPS and
survey answers are kept as keyed hashes, the raw values only in the customers table."""

from __future__ import annotations

import pytest

from cx.cli import main
from tests.helpers import count, load, rows, write_csv

STORES = ("store_id,name,region,country", "S1,Marina,Gulf,AE", "S2,Deira,Gulf,AE")
CUSTOMERS = (
    "customer_id,name,email,phone,loyalty_id,city,segment,signed_up_at",
    "C1,Alice Smith, Alice.Smith@Example.COM ,050 123 4567,L-001,Dubai,gold,1995-03-01",
    "C2,Bilal Khan,bilal@example.org,+971 55 765 4321,,Sharjah,,2024-11-30",
    "C3,Carla Diaz,not-an-email,,L-003,Dubai,silver,",
)


@pytest.fixture
def brand(database_url, tmp_path, capsys):
    assert load(capsys, database_url, "stores", write_csv(tmp_path / "stores.csv", *STORES))[0] == 0
    return database_url


def test_customers_load_with_their_keys_normalised_and_hashed(brand, tmp_path, capsys):
    path = write_csv(tmp_path / "crm.csv", *CUSTOMERS)
    code, summary = load(capsys, brand, "customers", path)
    assert code == 0 and summary["rows_loaded"] == 3 and summary["rows_rejected"] == 0
    found = rows(brand, "SELECT customer_id, email, phone, loyalty_id, segment, signed_up_at, email_hash, "
                        "phone_hash FROM customer ORDER BY customer_id")  # fmt: skip
    alice, bilal, carla = found
    assert alice[1:5] == ("alice.smith@example.com", "+971501234567", "L-001", "gold")
    assert str(alice[5]) == "1995-03-01"  # a sign-up long before any feedback is kept
    assert bilal[2] == "+971557654321" and bilal[4] is None
    assert carla[1] is None and carla[6] is None and carla[2] is None  # unreadable e-mail left out
    assert len(alice[6]) == 64 and alice[6] != bilal[6] and alice[7] != bilal[7]
    assert any("row 4" in notice and "e-mail" in notice.lower() for notice in summary["notices"]), summary
    code, again = load(capsys, brand, "customers", path)
    assert code == 0 and again["rows_loaded"] == 0 and again["rows_duplicate"] == 3
    assert count(brand, "customer") == 3


def test_transactions_and_answers_keep_only_the_hashes_of_a_customers_keys(brand, tmp_path, capsys):
    load(capsys, brand, "customers", write_csv(tmp_path / "crm.csv", *CUSTOMERS))
    purchases = write_csv(
        tmp_path / "pos.csv",
        "transaction_id,store_id,purchased_at,amount,items,email,phone",
        "T1,S1,2026-03-02 10:15,120.50,3,ALICE.SMITH@example.com,",
        "T2,S2,2026-03-05,80,1,,00971557654321",
    )
    code, summary = load(capsys, brand, "transactions", purchases)
    assert code == 0 and summary["rows_loaded"] == 2
    nps = write_csv(
        tmp_path / "nps.csv",
        "response_id,store_id,responded_at,score,email,loyalty_id",
        "N1,S1,2026-03-03,3,<alice.smith@example.com>,",
        "N2,S2,2026-03-06,10,,L-003",
    )
    assert load(capsys, brand, "nps", nps)[0] == 0
    customer = dict(
        (cid, (email, phone, loyalty))
        for cid, email, phone, loyalty in rows(
            brand, "SELECT customer_id, email_hash, phone_hash, loyalty_hash FROM customer"
        )
    )
    assert rows(
        brand, "SELECT email_hash, phone_hash, amount, items FROM purchase ORDER BY transaction_id"
    ) == [
        (customer["C1"][0], None, 120.5, 3),
        (None, customer["C2"][1], 80.0, 1),
    ]
    assert rows(brand, "SELECT email_hash, loyalty_hash FROM nps_response ORDER BY response_id") == [
        (customer["C1"][0], None),
        (None, customer["C3"][2]),
    ]
    for table in ("purchase", "nps_response"):
        columns = [name for (name,) in rows(brand, _columns_sql(brand, table))]
        assert not {"email", "phone", "loyalty_id"} & set(columns), columns
        text = repr(rows(brand, f"SELECT * FROM {table}")).lower()
        assert "alice" not in text and "765" not in text and "l-003" not in text


def _columns_sql(url: str, table: str) -> str:
    if url.startswith("sqlite"):
        return f"SELECT name FROM pragma_table_info('{table}')"
    return f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = current_schema()"


def test_bad_transactions_are_rejected_by_row_column_and_reason(brand, tmp_path, capsys):
    path = write_csv(
        tmp_path / "pos.csv",
        "transaction_id,store_id,purchased_at,amount",
        "T1,S1,2026-03-02,50",
        "T2,S9,2026-03-02,50",
        "T3,S1,2026-03-02,-5",
        "T4,S1,not a date,20",
    )
    code, summary = load(capsys, brand, "transactions", path)
    assert code == 0 and summary["rows_loaded"] == 1 and summary["rows_rejected"] == 3
    rejects = {(r["row"], r["column"]) for r in summary["rejects"]} if "rejects" in summary else None
    report = (tmp_path / "reports").glob("*transactions*.rejects.csv")
    text = "\n".join(p.read_text() for p in report)
    assert "unknown store" in text and "S9" in text and "purchased_at" in text and "amount" in text, text
    assert rejects is None or {3, 4, 5} <= {row for row, _ in rejects}


def test_undoing_a_customers_or_transactions_batch_takes_back_its_rows(brand, tmp_path, capsys):
    load(capsys, brand, "customers", write_csv(tmp_path / "crm.csv", *CUSTOMERS))
    path = write_csv(
        tmp_path / "pos.csv", "transaction_id,store_id,purchased_at,amount", "T1,S1,2026-03-02,50"
    )
    load(capsys, brand, "transactions", path)
    batches = dict(rows(brand, "SELECT kind, id FROM import_batch"))
    for kind, table in (("transactions", "purchase"), ("customers", "customer")):
        assert main(["batches", "undo", str(batches[kind]), "--db", brand]) == 0
        assert count(brand, table) == 0
