"""The value of CX as people read it: how much more often, and how much more, promoters buy again than
detractors (:func:`cx.analysis.linkage.cx_linkage`)."""

from __future__ import annotations

import math

import pandas as pd

from cx.present.root_cause import format_money

MIN_GROUP = 30  # fewer linked customers in a group: too few to say


def value_sentence(linkage: dict) -> str:
    """One or two sentences: the return ratio with its interval and the rates with n, then the extra
    spend per customer; or why nothing can be said yet."""
    groups = {row["group"]: row for row in linkage["groups"]}
    promoter, detractor = groups["promoter"], groups["detractor"]
    days = linkage["days"]
    if min(promoter["n"], detractor["n"]) < MIN_GROUP:
        return (f"Too few customers are linked to say what a promoter is worth: {promoter['n']:,} promoters and "
                f"{detractor['n']:,} detractors whose {days} days after their answer are over; at least "
                f"{MIN_GROUP} of each are needed.")  # fmt: skip
    difference = linkage["difference"]
    rates = (f"{promoter['return_rate']:.0%} of promoters against {detractor['return_rate']:.0%} of detractors, "
             f"n = {promoter['n']:,} and {detractor['n']:,}")  # fmt: skip
    if math.isnan(difference["return_ratio"]):
        first = f"Within {days} days of their answer, {rates} bought again."
    elif difference["ratio_low"] > 1 or difference["ratio_high"] < 1:
        first = (f"A promoter bought again within {days} days {difference['return_ratio']:.1f}x as often as a "
                 f"detractor (95 % interval {difference['ratio_low']:.1f}-{difference['ratio_high']:.1f}; "
                 f"{rates}).")  # fmt: skip
    else:
        first = (f"Promoters and detractors bought again within {days} days about as often ({rates}; ratio "
                 f"{difference['return_ratio']:.1f}, 95 % interval {difference['ratio_low']:.1f}-"
                 f"{difference['ratio_high']:.1f}).")  # fmt: skip
    extra = difference["revenue_per_customer"]
    if math.isnan(extra):
        return first
    interval = f"95 % interval {format_money(difference['revenue_low'])} to {format_money(difference['revenue_high'])}"
    if difference["revenue_low"] > 0 or difference["revenue_high"] < 0:
        more = "more" if extra > 0 else "less"
        second = f" In those days a promoter spent {format_money(abs(extra))} {more} than a detractor ({interval})."
    else:
        second = f" What they spent in those days does not differ clearly ({interval})."
    return first + second


def linkage_table(linkage: dict) -> pd.DataFrame:
    """The groups as a table: customers, return rate with its interval, revenue per customer with its."""
    rows = []
    for row in linkage["groups"]:
        empty = row["n"] == 0
        rows.append({
            "NPS group": row["group"].capitalize(), "Customers": f"{row['n']:,}",
            "Bought again": "" if empty else f"{row['return_rate']:.0%}",
            "95 % interval": "" if empty else f"{row['return_low']:.0%} to {row['return_high']:.0%}",
            "Revenue per customer": "" if empty else format_money(row["revenue_per_customer"]),
            "95 % interval ": "" if math.isnan(row["revenue_low"]) else
            f"{format_money(row['revenue_low'])} to {format_money(row['revenue_high'])}",
        })  # fmt: skip
    return pd.DataFrame(rows)
