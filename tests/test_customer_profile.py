"""One customer across stores and sources: ``customers show`` (profile and timeline, confined to a
manager's stores), the detractors at risk, ``customers export`` (everything held) and
``customers forget`` (no personal data left in any table, scores kept)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import MetaData, select

from cx.cli import main
from cx.store import users
from cx.store.customers import at_risk
from cx.store.models import Customer
from cx.store.scope import Scope
from tests.helpers import count, load, rows, write_csv

STORES = ("store_id,name,region,country", "S1,Marina,Gulf,AE", "S2,Abdali,Levant,AE")
CRM = (
    "customer_id,name,email,phone,loyalty_id,city",
    "C1,Alice Smith,alice@example.com,050 123 4567,L-001,Dubai",
    "C2,Bilal Khan,bilal@example.org,,,Sharjah",
)
POS = (
    "transaction_id,store_id,purchased_at,amount,phone,loyalty_id,customer_id",
    "T1,S1,2026-02-01 10:00,100,+971501234567,,",  # Alice by phone
    "T2,S2,2026-03-15 12:00,50,,L-001,",  # Alice by loyalty card, at the other store
    "T3,S1,2026-01-10 09:00,30,,,C2",  # Bilal, before his answer
)
NPS = (
    "response_id,store_id,responded_at,score,touchpoint,comment,email,customer_id",
    "N1,S1,2026-03-01 18:00,3,Delivery,late delivery again,Alice@Example.com,",
    "N2,S2,2026-03-20 11:00,9,In-store,,,C1",
    "N3,S1,2026-03-05 08:00,2,Checkout,queue too long,bilal@example.org,",
)


@pytest.fixture
def brand(database_url, tmp_path, capsys):
    for kind, lines in (("stores", STORES), ("customers", CRM), ("transactions", POS), ("nps", NPS)):
        assert load(capsys, database_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    assert main(["customers", "link", "--db", database_url]) == 0
    return database_url


def run(capsys, url: str, *args: str) -> tuple[int, dict | None, str]:
    capsys.readouterr()
    code = main(["customers", *args, "--db", url, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_a_profile_joins_every_source_across_stores_in_time_order(brand, capsys):
    code, profile, _ = run(capsys, brand, "show", "C1")
    assert code == 0
    assert list(profile) == ["customer_id", "name", "segment", "stores", "first_seen", "last_seen", "revenue",
                             "transactions", "last_nps", "journey_stage", "events"]  # fmt: skip
    assert profile["customer_id"] == "C1" and profile["name"] == "Alice Smith"
    assert profile["stores"] == ["S1", "S2"] and profile["revenue"] == 150.0 and profile["transactions"] == 2
    assert profile["first_seen"].startswith("2026-02-01") and profile["last_seen"].startswith("2026-03-20")
    # two purchases, and a promoter now
    assert profile["last_nps"] == 9 and profile["journey_stage"] == "advocacy"
    assert [
        (e["source"], e["store_id"], e["touchpoint"], e["score"], e["amount"]) for e in profile["events"]
    ] == [
        ("transaction", "S1", None, None, 100.0),
        ("nps", "S1", "Delivery", 3, None),
        ("transaction", "S2", None, None, 50.0),
        ("nps", "S2", "In-store service", 9, None),  # the catalogue's name
    ]
    assert profile["events"][1]["text"] == "late delivery again"
    assert "alice@" not in json.dumps(profile) and "4567" not in json.dumps(profile)


def test_a_manager_sees_a_customer_only_at_their_own_stores(brand, engine, capsys):
    users.add_user(engine, "gulf@example.com", role="regional_manager", grants=[("region", "Gulf")])
    users.add_user(engine, "levant@example.com", role="store_manager", grants=[("store", "S2")])
    code, profile, _ = run(capsys, brand, "show", "C1", "--as", "gulf@example.com")
    assert code == 0 and profile["stores"] == ["S1"] and profile["revenue"] == 100.0
    assert "S2" not in json.dumps(profile)
    code, profile, err = run(capsys, brand, "show", "C2", "--as", "levant@example.com")
    assert code == 3 and profile is None and "There is no customer C2 among those you may see" in err
    code, profile, err = run(capsys, brand, "show", "C9")
    assert code == 1 and profile is None and "There is no customer C9" in err


def test_detractors_with_no_purchase_since_their_answer_are_at_risk(brand, engine):
    risky = at_risk(engine, scope=Scope())
    assert list(risky["customer_id"]) == [
        "C2"
    ]  # Alice's latest answer is a 9; Bilal's a 2, no purchase since
    assert risky["score"].tolist() == [2] and risky["comment"].tolist() == ["queue too long"]
    assert str(risky["last_purchase"].iloc[0]).startswith("2026-01-10")
    assert at_risk(engine, scope=Scope(visible_stores=frozenset({"S2"}))).empty


def test_an_export_holds_everything_and_only_an_administrator_may_ask(brand, engine, capsys):
    users.add_user(engine, "lead@example.com", role="cx_lead")
    code, held, _ = run(capsys, brand, "export", "C1")
    assert code == 0
    assert held["customer"]["email"] == "alice@example.com" and held["customer"]["phone"] == "+971501234567"
    assert sorted(link["record_id"] for link in held["links"]) == ["N1", "N2", "T1", "T2"]
    assert len(held["events"]) == 4
    code, held, err = run(capsys, brand, "export", "C1", "--as", "lead@example.com")
    assert code == 3 and held is None and "may not export or erase customers' personal data" in err


def test_forgetting_leaves_no_personal_data_in_any_table_and_keeps_the_scores(
    brand, engine, tmp_path, capsys
):
    with engine.connect() as connection:
        keys = select(Customer.email_hash, Customer.phone_hash, Customer.loyalty_hash)
        hashes = set(connection.execute(keys.where(Customer.customer_id == "C1")).one())
    scores_before = rows(brand, "SELECT response_id, score FROM nps_response ORDER BY response_id")
    code, done, _ = run(capsys, brand, "forget", "C1")
    assert code == 0 and done["records_anonymised"] == 4 and done["links_removed"] == 4
    personal = {"Alice", "alice", "050 123", "+971501234567", "L-001", *hashes}
    leaks = []
    metadata = MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    text = str(value)
                    if any(secret in text for secret in personal) or (
                        value == "C1" and column in ("customer_id", "candidates", "kept_id", "merged_id")
                    ):
                        leaks.append(f"{table.name}.{column}: {text[:80]}")
    assert not leaks, leaks
    assert rows(brand, "SELECT response_id, score FROM nps_response ORDER BY response_id") == scores_before
    code, summary = load(capsys, brand, "customers", write_csv(tmp_path / "crm_again.csv", *CRM))
    assert code == 0 and summary["rows_loaded"] == 0
    assert any("1 customer not loaded: forgotten at their request" in n for n in summary["notices"]), summary
    assert count(brand, "customer") == 2
    assert main(["customers", "link", "--db", brand]) == 0
    assert rows(brand, "SELECT COUNT(*) FROM customer_link WHERE customer_id = 'C1'") == [(0,)]
    forgotten = rows(brand, "SELECT actor, detail FROM audit_event WHERE action = 'customer_forget'")
    assert len(forgotten) == 1 and "C1" not in forgotten[0][1]


def test_forgetting_an_unknown_customer_changes_nothing(brand, capsys):
    before = rows(brand, "SELECT COUNT(*) FROM customer_link")
    code, done, err = run(capsys, brand, "forget", "C9")
    assert code == 1 and done is None and "There is no customer C9" in err
    assert rows(brand, "SELECT COUNT(*) FROM customer_link") == before
