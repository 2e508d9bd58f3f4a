"""Sales: growth against the previous period and last year, like-for-like, and how CX relates to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sqlalchemy import Engine

from cx import stats
from cx.metrics.changes import comparison_period, metric_changes
from cx.metrics.coverage import metric_coverage
from cx.periods import Period
from cx.store.queries import store_directory
from cx.store.scope import Scope
from cx.store.sums import sums

LFL_COVERAGE = 0.9


def sales_growth(engine: Engine, *, scope: Scope, period: Period) -> pd.DataFrame:
    """Per store: revenue and transactions now, in the previous period and last year, growth in percent,
    and whether the store counts as like-for-like against each comparison: open before the comparison
    period starts (when ``opened_on`` is known) and with sales data on comparable numbers of days in both
    periods (each at least ``LFL_COVERAGE`` of the other), so partial history never passes as growth."""
    frames = {}
    for name, window in (("", period), ("_prev", period.previous()), ("_ly", period.last_year())):
        part = sums(engine, "sales", scope=scope, period=window, by=("store",))
        frames[name] = part.set_index("store")[["days", "revenue", "transactions"]].add_suffix(name)
    table = frames[""].join([frames["_prev"], frames["_ly"]], how="outer").apply(pd.to_numeric)
    opened = store_directory(engine, scope=scope).set_index("store_id")["opened_on"]
    table["opened_on"] = opened.reindex(table.index)
    for suffix, window in (("_prev", period.previous()), ("_ly", period.last_year())):
        started = table["opened_on"].isna() | (
            pd.to_datetime(table["opened_on"]) <= pd.Timestamp(window.start)
        )
        now, then = table["days"].fillna(0), table[f"days{suffix}"].fillna(0)
        comparable = (now > 0) & (then >= LFL_COVERAGE * now) & (now >= LFL_COVERAGE * then)
        table[f"lfl{suffix}"] = comparable & started
        with np.errstate(invalid="ignore", divide="ignore"):
            for measure in ("revenue", "transactions"):
                before = table[f"{measure}{suffix}"].where(table[f"{measure}{suffix}"] > 0)
                table[f"{measure}_growth{suffix}_pct"] = 100 * (table[measure] / before - 1)
    return table.reset_index().rename(columns={"index": "store"})


def like_for_like(growth: pd.DataFrame, *, against: str = "ly", measure: str = "revenue") -> dict:
    """Brand growth over like-for-like stores only: sum now / sum then - 1 (percent)."""
    stores = growth.loc[growth[f"lfl_{against}"]]
    before = stores[f"{measure}_{against}"].sum()
    value = 100 * (stores[measure].sum() / before - 1) if before > 0 else np.nan
    return {"measure": measure, "against": against, "growth_pct": value, "stores": len(stores),
            "excluded": int((~growth[f"lfl_{against}"]).sum())}  # fmt: skip


def cx_sales_association(
    engine: Engine, *, scope: Scope, period: Period, metric: str = "nps", compare: str = "last_year"
) -> dict:
    """Across like-for-like stores: correlation of the CX change with sales growth (and of CX level with
    growth), Pearson r with a Fisher-z 95 % interval and Spearman rho. An association, not a cause.
    ``coverage``: whether the metric's data cover both periods (:mod:`cx.metrics.coverage`); when they
    do not, no store is related (``stores`` 0)."""
    earlier = comparison_period(period, compare)
    coverage = metric_coverage(engine, metric=metric, scope=scope, now=period, before=earlier)
    changes = metric_changes(
        engine, metric=metric, scope=scope, period=period, compare=compare, by=("store",)
    )
    growth = sales_growth(engine, scope=scope, period=period)
    suffix = "ly" if compare == "last_year" else "prev"
    data = changes.merge(growth, on="store")
    data = data.loc[data[f"lfl_{suffix}"]].assign(sales_growth=lambda f: f[f"revenue_growth_{suffix}_pct"])
    data = data.dropna(subset=["delta", "after", "sales_growth"])
    if not coverage.comparable:
        data = data.iloc[0:0]
    result = {"metric": metric, "compared_with": earlier.label(), "stores": len(data),
              "label": "association, not cause", "coverage": coverage.as_json()}  # fmt: skip
    for name, column in (("change", "delta"), ("level", "after")):
        if len(data) < 4:
            result[name] = {"r": np.nan, "low": np.nan, "high": np.nan, "spearman": np.nan, "p_value": np.nan}
            continue
        r = float(np.corrcoef(data[column], data["sales_growth"])[0, 1])
        interval = stats.correlation_interval(r, len(data))
        rho = scipy_stats.spearmanr(data[column], data["sales_growth"])
        pearson_p = scipy_stats.pearsonr(data[column], data["sales_growth"]).pvalue
        result[name] = {"r": r, "low": float(interval.low), "high": float(interval.high),
                        "spearman": float(rho.statistic), "p_value": float(pearson_p)}  # fmt: skip
    result["points"] = data[["store", "delta", "after", "sales_growth"]]
    return result
