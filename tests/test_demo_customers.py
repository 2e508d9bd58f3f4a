"""The demo brand's customers (:mod:`cx.ingest.demo`): a CRM of everyone who answers, with planted
duplicates; answers and transactions that name their customer by id, e-mail, phone or loyalty id; and
the planted story that promoters come back within RETURN_DAYS more often than passives and passives
more than detractors, who at the incident's store mostly stop coming back.

Everything is computed by hand from the frames, with keys read as the importer reads them
(:func:`cx.identity.keys.normal_key`; the demo's stores are in several countries, so phone numbers
meet on their national digits); one test links a small brand in a database and compares.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from cx.config import make_engine
from cx.identity.keys import normal_key
from cx.ingest import ImportOptions, load_frame
from cx.ingest.demo import demo_brand, generate_brand
from cx.ingest.demo_customers import (
    DUPLICATE_SHARE,
    INCIDENT_DETRACTOR_RETURN_RATE,
    LOYALTY_SHARE,
    RETURN_DAYS,
    RETURN_RATES,
    SPEND_INDEX,
)
from cx.store.linking import link_customers
from cx.store.schema import upgrade_schema

# sha256 of each frame's CSV (``to_csv(index=False)``) from demo_brand() before the customer data
# existed: they may add columns, never change one.
BEFORE_CUSTOMERS = {
    "stores": "246f331931d57a0afc5dc6873e7cdda48c9717d2297a48e452638e0639fdbd54",
    "nps": "24dfd669b61e777cc0f811250df34b14675b4ffc4e9a0fee57d24933cab458bb",
    "surveys": "9c375802d367c17f2c879cd1355a5b3ed6936b192f88e5b5261ff56bc6c557ec",
    "reviews": "daaeb5e7924cfe37245c08a323fb63e466fabd9ca3398eaf0586950b265a5d64",
    "sales": "5c861fd6630f4654fff0934d0e73636daf22519b4c86616439150a87b242ed44",
}
KEYS = {"customer_id": None, "email": "email", "phone": "phone", "loyalty_id": "loyalty"}  # column: kind
ADDED = ("email", "phone", "loyalty_id")
SMALL = {"n_stores": 8, "n_regions": 2, "months": 6, "incident": None, "tiny_store": None, "new_stores": 0,
         "responses_per_store_month": 20, "reviews_per_store_month": 2, "customers": True}  # fmt: skip
Z = 4  # how far a recovered rate may lie from the planted one, in standard errors


def digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def normal(kind: str, values: pd.Series) -> pd.Series:
    """Each value's normal form, as the importer makes it (None when blank or unreadable)."""
    forms = {value: normal_key(kind, value) for value in values.unique()}
    return values.map(forms).astype(object)


def crm_people(customers: pd.DataFrame) -> pd.DataFrame:
    """The CRM with its keys' normal forms and ``person``: the lowest customer id with the same phone,
    which folds each duplicate onto its original."""
    crm = customers.assign(
        **{column: normal(kind, customers[column]) for column, kind in KEYS.items() if kind}
    )
    return crm.assign(person=crm.groupby("phone")["customer_id"].transform("min"))


def resolve(frame: pd.DataFrame, crm: pd.DataFrame, by: str = "person") -> pd.DataFrame:
    """Per row of ``frame``: ``person`` whom its keys name when they all name one (``by`` person, or
    by CRM customer_id as ``customers link`` does), else None, and ``state``: linked, conflict (keys
    name several), unlinked (keys name nobody) or none (no key)."""
    found = []
    for column, kind in KEYS.items():
        values = frame[column].where(frame[column] != "").dropna()
        forms = pd.DataFrame(
            {"index": values.index, column: values if kind is None else normal(kind, values)}
        )
        known = pd.DataFrame({column: crm[column], "who": crm[by]}).dropna().drop_duplicates()
        found.append(forms.merge(known, on=column)[["index", "who"]])
    named = pd.concat(found).drop_duplicates()
    people = named.groupby("index")["who"].agg(["first", "size"])
    keyed = (frame[list(KEYS)] != "").any(axis=1)
    size = people["size"].reindex(frame.index, fill_value=0)
    state = np.select([size == 1, size > 1, keyed], ["linked", "conflict", "unlinked"], "none")
    person = people["first"].reindex(frame.index).where(size == 1)
    return pd.DataFrame({"person": person, "state": state}, index=frame.index)


@pytest.fixture(scope="module")
def brand():
    return demo_brand()


@pytest.fixture(scope="module")
def crm(brand) -> pd.DataFrame:
    return crm_people(brand.frames["customers"])


@pytest.fixture(scope="module")
def purchases(brand, crm) -> pd.DataFrame:
    transactions = brand.frames["transactions"]
    return transactions.join(resolve(transactions, crm)).assign(
        at=pd.to_datetime(transactions["purchased_at"])
    )


@pytest.fixture(scope="module")
def answers(brand, crm, purchases) -> pd.DataFrame:
    """NPS answers naming one customer whose RETURN_DAYS lie inside the period: the group, whether the
    customer bought anything in (answered_at, answered_at + RETURN_DAYS], and what they spent there."""
    nps = brand.frames["nps"]
    nps = nps.join(resolve(nps, crm)).dropna(subset="person")
    nps = nps.assign(at=pd.to_datetime(nps["responded_at"]),
                     group=np.select([nps["score"] >= 9, nps["score"] >= 7], ["promoter", "passive"], "detractor"))  # fmt: skip
    window = pd.Timedelta(days=RETURN_DAYS)
    nps = nps[nps["at"] + window < pd.Timestamp(brand.story["period"]["end"]) + pd.Timedelta(days=1)]
    bought = purchases.dropna(subset="person")[["person", "at", "amount"]]
    pairs = nps.reset_index()[["index", "person", "at"]].merge(bought, on="person", suffixes=("", "_bought"))
    inside = pairs[(pairs["at_bought"] > pairs["at"]) & (pairs["at_bought"] <= pairs["at"] + window)]
    incident = brand.story["incident"]
    return nps.assign(
        came_back=nps.index.isin(inside["index"]),
        spent=inside.groupby("index")["amount"].mean().reindex(nps.index),
        at_incident=(nps["store_id"] == incident["store_id"]) & (nps["responded_at"] >= incident["start"]),
    )


def recovered(rows: pd.DataFrame, planted: float) -> tuple[float, float]:
    """The share of ``rows`` that came back, and its distance from ``planted`` in standard errors."""
    rate = rows["came_back"].mean()
    return rate, abs(rate - planted) / np.sqrt(planted * (1 - planted) / len(rows))


# --- Nothing else changes -------------------------------------------------------------------------


def test_customer_data_leave_every_earlier_column_as_it_was(brand):
    without = generate_brand(7, customers=False)
    assert list(without.frames) == list(BEFORE_CUSTOMERS) and without.story["customers"] is None
    for kind, expected in BEFORE_CUSTOMERS.items():
        frame = brand.frames[kind]
        assert digest(frame.drop(columns=[c for c in ADDED if c in frame])) == expected, kind
        assert digest(without.frames[kind]) == expected, kind
    for kind in ("nps", "surveys"):
        assert list(brand.frames[kind].columns[-3:]) == list(ADDED)


def test_customer_data_follow_the_seed():
    first, again, other = generate_brand(3, **SMALL), generate_brand(3, **SMALL), generate_brand(4, **SMALL)
    for kind in ("customers", "transactions", "nps"):
        assert digest(first.frames[kind]) == digest(again.frames[kind]), kind
        assert digest(first.frames[kind]) != digest(other.frames[kind]), kind
    assert first.story["customers"] == again.story["customers"]


# --- The CRM --------------------------------------------------------------------------------------


def test_crm_holds_every_customer_the_answers_name(brand):
    customers = brand.frames["customers"]
    assert customers["customer_id"].is_unique
    named = set(brand.frames["nps"]["customer_id"]) | set(brand.frames["surveys"]["customer_id"])
    assert named - {""} <= set(customers["customer_id"])
    story = brand.story["customers"]
    assert story["customers"] + len(story["duplicate_pairs"]) == len(customers)
    assert 20_000 < len(customers) < 40_000


def test_crm_records_are_plausible(brand, crm):
    customers = brand.frames["customers"]
    assert customers["name"].str.fullmatch(r"[A-Z][A-Za-z]+ [A-Z][A-Za-z ]+").mean() > 0.97  # Latin script
    assert crm["email"].notna().mean() > 0.98 and crm["phone"].notna().all()
    written = customers["email"]
    assert 0.03 < (written != written.str.strip()).mean() < 0.08  # some with spaces around
    assert 0.05 < written.str.contains("[A-Z]").mean() < 0.25  # some in capitals
    phone = customers["phone"]
    assert phone.str.match(r"\+\d+ ").mean() > 0.5 and phone.str.startswith("00").mean() > 0.1
    assert phone.str.fullmatch(r"0[1-9]\d+").mean() > 0.15  # as dialled at home
    assert brand.frames["stores"]["country"].nunique() > 1  # so phones meet on national digits
    members = customers["loyalty_id"] != ""
    assert members.mean() == pytest.approx(LOYALTY_SHARE, abs=0.02)
    assert set(customers.loc[members, "segment"]) == {"gold", "silver", "standard"}
    assert set(customers.loc[~members, "segment"]) == {"standard"}

    stores = brand.frames["stores"].set_index("store_id")
    answers = pd.concat([brand.frames["nps"], brand.frames["surveys"]])
    first = answers[answers["customer_id"] != ""].sort_values("responded_at").drop_duplicates("customer_id")
    first = first.set_index("customer_id")
    profile = customers.set_index("customer_id").loc[first.index]
    assert (profile["city"] == first["store_id"].map(stores["city"])).all()
    assert (profile["country"] == first["store_id"].map(stores["country"])).all()
    assert (profile["signed_up_at"] < first["responded_at"].str[:10]).all()


def test_duplicates_are_planted_with_their_share(brand, crm):
    pairs = crm[crm.duplicated("person", keep=False)].groupby("person")["customer_id"].agg(tuple)
    assert pairs.map(len).eq(2).all()
    originals = len(crm) - len(pairs)
    assert len(pairs) / originals == pytest.approx(DUPLICATE_SHARE, abs=0.002)
    assert set(pairs) == set(brand.story["customers"]["duplicate_pairs"])
    customers = brand.frames["customers"].set_index("customer_id")
    original, second = (customers.loc[[pair[i] for pair in pairs]].reset_index() for i in (0, 1))
    assert (original["city"] == second["city"]).all()
    assert (original["name"] != second["name"]).all() and (original["phone"] != second["phone"]).all()
    emails = crm.set_index("customer_id")["email"]
    assert not set(emails.loc[second["customer_id"]].dropna()) & set(emails.loc[original["customer_id"]])
    assert 0.3 < (second["email"] == "").mean() < 0.7
    assert (second["loyalty_id"] == "").all()
    assert second["name"].str.contains(", ").any() and second["name"].str.fullmatch(r"[A-Z .]+").any()


# --- Keys in the answers and transactions --------------------------------------------------------


@pytest.mark.parametrize("kind", ["nps", "surveys"])
def test_answers_name_their_customer_by_another_key(brand, crm, kind):
    frame = brand.frames[kind]
    found = resolve(frame, crm)
    has_id = frame["customer_id"] != ""
    keyed = (frame[list(ADDED)] != "").any(axis=1)
    assert has_id.mean() == pytest.approx(0.8, abs=0.01)  # as before: the ids are unchanged
    assert 0.12 < (~has_id & keyed & (found["state"] == "linked")).mean() < 0.18  # a key instead of the id
    assert 0.08 < (has_id & keyed).mean() < 0.15  # the id and a key of the same customer
    assert ((found["state"] == "linked") | ~keyed)[has_id].all()
    for column in ADDED:
        assert (~has_id & (frame[column] != "")).sum() > 500, column
    # Keys as people write them, not as the CRM does.
    crm_emails = set(brand.frames["customers"]["email"])
    assert (~frame.loc[frame["email"] != "", "email"].isin(crm_emails)).mean() > 0.9
    unknown = ~has_id & keyed & (found["state"] == "unlinked")
    assert 100 < unknown.sum() < 500 and not (frame.loc[unknown, "loyalty_id"] != "").any()
    both = (frame["email"] != "") & (frame["loyalty_id"] != "")
    assert 5 <= both.sum() <= 12 and (found.loc[both, "state"] == "conflict").all()


def test_transactions_carry_loyalty_or_phone_mostly_and_some_none(brand, purchases):
    keys = purchases[list(KEYS)] != ""
    assert (keys.sum(axis=1) <= 1).all()
    anonymous = ~keys.any(axis=1)
    assert 0.1 < anonymous.mean() < 0.17
    assert (keys["loyalty_id"] | keys["phone"]).sum() > 0.5 * (~anonymous).sum()
    assert (purchases.loc[~anonymous, "state"] != "unlinked").all()
    assert (purchases["amount"] > 0).all() and (purchases["items"] >= 1).all()
    period = brand.story["period"]
    assert purchases["purchased_at"].str[:10].between(period["start"], period["end"]).all()
    stores = brand.frames["stores"].set_index("store_id")
    assert (purchases["purchased_at"].str[:10] >= purchases["store_id"].map(stores["opened_on"])).all()
    city = purchases["person"].map(brand.frames["customers"].set_index("customer_id")["city"])
    known = purchases["person"].notna()
    assert (city[known] == purchases.loc[known, "store_id"].map(stores["city"])).all()  # their city's stores
    formats = purchases["store_id"].map(stores["format"])
    ticket = purchases.groupby(formats)["amount"].median()
    assert ticket["flagship"] > ticket["mall"] > ticket["express"]


# --- The story ------------------------------------------------------------------------------------


def test_return_rates_by_nps_group_are_the_planted_ones(answers):
    elsewhere = answers[~answers["at_incident"]]
    rates = {}
    for group, planted in RETURN_RATES.items():
        rows = elsewhere[elsewhere["group"] == group]
        assert len(rows) > 3000, group
        rates[group], distance = recovered(rows, planted)
        assert distance < Z, (group, rates[group])
    assert rates["promoter"] > rates["passive"] > rates["detractor"]


def test_promoters_spend_more_per_visit(answers):
    spent = answers.groupby("group")["spent"].mean()
    assert spent["promoter"] > spent["passive"] > spent["detractor"]
    expected = SPEND_INDEX["promoter"] / SPEND_INDEX["detractor"]
    assert spent["promoter"] / spent["detractor"] == pytest.approx(expected, rel=0.08)


def test_detractors_at_the_incident_store_mostly_stop_coming_back(answers):
    detractors = answers[answers["group"] == "detractor"]
    there = detractors[detractors["at_incident"]]
    assert len(there) >= 40
    rate, distance = recovered(there, INCIDENT_DETRACTOR_RETURN_RATE)
    assert distance < Z
    assert rate < detractors.loc[~detractors["at_incident"], "came_back"].mean() - 0.1


# --- Through the importer -------------------------------------------------------------------------


def test_linking_the_loaded_customers_finds_what_the_frames_plant(tmp_path):
    brand = generate_brand(7, **SMALL)
    engine = make_engine(f"sqlite:///{tmp_path / 'cx.db'}")
    upgrade_schema(engine)
    for kind in ("stores", "customers", "nps", "surveys", "transactions"):
        summary = load_frame(
            engine, kind, brand.frames[kind], ImportOptions(), name=kind, reports_dir=tmp_path
        )
        assert summary.rows_loaded == len(brand.frames[kind]) and summary.rows_rejected == 0, kind
    linked = link_customers(engine)
    engine.dispose()

    crm = crm_people(brand.frames["customers"])
    frames = (brand.frames[kind] for kind in ("nps", "surveys", "transactions"))
    states = pd.concat([resolve(frame, crm, by="customer_id")["state"] for frame in frames])
    assert linked.duplicate_pairs == len(brand.story["customers"]["duplicate_pairs"]) > 0
    assert linked.customers == len(crm)
    assert linked.records_linked == (states == "linked").sum()
    assert linked.records_unlinked == (states == "unlinked").sum()
    # A duplicate's phone names two customers until they are merged: records naming a duplicated
    # person by phone are conflicts too, besides the answers with two customers' keys.
    assert linked.conflicts == (states == "conflict").sum() > 0
