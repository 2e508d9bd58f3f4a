"""Duplicate CRM customers: found with Splink (or a shared key), proposed, merged by a person, undone.

The planted CRM is generated with a fixed seed: 40 customers; a second record for ten of them, under
another id, with the name written another way ("Smith, Alice", "alice simth", "ALICE SMITH", an accent,
a doubled letter), the same city and part of a key (the phone's last 7 digits after a slip in the
operator prefix, the e-mail's local part at another domain, the loyalty number spelt differently) or,
twice, the same e-mail address; and five near misses that no key ties together: the same name in
another city, or a relative with the same surname in the same city.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from sqlalchemy import text

from cx.identity.duplicates import INPUT_COLUMNS, PAIR_COLUMNS, find_duplicates, name_key
from cx.identity.keys import keyed_hash, normal_key
from cx.store import audit, merges
from cx.store.linking import link_customers
from tests.helpers import load, write_csv

FIRST = ("Alice", "Bilal", "Carla", "Dana", "Omar", "Fatima", "Hassan", "Layla", "Yusuf", "Maryam", "Karim",
         "Noor", "Samir", "Huda", "Tariq", "Rania")  # fmt: skip
LAST = ("Smith", "Khan", "Diaz", "Haddad", "Nasser", "Rahman", "Saleh", "Aziz", "Farouk", "Mansour")
CITIES = ("Dubai", "Sharjah", "Abu Dhabi", "Ajman")
DOMAINS = ("example.com", "example.org", "example.net")
CRM_COLUMNS = ("customer_id", "name", "email", "phone", "loyalty_id", "city")
NOW = dt.datetime(2026, 3, 10, 9, 30)


def _typo(word: str) -> str:
    """Two letters in the middle swapped: Smith -> Simth."""
    return word[0] + word[2] + word[1] + word[3:]


def planted_crm(seed: int = 20260301) -> tuple[list[dict], set[tuple[str, str]], set[tuple[str, str]]]:
    """Raw CRM rows, the planted pairs, and which of them share a key once normalised."""
    rng = random.Random(seed)
    names = rng.sample([(first, last) for first in FIRST for last in LAST], 40)
    people = []
    for number, (first, last) in enumerate(names):
        people.append({
            "customer_id": f"C{number:03d}", "name": f"{first} {last}", "city": rng.choice(CITIES),
            "email": f"{first}.{last}{rng.randint(10, 99)}@{rng.choice(DOMAINS)}".lower(),
            "phone": f"+971 5{rng.randint(0, 8)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "loyalty_id": f"L-{rng.randint(10000, 99999)}",
        })  # fmt: skip
    planted, shared = set(), set()
    for number, person in enumerate(people[:10]):
        first, last = person["name"].split()
        variant = (f"{last}, {first}", f"{first.lower()} {_typo(last).lower()}", person["name"].upper(),
                   f"{first.replace('a', 'á', 1)}  {last}.",
                   f"{first[:2]}{first[1:]} {last}")[number % 5]  # fmt: skip
        second = {"customer_id": f"D{number:03d}", "name": variant, "city": person["city"], "email": None,
                  "phone": None, "loyalty_id": f"L-{rng.randint(10000, 99999)}"}  # fmt: skip
        local, domain = person["email"].split("@")
        prefix = "055" if person["phone"][6] != "5" else "056"  # a slip in the operator prefix
        slipped = prefix + person["phone"][8:].replace(" ", "")  # the same last 7 digits
        match number % 5:
            case 0:
                second["phone"] = slipped
            case 1:
                second["email"] = f"{local}@mail.example.com"
            case 2:
                second["loyalty_id"] = person["loyalty_id"].replace("-", " ").lower()
            case 3:
                second["email"] = person["email"].upper()  # the same address once normalised
                shared.add((person["customer_id"], second["customer_id"]))
            case 4:
                second |= {"phone": slipped, "email": f"{local}+shop@{domain}"}
        people.append(second)
        planted.add((person["customer_id"], second["customer_id"]))
    for number, person in enumerate(people[20:25]):
        first, last = person["name"].split()
        if number < 2:  # the same name in another city
            city, name = next(c for c in CITIES if c != person["city"]), person["name"]
        else:  # a relative: the same surname and city
            city = person["city"]
            name = next(f"{other} {last}" for other in FIRST if (other, last) not in names)
        people.append({"customer_id": f"N{number:03d}", "name": name, "city": city,
                       "email": f"{name.replace(' ', '_').lower()}@{DOMAINS[number % 3]}",
                       "phone": f"+971 4 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                       "loyalty_id": f"L-{rng.randint(10000, 99999)}"})  # fmt: skip
    return people, planted, shared


def as_frame(people: list[dict]) -> pd.DataFrame:
    """The rows as the customers table holds them: keys normalised (no phone region) and hashed."""
    frame = pd.DataFrame(people, columns=list(CRM_COLUMNS)).astype(object)
    for column, kind in (("email", "email"), ("phone", "phone"), ("loyalty_id", "loyalty")):
        normal = [normal_key(kind, value) for value in frame[column]]
        frame[column] = normal
        frame[f"{kind}_hash"] = [value and keyed_hash(kind, value, b"0123456789abcdef") for value in normal]
    return frame.reindex(columns=list(INPUT_COLUMNS))


def pairs_of(frame: pd.DataFrame, first: str = "first_id", second: str = "second_id") -> set:
    return set(zip(frame[first], frame[second], strict=True))


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of the tables merging touches, in a fixed order."""
    queries = {
        "customer": "SELECT * FROM customer ORDER BY customer_id",
        "customer_link": "SELECT * FROM customer_link ORDER BY source, record_id",
        "customer_merge": "SELECT * FROM customer_merge ORDER BY kept_id, merged_id",
        "audit_event": "SELECT * FROM audit_event ORDER BY id",
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}


def test_names_compare_in_one_normal_form():
    assert name_key("Smith, Alice") == name_key("alice  SMITH") == "alice smith"
    assert name_key("O'Brien-Kelly, Zoë") == "kelly obrien zoe"
    assert name_key(" , ") is None and name_key(None) is None


def test_planted_duplicates_are_found_and_near_misses_are_not():
    people, planted, shared = planted_crm()
    assert len(people) == 55 and len(planted) == 10 and len(shared) == 2
    found = find_duplicates(as_frame(people))
    assert list(found.columns) == list(PAIR_COLUMNS)
    assert (found["first_id"] < found["second_id"]).all()
    assert not found.duplicated(["first_id", "second_id"]).any()
    pairs = pairs_of(found)
    true_positives = len(pairs & planted)
    precision, recall = true_positives / len(pairs), true_positives / len(planted)
    assert precision >= 0.98 and recall >= 0.95, (precision, recall, pairs ^ planted)
    by_pair = found.set_index(["first_id", "second_id"])
    for pair in shared:
        assert tuple(by_pair.loc[pair]) == (1.0, "shared key")
    assert (by_pair.drop(list(shared))["method"] == "splink").all()
    assert (found["probability"] >= 0.9).all()
    pd.testing.assert_frame_equal(find_duplicates(as_frame(people)), found)  # the seed fixes u


def test_a_tiny_crm_uses_the_fixed_parameters():
    people = [
        {"customer_id": "A1", "name": "Alice Smith", "city": "Dubai", "phone": "+971 50 123 4567"},
        {"customer_id": "A2", "name": "Smith, Alice", "city": "Dubai", "phone": "055 123 4567"},
        {"customer_id": "A3", "name": "Alice Smith", "city": "Ajman", "phone": "+971 55 765 4321"},
        {"customer_id": "B1", "name": "Bilal Khan", "city": "Dubai", "email": "bilal@example.org"},
        {"customer_id": "B2", "name": "Bilal Khan", "city": "Sharjah", "email": "BILAL@example.org"},
    ]
    found = find_duplicates(as_frame(people))
    assert list(found.itertuples(index=False, name=None))[0] == ("B1", "B2", 1.0, "shared key")
    assert pairs_of(found) == {("B1", "B2"), ("A1", "A2")}
    assert found.loc[1, "method"] == "splink" and found.loc[1, "probability"] >= 0.9
    assert find_duplicates(as_frame(people[:1])).empty and find_duplicates(as_frame([])).empty


def test_bad_input_is_refused_with_a_reason():
    frame = as_frame([{"customer_id": "A1", "name": "Alice"}])
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates(frame, threshold=1.5)
    with pytest.raises(ValueError, match="phone_hash"):
        find_duplicates(frame.drop(columns="phone_hash"))
    with pytest.raises(ValueError, match="once"):
        find_duplicates(pd.concat([frame, frame]))


@pytest.fixture
def planted_brand(database_url, engine, tmp_path, capsys, monkeypatch):
    """The planted CRM loaded as a file; phones read without a region (there are no stores)."""
    monkeypatch.delenv("CX_PHONE_REGION", raising=False)
    people, planted, shared = planted_crm()
    path = tmp_path / "crm.csv"
    pd.DataFrame(people, columns=list(CRM_COLUMNS)).to_csv(path, index=False)
    code, summary = load(capsys, database_url, "customers", path)
    assert code == 0 and summary["rows_loaded"] == 55, summary
    return engine, planted, shared


def test_proposals_are_the_planted_pairs_once_and_a_rejected_pair_stays_rejected(planted_brand):
    engine, planted, shared = planted_brand
    assert merges.propose_merges(engine, now=NOW) == 10
    proposed = merges.proposals(engine)
    assert pairs_of(proposed, "kept_id", "merged_id") == planted
    assert not {"email", "phone", "loyalty_id"} & set(proposed.columns)
    assert "@" not in proposed.to_csv() and "+971" not in proposed.to_csv()
    certain = proposed[proposed["method"] == "shared key"]
    assert pairs_of(certain, "kept_id", "merged_id") == shared and (certain["probability"] == 1.0).all()
    first = proposed.iloc[0]
    assert first["status"] == "proposed" and first["kept_name"] and first["merged_city"] == first["kept_city"]
    assert merges.propose_merges(engine) == 0
    kept_id, merged_id = sorted(planted)[0]
    merges.reject(engine, merged_id, kept_id, by="lead@example.com", now=NOW)  # either way round
    assert merges.propose_merges(engine) == 0
    assert (kept_id, merged_id) not in pairs_of(merges.proposals(engine), "kept_id", "merged_id")
    rejected = merges.proposals(engine, status="rejected")
    assert pairs_of(rejected, "kept_id", "merged_id") == {(kept_id, merged_id)}
    assert rejected.loc[0, "decided_by"] == "lead@example.com"
    (event,) = audit.events(engine, action="customer_merge_reject")
    assert event["detail"]["merged_id"] == merged_id and event["actor"] == "lead@example.com"


def test_merging_a_proposal_the_other_way_round_keeps_how_it_was_found(planted_brand):
    engine, planted, shared = planted_brand
    merges.propose_merges(engine, now=NOW)
    kept_id, merged_id = sorted(shared)[0]
    done = merges.merge(engine, merged_id, kept_id, by="lead@example.com", now=NOW)
    assert done == {"kept_id": merged_id, "merged_id": kept_id, "customers_moved": 1, "links_moved": 0}
    merged = merges.proposals(engine, status="merged")
    decided = merged[["kept_id", "merged_id", "probability", "method"]]
    assert list(decided.itertuples(index=False, name=None)) == [(merged_id, kept_id, 1.0, "shared key")]
    assert len(merges.proposals(engine)) == 9
    (event,) = audit.events(engine, action="customer_merge")
    assert event["actor"] == "lead@example.com" and event["detail"]["method"] == "shared key"


STORES = ("store_id,name,region,country", "S1,Marina,Gulf,AE")
CRM = (
    "customer_id,name,email,phone,city",
    "C1,Alice Smith,alice@example.com,,Dubai",
    'C2,"Smith, Alice",alice.smith@example.org,,Dubai',
    "C3,A. Smith,,050 111 2222,Dubai",
    "C4,Bilal Khan,bilal@example.org,,Sharjah",
)
NPS = (
    "response_id,store_id,responded_at,score,customer_id,email,phone",
    "N1,S1,2026-03-01,9,,alice@example.com,",  # C1
    "N2,S1,2026-03-01,4,,alice.smith@example.org,",  # C2
    "N3,S1,2026-03-02,10,,,0501112222",  # C3 by phone
    "N4,S1,2026-03-02,6,C3,,",  # C3 by id
    "N5,S1,2026-03-03,8,,bilal@example.org,",  # C4
)


@pytest.fixture
def linked(database_url, engine, tmp_path, capsys):
    """Four customers, five answers linked to them."""
    for kind, lines in (("stores", STORES), ("customers", CRM), ("nps", NPS)):
        assert load(capsys, database_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    link_customers(engine, actor="cli", now=NOW)
    return engine


def linked_to(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT record_id, customer_id FROM customer_link")).all())


def merged_into(engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT customer_id, merged_into FROM customer")).all())


def test_merge_collapses_chains_and_unmerge_restores_rows_and_links_exactly(linked):
    engine = linked
    before = snapshot(engine)
    assert linked_to(engine) == {"N1": "C1", "N2": "C2", "N3": "C3", "N4": "C3", "N5": "C4"}
    moved = merges.merge(engine, "C2", "C3", by="lead@example.com", now=NOW)
    assert moved == {"kept_id": "C2", "merged_id": "C3", "customers_moved": 1, "links_moved": 2}
    merges.merge(engine, "C1", "C2", by="lead@example.com", now=NOW)
    assert merged_into(engine) == {"C1": None, "C2": "C1", "C3": "C1", "C4": None}  # the chain collapsed
    assert linked_to(engine) == {"N1": "C1", "N2": "C1", "N3": "C1", "N4": "C1", "N5": "C4"}
    merged = merges.proposals(engine, status="merged")
    assert sorted(zip(merged["kept_id"], merged["merged_id"], strict=True)) == [("C1", "C2"), ("C2", "C3")]
    assert set(merged["method"]) <= {"manual", "splink", "shared key"}  # link proposed some of them
    undone = merges.unmerge(engine, "C2", by="lead@example.com", now=NOW)
    assert undone == {"kept_id": "C1", "merged_id": "C2", "customers_moved": 2, "links_moved": 3}
    assert merged_into(engine) == {"C1": None, "C2": None, "C3": "C2", "C4": None}
    assert linked_to(engine) == {"N1": "C1", "N2": "C2", "N3": "C2", "N4": "C2", "N5": "C4"}
    merges.unmerge(engine, "C3", by="lead@example.com", now=NOW)
    after = snapshot(engine)
    assert after["customer"] == before["customer"] and after["customer_link"] == before["customer_link"]
    undone = merges.proposals(engine, status="undone")
    assert pairs_of(undone, "kept_id", "merged_id") == {("C1", "C2"), ("C2", "C3")}
    actions = [event["action"] for event in audit.events(engine) if event["action"].startswith("customer_")]
    assert actions == ["customer_unmerge", "customer_unmerge", "customer_merge", "customer_merge"]


def test_unmerging_the_end_of_a_chain_leaves_the_rest_merged(linked):
    engine = linked
    merges.merge(engine, "C2", "C3", by="lead@example.com", now=NOW)
    merges.merge(engine, "C1", "C2", by="lead@example.com", now=NOW)
    undone = merges.unmerge(engine, "C3", by="lead@example.com", now=NOW)
    assert undone == {"kept_id": "C2", "merged_id": "C3", "customers_moved": 1, "links_moved": 2}
    assert merged_into(engine) == {"C1": None, "C2": "C1", "C3": None, "C4": None}
    assert linked_to(engine) == {"N1": "C1", "N2": "C1", "N3": "C3", "N4": "C3", "N5": "C4"}


def test_refusals_say_why_and_change_nothing(linked):
    engine = linked
    merges.merge(engine, "C2", "C3", by="lead@example.com", now=NOW)
    before = snapshot(engine)
    refusals = (
        (lambda: merges.merge(engine, "C1", "C9", by="x"), "no customer C9"),
        (lambda: merges.merge(engine, "C1", "C1", by="x"), "themselves"),
        (lambda: merges.merge(engine, "C1", "C3", by="x"), "C3 is already merged into C2"),
        (lambda: merges.merge(engine, "C3", "C4", by="x"), "C3 is merged into C2; merge C4 into C2"),
        (lambda: merges.unmerge(engine, "C1", by="x"), "not merged"),
        (lambda: merges.unmerge(engine, "C9", by="x"), "no customer C9"),
        (lambda: merges.reject(engine, "C1", "C4", by="x"), "no proposal"),
        (lambda: merges.reject(engine, "C2", "C3", by="x"), "already merged"),
        (lambda: merges.proposals(engine, status="maybe"), "status"),
    )
    for refused, reason in refusals:
        with pytest.raises(ValueError, match=reason):
            refused()
    assert snapshot(engine) == before
