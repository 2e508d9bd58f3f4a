"""The Goals page through AppTest: empty states, creating a goal, a refused target, changing and deleting."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx.analysis.goals import create_goal, list_goals, update_goal
from cx.config import make_engine
from cx.store.queries import latest_data_day
from tests.apptest import open_page
from tests.brands import brand_database, small_brand
from tests.helpers import as_read


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """A small generated brand, built once; each test works on its own copy."""
    return brand_database(tmp_path_factory.mktemp("goals_demo"), small_brand())


@pytest.fixture
def demo_url(demo_file, tmp_path) -> str:
    copy = tmp_path / "cx.db"
    shutil.copyfile(demo_file, copy)
    return f"sqlite:///{copy}"


def stored_goals(url: str):
    engine = make_engine(url)
    goals = list_goals(engine)
    engine.dispose()
    return goals


def goals_page(monkeypatch, url: str) -> AppTest:
    app = open_page(monkeypatch, url, "ui/goals.py", timeout=60)
    assert not app.exception
    return app


def fill_form(
    app: AppTest, *, metric: str, scope_type: str, scope_value: str, target: float, period=None
) -> AppTest:
    app.selectbox(key="goal_scope_type").set_value(scope_type).run()
    app.selectbox(key="goal_metric").set_value(metric)
    app.selectbox(key="goal_scope_value").set_value(scope_value)
    if period:
        app.date_input(key="goal_start").set_value(period[0])
        app.date_input(key="goal_end").set_value(period[1])
    app.number_input(key="goal_target").set_value(target)
    app.button(key="goal_create").click().run()
    assert not app.exception
    return app


def test_goals_page_on_empty_database(monkeypatch, sqlite_url):
    app = goals_page(monkeypatch, sqlite_url)
    assert any("No data is loaded yet" in info.value for info in app.info)
    assert not app.selectbox  # no form without stores to pick from


def test_create_a_goal_through_the_form(monkeypatch, demo_url):
    app = goals_page(monkeypatch, demo_url)
    assert any("No goals yet" in info.value for info in app.info)
    app.selectbox(key="goal_scope_type").set_value("region").run()
    region = app.selectbox(key="goal_scope_value").options[0]
    period = (dt.date(2026, 1, 1), dt.date(2026, 9, 30))
    fill_form(app, metric="nps", scope_type="region", scope_value=region, target=40, period=period)
    assert any("Goal #1 created." in success.value for success in app.success)
    stored = stored_goals(demo_url)
    assert stored[["metric", "scope_type", "scope_value", "period_end", "target"]].values.tolist() == [
        ["nps", "region", region, dt.date(2026, 9, 30), 40.0]
    ]
    table = app.dataframe[0].value
    assert table["goal"].tolist() == [f"#1 NPS · {region} · 1 Jan 2026 – 30 Sep 2026"]
    assert table.loc[0, "status"] in {"on track", "at risk", "off track", "met", "missed"}
    assert app.get("download_button")


def test_a_bad_target_shows_the_reason_and_creates_nothing(monkeypatch, demo_url):
    app = goals_page(monkeypatch, demo_url)
    fill_form(app, metric="csat_mean", scope_type="store", scope_value="ST001", target=7)
    assert [as_read(error.value) for error in app.error] == [
        "The CSAT mean (1-5) target must be between 1 and 5; got 7."
    ]
    assert stored_goals(demo_url).empty
    app.number_input(key="goal_target").set_value(None)
    app.button(key="goal_create").click().run()
    assert [as_read(error.value) for error in app.error] == ["A goal needs a target; enter a number."]


def test_change_and_delete_a_goal(monkeypatch, demo_url):
    engine = make_engine(demo_url)
    year = latest_data_day(engine).year
    goal_id = create_goal(engine, metric="revenue", scope_type="brand", scope_value=None,
                          period_start=f"{year}-01-01", period_end=f"{year}-12-31", target=1)  # fmt: skip
    app = goals_page(monkeypatch, demo_url)
    assert app.dataframe[0].value.loc[0, "status"] == "met"
    app.number_input(key=f"goal_edit_target_{goal_id}_1").set_value(-5)
    app.button(key="goal_save").click().run()
    assert [as_read(error.value) for error in app.error] == ["The Revenue target must be 0 or more; got -5."]
    app.number_input(key=f"goal_edit_target_{goal_id}_1").set_value(10**12)
    app.button(key="goal_save").click().run()
    assert list_goals(engine).loc[0, "target"] == 10**12
    assert any(
        risk.value.startswith(f"- **#{goal_id}** Revenue in the whole brand: ") for risk in app.markdown
    )
    assert app.button(key="goal_delete").disabled
    app.checkbox(key=f"goal_delete_confirm_{goal_id}").check().run()
    app.button(key="goal_delete").click().run()
    assert not app.exception
    assert list_goals(engine).empty
    assert any(f"Goal #{goal_id} deleted." in success.value for success in app.success)
    assert any("No goals yet" in info.value for info in app.info)
    engine.dispose()


def test_a_change_saved_meanwhile_is_refused_and_the_form_shows_it(monkeypatch, demo_url):
    engine = make_engine(demo_url)
    year = latest_data_day(engine).year
    goal_id = create_goal(engine, metric="revenue", scope_type="brand", scope_value=None,
                          period_start=f"{year}-01-01", period_end=f"{year}-12-31", target=1)  # fmt: skip
    app = goals_page(monkeypatch, demo_url)
    update_goal(engine, goal_id, version=1, updated_by="ana", target=500)  # saved by someone else meanwhile
    app.number_input(key=f"goal_edit_target_{goal_id}_1").set_value(900)
    app.button(key="goal_save").click().run()
    assert not app.exception
    assert list_goals(engine).loc[0, ["target", "version"]].tolist() == [500, 2]
    [refusal] = [re.sub(r"\\(.)", r"\1", error.value).replace("\u2060", "") for error in app.error]
    assert refusal.startswith(f"Goal #{goal_id} was changed by ana at ")
    assert refusal.endswith("(you read version 1, it is now version 2), so nothing was saved. Look at the "
                            "current values, then make your change again.")  # fmt: skip
    assert app.number_input(key=f"goal_edit_target_{goal_id}_2").value == 500
    app.checkbox(key=f"goal_delete_confirm_{goal_id}").check().run()
    app.button(key="goal_delete").click().run()
    assert list_goals(engine).empty and not app.error
    engine.dispose()
