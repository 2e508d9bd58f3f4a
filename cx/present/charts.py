"""Altair charts built from long-format frames: explicit types, formatted tooltips, colour-blind-safe
colours (Okabe-Ito for categories, a blue-orange diverging scheme for scores)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cx.analysis.drivers import QUADRANTS
from cx.analysis.goals import STATUSES
from cx.analysis.health import SOURCE_LABELS
from cx.metrics.registry import METRICS, label
from cx.present.root_cause import VERDICTS

VERDICT_COLOURS = alt.Scale(domain=["above", "within", "below"], range=["#0072B2", "#999999", "#D55E00"])
DIVERGING = "blueorange"


def _format(metric: str) -> str:
    return METRICS[metric].d3_format if metric in METRICS else ".2f"


def _range(metric: str) -> tuple[float | None, float | None]:
    low, high = METRICS[metric].scale if metric in METRICS else (None, None)
    return (low, high) if high is not None and math.isfinite(high) else (None, None)


def trend_chart(frame: pd.DataFrame, *, metric: str, title: str | None = None) -> alt.Chart:
    """Monthly (or weekly) value as a line with its 95 % interval as a band; n in the tooltip."""
    fmt = _format(metric)
    base = alt.Chart(frame).encode(x=alt.X("bucket:T", title=None, axis=alt.Axis(format="%b %Y")))
    tooltip = [alt.Tooltip("bucket:T", title="Period", format="%b %Y"),
               alt.Tooltip("value:Q", title=label(metric), format=fmt),
               alt.Tooltip("low:Q", title="95 % low", format=fmt), alt.Tooltip("high:Q", title="95 % high", format=fmt),
               alt.Tooltip("n:Q", title="n", format=",.0f")]  # fmt: skip
    band = base.mark_area(opacity=0.25, color="#56B4E9").encode(
        y=alt.Y("low:Q", title=label(metric)), y2="high:Q"
    )
    line = base.mark_line(point=True, color="#0072B2").encode(y="value:Q", tooltip=tooltip)
    return (band + line).properties(title=title or label(metric), height=220)


def funnel_chart(league: pd.DataFrame, curve: pd.DataFrame, *, metric: str, target: float) -> alt.LayerChart:
    """Stores as points (score vs n) inside 95 % and 99.8 % control limits around the brand value.

    Clicking a store selects it (selection parameter ``store``), for the table and drill-down.
    """
    fmt = _format(metric)
    pick = alt.selection_point(name="store", fields=["store"], on="click", clear="dblclick")
    low, high = _range(metric)
    limits = curve.melt("n", var_name="limit", value_name="bound")
    # draw the limits only over the stores' range of n, so tiny-n limits do not flatten the plot
    limits = limits.loc[limits["n"] >= 0.5 * float(league["n"].min())]
    values = pd.concat([limits["bound"], league["value"], pd.Series([target])]).dropna()
    pad = 0.05 * float(values.max() - values.min() or 1)
    domain = [float(values.min()) - pad, float(values.max()) + pad]
    if low is not None:
        domain = [max(low, domain[0]), min(high, domain[1])]
    limits["level"] = limits["limit"].str.extract(r"(95|998)$")[0].map({"95": "95 %", "998": "99.8 %"})
    lines = (
        alt.Chart(limits)
        .mark_line(strokeDash=[4, 3])
        .encode(
            x=alt.X("n:Q", scale=alt.Scale(type="log"), title="Answers (n, log scale)"),
            y=alt.Y("bound:Q", title=label(metric), scale=alt.Scale(domain=domain, clamp=True)),
            detail="limit:N",
            color=alt.Color("level:N", title="Control limits", scale=alt.Scale(range=["#E69F00", "#CC79A7"])),
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"target": [target]}))
        .mark_rule(color="#000000")
        .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Brand", format=fmt)])
    )
    points = alt.Chart(league).mark_circle(size=90, stroke="#000000").encode(
        x="n:Q",
        y="value:Q",
        color=alt.Color("verdict:N", title="vs brand (FDR 5 %)", scale=VERDICT_COLOURS),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)),
        strokeWidth=alt.when(pick).then(alt.value(2)).otherwise(alt.value(0)),
        tooltip=[alt.Tooltip("store:N", title="Store"), alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip("value:Q", title="Score", format=fmt), alt.Tooltip("low:Q", title="95 % low", format=fmt),
                 alt.Tooltip("high:Q", title="95 % high", format=fmt), alt.Tooltip("n:Q", title="n", format=",.0f"),
                 alt.Tooltip("funnel_95:N", title="Funnel 95 %"), alt.Tooltip("funnel_998:N", title="Funnel 99.8 %"),
                 alt.Tooltip("verdict:N", title="Verdict (FDR)")],
    ).add_params(pick)  # fmt: skip
    return alt.layer(lines, rule, points).resolve_scale(color="independent").properties(height=380)


def heatmap_chart(cells: pd.DataFrame, *, metric: str, min_n: int = 10) -> alt.Chart:
    """Store x touchpoint scores, rows named by ``place`` (``ST007 · Dubai Al Barsha``) in store order;
    cells with fewer than ``min_n`` answers are grey. Clicking a cell selects it (selection parameter
    ``cell``: its ``store`` and ``touchpoint``)."""
    fmt = _format(metric)
    cells = cells.assign(reliable=cells["n"] >= min_n)
    rows = list(cells.sort_values("store")["place"].drop_duplicates())
    pick = alt.selection_point(name="cell", fields=["store", "touchpoint"], on="click", clear="dblclick")
    return alt.Chart(cells).mark_rect(stroke="#ffffff").encode(
        x=alt.X("touchpoint:N", title=None, sort=alt.SortField("stage_order"), axis=alt.Axis(labelAngle=-35, labelOverlap=False)),
        y=alt.Y("place:N", title=None, sort=rows, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        color=alt.when(alt.datum.reliable).then(
            alt.Color("value:Q", title=label(metric), scale=alt.Scale(scheme=DIVERGING, reverse=True))
        ).otherwise(alt.value("#bdbdbd")),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.5)),
        tooltip=[alt.Tooltip("place:N", title="Store"), alt.Tooltip("touchpoint:N", title="Touchpoint"),
                 alt.Tooltip("stage:N", title="Journey stage"), alt.Tooltip("value:Q", title="Score", format=fmt),
                 alt.Tooltip("low:Q", title="95 % low", format=fmt), alt.Tooltip("high:Q", title="95 % high", format=fmt),
                 alt.Tooltip("n:Q", title="n", format=",.0f")],
    ).add_params(pick).properties(height=alt.Step(20))  # fmt: skip


def stage_chart(stages: pd.DataFrame, *, metric: str) -> alt.LayerChart:
    """Journey stages in order with the metric and its interval as error bars."""
    spec = METRICS[metric]
    value, low, high, n = metric, spec.low, spec.high, spec.n_column
    fmt = _format(metric)
    order = list(stages["stage"])
    stage = alt.X("stage:N", sort=order, title="Journey stage", axis=alt.Axis(labelAngle=0))
    base = alt.Chart(stages).encode(x=stage)
    bars = base.mark_bar(color="#56B4E9").encode(
        y=alt.Y(f"{value}:Q", title=label(metric)),
        tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip(f"{value}:Q", title="Score", format=fmt),
                 alt.Tooltip(f"{low}:Q", title="95 % low", format=fmt), alt.Tooltip(f"{high}:Q", title="95 % high", format=fmt),
                 alt.Tooltip(f"{n}:Q", title="n", format=",.0f")],
    )  # fmt: skip
    whiskers = base.mark_rule(color="#000000").encode(y=f"{low}:Q", y2=f"{high}:Q")
    return (bars + whiskers).properties(height=260)


DRIVER_AXES = {  # target -> (what performance measures, what importance measures)
    "nps": ("Touchpoint rating: CSAT mean (1-5)", "Importance: share of NPS variance"),
    "csat": ("Attribute rating: mean (1-5)", "Importance: share of CSAT variance"),
}
# fix first, keep strong, watch, lower priority (Okabe-Ito)
QUADRANT_COLOURS = ("#D55E00", "#0072B2", "#CC79A7", "#999999")


def quadrant_chart(drivers: pd.DataFrame, *, target: str) -> alt.LayerChart:
    """Importance (relative weight as a share of the outcome's variance, with its bootstrap interval)
    against performance, coloured by quadrant (:data:`cx.analysis.drivers.QUADRANTS`); axis titles
    name what ``target`` ("nps" or "csat") measures. Dotted: the drivers' mean performance."""
    performance, importance = DRIVER_AXES[target]
    data = drivers.assign(priority=drivers["quadrant"].map(QUADRANTS),
                          name=drivers["driver"].astype(str).str.replace("_", " "))  # fmt: skip
    low, high = data["performance"].min(), data["performance"].max()
    span = float(high - low) or 1.0
    scale = (
        alt.Scale(domain=[low - 0.05 * span, high + 0.3 * span], nice=False)  # room for the last label
        if pd.notna(low)
        else alt.Scale(zero=False)
    )
    base = alt.Chart(data).encode(x=alt.X("performance:Q", title=performance, scale=scale))
    whiskers = base.mark_rule(color="#999999").encode(
        y=alt.Y("weight_low:Q", title=importance, axis=alt.Axis(format=".0%")), y2="weight_high:Q"
    )
    colours = alt.Scale(domain=list(QUADRANTS.values()), range=list(QUADRANT_COLOURS))
    points = base.mark_circle(size=140).encode(
        y="weight:Q",
        color=alt.Color("priority:N", title="Priority", scale=colours,
                        legend=alt.Legend(labelLimit=320)),
        tooltip=[alt.Tooltip("name:N", title="Driver"), alt.Tooltip("weight:Q", title="Importance", format=".1%"),
                 alt.Tooltip("weight_low:Q", title="95 % low", format=".1%"),
                 alt.Tooltip("weight_high:Q", title="95 % high", format=".1%"),
                 alt.Tooltip("share_pct:Q", title="Share of R² (%)", format=".1f"),
                 alt.Tooltip("performance:Q", title=performance, format=".2f"),
                 alt.Tooltip("quadrant:N", title="Priority")],
    )  # fmt: skip
    labels = base.mark_text(align="left", dx=9, fontSize=11).encode(y="weight:Q", text="name:N")
    mean = alt.Chart(data).mark_rule(strokeDash=[2, 3], color="#666666").encode(x="mean(performance):Q")
    return alt.layer(whiskers, points, labels, mean).properties(height=380)


WINDOW_COLOURS = alt.Scale(domain=["before", "after"], range=["#999999", "#E69F00"])
NODE_COLOURS = alt.Scale(
    domain=[
        VERDICTS["worse"],
        VERDICTS["better"],
        VERDICTS["noise"],
        VERDICTS["small"],
        VERDICTS["untested"],
    ],
    range=["#D55E00", "#0072B2", "#A6CEE3", "#dddddd", "#999999"],
)


def timeline_chart(
    series: pd.DataFrame,
    *,
    metric: str,
    windows: pd.DataFrame,
    actions: pd.DataFrame,
    n_title: str = "Answers (n)",
    grain: str = "week",
) -> alt.LayerChart:
    """Weekly (or monthly) ``bucket, value, n`` as a line with points sized by n, and the 95 % interval
    (``low, high``) as a band behind it when the series has one (sales do not); the compared windows
    (``window, start, end, dates``: ``end`` exclusive, ``dates`` the label) shaded behind it; recorded
    actions (``date, description``) as rules."""
    fmt = _format(metric)
    title = label(metric) + (f" per {grain}" if metric == "revenue" else "")
    bounds = series.reindex(columns=["low", "high"])
    interval = bool(bounds.notna().all(axis=1).any())  # sales: no sampling interval, no band
    shade = alt.Chart(windows).mark_rect(opacity=0.18).encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%b %Y")),
        x2="end:T",
        color=alt.Color("window:N", title="Compared", scale=WINDOW_COLOURS),
        tooltip=[alt.Tooltip("window:N", title="Window"), alt.Tooltip("dates:N", title="Dates")],
    )  # fmt: skip
    base = alt.Chart(series).encode(x=alt.X("bucket:T", title=None, axis=alt.Axis(format="%b %Y")))
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=False))
    line = base.mark_line(color="#0072B2", strokeWidth=1.5).encode(y=y)
    tooltip = [alt.Tooltip("bucket:T", title="Week of" if grain == "week" else "Month",
                           format="%Y-%m-%d" if grain == "week" else "%B %Y"),
               alt.Tooltip("value:Q", title=label(metric), format=fmt)]  # fmt: skip
    if interval:
        tooltip += [alt.Tooltip("low:Q", title="95 % low", format=fmt),
                    alt.Tooltip("high:Q", title="95 % high", format=fmt)]  # fmt: skip
    points = base.mark_circle(color="#0072B2", opacity=0.8).encode(
        y="value:Q",
        size=alt.Size("n:Q", title=n_title, scale=alt.Scale(range=[8, 140]), legend=alt.Legend(tickCount=4)),
        tooltip=[*tooltip, alt.Tooltip("n:Q", title=n_title, format=",.0f")],
    )
    layers = [shade]
    if interval:
        band = base.mark_area(opacity=0.25, color="#56B4E9").encode(
            y=alt.Y("low:Q", title=title, scale=alt.Scale(zero=False)), y2="high:Q"
        )
        layers.append(band)
    layers += [line, points]
    if len(actions):
        layers.append(
            alt.Chart(actions)
            .mark_rule(color="#000000", strokeWidth=2, strokeDash=[6, 3])
            .encode(
                x="date:T",
                tooltip=[
                    alt.Tooltip("date:T", title="Action on", format="%Y-%m-%d"),
                    alt.Tooltip("description:N", title="Action"),
                ],
            )  # fmt: skip
        )
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=300)


def deviation_chart(nodes: pd.DataFrame, *, metric: str) -> alt.LayerChart:
    """Ranked nodes as horizontal bars of their change (a rise to the right), in the order given, with
    the 95 % interval of each change as a line and the colour of its ``verdict``. Clicking a bar
    selects its ``label`` (selection parameter ``node``), for the drill-down."""
    fmt = _format(metric)
    pick = alt.selection_point(name="node", fields=["label"], on="click", clear="dblclick")
    height = 60 + 28 * len(nodes)  # the axis below, and room for every label
    measured = [alt.Tooltip("measured:N", title="Measured in")] if "measured" in nodes.columns else []
    shares = []
    if {"share_before", "share_after"} <= set(nodes.columns) and nodes["share_after"].notna().any():
        shares = [alt.Tooltip("share_before:Q", title="Share of answers before (%)", format=".1f"),
                  alt.Tooltip("share_after:Q", title="Share of answers after (%)", format=".1f")]  # fmt: skip
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False))
    title = "Change in revenue" if metric == "revenue" else f"Change in {METRICS[metric].label}"
    bars = alt.Chart(nodes).mark_bar().encode(
        y=y, x=alt.X("delta:Q", title=title),
        color=alt.Color("verdict:N", title="Verdict", scale=NODE_COLOURS),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.4)),
        tooltip=[alt.Tooltip("label:N", title="Where"), *measured,
                 alt.Tooltip("before:Q", title="Before", format=fmt), alt.Tooltip("after:Q", title="After", format=fmt),
                 alt.Tooltip("delta:Q", title="Change", format=fmt),
                 alt.Tooltip("low:Q", title="Change: 95 % low", format=fmt),
                 alt.Tooltip("high:Q", title="Change: 95 % high", format=fmt),
                 alt.Tooltip("n_before:Q", title="n before", format=",.0f"),
                 alt.Tooltip("n_after:Q", title="n after", format=",.0f"), *shares,
                 alt.Tooltip("q_value:Q", title="q (after the correction)", format=".4f"),
                 alt.Tooltip("verdict:N", title="Verdict")],
    ).add_params(pick)  # fmt: skip
    zero = alt.Chart(pd.DataFrame({"delta": [0.0]})).mark_rule(color="#666666").encode(x="delta:Q")
    layers = [bars, zero]
    if nodes[["low", "high"]].notna().any().all():
        layers.insert(1, alt.Chart(nodes).mark_rule(color="#333333").encode(y=y, x="low:Q", x2="high:Q"))
    return alt.layer(*layers).properties(height=height)


def association_chart(points: pd.DataFrame, *, metric: str) -> alt.LayerChart:
    """Like-for-like stores: the change of ``metric`` (``delta``) against revenue growth in percent
    (``sales_growth``), with a least-squares line; hover for the store."""
    fmt = _format(metric)
    base = alt.Chart(points).encode(
        x=alt.X("delta:Q", title=f"Change in {label(metric)}", axis=alt.Axis(format=fmt)),
        y=alt.Y("sales_growth:Q", title="Revenue growth (%)"),
    )
    dots = base.mark_circle(size=80, color="#0072B2", opacity=0.8).encode(
        tooltip=[alt.Tooltip("store:N", title="Store"), alt.Tooltip("delta:Q", title="Change", format=fmt),
                 alt.Tooltip("after:Q", title="Now", format=fmt),
                 alt.Tooltip("sales_growth:Q", title="Revenue growth (%)", format="+.1f")],
    )  # fmt: skip
    line = base.transform_regression("delta", "sales_growth").mark_line(color="#D55E00", strokeDash=[4, 3])
    return (dots + line).properties(height=300)


STATUS_COLOURS = (
    "#009E73",
    "#0072B2",
    "#E69F00",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#CCCCCC",
)  # per goal status
EMPTY_WEEK_COLOUR = "#D55E00"  # Okabe-Ito vermillion
WEEK = pd.Timedelta(days=7)


PROGRESS_PADDING = 0.05  # share of a panel's value range added past its extremes: no tick on the edge
# Fixed sizes (px): a concatenated chart cannot follow its container, so labels plus plot must fit one.
PROGRESS_LABEL_WIDTH, PROGRESS_WIDTH = 280, 560


def progress_domain(frame: pd.DataFrame, floor: float) -> list[float]:
    """Value range of one panel of :func:`progress_chart`: the floor the bars grow from, every
    projection, whisker end and target, widened by :data:`PROGRESS_PADDING` of the range beyond the
    extremes (not below the floor: the bars start there)."""
    cells = frame[["projected", "projected_low", "projected_high", "target"]].to_numpy(dtype=float).ravel()
    values = [value for value in cells.tolist() if math.isfinite(value)]
    low, high = min(floor, *values), max(floor, *values)
    pad = PROGRESS_PADDING * (high - low) or PROGRESS_PADDING * max(abs(high), 1.0)
    return [low - pad if low < floor else low, high + pad]


def progress_chart(progress: pd.DataFrame) -> alt.VConcatChart:
    """Bullet chart per goal: bar = projected end-of-period value, whisker = its 95 % interval, black
    tick = target. One panel per metric (own scale and number format; bars start at the scale's floor,
    0 or 1; the scale spans every target with a margin, see :func:`progress_domain`); goals with no
    projection (not started, no data) are left out."""
    shown = progress.loc[progress["projected"].notna()]
    colours = alt.Scale(domain=list(STATUSES), range=list(STATUS_COLOURS))
    panels = []
    for metric, frame in shown.groupby("metric", sort=False):
        spec = METRICS[metric]
        fmt = spec.d3_format
        data = frame[
            ["label", "status", "projected", "projected_low", "projected_high", "target", "probability"]
        ]
        base = alt.Chart(data).encode(
            y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=PROGRESS_LABEL_WIDTH))
        )
        tooltip = [alt.Tooltip("label:N", title="Goal"), alt.Tooltip("status:N", title="Status"),
                   alt.Tooltip("projected:Q", title="Projected", format=fmt),
                   alt.Tooltip("projected_low:Q", title="95 % low", format=fmt),
                   alt.Tooltip("projected_high:Q", title="95 % high", format=fmt),
                   alt.Tooltip("target:Q", title="Target", format=fmt),
                   alt.Tooltip("probability:Q", title="Chance of meeting it", format=".0%")]  # fmt: skip
        floor = max(spec.scale[0], 0.0)  # bars grow from 0, or from 1 on the 1-5 scales
        bars = base.mark_bar(opacity=0.75).encode(
            x=alt.X(
                "projected:Q",
                title=f"{spec.label}: projected at period end",
                axis=alt.Axis(format=fmt),
                scale=alt.Scale(domain=progress_domain(data, floor), nice=False, zero=False),
            ),
            x2=alt.datum(floor),
            color=alt.Color("status:N", title="Status", scale=colours, legend=alt.Legend(orient="bottom")),
            tooltip=tooltip,
        )
        whiskers = base.mark_rule(color="#000000").encode(x="projected_low:Q", x2="projected_high:Q")
        targets = base.mark_tick(color="#000000", thickness=3).encode(x="target:Q", tooltip=tooltip)
        panels.append(alt.layer(bars, whiskers, targets).properties(title=spec.label, width=PROGRESS_WIDTH))
    return alt.vconcat(*panels).resolve_scale(color="shared")


def volume_heatmap(volume: pd.DataFrame, *, source: str) -> alt.Chart:
    """Stores by weeks, coloured by rows per week; empty weeks inside a store's range in vermillion."""
    data = volume.assign(week_end=volume["week"] + WEEK)
    label = SOURCE_LABELS[source]
    return (
        alt.Chart(data, title=f"{label}: rows per store and week")
        .mark_rect()
        .encode(
            x=alt.X("week:T", title="Week", axis=alt.Axis(format="%b %Y")),
            x2="week_end:T",
            y=alt.Y("store:N", title="Store", sort="ascending"),
            color=alt.when(alt.datum.rows == 0)
            .then(alt.value(EMPTY_WEEK_COLOUR))
            .otherwise(alt.Color("rows:Q", title="Rows per week", scale=alt.Scale(scheme="blues"))),
            tooltip=[
                alt.Tooltip("store:N", title="Store"),
                alt.Tooltip("week:T", title="Week of", format="%Y-%m-%d"),
                alt.Tooltip("rows:Q", title="Rows", format=",d"),
            ],
        )
        .properties(height=alt.Step(16))
    )


CUSTOMER_SOURCES = {"nps": "NPS answer", "survey": "Survey answer", "transaction": "Purchase"}


def customer_timeline(events: pd.DataFrame, *, currency: str | None = None) -> alt.Chart:
    """One customer's events over time, a row per store: shape and colour by source (a purchase, an
    NPS or a survey answer), NPS answers coloured as promoter, passive or detractor; the score, the
    amount, the touchpoint and the comment in the tooltip. Selecting a source in the legend keeps
    only its events bright."""
    frame = events.assign(
        kind=events["source"].map(CUSTOMER_SOURCES),
        group=[_nps_group(score) if source == "nps" else CUSTOMER_SOURCES[source]
               for source, score in zip(events["source"], events["score"], strict=True)],
    )  # fmt: skip
    chosen = alt.selection_point(fields=["kind"], bind="legend")
    amount = f"Amount ({currency})" if currency else "Amount"
    groups = ["Promoter", "Passive", "Detractor", "Survey answer", "Purchase"]
    return (
        alt.Chart(frame)
        .mark_point(size=140, filled=True)
        .encode(
            x=alt.X("at:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("store_id:N", title="Store"),
            shape=alt.Shape("kind:N", title="Event", scale=alt.Scale(domain=list(CUSTOMER_SOURCES.values()))),
            color=alt.Color(
                "group:N",
                title="Colour",
                scale=alt.Scale(domain=groups, range=["#009E73", "#999999", "#D55E00", "#0072B2", "#E69F00"]),
            ),  # fmt: skip
            opacity=alt.condition(chosen, alt.value(0.95), alt.value(0.15)),
            tooltip=[
                alt.Tooltip("kind:N", title="Event"),
                alt.Tooltip("at:T", title="When", format="%d %b %Y %H:%M"),
                alt.Tooltip("store_id:N", title="Store"),
                alt.Tooltip("touchpoint:N", title="Touchpoint"),
                alt.Tooltip("score:Q", title="Score", format=".0f"),
                alt.Tooltip("amount:Q", title=amount, format=",.2f"),
                alt.Tooltip("text:N", title="Comment"),
            ],  # fmt: skip
        )
        .add_params(chosen)
        .properties(height=max(120, 48 * events["store_id"].nunique()))
    )


def _nps_group(score: float) -> str:
    return "Promoter" if score >= 9 else "Passive" if score >= 7 else "Detractor"
