"""The drill-down below a root-cause answer: the scope's series at a readable grain, the drill path
(brand › region › store › touchpoint › theme word), one touchpoint's comments and share of complaints,
and every comment that uses one theme word."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.analysis.executive import metric_trend
from cx.metrics.registry import TOUCHPOINT_METRICS
from cx.periods import Period
from cx.stats import themes
from cx.store.queries import feedback_texts
from cx.store.rollups import NPS_COUNTS
from cx.store.scope import Scope
from cx.store.sums import sums

COMMENT_COLUMNS = ("date", "source", "store_id", "touchpoint", "text")


TIMELINE_COLUMNS = ["bucket", "value", "low", "high", "n"]


def readable_timeline(
    engine: Engine, *, metric: str, scope: Scope, weekly: pd.DataFrame, min_weekly: int = 20
) -> tuple[pd.DataFrame, str]:
    """The scope's series at a grain a person can read, with each value's 95 % interval:
    ``bucket, value, low, high, n`` and the grain, ``week`` or ``month``.

    ``weekly`` is the weekly series of :func:`cx.analysis.explain.explain_change` (``timeline``: ``bucket,
    value, n``). When a typical week has fewer than ``min_weekly`` answers (a small store's weekly
    scores are mostly noise) the calendar months are shown instead. Values and intervals come from
    :func:`cx.analysis.executive.metric_trend` at that grain: NPS with the adjusted-Wald interval, top-2-box with
    Wilson's, review rating with the t interval of a mean. Revenue is counted in full, not sampled: it
    stays weekly and ``low`` and ``high`` are ``nan``.
    """
    if metric == "revenue" or weekly.empty:
        return weekly.assign(low=np.nan, high=np.nan)[TIMELINE_COLUMNS], "week"
    grain = "week" if weekly["n"].median() >= min_weekly else "month"
    weeks = pd.to_datetime(weekly["bucket"])
    span = Period(weeks.min().date(), weeks.max().date() + dt.timedelta(days=6))
    trend = metric_trend(engine, metric=metric, scope=scope, period=span, grain=grain)
    trend = trend.dropna(subset=["value"])
    trend = trend.loc[trend["n"] > 0].assign(bucket=lambda frame: pd.to_datetime(frame["bucket"]))
    return trend[TIMELINE_COLUMNS].reset_index(drop=True), grain


@dataclass(frozen=True)
class Crumb:
    """One step of the drill path: its label and the query parameters that lead back to it."""

    label: str
    params: dict[str, str | None]
    current: bool


def drill_path(
    *, brand: str, region: str | None, store: str | None, touchpoint: str | None, term: str | None
) -> list[Crumb]:
    """Brand › region › store › touchpoint › “term”, leaving out the levels not chosen. Each crumb's
    ``params`` remove the levels below it (``None``); the region crumb also names its region, so it
    works when the region was only implied by the store. The last crumb is the current one."""
    levels = {"brand": brand, "region": region, "store": store, "touchpoint": touchpoint, "term": term}
    names = list(levels)
    chosen = [key for key in names if levels[key]]
    crumbs = []
    for key in chosen:
        params: dict[str, str | None] = {below: None for below in names[names.index(key) + 1 :]}
        if key == "region":
            params["region"] = region
        label = f"“{term}”" if key == "term" else str(levels[key])
        crumbs.append(Crumb(label, params, key == chosen[-1]))
    return crumbs


def windows(result: dict) -> tuple[Period, Period]:
    """The compared windows of an :func:`~cx.analysis.explain.explain_change` result: ``(before, after)``."""
    parsed = []
    for key in ("before", "after"):
        start, _, end = result["period"][key].partition(" to ")
        parsed.append(Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end)))
    return parsed[0], parsed[1]


def comments_with_term(texts: pd.DataFrame, term: str) -> pd.DataFrame:
    """Every comment in ``texts`` that uses ``term``, newest first.

    A comment uses a term when the term's normalised form is among the comment's tokens
    (:func:`cx.stats.themes.tokenize`), so ``التوصيل`` matches ``توصيل`` and ``Late!`` matches ``late``.

    Examples
    --------
    >>> texts = pd.DataFrame({"date": ["2026-03-02", "2026-03-09"], "source": ["nps", "review"],
    ...                       "text": ["Delivery was LATE again", "Lovely staff"]})
    >>> comments_with_term(texts, "late")["text"].tolist()
    ['Delivery was LATE again']
    """
    if texts.empty:
        return texts.iloc[0:0]
    words = themes.tokenize(pd.Series([term])).iloc[0]
    key = words[0] if words else str(term).strip().casefold()
    tokens = themes.tokenize(texts["text"])
    hits = texts.loc[tokens.map(lambda found: key in found).to_numpy(dtype=bool)]
    return _newest_first(hits)


def _newest_first(texts: pd.DataFrame) -> pd.DataFrame:
    when = pd.to_datetime(texts["date"], errors="coerce")
    return (
        texts.assign(_when=when)
        .sort_values("_when", ascending=False, kind="mergesort")
        .drop(columns="_when")
        .reset_index(drop=True)
    )


def touchpoint_comments(engine: Engine, *, scope: Scope, touchpoint: str, period: Period) -> pd.DataFrame:
    """Comments about one touchpoint in the period: ``date, source, store_id, touchpoint, text``.

    NPS and survey comments given at the touchpoint, plus any comment or review that names it (every
    word of the name among its tokens: "Mobile app" needs both words). Newest first; ``touchpoint``
    is where the answer was given (empty for reviews).
    """
    pool = feedback_texts(engine, scope=scope, period=period)[list(COMMENT_COLUMNS)]
    if pool.empty:
        return pool
    name = set(themes.tokenize(pd.Series([touchpoint])).iloc[0])
    names_it = themes.tokenize(pool["text"]).map(lambda found: bool(name) and name <= set(found))
    chosen = pool.loc[(pool["touchpoint"] == touchpoint).to_numpy() | names_it.to_numpy(dtype=bool)]
    return _newest_first(chosen.assign(date=pd.to_datetime(chosen["date"])))


def complaint_share(
    engine: Engine, *, metric: str, scope: Scope, touchpoint: str, after: Period, before: Period
) -> dict:
    """The touchpoint's share of the scope's complaints in each window, and the test of its change.

    Complaints are NPS detractors (scores 0-6) for NPS (and for metrics that carry no touchpoint) and
    answers outside the top two boxes (CSAT 1-3) for CSAT top-2-box. With k complaints at the
    touchpoint out of m in the scope, the share is k / m; the change is tested with the pooled
    two-proportion z-test and Newcombe's interval (:func:`cx.stats.two_proportion_test`), shares and
    interval in percent.

    Returns
    -------
    dict
        ``touchpoint, complaint, k_before, m_before, share_before, k_after, m_after, share_after,
        delta, low, high, p_value`` (shares in %, ``None`` when a window has no complaints).
    """
    measured = metric if metric in TOUCHPOINT_METRICS else "nps"
    source = "nps" if measured == "nps" else "surveys"
    store_scope = scope.all_touchpoints()
    counts = {}
    for name, period in (("before", before), ("after", after)):
        frame = sums(engine, source, scope=store_scope, period=period, by=("touchpoint",))
        if frame.empty:
            counts[name] = (0.0, 0.0)
            continue
        if source == "nps":
            complaints = frame[list(NPS_COUNTS[:7])].apply(pd.to_numeric).sum(axis=1)
        else:
            complaints = pd.to_numeric(frame["n"]) - pd.to_numeric(frame["top2"])
        here = complaints[frame["touchpoint"] == touchpoint].sum()
        counts[name] = (float(here), float(complaints.sum()))
    (k0, m0), (k1, m1) = counts["before"], counts["after"]
    test = stats.two_proportion_test(k1, m1, k0, m0)
    share = lambda k, m: 100 * k / m if m else None  # noqa: E731
    finite = lambda v: float(v) * 100 if np.isfinite(v) else None  # noqa: E731
    return {
        "touchpoint": touchpoint,
        "complaint": "NPS detractors" if source == "nps" else "CSAT answers below 4",
        "k_before": k0, "m_before": m0, "share_before": share(k0, m0),
        "k_after": k1, "m_after": m1, "share_after": share(k1, m1),
        "delta": finite(test.estimate) if m0 and m1 else None,
        "low": finite(test.low) if m0 and m1 else None,
        "high": finite(test.high) if m0 and m1 else None,
        "p_value": float(test.p_value) if m0 and m1 and np.isfinite(test.p_value) else None,
    }  # fmt: skip
