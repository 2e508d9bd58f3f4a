"""The Customers page in AppTest: a search by any key in any spelling opens the customer's profile and
timeline; a manager finds only customers of their stores; the at-risk list; nothing from a file
becomes Markdown."""

from __future__ import annotations

import pytest

from cx.cli import main
from cx.config import make_engine
from cx.store import users
from tests.apptest import open_page
from tests.helpers import load, write_csv

PAGE = "ui/customers.py"
STORES = ("store_id,name,region,country", "S1,Marina,Gulf,AE", "S2,Abdali,Levant,AE")
CRM = (
    "customer_id,name,email,phone,loyalty_id",
    "C1,**Alice** [Smith](http://x.test),alice@example.com,050 123 4567,L-001",
    "C2,Bilal Khan,bilal@example.org,,",
)
POS = (
    "transaction_id,store_id,purchased_at,amount,loyalty_id,customer_id",
    "T1,S1,2026-02-01,100,L-001,",
    "T2,S2,2026-03-15,50,,C1",
)
NPS = (
    "response_id,store_id,responded_at,score,email,customer_id",
    "N1,S1,2026-03-01,3,ALICE@example.com,",
    "N2,S2,2026-03-05,2,,C2",
)


@pytest.fixture
def brand(sqlite_url, tmp_path, capsys):
    for kind, lines in (("stores", STORES), ("customers", CRM), ("transactions", POS), ("nps", NPS)):
        assert load(capsys, sqlite_url, kind, write_csv(tmp_path / f"{kind}.csv", *lines))[0] == 0
    assert main(["customers", "link", "--db", sqlite_url]) == 0
    return sqlite_url


def search(app, text: str):
    app.text_input(key="customers_search").input(text).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_phone_in_another_spelling_opens_the_profile_and_timeline(monkeypatch, brand):
    app = search(open_page(monkeypatch, brand, PAGE), "+971 50 123 4567")
    assert [title.value for title in app.title] == ["Customers"]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Stores"] == "2" and metrics["Revenue"].startswith("150.00")
    assert metrics["Last NPS answer"] == "3" and metrics["Journey stage"] == "Retention"
    heading = app.subheader[0].value
    assert "\\*\\*Alice\\*\\*" in heading and "\\[Smith\\]\\(http" in heading  # shown as written, not a link
    assert app.get("vega_lite_chart") and len(app.dataframe[0].value) == 3
    assert app.query_params["customer"] == "C1"  # the id, never the phone, goes in the address
    assert "4567" not in str(app.query_params)


def test_a_manager_finds_only_customers_of_their_stores(monkeypatch, brand):
    engine = make_engine(brand)
    users.add_user(engine, "levant@example.com", role="store_manager", grants=[("store", "S2")])
    users.add_user(engine, "gulf@example.com", role="regional_manager", grants=[("region", "Gulf")])
    engine.dispose()
    app = search(open_page(monkeypatch, brand, PAGE, user="levant@example.com"), "alice@example.com")
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Stores"] == "1" and metrics["Revenue"].startswith("50.00")  # S1's purchase is not theirs
    assert all("S1" not in str(frame.value.to_dict()) for frame in app.dataframe)
    app = search(open_page(monkeypatch, brand, PAGE, user="gulf@example.com"), "C2")
    assert [w.value for w in app.warning] == ["No customer matches this search among those you may see."]
    assert not app.metric


def test_the_at_risk_list_names_detractors_who_did_not_come_back(monkeypatch, brand):
    app = open_page(monkeypatch, brand, PAGE)
    risky = app.dataframe[0].value
    assert list(risky["customer_id"]) == ["C2"]  # Alice bought again after her 3
