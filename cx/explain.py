"""Root-cause drill-down: what changed, when, where, who noticed, why, how customers reacted, and
whether anything changed after an action. Every answer carries its n and p-value.

The "where" ranking follows METHODS.md: a symmetric rate/mix decomposition (Kitagawa 1955) gives each
store's contribution to the scope's change, and stores are ranked by how unexpected their own change
is given sampling noise *and* the scope-wide change: z = (Δ_store − Δ_scope) / SE(Δ_store). A store
that merely moved with the brand (seasonality) or a tiny store whose score swings by chance ranks low.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine, literal, select, union_all

from cx import detection, themes
from cx.aggregates import sums
from cx.changes import metric_changes
from cx.metrics import nps_components
from cx.models import Action, Brand, District, NpsResponse, Region, Review, Store, SurveyResponse
from cx.periods import Period
from cx.queries import latest_data_day
from cx.scope import Scope, scope_conditions
from cx.summary import metric_trend

EXPLAIN_METRICS = ("nps", "csat_top2", "rating", "revenue")
SOURCE_METRICS = ("nps", "csat_top2", "rating", "revenue")
MIN_THEME_COUNT = 3


def explain_change(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, top: int = 10
) -> dict:
    """The seven answers for ``metric`` in ``scope``: ``what, when, where, sources, touchpoints, themes,
    verbatims, reaction, actions``. Without ``period`` the latest change found in the weekly series
    is explained (after = from its start to the last day with data; before = as long, just before)."""
    if metric not in EXPLAIN_METRICS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(EXPLAIN_METRICS)}.")
    latest = latest_data_day(engine)
    if latest is None:
        raise ValueError("The database holds no data yet; load files or run `python -m cx demo`.")
    series = weekly_series(engine, metric=metric, scope=scope)
    found = find_change(engine, metric=metric, scope=scope)
    if period is None:
        start = found["start"] if found else latest - dt.timedelta(days=89)
        after = Period(start, latest)
    else:
        after = period
    before = Period(after.start - dt.timedelta(days=after.days), after.start - dt.timedelta(days=1))
    what = _what(engine, metric, scope, after, before)
    result = {
        "metric": metric,
        "scope": scope.describe(),
        "period": {"before": before.label(), "after": after.label()},
        "what": what,
        "when": _when(series, found, after, latest),
        "where": _where(engine, metric, scope, after, before, top),
        "sources": {m: _source(engine, m, scope, after, before) for m in SOURCE_METRICS},
        "touchpoints": _touchpoints(engine, metric, scope, after, before),
        "reaction": _reaction(engine, scope, after, before),
        "actions": action_effects(engine, metric=metric, scope=scope),
    }
    terms, verbatims = _themes(engine, scope, after, before, top)
    result["themes"], result["verbatims"] = terms, verbatims
    result["timeline"] = series
    return result


# --- what and when ---------------------------------------------------------------------------


def weekly_series(engine: Engine, *, metric: str, scope: Scope) -> pd.DataFrame:
    """``bucket, value, n`` per ISO week over all data (revenue: per week, n = days with sales)."""
    if metric == "revenue":
        raw = sums(engine, "sales", scope=scope, grain="week")
        frame = pd.DataFrame({"bucket": raw["bucket"], "value": pd.to_numeric(raw["revenue"]),
                              "n": pd.to_numeric(raw["days"])})  # fmt: skip
    else:
        everything = Period(dt.date(1900, 1, 1), dt.date(2999, 12, 31))
        frame = metric_trend(engine, metric=metric, scope=scope, period=everything, grain="week")[
            ["bucket", "value", "n"]
        ]
    frame = frame.dropna(subset=["value"]).sort_values("bucket").reset_index(drop=True)
    return frame.loc[frame["n"] > 0].reset_index(drop=True)


def monthly_values(engine: Engine, *, metric: str, scope: Scope, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """``by`` keys, ``bucket, value, n`` per month (NPS points, top-2-box %, stars, revenue)."""
    family = {"nps": "nps", "csat_top2": "survey", "rating": "review", "revenue": "sales"}[metric]
    raw = sums(engine, family, scope=scope, by=by, grain="month")
    if raw.empty:
        return pd.DataFrame(columns=[*by, "bucket", "value", "n"])
    if metric == "nps":
        promoters, passives, detractors = nps_components(raw)
        n = promoters + passives + detractors
        value = 100 * (promoters - detractors) / np.where(n > 0, n, np.nan)
    elif metric == "csat_top2":
        n = raw["n"].to_numpy(dtype=float)
        value = 100 * raw["top2"].to_numpy(dtype=float) / np.where(n > 0, n, np.nan)
    elif metric == "rating":
        n = raw["n"].to_numpy(dtype=float)
        value = raw["rating_sum"].to_numpy(dtype=float) / np.where(n > 0, n, np.nan)
    else:
        n = pd.to_numeric(raw["days"]).to_numpy(dtype=float)
        value = pd.to_numeric(raw["revenue"]).to_numpy(dtype=float) / np.where(n > 0, n, np.nan)  # per day
    return raw[[*by, "bucket"]].assign(value=value, n=n).dropna(subset=["value"])


def find_change(engine: Engine, *, metric: str, scope: Scope) -> dict | None:
    """The clearest change in the scope: a single mean-shift changepoint searched in every candidate
    monthly series (a store: itself and each of its touchpoints; a region or the brand: itself and each
    store), each taken relative to the brand's own series so brand-wide seasonality cannot pass for a
    local change. Among splits significant on their own (permutation p < 0.05) the one with the
    largest standardised shift wins (see :func:`_shift_z`); the reported ``p_value`` is
    Bonferroni-adjusted for the number of candidate series."""
    brand_scope = Scope(visible_stores=scope.visible_stores)
    candidates = [(("scope",), monthly_values(engine, metric=metric, scope=scope))]
    key = "touchpoint" if scope.store is not None else "store"
    if metric != "revenue" or key == "store":
        grouped = monthly_values(engine, metric=metric, scope=scope, by=(key,))
        candidates += [((key, name), group.drop(columns=key)) for name, group in grouped.groupby(key)]
    if key == "store" and metric != "revenue":
        cells = monthly_values(engine, metric=metric, scope=scope, by=("store", "touchpoint"))
        candidates += [(("store", store, touchpoint), group.drop(columns=["store", "touchpoint"]))
                       for (store, touchpoint), group in cells.groupby(["store", "touchpoint"])]  # fmt: skip
    brand = monthly_values(engine, metric=metric, scope=brand_scope)
    brand_by_key = (
        monthly_values(engine, metric=metric, scope=brand_scope, by=(key,)) if key == "touchpoint" else None
    )
    best = None
    for label, series in candidates:
        reference = brand
        if label[0] == "touchpoint" and brand_by_key is not None:
            reference = brand_by_key.loc[brand_by_key["touchpoint"] == label[1]].drop(columns="touchpoint")
        if scope != brand_scope or label[0] != "scope":
            series = series.merge(reference[["bucket", "value"]], on="bucket", suffixes=("", "_brand"))
            series = series.assign(value=series["value"] - series["value_brand"])
        series = series.sort_values("bucket").reset_index(drop=True)
        if len(series) < 6:
            continue
        found = detection.changepoint(series["value"].to_numpy(dtype=float), series["n"].to_numpy(dtype=float),
                                      permutations=499)  # fmt: skip
        if found.index is None or not np.isfinite(found.p_value):
            continue
        rank = (found.p_value > 0.05, -abs(_shift_z(series, found.index)))
        if best is None or rank < best["rank"]:
            best = {"rank": rank, "label": label, "index": int(found.index), "series": series,
                    "start": pd.Timestamp(series["bucket"].iloc[found.index]).date(),
                    "p_raw": float(found.p_value), "p_value": min(1.0, float(found.p_value) * len(candidates))}  # fmt: skip
    if best is None or best["p_raw"] > 0.05:
        return None
    return best


MIN_NODE_ANSWERS = 10


def noise_se(what: dict, n_before, n_after):
    """SE of a node's change from the scope's own per-answer variance: sqrt(V (1/n_b + 1/n_a)), with
    V recovered from the scope's interval. Stable for small nodes, whose own variance can be 0."""
    half = (what["high"] - what["low"]) / 2 / 1.959964
    variance = half**2 / (1 / what["n_before"] + 1 / what["n_after"])
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(variance * (1 / np.asarray(n_before, float) + 1 / np.asarray(n_after, float)))
    small = (np.asarray(n_before, float) < MIN_NODE_ANSWERS) | (np.asarray(n_after, float) < MIN_NODE_ANSWERS)
    return np.where(small, np.nan, se)


def _shift_z(series: pd.DataFrame, index: int) -> float:
    """Standardised shift at a split: (mean_after - mean_before) / sqrt(V (1/N_before + 1/N_after)),
    means weighted by answers and V the per-answer variance left after the two-segment fit, so series
    of different sizes compete on the same footing."""
    y, n = series["value"].to_numpy(dtype=float), series["n"].to_numpy(dtype=float)
    ok = np.isfinite(y) & (n > 0)
    position = np.arange(len(y))
    early, late = ok & (position < index), ok & (position >= index)
    if early.sum() < 2 or late.sum() < 2:
        return 0.0
    m1, m2 = np.average(y[early], weights=n[early]), np.average(y[late], weights=n[late])
    residual = (n[early] * (y[early] - m1) ** 2).sum() + (n[late] * (y[late] - m2) ** 2).sum()
    variance = residual / max(ok.sum() - 2, 1)
    return float((m2 - m1) / np.sqrt(variance * (1 / n[early].sum() + 1 / n[late].sum())))


def _what(engine, metric, scope, after: Period, before: Period) -> dict:
    change = metric_changes(engine, metric=metric, scope=scope, period=after, before=before)
    row = change.iloc[0] if len(change) else None
    keys = ("before", "after", "delta", "p_value", "n_before", "n_after", "low", "high")
    return {key: _num(row[key]) if row is not None else None for key in keys}


def _when(series: pd.DataFrame, found: dict | None, after: Period, latest: dt.date) -> dict:
    if found is None:
        return {
            "start": None,
            "end": None,
            "duration_days": None,
            "ongoing": None,
            "p_value": None,
            "series": None,
        }
    values = found["series"]["value"].to_numpy(dtype=float)
    weights = found["series"]["n"].to_numpy(dtype=float)
    ongoing = bool(detection.is_ongoing(values, found["index"], weights=weights))
    end = None if ongoing else pd.Timestamp(found["series"]["bucket"].iloc[-1]).date()
    duration = ((end or latest) - found["start"]).days + 1
    label = found["label"]
    where = "the whole scope" if label[0] == "scope" else " ".join([label[0], *map(str, label[1:])])
    return {"start": found["start"].isoformat(), "end": end.isoformat() if end else None,
            "duration_days": duration, "ongoing": ongoing, "p_value": found["p_value"], "series": where}  # fmt: skip


# --- where -----------------------------------------------------------------------------------


def _where(engine, metric, scope: Scope, after: Period, before: Period, top: int) -> list[dict]:
    """Nodes ranked by unexpected deviation: for a store its touchpoints; for a brand or region its
    stores and its store x touchpoint cells (a cell is compared with the same touchpoint's change
    across the scope, a store with the scope's change)."""
    overall = _what(engine, metric, scope, after, before)
    if overall["delta"] is None:
        return []
    if scope.store is not None:
        if metric == "revenue":
            return []
        levels = [
            _nodes(engine, metric, scope, after, before, ("touchpoint",), overall).assign(store=scope.store)
        ]
    else:
        stores = _nodes(engine, metric, scope, after, before, ("store",), overall).assign(touchpoint=None)
        levels = [stores]
        if metric != "revenue":
            levels.append(_nodes(engine, metric, scope, after, before, ("store", "touchpoint"), overall))
    nodes = (
        pd.concat([level for level in levels if len(level)], ignore_index=True)
        if any(len(level) for level in levels)
        else pd.DataFrame()
    )
    if nodes.empty:
        return []
    nodes = nodes.sort_values("unexpected", ascending=False, na_position="last").head(top)
    direction = -1.0 if overall["delta"] < 0 else 1.0
    return [
        {"store_id": row.store, "touchpoint": row.touchpoint, "delta": _num(row.delta), "p_value": _num(row.p_value),
         "contribution": _num(row.contribution), "z": _num(direction * row.unexpected), "n_before": _num(row.n_before),
         "n_after": _num(row.n_after)}
        for row in nodes.itertuples()
    ]  # fmt: skip


def _nodes(engine, metric, scope, after, before, by: tuple[str, ...], overall: dict) -> pd.DataFrame:
    """One level of the decomposition with Kitagawa contributions and the unexpected-deviation score."""
    nodes = metric_changes(engine, metric=metric, scope=scope, period=after, before=before, by=by)
    nodes = nodes.dropna(subset=[*by, "delta"]) if len(nodes) else nodes
    if nodes.empty:
        return nodes
    weight_after = nodes["n_after"] / nodes["n_after"].sum()
    weight_before = nodes["n_before"] / max(nodes["n_before"].sum(), 1)
    # Kitagawa (1955): Δ = Σ w̄ Δr + Σ r̄ Δw
    nodes["contribution"] = (weight_after + weight_before) / 2 * nodes["delta"] + (
        (nodes["after"] + nodes["before"]) / 2 * (weight_after - weight_before)
    )
    expected = pd.Series(overall["delta"], index=nodes.index)
    if "touchpoint" in by and len(by) > 1:
        per_touchpoint = metric_changes(engine, metric=metric, scope=scope, period=after, before=before,
                                        by=("touchpoint",)).dropna(subset=["touchpoint"])  # fmt: skip
        expected = (
            nodes["touchpoint"].map(per_touchpoint.set_index("touchpoint")["delta"]).fillna(overall["delta"])
        )
    direction = -1.0 if overall["delta"] < 0 else 1.0
    nodes["unexpected"] = direction * (nodes["delta"] - expected) / _node_se(metric, overall, nodes)
    return nodes


def _node_se(metric: str, overall: dict, nodes: pd.DataFrame) -> np.ndarray:
    if metric == "revenue" or None in (overall["low"], overall["high"]) or not overall["n_before"]:
        return ((nodes["high"] - nodes["low"]) / (2 * 1.959964)).replace(0, np.nan).to_numpy()
    return noise_se(overall, nodes["n_before"], nodes["n_after"])


# --- who noticed, why, reaction ----------------------------------------------------------------


def _source(engine, metric, scope, after, before) -> dict | None:
    if metric in ("rating", "revenue") and scope.needs_touchpoints:
        return None
    change = metric_changes(engine, metric=metric, scope=scope, period=after, before=before)
    if change.empty or not np.isfinite(change["n_after"].iloc[0]) or change["n_after"].iloc[0] == 0:
        return None
    row = change.iloc[0]
    return {"delta": _num(row["delta"]), "p_value": _num(row["p_value"]),
            "delta_pct": _num(row.get("delta_pct", np.nan))}  # fmt: skip


def _touchpoints(engine, metric, scope, after, before) -> list[dict]:
    """Touchpoints ranked by how unexpectedly they moved: z = (Δ − Δ_brand) / SE(Δ), where Δ_brand is
    the same touchpoint's change across the brand (zero when the scope is the brand)."""
    measured = metric if metric in ("nps", "csat_top2") else "nps"
    changes = metric_changes(
        engine, metric=measured, scope=scope, period=after, before=before, by=("touchpoint",)
    )
    changes = changes.dropna(subset=["touchpoint", "delta"])
    if changes.empty:
        return []
    brand_scope = Scope(visible_stores=scope.visible_stores)
    expected = pd.Series(0.0, index=changes["touchpoint"])
    if scope != brand_scope:
        brand = metric_changes(engine, metric=measured, scope=brand_scope, period=after, before=before,
                               by=("touchpoint",)).dropna(subset=["touchpoint"])  # fmt: skip
        expected = brand.set_index("touchpoint")["delta"].reindex(changes["touchpoint"]).fillna(0.0)
    overall = _what(engine, measured, scope, after, before)
    se = _node_se(measured, overall, changes)
    changes = changes.assign(z=(changes["delta"].to_numpy() - expected.to_numpy()) / se).sort_values(
        "z", na_position="last"
    )
    return [{"touchpoint": r.touchpoint, "delta": _num(r.delta), "p_value": _num(r.p_value), "z": _num(r.z),
             "n_before": _num(r.n_before), "n_after": _num(r.n_after)} for r in changes.itertuples()]  # fmt: skip


def feedback_texts(engine: Engine, *, scope: Scope, period: Period) -> pd.DataFrame:
    """Comments and review texts (``source, date, store_id, text``) of the scope in the period."""
    parts = []
    for source, model, moment, column in (
        ("nps", NpsResponse, NpsResponse.responded_at, NpsResponse.comment),
        ("survey", SurveyResponse, SurveyResponse.responded_at, SurveyResponse.comment),
        ("review", Review, Review.posted_at, Review.text),
    ):
        parts.append(
            select(literal(source).label("source"), moment.label("date"), model.store_id.label("store_id"),
                   column.label("text"))
            .join(Store, Store.store_id == model.store_id)
            .join(Region, Region.id == Store.region_id)
            .join(Brand, Brand.id == Region.brand_id)
            .outerjoin(District, District.id == Store.district_id)
            .where(column.is_not(None), moment >= period.start, moment < period.end + dt.timedelta(days=1),
                   *scope_conditions(Scope(**{**vars(scope), "touchpoint": None, "stage": None}), store_id=model.store_id))
        )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(union_all(*parts)).all()
    return pd.DataFrame(rows, columns=["source", "date", "store_id", "text"])


def _themes(engine, scope: Scope, after: Period, before: Period, top: int) -> tuple[list[dict], list[dict]]:
    target = feedback_texts(engine, scope=scope, period=after)
    baseline = feedback_texts(engine, scope=scope, period=before)
    if scope.store is not None or scope.region is not None:  # and the rest of the brand, same weeks
        brand = feedback_texts(engine, scope=Scope(visible_stores=scope.visible_stores), period=after)
        baseline = pd.concat([baseline, brand.loc[~brand["store_id"].isin(target["store_id"].unique())]])
    if target.empty or baseline.empty:
        return [], []
    terms = themes.fightin_words(target["text"], baseline["text"], min_count=MIN_THEME_COUNT)
    terms = terms.loc[terms["z"] > 1.96].head(top)
    found = [{"term": r.term, "z": _num(r.z), "count": int(r.count)} for r in terms.itertuples()]
    quotes = themes.representative_verbatims(target[["text", "date", "source"]], list(terms["term"].head(3)))
    verbatims = [{"source": r.source, "date": pd.Timestamp(r.date).date().isoformat(), "text": r.text, "term": r.term}
                 for r in quotes.itertuples()]  # fmt: skip
    return found, verbatims


def _reaction(engine, scope: Scope, after: Period, before: Period) -> dict:
    rating = metric_changes(engine, metric="rating", scope=scope, period=after, before=before)
    transactions = metric_changes(engine, metric="transactions", scope=scope, period=after, before=before)
    revenue = metric_changes(engine, metric="revenue", scope=scope, period=after, before=before)
    first = lambda frame, key: _num(frame[key].iloc[0]) if len(frame) else None  # noqa: E731
    reviews_before, reviews_after = first(rating, "n_before"), first(rating, "n_after")
    return {
        "rating_delta": first(rating, "delta"),
        "rating_p_value": first(rating, "p_value"),
        "reviews_delta": None if reviews_before is None else reviews_after - reviews_before,
        "transactions_delta_pct": first(transactions, "delta_pct"),
        "revenue_delta_pct": first(revenue, "delta_pct"),
    }


# --- actions -----------------------------------------------------------------------------------


def record_action(engine: Engine, *, action_date: dt.date, scope_type: str, scope_value: str | None,
                  description: str) -> int:  # fmt: skip
    """Store what someone did (e.g. "retrained delivery drivers") so its effect can be tested."""
    if scope_type not in ("brand", "region", "store"):
        raise ValueError(f"An action's scope is brand, region or store, not {scope_type!r}.")
    if not description.strip():
        raise ValueError("Describe the action in a few words.")
    if scope_type != "brand" and not scope_value:
        raise ValueError(f"Name the {scope_type} the action was for.")
    with engine.begin() as connection:
        return connection.execute(
            Action.__table__.insert().values(action_date=action_date, scope_type=scope_type, scope_value=scope_value,
                                             description=description.strip(), created_at=dt.datetime.now())
        ).inserted_primary_key[0]  # fmt: skip


def action_effects(engine: Engine, *, metric: str, scope: Scope, window_days: int = 56) -> list[dict]:
    """For every action on this scope: the metric ``window_days`` before vs after it, with its test."""
    scope_type, value = (
        ("store", scope.store)
        if scope.store
        else ("region", scope.region)
        if scope.region
        else ("brand", None)
    )
    with engine.connect() as connection:
        actions = connection.execute(
            select(Action).where(Action.scope_type == scope_type, (Action.scope_value == value) if value else literal(True))
            .order_by(Action.action_date)
        ).mappings().all()  # fmt: skip
    effects = []
    for action in actions:
        day = action["action_date"]
        after = Period(day, day + dt.timedelta(days=window_days - 1))
        before = Period(day - dt.timedelta(days=window_days), day - dt.timedelta(days=1))
        what = _what(engine, metric, scope, after, before)
        effects.append(
            {"id": action["id"], "date": day.isoformat(), "description": action["description"], **what}
        )
    return effects


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
