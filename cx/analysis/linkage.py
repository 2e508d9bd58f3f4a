"""What a promoter is worth: do customers come back, and spend, after a promoter's answer more than
after a detractor's?

The unit is a customer: their first linked NPS answer in the period and scope, grouped as promoter
(9-10), passive (7-8) or detractor (0-6), and what they bought at any store in the ``days`` after it.
Answers whose window is not over by the last purchase on record are left out (right-censored) and
counted. Per group: the return rate with its Wilson score interval (Wilson 1927, *JASA* 22:209) and
revenue per customer with its t interval. Promoter minus detractor: the difference in return rates
with Newcombe's hybrid score interval (Newcombe 1998, *Stat. Med.* 17:873, method 10) and the pooled
two-proportion z test; the ratio of return rates with Katz's log interval (Katz et al. 1978,
*Biometrics* 34:469); the difference in revenue per customer with Welch's t test and interval. These
are associations between what customers said and what they did, not proof that one causes the other.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import Engine

from cx.periods import Period
from cx.store.customers import answers_and_returns
from cx.store.scope import Scope

GROUPS = ("promoter", "passive", "detractor")
GROUP_KEYS = ("group", "n", "return_rate", "return_low", "return_high", "revenue_per_customer", "revenue_low",
              "revenue_high")  # fmt: skip
Z95 = stats.norm.ppf(0.975)


def nps_group(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def wilson_interval(returned: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (scipy's ``binomtest``); nan for n = 0."""
    if n == 0:
        return math.nan, math.nan
    interval = stats.binomtest(returned, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 95 % t interval; the interval is nan with fewer than two values."""
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.975, len(values) - 1) * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def newcombe_difference(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """p1 - p2 and its 95 % interval by Newcombe's hybrid score method (from the two Wilson intervals)."""
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson_interval(x1, n1), wilson_interval(x2, n2)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, low, high


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p of the pooled two-proportion z test."""
    pooled = (x1 + x2) / (n1 + n2)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if error == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs((x1 / n1 - x2 / n2) / error)))


def katz_ratio(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """p1 / p2 and its 95 % log interval (Katz); nan when either group has no return."""
    if x1 == 0 or x2 == 0:
        return math.nan, math.nan, math.nan
    ratio = (x1 / n1) / (x2 / n2)
    error = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio, ratio * math.exp(-Z95 * error), ratio * math.exp(Z95 * error)


def cx_linkage(engine: Engine, *, days: int = 90, scope: Scope, period: Period | None = None) -> dict:
    """``groups`` (:data:`GROUP_KEYS` per NPS group), ``difference`` (promoter - detractor),
    ``customers``, ``censored`` (left out: their window is not over), ``days`` and ``data_end``."""
    if days < 1:
        raise ValueError(f"--days must be 1 or more; got {days}.")
    start = dt.datetime.combine(period.start, dt.time()) if period else None
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time()) if period else None
    customers, censored, data_end = answers_and_returns(engine, days=days, scope=scope, start=start, end=end)
    customers = customers.assign(group=customers["score"].map(nps_group), returned=customers["purchases"] > 0)
    groups = [_group_row(group, customers.loc[customers["group"] == group]) for group in GROUPS]
    return {
        "groups": groups,
        "difference": _difference(customers),
        "customers": len(customers),
        "censored": int(censored),
        "days": days,
        "data_end": data_end,
    }


def _group_row(group: str, rows: pd.DataFrame) -> dict:
    returned, n = int(rows["returned"].sum()), len(rows)
    low, high = wilson_interval(returned, n)
    revenue, revenue_low, revenue_high = mean_interval(rows["revenue"].to_numpy(dtype=float))
    return {"group": group, "n": n, "return_rate": returned / n if n else math.nan, "return_low": low,
            "return_high": high, "revenue_per_customer": revenue, "revenue_low": revenue_low,
            "revenue_high": revenue_high}  # fmt: skip


def _difference(customers: pd.DataFrame) -> dict:
    promoters = customers.loc[customers["group"] == "promoter"]
    detractors = customers.loc[customers["group"] == "detractor"]
    x1, n1 = int(promoters["returned"].sum()), len(promoters)
    x2, n2 = int(detractors["returned"].sum()), len(detractors)
    empty = dict.fromkeys(("return_rate", "return_low", "return_high", "p_value", "return_ratio", "ratio_low",
                           "ratio_high", "revenue_per_customer", "revenue_low", "revenue_high",
                           "revenue_p_value"), math.nan)  # fmt: skip
    if n1 == 0 or n2 == 0:
        return empty
    difference, low, high = newcombe_difference(x1, n1, x2, n2)
    ratio, ratio_low, ratio_high = katz_ratio(x1, n1, x2, n2)
    result = {**empty, "return_rate": difference, "return_low": low, "return_high": high,
              "p_value": two_proportion_p(x1, n1, x2, n2), "return_ratio": ratio, "ratio_low": ratio_low,
              "ratio_high": ratio_high}  # fmt: skip
    if n1 >= 2 and n2 >= 2:
        welch = stats.ttest_ind(promoters["revenue"], detractors["revenue"], equal_var=False)
        interval = welch.confidence_interval(0.95)
        result |= {"revenue_per_customer": float(promoters["revenue"].mean() - detractors["revenue"].mean()),
                   "revenue_low": float(interval.low), "revenue_high": float(interval.high),
                   "revenue_p_value": float(welch.pvalue)}  # fmt: skip
    return result
