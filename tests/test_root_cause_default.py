"""Root cause's default: the latest change found is offered only when it is larger than chance after
the search's correction; a brand with no real change is told so and shown the sidebar period."""

from __future__ import annotations

import pytest

from cx.analysis.explain import explain_change, find_change
from cx.config import make_engine
from cx.store.scope import Scope
from tests.apptest import open_page
from tests.brands import brand_database, small_brand


@pytest.fixture(scope="module")
def calm_url(tmp_path_factory) -> str:
    """Eight stores over 14 months with no planted change: every difference is sampling noise."""
    return f"sqlite:///{brand_database(tmp_path_factory.mktemp('calm'), small_brand())}"


@pytest.mark.parametrize("metric", ["nps", "csat_top2"])
def test_noise_is_not_reported_as_a_change(calm_url, metric):
    engine = make_engine(calm_url)
    assert find_change(engine, metric=metric, scope=Scope()) is None
    when = explain_change(engine, metric=metric, scope=Scope())["when"]
    engine.dispose()
    assert when["start"] is None and when["ongoing"] is None and when["searched_months"] == 14


def test_the_page_says_no_change_stands_out_and_explains_the_sidebar_period(calm_url, monkeypatch):
    app = open_page(monkeypatch, calm_url, "ui/root_cause/page.py", timeout=180)
    assert not app.exception, [e.value for e in app.exception]
    infos = " ".join(i.value for i in app.info)
    assert "No change stands out in the last 14 months of NPS" in infos
    assert "The steps below explain the sidebar period" in infos
    texts = " ".join(t.value for t in app.text)
    assert "No change stands out in the last 14 months: none is larger than chance would explain." in texts
    assert "still going on" not in texts and "It began" not in texts
    assert not [m for m in app.metric if m.label == "Began"]
