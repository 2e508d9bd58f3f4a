"""Root-cause drill-down: what changed, when, where, who noticed, why, how customers reacted, and
whether anything changed after an action. Every answer carries its n and p-value.

*When*: :func:`find_change` scans the scope's monthly series and those of its parts (touchpoints of
a store; stores and store x touchpoint cells of a brand or region), each relative to the brand so
seasonality cancels, reading NPS, top-2-box, rating and touchpoint shares together
(:func:`cx.stats.detection.shift_scan`).

*Where* and *why*: a symmetric rate/mix decomposition (Kitagawa 1955) gives each node's contribution
to the scope's change, and nodes are ranked by how unexpected their change is given sampling noise and
the brand-wide change, z = (Δ_node − Δ_brand) / SE(Δ_node), combined over the feedback sources. A node
that merely moved with the brand, or a tiny one whose score swings by chance, ranks low.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sqlalchemy import Engine

from cx import stats
from cx.analysis.executive import metric_trend
from cx.metrics.changes import MIN_STATED_ANSWERS, metric_changes
from cx.metrics.coverage import metric_coverage
from cx.metrics.registry import EXPLAINABLE, FEEDBACK_METRICS, METRICS, TOUCHPOINT_METRICS
from cx.periods import Period
from cx.stats import detection, themes
from cx.store.queries import data_span, feedback_texts, latest_data_day, store_directory
from cx.store.records import ACTION_FIELDS, action_row, actions_for, insert_action, update_action_row
from cx.store.scope import Scope
from cx.store.stored import stored_result
from cx.store.sums import sums

EXPLAIN_METRICS = EXPLAINABLE
MIN_THEME_COUNT = 3


def explain_change(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, top: int = 10
) -> dict:
    """The seven answers for ``metric`` in ``scope``: ``what, when, where, sources, touchpoints, themes,
    verbatims, reaction, actions`` (and the weekly ``timeline``). With ``period``, before is as long,
    just before it. Without, the change that :func:`find_change` finds is explained: before = just
    before its start, after = the latest days, both as long as the data allow (at most from the start
    to the last day with data); with no change found, the last 90 days against the 90 before.

    The answer is computed once per data version (:mod:`cx.store.stored`) but for the actions, which
    are recorded at any time and read fresh."""
    if metric not in EXPLAIN_METRICS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(EXPLAIN_METRICS)}.")
    result = _explanation(engine, metric=metric, scope=scope, period=period, top=top)
    if result["what"]["comparable"]:
        result["actions"] = action_effects(engine, metric=metric, scope=scope)
    return result


@stored_result
def _explanation(engine: Engine, *, metric: str, scope: Scope, period: Period | None, top: int) -> dict:
    """:func:`explain_change` but for its actions."""
    latest = latest_data_day(engine)
    if latest is None:
        raise ValueError("The database holds no data yet; load files or run `python -m cx demo`.")
    series = weekly_series(engine, metric=metric, scope=scope)
    found = find_change(engine, metric=metric, scope=scope)
    if period is not None:
        after = period
        before = Period(after.start - dt.timedelta(days=after.days), after.start - dt.timedelta(days=1))
    elif found is None:  # the last 90 days against the 90 before, as that period is explained (kept once)
        last_90 = Period(latest - dt.timedelta(days=89), latest)
        return _explanation(engine, metric=metric, scope=scope, period=last_90, top=top)
    else:  # equally long windows: just before the change, and the latest days (as many as data allow)
        start = found["start"]
        days = max(1, min((latest - start).days + 1, (start - found["first"]).days))
        after = Period(latest - dt.timedelta(days=days - 1), latest)
        before = Period(start - dt.timedelta(days=days), start - dt.timedelta(days=1))
    coverage = metric_coverage(engine, metric=metric, scope=scope, now=after, before=before)
    if not coverage.comparable:
        return _not_comparable(metric, scope, after, before, coverage, series)
    what = {
        **_what(engine, metric, scope, after, before),
        "changed": changed_parts(engine, metric=metric, scope=scope, after=after, before=before),
        "comparable": True,
    }
    touchpoints = _scored_nodes(
        engine, "nps" if metric == "revenue" else metric, scope, after, before, ("touchpoint",)
    )
    result = {
        "metric": metric,
        "scope": scope.describe(),
        "period": {"before": before.label(), "after": after.label()},
        "coverage": coverage.as_json(),
        "what": what,
        "when": _when(series, found, after, latest, searched_months(engine, metric=metric, scope=scope)),
        **_where(engine, metric, scope, after, before, top, touchpoints),
        "sources": {m: _source(engine, m, scope, after, before) for m in EXPLAIN_METRICS},
        "touchpoints": _touchpoints(engine, touchpoints, scope, after, before),
        "attributes": attribute_changes(engine, scope=scope, after=after, before=before),
        "reaction": _reaction(engine, scope, after, before),
        "actions": [],
    }
    terms, verbatims = _themes(engine, scope, after, before, top, changed=_significant(what))
    result["themes"], result["verbatims"] = terms, verbatims
    result["timeline"] = series
    return result


def _not_comparable(metric: str, scope: Scope, after: Period, before: Period, coverage, series) -> dict:
    """The answer when the windows cannot be compared (:mod:`cx.metrics.coverage`): the coverage and
    the timeline, no change and nothing ranked."""
    empty = {
        key: None for key in ("before", "after", "delta", "p_value", "n_before", "n_after", "low", "high")
    }
    return {"metric": metric, "scope": scope.describe(),
            "period": {"before": before.label(), "after": after.label()}, "coverage": coverage.as_json(),
            "what": {**empty, "changed": [], "comparable": False}, "when": _when(series, None, after, after.end, 0),
            "where": [], "regions": [], "sources": {}, "touchpoints": [], "attributes": [],
            "reaction": {}, "actions": [], "themes": [], "verbatims": [], "timeline": series}  # fmt: skip


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
    """``by`` keys, ``bucket, value, n, variance`` per month (NPS points, top-2-box %, stars, revenue
    per day); ``variance`` is that of one answer (``nan`` for revenue)."""
    spec = METRICS[metric]
    needs = spec.estimator.needs if spec.has_interval else None  # sales are read whole
    raw = sums(engine, spec.source, scope=scope, by=by, grain="month", measures=needs)
    if raw.empty:
        return pd.DataFrame(columns=[*by, "bucket", "value", "n", "variance"])
    estimator = spec.estimator
    n = estimator.answers(raw)
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.has_interval:
            value, variance = (
                np.asarray(estimator.interval(raw).estimate, dtype=float),
                estimator.answer_variance(raw),
            )
        else:  # sales: revenue per day, no sampling variance
            value, variance = (
                np.asarray(estimator.interval(raw).estimate, dtype=float) / n,
                np.full(len(raw), np.nan),
            )
    frame = raw[[*by, "bucket"]].assign(value=value, n=n, variance=variance)
    return frame.loc[frame["n"] > 0].dropna(subset=["value"])


def searched_months(engine: Engine, *, metric: str, scope: Scope) -> int:
    """How many calendar months of ``metric``'s data the scope holds (the span the search reads)."""
    span = data_span(engine, source=METRICS[metric].source, scope=scope)
    if span.empty:
        return 0
    first, last = pd.Timestamp(span["first"].min()), pd.Timestamp(span["last"].max())
    return (last.year - first.year) * 12 + last.month - first.month + 1


def evidence_metrics(metric: str) -> tuple[str, ...]:
    """The measurements read together for ``metric``: the three feedback sources corroborate each
    other (independent samples of the same customers' experience); revenue stands alone. ``metric``
    comes first."""
    return (
        (metric, *(m for m in FEEDBACK_METRICS if m != metric)) if metric in FEEDBACK_METRICS else (metric,)
    )


@stored_result
def find_change(engine: Engine, *, metric: str, scope: Scope) -> dict | None:
    """The clearest change in the scope: a single shift searched in every candidate monthly series
    (a store: itself and each of its touchpoints; a region or the brand: itself, each store and each
    store x touchpoint cell), each taken relative to the brand's matching series (a cell to the brand's
    same touchpoint) so brand-wide seasonality cannot pass for a local change. A scope narrowed to one
    touchpoint is compared with that touchpoint brand-wide, and only its stores are searched below it.

    Each candidate is scanned with :func:`cx.stats.detection.shift_scan` over all its evidence measurements
    at once, each month weighted by its sampling variance: the score of every source in
    :func:`evidence_metrics`, and for a touchpoint its share of the answers (see :func:`_share_rows`).
    The candidate with the largest |z| is the change found when its p-value, adjusted for every
    candidate searched (Westfall-Young max-T over joint permutations of the months), is <= 0.05
    (``p_value``); otherwise no change is reported."""
    brand_scope = Scope(visible_stores=scope.visible_stores, touchpoint=scope.touchpoint, stage=scope.stage)
    relative = metric == "revenue"  # no per-answer variance: weights only, dispersion estimated
    frames = {m: monthly_values(engine, metric=m, scope=brand_scope) for m in evidence_metrics(metric)}
    months = sorted({b for frame in frames.values() for b in frame["bucket"]})
    if not months:
        return None
    candidates = _candidate_series(engine, scope, brand_scope, frames, months, relative)
    return _clearest_shift(candidates, months, relative)


def _candidate_series(
    engine, scope: Scope, brand_scope: Scope, frames: dict, months: list, relative: bool
) -> dict:
    """Label -> the (residuals, variances) rows of every evidence measurement of that candidate series
    (see :func:`find_change`): the scope, each store, and each store x touchpoint cell or touchpoint."""
    narrowed = scope.touchpoint is not None or scope.stage is not None
    key = "touchpoint" if scope.store is not None else "store"
    candidates: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = {}

    def add(labels: list[tuple], residuals: np.ndarray, variances: np.ndarray) -> None:
        for label, residual, variance in zip(labels, residuals, variances, strict=True):
            candidates.setdefault(label, []).append((residual, variance))

    for source, brand_frame in frames.items():
        unit = 1.0 if relative else _pooled_variance(brand_frame)
        _, (brand_value, brand_n) = _grid(brand_frame, (), months)
        if scope == brand_scope:
            own_value, own_n = brand_value, brand_n
            add([("scope",)], own_value, unit / own_n)
        else:
            _, (own_value, own_n) = _grid(monthly_values(engine, metric=source, scope=scope), (), months)
            add([("scope",)], *_rate_rows(own_value, own_n, brand_value, brand_n, unit, relative))
        if key == "store":
            stores, (store_value, store_n) = _grid(
                monthly_values(engine, metric=source, scope=scope, by=("store",)), ("store",), months
            )
            add(
                [("store", s) for (s,) in stores],
                *_rate_rows(store_value, store_n, brand_value, brand_n, unit, relative),
            )
        if source not in TOUCHPOINT_METRICS or narrowed:
            continue
        names, (ref_value, ref_n) = _grid(
            monthly_values(engine, metric=source, scope=brand_scope, by=("touchpoint",)),
            ("touchpoint",),
            months,
        )
        reference = {name: i for i, (name,) in enumerate(names)}
        if key == "touchpoint":
            groups, (value, n) = _grid(
                monthly_values(engine, metric=source, scope=scope, by=("touchpoint",)),
                ("touchpoint",),
                months,
            )
            labels = [("touchpoint", name) for (name,) in groups]
            totals = np.broadcast_to(own_n, n.shape)
        else:
            groups, (value, n) = _grid(
                monthly_values(engine, metric=source, scope=scope, by=("store", "touchpoint")),
                ("store", "touchpoint"),
                months,
            )
            labels = [("store", store, name) for store, name in groups]
            store_row = {store: i for i, (store,) in enumerate(stores)}
            totals = store_n[[store_row[store] for store, _ in groups]]
        rows = [reference[group[-1]] for group in groups]
        add(labels, *_rate_rows(value, n, ref_value[rows], ref_n[rows], unit, relative))
        add(labels, *_share_rows(n, totals, ref_n[rows], brand_n))
    return candidates


def _clearest_shift(candidates: dict, months: list, relative: bool) -> dict | None:
    """The candidate with the largest |z| (:func:`cx.stats.detection.shift_z`), with its start and its
    p-value adjusted for the whole search (:func:`cx.stats.detection.max_shift_p`: the largest |z| of
    all candidates under the same random orders of the months); ``None`` when that p exceeds 0.05."""
    stacks, best = [], None  # best: (|z|, label, split, z)
    stacked = {label: (np.vstack([r for r, _ in parts]), np.vstack([v for _, v in parts]))
               for label, parts in candidates.items()}  # fmt: skip
    for size in sorted({len(r) for r, _ in stacked.values()}):  # candidates with as many parts at once
        labels = [label for label, (r, _) in stacked.items() if len(r) == size]
        residuals = np.stack([stacked[label][0] for label in labels])
        variances = np.stack([stacked[label][1] for label in labels])
        stacks.append((residuals, variances))
        index, z = detection.shift_z(residuals, variances, known_variance=not relative)
        for i, label in enumerate(labels):
            if index[i] >= 0 and (best is None or abs(z[i]) > best[0]):
                best = (abs(z[i]), label, int(index[i]), float(z[i]))
    if best is None:
        return None
    size, label, split, z = best
    p_value = detection.max_shift_p(stacks, size, permutations=PERMUTATIONS, known_variance=not relative)
    if p_value > 0.05:  # chance, given how many series were searched
        return None
    residuals, variances = stacked[label]
    primary = ~np.isnan(residuals[0])
    series = pd.DataFrame({"bucket": np.asarray(months)[primary], "value": residuals[0][primary],
                           "n": 1 / variances[0][primary]})  # fmt: skip
    return {"label": label, "index": int(primary[:split].sum()), "series": series,
            "first": pd.Timestamp(months[0]).date(), "start": pd.Timestamp(months[split]).date(), "z": z,
            "p_value": p_value}  # fmt: skip


PERMUTATIONS = 199  # random orders of the months: the adjusted p is resolved to 0.005


def _grid(
    frame: pd.DataFrame, keys: tuple[str, ...], months: list
) -> tuple[list[tuple], tuple[np.ndarray, np.ndarray]]:
    """Group labels and (groups x months) arrays of ``value`` and ``n`` (``nan`` where no answers)."""
    if not keys:
        frame = frame.set_index("bucket").reindex(months)
        return [()], (frame["value"].to_numpy(dtype=float)[None], frame["n"].to_numpy(dtype=float)[None])
    if frame.empty:
        empty = np.empty((0, len(months)))
        return [], (empty, empty)
    wide = frame.set_index([*keys, "bucket"])[["value", "n"]].astype(float).unstack("bucket")
    labels = [label if isinstance(label, tuple) else (label,) for label in wide.index]
    value = wide["value"].reindex(columns=months).to_numpy()
    return labels, (value, wide["n"].reindex(columns=months).to_numpy())


def _pooled_variance(frame: pd.DataFrame) -> float:
    """Variance of one answer over the whole series (weighted by answers): stable for small slices."""
    ok = frame["variance"].notna() & (frame["n"] > 0)
    if not ok.any():
        return float("nan")
    return float(np.average(frame.loc[ok, "variance"], weights=frame.loc[ok, "n"]))


def _rate_rows(value, n, ref_value, ref_n, unit: float, relative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Monthly score minus the reference's, with its sampling variance V/n + V/N (``relative``: 1/n,
    a weight only)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = 1 / n if relative else unit / n + unit / ref_n
        return value - ref_value, variance


def _share_rows(count, totals, brand_count, brand_total) -> tuple[np.ndarray, np.ndarray]:
    """Minus a touchpoint's share of its store's answers, less the same share brand-wide, with its
    binomial variance. Dissatisfied customers speak up more (Anderson 1998, *J. Service Research*
    1:5), so a touchpoint that goes wrong takes a larger share of the feedback; the sign makes that
    rise count as a deterioration, like a falling score."""
    count, brand_count = np.nan_to_num(count), np.nan_to_num(brand_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = brand_count.sum(axis=1, keepdims=True) / np.nansum(brand_total)
        variance = pooled * (1 - pooled) * (1 / totals + 1 / brand_total)
        return -(count / totals - brand_count / brand_total), variance


MIN_NODE_ANSWERS = 10  # below this in a window a node gets no z (its variance is not estimable)


def noise_se(what: dict, n_before, n_after):
    """SE of a node's change from the scope's own per-answer variance: sqrt(V (1/n_b + 1/n_a)), with
    V recovered from the scope's interval. Stable for small nodes, whose own variance can be 0."""
    half = (what["high"] - what["low"]) / 2 / 1.959964
    variance = half**2 / (1 / what["n_before"] + 1 / what["n_after"])
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(variance * (1 / np.asarray(n_before, float) + 1 / np.asarray(n_after, float)))
    small = (np.asarray(n_before, float) < MIN_NODE_ANSWERS) | (np.asarray(n_after, float) < MIN_NODE_ANSWERS)
    return np.where(small, np.nan, se)


def _what(engine, metric, scope, after: Period, before: Period) -> dict:
    change = metric_changes(engine, metric=metric, scope=scope, period=after, before=before)
    row = change.iloc[0] if len(change) else None
    keys = ("before", "after", "delta", "p_value", "n_before", "n_after", "low", "high")
    return {key: _num(row[key]) if row is not None else None for key in keys}


def changed_parts(engine: Engine, *, metric: str, scope: Scope, after: Period, before: Period) -> list[dict]:
    """The parts of the scope that changed significantly (stores of a brand or region, touchpoints of a
    store): ``key, delta, p_value, q_value, n_before, n_after, small``, kept when the part's own
    before/after test (the metric's test, :mod:`cx.metrics.changes`) survives Benjamini-Hochberg
    control across the parts (``q_value`` < 0.05). The same tests and correction as the summary's
    movers and the verdicts of where the change sits, so the three agree. ``small``: fewer than
    :data:`MIN_STATED_ANSWERS` answers in a window. Revenue carries no test: no part is listed."""
    key = "touchpoint" if scope.store is not None else "store"
    changes = metric_changes(engine, metric=metric, scope=scope, period=after, before=before, by=(key,))
    changes = changes.dropna(subset=[key, "delta"]) if len(changes) else changes
    if changes.empty:
        return []
    changed = [
        {"key": getattr(row, key), "delta": _num(row.delta), "p_value": _num(row.p_value), "q_value": _num(row.q_value),
         "n_before": _num(row.n_before), "n_after": _num(row.n_after),
         "small": bool(min(row.n_before, row.n_after) < MIN_STATED_ANSWERS)}
        for row in changes.itertuples()
        if np.isfinite(row.q_value) and row.q_value < 0.05
    ]  # fmt: skip
    return sorted(changed, key=lambda part: part["q_value"])


def _when(series: pd.DataFrame, found: dict | None, after: Period, latest: dt.date, months: int) -> dict:
    """When the change found began, whether it goes on, and the series where it is clearest
    (``series`` in words; ``store`` and ``touchpoint`` when it is a part of the scope);
    ``searched_months``: the months of data the search read (all of them)."""
    if found is None:
        return {"start": None, "end": None, "duration_days": None, "ongoing": None, "p_value": None,
                "series": None, "store": None, "touchpoint": None, "searched_months": months}  # fmt: skip
    values = found["series"]["value"].to_numpy(dtype=float)
    weights = found["series"]["n"].to_numpy(dtype=float)
    ongoing = bool(detection.is_ongoing(values, found["index"], weights=weights))
    end = None if ongoing else pd.Timestamp(found["series"]["bucket"].iloc[-1]).date()
    duration = ((end or latest) - found["start"]).days + 1
    kind, *names = found["label"]
    store = names[0] if kind == "store" else None
    touchpoint = names[-1] if kind == "touchpoint" or len(names) == 2 else None
    where = "the whole scope" if kind == "scope" else f"{kind} {' · '.join(map(str, names))}"
    return {"start": found["start"].isoformat(), "end": end.isoformat() if end else None,
            "duration_days": duration, "ongoing": ongoing, "p_value": found["p_value"], "series": where,
            "store": store, "touchpoint": touchpoint, "searched_months": months}  # fmt: skip


# --- where -----------------------------------------------------------------------------------


def _where(
    engine, metric, scope: Scope, after: Period, before: Period, top: int, touchpoints: pd.DataFrame
) -> dict[str, list[dict]]:
    """``where``: the ``top`` nodes ranked by unexpected deviation (see :func:`_scored_nodes` and
    :func:`_ranked`), each with its ``level``: for a store its touchpoints (``touchpoints``, already
    scored); for a brand or region its stores and store x touchpoint cells. ``regions``: a brand's
    regions, ranked with them (``rank`` is each node's place in that joint order) but listed apart so
    every ``where`` node names its store."""
    if scope.store is not None:
        levels = [touchpoints.assign(store=scope.store, level="touchpoint")] if metric != "revenue" else []
    else:
        levels = [
            _scored_nodes(engine, metric, scope, after, before, ("store",)).assign(
                touchpoint=None, level="store"
            ),
            _scored_nodes(engine, metric, scope, after, before, ("store", "touchpoint")).assign(
                level="touchpoint"
            ),
        ]
        if scope.region is None and metric != "revenue":  # regions are too few to judge revenue by peers
            regions = _scored_nodes(engine, metric, scope, after, before, ("region",))
            levels.append(regions.assign(store=None, touchpoint=None, level="region"))
    levels = [level for level in levels if len(level)]
    if not levels:
        return {"where": [], "regions": []}
    nodes = _ranked(pd.concat(levels, ignore_index=True), _what(engine, metric, scope, after, before))
    if metric == "revenue":  # no sampling test: the verdict comes from the peers' spread
        nodes = _peer_q(nodes)
    nodes = nodes.assign(place=np.arange(1, len(nodes) + 1))
    region_of = store_directory(engine).set_index("store_id")["region"]
    rows = lambda frame: [  # noqa: E731
        {"rank": int(row.place), "level": row.level, "region": getattr(row, "region", None) if row.level == "region" else region_of.get(row.store),
         "store_id": row.store, "touchpoint": row.touchpoint, "before": _num(row.before), "after": _num(row.after),
         "delta": _num(row.delta), "low": _num(row.low), "high": _num(row.high), "p_value": _num(row.p_value),
         "contribution": _num(row.contribution), "z": _num(row.z), "q_value": _num(row.q_value),
         "n_before": _num(row.n_before),
         "n_after": _num(row.n_after), "share_before": _num(getattr(row, "share_before", None)),
         "share_after": _num(getattr(row, "share_after", None)), "measured": row.measured}
        for row in frame.itertuples()
    ]  # fmt: skip
    regional = nodes["level"] == "region"
    return {"where": rows(nodes.loc[~regional].head(top)), "regions": rows(nodes.loc[regional])}


def _scored_nodes(engine, metric, scope, after, before, by: tuple[str, ...]) -> pd.DataFrame:
    """One level of the decomposition: the first evidence metric's nodes (delta, p, contribution) with
    ``z`` combined over all evidence metrics that have the level (Stouffer: sum z / sqrt(k)).

    Each metric's z = (Δ_node − Δ_expected) / SE(Δ_node): Δ_expected is the brand's change (the same
    touchpoint's change for a node with a touchpoint; 0 for the brand's own touchpoints), so a node that
    moved with the brand (seasonality) scores about 0, and SE comes from the scope's per-answer variance
    and the node's answers (:func:`noise_se`), so a tiny node needs a large change to score. Nodes
    with a touchpoint add each metric's share evidence (:func:`_share_z`)."""
    measured = [m for m in evidence_metrics(metric) if "touchpoint" not in by or m in TOUCHPOINT_METRICS]
    scored = [(m, _nodes(engine, m, scope, after, before, by)) for m in measured]
    scored = [(m, nodes) for m, nodes in scored if len(nodes)]
    if not scored:
        return pd.DataFrame()
    source, primary = scored[0]
    evidence = [c for c in ("z", "z_share") if c in primary]
    zs = pd.concat([nodes.set_index(list(by))[evidence].add_prefix(f"{m}_") for m, nodes in scored], axis=1)
    combined = zs.sum(axis=1, min_count=1) / np.sqrt(zs.notna().sum(axis=1).replace(0, np.nan))
    primary = primary.drop(columns=evidence).join(combined.rename("z"), on=list(by))
    return primary.assign(measured=source)


def _peer_q(nodes: pd.DataFrame) -> pd.DataFrame:
    """Sales nodes: ``q_value`` is the two-sided p of each node's peer z (:func:`_peer_z`),
    Benjamini-Hochberg adjusted across all the nodes ranked together."""
    z = nodes["z"].to_numpy(dtype=float)
    q = np.full(len(z), np.nan)
    scored = np.isfinite(z)
    if scored.any():
        q[scored] = stats.fdr(2 * scipy_stats.norm.sf(np.abs(z[scored]))).adjusted
    return nodes.assign(q_value=q)


def _ranked(nodes: pd.DataFrame, overall: dict) -> pd.DataFrame:
    """Nodes in order: when the scope's change is significant (p < 0.05), by how far each moved in
    its direction beyond what was expected (``z`` times the change's sign); otherwise by |z|. Without
    any z (revenue has no sampling test) by contribution to the change, in its direction."""
    measure = nodes["z"] if nodes["z"].notna().any() else nodes["contribution"]  # revenue: no sampling test
    significant = overall["p_value"] is not None and overall["p_value"] < 0.05 and overall["delta"]
    significant = significant or (measure is nodes["contribution"] and overall["delta"])
    score = measure * np.sign(overall["delta"]) if significant else measure.abs()
    return nodes.assign(rank=score).sort_values("rank", ascending=False, na_position="last")


def _nodes(engine, metric, scope, after, before, by: tuple[str, ...]) -> pd.DataFrame:
    """Nodes of one metric with Kitagawa contributions and their unexpected-deviation ``z``."""
    overall = _what(engine, metric, scope, after, before)
    if overall["delta"] is None:
        return pd.DataFrame()
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
    brand_scope = scope.whole_brand()
    if "touchpoint" in by:
        if by == ("store", "touchpoint"):
            stores = metric_changes(
                engine, metric=metric, scope=scope, period=after, before=before, by=("store",)
            )
            totals = nodes[["store"]].merge(stores[["store", "n_before", "n_after"]], on="store", how="left")
            totals = totals[["n_before", "n_after"]].set_axis(nodes.index)
        else:
            totals = pd.DataFrame(
                {"n_before": overall["n_before"], "n_after": overall["n_after"]}, index=nodes.index
            )
        nodes["share_before"] = 100 * nodes["n_before"] / totals["n_before"]
        nodes["share_after"] = 100 * nodes["n_after"] / totals["n_after"]
        if by == ("touchpoint",) and scope == brand_scope:
            expected = expected_share = pd.Series(0.0, index=nodes.index)
        else:
            brand = metric_changes(engine, metric=metric, scope=brand_scope, period=after, before=before,
                                   by=("touchpoint",)).dropna(subset=["touchpoint"]).set_index("touchpoint")  # fmt: skip
            expected = nodes["touchpoint"].map(brand["delta"]).fillna(0.0)
            whole = _what(engine, metric, brand_scope, after, before)
            shift = 100 * (brand["n_after"] / whole["n_after"] - brand["n_before"] / whole["n_before"])
            expected_share = nodes["touchpoint"].map(shift).fillna(0.0)
        nodes["z_share"] = _share_z(nodes, totals, expected_share)
    else:
        reference = overall if scope == brand_scope else _what(engine, metric, brand_scope, after, before)
        expected = pd.Series(reference["delta"], index=nodes.index)
    if metric == "revenue":
        nodes["z"] = _peer_z(nodes, overall).where(_like_for_like(nodes, after, before))
    else:
        nodes["z"] = (nodes["delta"] - expected) / _node_se(metric, overall, nodes)
    return nodes


def _like_for_like(nodes: pd.DataFrame, after: Period, before: Period) -> pd.Series:
    """Whether a store traded on at least 90 % of the days of both windows (``n`` counts its days with
    sales): opening or closing stores are not judged on growth (the like-for-like rule of
    :mod:`cx.analysis.sales`)."""
    return (nodes["n_before"] >= 0.9 * before.days) & (nodes["n_after"] >= 0.9 * after.days)


def _peer_z(nodes: pd.DataFrame, overall: dict) -> pd.Series:
    """Revenue has no sampling error, so a node's growth is judged against its peers': z = (growth −
    the scope's growth) / (1.4826 MAD of the nodes' growth), a robust spread (Rousseeuw & Croux 1993)
    that one extreme store cannot inflate. Needs at least 5 nodes."""
    growth = 100 * nodes["delta"] / nodes["before"].where(nodes["before"] > 0)
    scope_growth = 100 * overall["delta"] / overall["before"] if overall["before"] else np.nan
    spread = 1.4826 * (growth - growth.median()).abs().median()
    if growth.notna().sum() < 5 or not spread > 0:
        return pd.Series(np.nan, index=nodes.index)
    return (growth - scope_growth) / spread


def _share_z(nodes: pd.DataFrame, totals: pd.DataFrame, expected: pd.Series) -> pd.Series:
    """Evidence from a touchpoint's share of the answers (in points): z = −(Δshare − Δexpected) / SE,
    SE = sqrt(p (1 − p) (1/N_before + 1/N_after)) with p the pooled share (two-proportion test).
    Dissatisfied customers speak up more (Anderson 1998, *J. Service Research* 1:5), so a rising share
    counts as a deterioration, like a falling score."""
    pooled = (nodes["n_before"] + nodes["n_after"]) / (totals["n_before"] + totals["n_after"])
    se = 100 * np.sqrt(pooled * (1 - pooled) * (1 / totals["n_before"] + 1 / totals["n_after"]))
    small = (nodes["n_before"] < MIN_NODE_ANSWERS) | (nodes["n_after"] < MIN_NODE_ANSWERS)
    z = -((nodes["share_after"] - nodes["share_before"]) - expected) / se.replace(0, np.nan)
    return z.mask(small)


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


def _touchpoints(engine, nodes: pd.DataFrame, scope, after, before) -> list[dict]:
    """The scope's touchpoints (scored by :func:`_scored_nodes`: against the same touchpoint brand-wide,
    or against no change when the scope is the brand) in the order of :func:`_ranked`; a touchpoint
    with few answers is scored by :func:`_small_touchpoint_z` (``small_sample``)."""
    if nodes.empty:
        return []
    overall = _what(engine, nodes["measured"].iloc[0], scope, after, before)
    nodes = _ranked(_small_touchpoint_z(engine, nodes, scope, after, before, overall), overall)
    return [{"touchpoint": r.touchpoint, "delta": _num(r.delta), "low": _num(r.low), "high": _num(r.high),
             "p_value": _num(r.p_value), "z": _num(r.z),
             "q_value": _num(r.q_value),
             "n_before": _num(r.n_before), "n_after": _num(r.n_after), "share_before": _num(r.share_before),
             "share_after": _num(r.share_after), "measured": r.measured, "small_sample": bool(r.small_sample)}
            for r in nodes.itertuples()]  # fmt: skip


SMALL_NODE_ANSWERS = 5  # fewest answers in each window for a small touchpoint's own z


def _small_touchpoint_z(engine, nodes: pd.DataFrame, scope, after, before, overall: dict) -> pd.DataFrame:
    """A touchpoint with fewer than MIN_NODE_ANSWERS answers of the measured metric in a window loses
    that metric's evidence in :func:`_nodes` (score and share), so a touchpoint that few customers use
    would rank on its other sources alone, or last, however far it fell. From SMALL_NODE_ANSWERS
    answers in each window it gets the score evidence back,

        z_small = (Δ − Δ_expected) / sqrt(V (1/n_before + 1/n_after)),

    with Δ_expected the same touchpoint's change in the rest of the brand (:func:`_other_stores`: in a
    small brand the whole brand's change would carry much of the scope's own fall; 0 when the scope is
    the brand) and V the scope's variance of one answer (as in :func:`noise_se`; the few answers' own
    variance can be 0). It counts as one more source beside the rest: z = (z_rest + z_small) / sqrt(2)
    (Stouffer), or z_small when nothing else scored the touchpoint. ``small_sample`` marks every
    touchpoint under MIN_NODE_ANSWERS."""
    small = (nodes["n_before"] < MIN_NODE_ANSWERS) | (nodes["n_after"] < MIN_NODE_ANSWERS)
    usable = small & (nodes[["n_before", "n_after"]].min(axis=1) >= SMALL_NODE_ANSWERS)
    nodes = nodes.assign(small_sample=small)
    metric = nodes["measured"].iloc[0]
    if metric == "revenue" or not usable.any() or None in (overall["low"], overall["high"]):
        return nodes
    expected = pd.Series(0.0, index=nodes.index)
    if scope.store is not None or scope.region is not None:
        rest = Scope(visible_stores=scope.visible_stores, stores=_other_stores(engine, scope))
        brand = metric_changes(engine, metric=metric, scope=rest, period=after, before=before,
                               by=("touchpoint",)).dropna(subset=["touchpoint"]).set_index("touchpoint")  # fmt: skip
        expected = nodes["touchpoint"].map(brand["delta"]).fillna(0.0)
    half = (overall["high"] - overall["low"]) / 2 / 1.959964
    variance = half**2 / (1 / overall["n_before"] + 1 / overall["n_after"])
    own = (nodes["delta"] - expected) / np.sqrt(variance * (1 / nodes["n_before"] + 1 / nodes["n_after"]))
    joined = ((nodes["z"] + own) / np.sqrt(2)).fillna(own)
    return nodes.assign(z=nodes["z"].mask(usable, joined))


def attribute_changes(engine: Engine, *, scope: Scope, after: Period, before: Period) -> list[dict]:
    """Survey attributes (speed, staff ...) ranked by their unexpected change: ``attribute, before,
    after, delta, low, high, p_value, q_value, z, n_before, n_after``. Welch's test per attribute
    (``q_value``: Benjamini-Hochberg across the attributes); z = (Δ − the same attribute's change
    across the brand) / SE(Δ), against no change when the scope is the brand; ordered by |z|."""
    changes = metric_changes(engine, metric="attribute_mean", scope=scope, period=after, before=before,
                             by=("attribute",))  # fmt: skip
    changes = changes.dropna(subset=["attribute", "delta"]) if len(changes) else changes
    if changes.empty:
        return []
    brand_scope = scope.whole_brand()
    expected = pd.Series(0.0, index=changes.index)
    if scope != brand_scope:
        brand = metric_changes(engine, metric="attribute_mean", scope=brand_scope, period=after, before=before,
                               by=("attribute",)).dropna(subset=["attribute"])  # fmt: skip
        expected = changes["attribute"].map(brand.set_index("attribute")["delta"]).fillna(0.0)
    se = ((changes["high"] - changes["low"]) / (2 * 1.959964)).replace(0, np.nan)
    small = (changes["n_before"] < MIN_NODE_ANSWERS) | (changes["n_after"] < MIN_NODE_ANSWERS)
    changes = changes.assign(z=((changes["delta"] - expected) / se).mask(small))
    changes = changes.assign(rank=changes["z"].abs()).sort_values("rank", ascending=False, na_position="last")
    keys = (
        "attribute",
        "before",
        "after",
        "delta",
        "low",
        "high",
        "p_value",
        "q_value",
        "z",
        "n_before",
        "n_after",
    )
    return [
        {key: row[key] if key == "attribute" else _num(row[key]) for key in keys}
        for _, row in changes.iterrows()
    ]


BASELINE_STORES = 50  # stores whose comments stand for "the rest of the brand" in themes


def _other_stores(engine: Engine, scope: Scope) -> frozenset[str]:
    """Up to BASELINE_STORES stores outside the scope, evenly spread over the store list (all of them in
    a smaller brand): a sample of the brand's word frequencies read through the store-and-time index."""
    directory = store_directory(engine, scope=scope.whole_brand())
    inside = (
        directory["store_id"] == scope.store
        if scope.store is not None
        else directory["region"] == scope.region
    )
    others = directory.loc[~inside, "store_id"]
    step = max(1, math.ceil(len(others) / BASELINE_STORES))
    return frozenset(others.iloc[::step])


def _significant(what: dict) -> bool:
    """Whether the scope's own change passes its test (p < 0.05; revenue carries none)."""
    return what["p_value"] is not None and what["p_value"] < 0.05


def _themes(
    engine, scope: Scope, after: Period, before: Period, top: int, *, changed: bool
) -> tuple[list[dict], list[dict]]:
    """Theme words of the after window's comments and the comments that show them.

    The comparison is the scope's comments before, and for a store or region also the rest of the
    brand's in the same weeks (:func:`_other_stores`). Words come from
    :func:`cx.stats.themes.leading_terms`: those that pass the test (log-odds z > 1.96, at least
    MIN_THEME_COUNT uses; ``significant``), else, in a short or quiet window, the most
    over-represented words with their counts, ``significant`` False and ``small_sample`` when used
    fewer than MIN_THEME_COUNT times, but only when the scope ``changed`` significantly: there the why
    step must answer, and elsewhere such words would be noise. ``comments``: how many of the window's
    comments use the word. Verbatims: the window's comments that use the top 3 words, else (when the
    scope changed) its most recent ones (``term`` None)."""
    target = feedback_texts(engine, scope=scope, period=after)
    if target.empty:
        return [], []
    baseline = feedback_texts(engine, scope=scope, period=before)
    if scope.store is not None or scope.region is not None:  # and the rest of the brand, same weeks
        rest = feedback_texts(
            engine,
            scope=Scope(visible_stores=scope.visible_stores, stores=_other_stores(engine, scope)),
            period=after,
        )
        baseline = pd.concat([baseline, rest])
    terms = themes.leading_terms(target["text"], baseline["text"], min_count=MIN_THEME_COUNT, top=top)
    if not changed:
        terms = terms.loc[terms["significant"]]
    found = [{"term": r.term, "z": _num(r.z), "count": int(r.count), "count_baseline": int(r.count_baseline),
              "comments": int(r.documents), "significant": bool(r.significant), "small_sample": bool(r.small_sample)}
             for r in terms.itertuples()]  # fmt: skip
    texts = target[["text", "date", "source"]]
    quotes = themes.representative_verbatims(texts, list(terms["term"].head(3)))
    if quotes.empty and changed:
        quotes = texts.sort_values("date", ascending=False).head(RECENT_VERBATIMS).assign(term=None)
    verbatims = [{"source": r.source, "date": pd.Timestamp(r.date).date().isoformat(), "text": r.text, "term": r.term}
                 for r in quotes.itertuples()]  # fmt: skip
    return found, verbatims


RECENT_VERBATIMS = 5  # comments shown when none uses a theme word


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
                  description: str, recorded_by: str | None = None) -> int:  # fmt: skip
    """Store what someone did (e.g. "retrained delivery drivers") so its effect can be tested;
    ``recorded_by`` is who (default: the OS user)."""
    _check_action(scope_type, scope_value, description)
    return insert_action(engine, action_date=action_date, scope_type=scope_type, scope_value=scope_value,
                         description=description.strip(), created_by=recorded_by)  # fmt: skip


def update_action(engine: Engine, action_id: int, *, version: int, updated_by: str | None = None,
                  **fields) -> None:  # fmt: skip
    """Change some of an action's fields (``ACTION_FIELDS``), checked whole. ``version`` is the action's
    version when the editor read it: if someone saved it since, the change is refused (``StaleEdit``)."""
    unknown = sorted(set(fields) - set(ACTION_FIELDS))
    if unknown:
        raise ValueError(
            f"An action has no field {', '.join(unknown)}; you can change {', '.join(ACTION_FIELDS)}."
        )
    current = action_row(engine, action_id)
    if current is None:
        raise ValueError(
            f"There is no action {action_id}; it may have been deleted. Reload the actions list."
        )
    action = {**{name: current[name] for name in ACTION_FIELDS}, **fields}
    _check_action(action["scope_type"], action["scope_value"], action["description"])
    action["description"] = action["description"].strip()
    update_action_row(engine, action_id, action, version=version, updated_by=updated_by)


def _check_action(scope_type: str, scope_value: str | None, description: str) -> None:
    if scope_type not in ("brand", "region", "store"):
        raise ValueError(f"An action's scope is brand, region or store, not {scope_type!r}.")
    if not description.strip():
        raise ValueError("Describe the action in a few words.")
    if scope_type != "brand" and not scope_value:
        raise ValueError(f"Name the {scope_type} the action was for.")


def action_effects(engine: Engine, *, metric: str, scope: Scope, window_days: int = 56) -> list[dict]:
    """For every action on this scope: the metric ``window_days`` before vs after it, with its test."""
    scope_type, value = (
        ("store", scope.store)
        if scope.store
        else ("region", scope.region)
        if scope.region
        else ("brand", None)
    )
    actions = actions_for(engine, scope_type=scope_type, scope_value=value, scope=scope)
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
