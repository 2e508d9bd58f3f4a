"""One investigation as every step reads it: the metric, the scope and drill path, the two windows
compared and what ``cx`` found in them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cx.analysis import drilldown
from cx.analysis.explain import action_effects, explain_change
from cx.metrics.registry import TOUCHPOINT_METRICS, label
from cx.periods import Period
from cx.present import root_cause as investigation
from cx.store.scope import Scope
from ui.shared import caching, places


def metric_title(metric: str) -> str:
    return label(metric)


@dataclass(frozen=True)
class Investigation:
    """What the steps share. ``result`` explains ``metric`` over ``scope`` (the sidebar's) between the
    windows ``before`` and ``after``; ``view`` is the same explanation or, at a ``touchpoint``, that
    touchpoint's own (``view_metric`` over ``view_scope``, in the same windows); ``effects`` are the
    effects of the actions recorded for the view; ``term`` is the theme word whose comments are read."""

    metric: str
    scope: Scope
    touchpoint: str | None
    term: str | None
    before: Period
    after: Period
    result: dict
    view: dict
    view_metric: str
    view_scope: Scope
    effects: list
    no_change: bool  # no change stood out: the windows are the sidebar period and the one before it
    place: str  # "store ST007 · City Centre", "region Gulf", "the whole brand"

    @property
    def small(self) -> bool:
        """Too few answers in a window to tell a change from noise."""
        return investigation.too_few_answers(self.view_metric, self.view["what"])

    @property
    def comparable(self) -> bool:
        """Both windows hold data for the same days and stores (:mod:`cx.metrics.coverage`)."""
        return all(
            (answer.get("coverage") or {}).get("comparable", True) for answer in (self.result, self.view)
        )

    @property
    def scope_name(self) -> str:
        return places.scope_name(self.scope)

    @property
    def brand_level(self) -> bool:
        return investigation.whole_brand(self.scope)

    @property
    def parts(self) -> str:
        """What the scope is made of in the ranking: a store's touchpoints, or stores."""
        return "touchpoints" if self.scope.store else "stores"


def explain(*, metric: str, mode: str, period: Period, scope: Scope) -> tuple[dict, bool]:
    """The explanation of the latest change (``mode="latest"``) or of ``period``, and whether no change
    stood out (then ``period`` is explained instead)."""
    result = caching.cached(explain_change, metric=metric, scope=scope,
                            period=None if mode == "latest" else period)  # fmt: skip
    no_change = mode == "latest" and result["when"]["start"] is None
    if no_change:
        result = caching.cached(explain_change, metric=metric, scope=scope, period=period)
    return result, no_change


def touchpoints_compared(result: dict) -> set[str]:
    """The touchpoints with answers in both windows of ``result``."""
    return {row["touchpoint"] for rows in (result["touchpoints"], result["where"]) for row in rows}


def investigate(result: dict, *, metric: str, scope: Scope, touchpoint: str | None, term: str | None,
                no_change: bool, store_name: str = "") -> Investigation:  # fmt: skip
    """The investigation of ``result``; at a ``touchpoint``, its own series in the same windows as its
    store (in NPS for metrics that carry no touchpoint)."""
    before, after = drilldown.windows(result)
    view, view_metric, view_scope = result, metric, scope
    if touchpoint:
        view_metric = metric if metric in TOUCHPOINT_METRICS else "nps"
        view_scope = replace(scope, touchpoint=touchpoint)
        view = caching.cached(explain_change, metric=view_metric, scope=view_scope, period=after)
    # Not cached: recording an action does not change the data version the cache is keyed on.
    effects = caching.fresh(action_effects, metric=view_metric, scope=view_scope)
    return Investigation(metric=metric, scope=scope, touchpoint=touchpoint, term=term, before=before, after=after,
                         result=result, view=view, view_metric=view_metric, view_scope=view_scope, effects=effects,
                         no_change=no_change, place=places.place_name(scope, store_name=store_name))  # fmt: skip
