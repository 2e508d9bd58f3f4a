"""Answers kept with the data (:mod:`cx.store.stored`): computed once per data version and scope, read
back with their types, computed again after an import, never shared between different scopes."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest
from sqlalchemy import func, select

from cx.analysis.explain import EXPLAIN_METRICS, explain_change
from cx.cli import main
from cx.store import stored, users
from cx.store.models import StoredResult
from cx.store.queries import store_directory
from cx.store.scope import Scope
from cx.store.stored import stored_result
from tests.brands import load_brand, small_brand

CALLS: list[dict] = []


@stored_result
def answer(engine, *, scope: Scope, day: dt.date) -> dict:
    CALLS.append({"scope": scope, "day": day})
    frame = pd.DataFrame({"bucket": pd.to_datetime(["2026-01-01", "2026-02-01"]).astype("datetime64[us]"),
                          "value": [1.5, math.nan], "n": [3, 4], "store": ["S1", "S2"]})  # fmt: skip
    return {
        "start": day,
        "p_value": math.nan,
        "z": -2.5,
        "series": frame,
        "label": ["store", "S1"],
        "none": None,
    }


def kept_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(StoredResult)).scalar_one()


@pytest.fixture
def loaded(engine, tmp_path):
    load_brand(engine, small_brand(), tmp_path)
    return engine


def test_an_answer_is_computed_once_and_read_back_with_its_types(loaded):
    CALLS.clear()
    scope, day = Scope(region="North"), dt.date(2026, 3, 1)
    first = answer(loaded, scope=scope, day=day)
    second = answer(loaded, scope=scope, day=day)
    assert len(CALLS) == 1 and kept_rows(loaded) == 1
    assert second["start"] == day and isinstance(second["start"], dt.date)
    assert math.isnan(second["p_value"]) and second["z"] == -2.5 and second["none"] is None
    assert second["label"] == ["store", "S1"]
    pd.testing.assert_frame_equal(second["series"], first["series"])
    assert str(second["series"]["bucket"].dtype) == "datetime64[us]"


def test_another_scope_or_a_caller_seeing_fewer_stores_gets_its_own_answer(loaded):
    CALLS.clear()
    day = dt.date(2026, 3, 1)
    for scope in (Scope(), Scope(region="North"), Scope(visible_stores=frozenset({"S1"})), Scope()):
        answer(loaded, scope=scope, day=day)
    assert len(CALLS) == 3 and kept_rows(loaded) == 3


def test_an_import_makes_every_kept_answer_stale(loaded, tmp_path):
    CALLS.clear()
    day = dt.date(2026, 3, 1)
    answer(loaded, scope=Scope(), day=day)
    brand = small_brand()
    load_brand(loaded, brand, tmp_path)  # the same rows again: a new batch, so a new data version
    answer(loaded, scope=Scope(), day=day)
    assert len(CALLS) == 2 and kept_rows(loaded) == 1  # the older version's answer is gone


def test_new_code_computes_its_own_answer(loaded, monkeypatch):
    CALLS.clear()
    day = dt.date(2026, 3, 1)
    answer(loaded, scope=Scope(), day=day)
    monkeypatch.setattr(stored, "code_version", lambda: "another release")
    answer(loaded, scope=Scope(), day=day)
    answer(loaded, scope=Scope(), day=day)
    assert len(CALLS) == 2 and kept_rows(loaded) == 2


def test_a_kept_explanation_equals_the_computed_one(loaded):
    computed = explain_change(loaded, metric="nps", scope=Scope())
    kept = explain_change(loaded, metric="nps", scope=Scope())
    pd.testing.assert_frame_equal(kept.pop("timeline"), computed.pop("timeline"))
    assert _same(kept, computed)


def _same(a, b) -> bool:
    """Equal, counting nan as equal to nan."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b and type(a) is type(b)


def test_prepare_keeps_the_root_cause_first_views_of_every_metric(loaded, capsys):
    assert main(["prepare", "--json", "--db", loaded.url.render_as_string(hide_password=False)]) == 0
    prepared = json.loads(capsys.readouterr().out)["prepared"]
    assert [(view["metric"], view["view"]) for view in prepared] == [
        (metric, view) for metric in EXPLAIN_METRICS for view in ("latest change", "last_90_days")
    ]
    assert all(view["seconds"] >= 0 for view in prepared)
    with loaded.connect() as connection:
        names = connection.execute(select(StoredResult.name).distinct()).scalars().all()
    assert sorted(names) == ["cx.analysis.explain._explanation", "cx.analysis.explain.find_change"]


def test_prepare_keeps_the_first_views_of_each_managers_grant(loaded, capsys):
    """A regional and a store manager open the root cause on their own stores: those views are kept
    too, once per distinct grant (two managers of one store share theirs), and a disabled user's not."""
    directory = store_directory(loaded)
    region = directory["region"].iloc[0]
    in_region = sorted(directory.loc[directory["region"] == region, "store_id"])
    users.add_user(loaded, "region@example.com", role="regional_manager", grants=[("region", region)])
    for email in ("store@example.com", "deputy@example.com"):
        users.add_user(loaded, email, role="store_manager", grants=[("store", in_region[0])])
    users.add_user(loaded, "gone@example.com", role="store_manager", grants=[("store", in_region[1])])
    users.disable(loaded, "gone@example.com")
    assert main(["prepare", "--json", "--db", loaded.url.render_as_string(hide_password=False)]) == 0
    prepared = json.loads(capsys.readouterr().out)["prepared"]
    assert [view["scope"] for view in prepared[:: 2 * len(EXPLAIN_METRICS)]] == [
        "brand",
        f"{len(in_region)} stores",
        "1 store",
    ]
    assert len(prepared) == 3 * 2 * len(EXPLAIN_METRICS)
    kept = kept_rows(loaded)
    for email in ("region@example.com", "store@example.com"):
        explain_change(loaded, metric="nps", scope=users.user_scope(loaded, email))
    assert kept_rows(loaded) == kept  # read back, not computed again


def test_a_load_prepares_the_first_views_unless_told_not_to(loaded, tmp_path, capsys):
    """``cx load`` ends by keeping the root cause's first views of the new data (on stderr with
    ``--json``, so stdout stays one JSON object); ``--no-prepare`` leaves that to ``cx prepare``."""
    url = loaded.url.render_as_string(hide_password=False)
    path = tmp_path / "more.csv"
    path.write_text("response_id,store_id,responded_at,score\nextra-1,ST001,2026-03-02,9\n")
    assert main(["load", "nps", str(path), "--db", url, "--json", "--no-prepare"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_loaded"] == 1 and kept_rows(loaded) == 0
    path.write_text("response_id,store_id,responded_at,score\nextra-2,ST001,2026-03-03,3\n")
    assert main(["load", "nps", str(path), "--db", url, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rows_loaded"] == 1 and "first views prepared" in err
    with loaded.connect() as connection:
        versions = connection.execute(select(StoredResult.data_version).distinct()).scalars().all()
    assert kept_rows(loaded) > 0 and versions == [stored.data_version(loaded)]
