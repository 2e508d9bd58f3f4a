"""The guided root-cause investigation: plain-language answers to the seven questions of
:func:`cx.analysis.explain.explain_change`, the drill path (brand › region › store › touchpoint › theme word),
and the slices shown below a store: one touchpoint's comments and share of complaints, and every
comment that uses one theme word.

Every sentence is generated from the numbers and carries its n and p-value (or says that sales carry
no sampling test). Nothing here imports Streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx.analysis.explain import evidence_metrics
from cx.metrics.registry import EXPLAINABLE, FEEDBACK_METRICS, METRICS, TOUCHPOINT_METRICS
from cx.store.scope import Scope

MIN_ANSWERS = 30  # per window: below this a change must be huge (NPS: ~40 points) to tell from noise
Z_NOTABLE = 1.959964  # |z| above this: more than sampling noise and the expected change explain


def notable(nodes: pd.DataFrame) -> pd.Series:
    """Whether each node moved beyond expectation: q < 0.05 when the engine gives a ``q_value`` (its
    z tested and Benjamini-Hochberg adjusted across all nodes ranked together), else |z| > 1.96."""
    z = pd.to_numeric(nodes["z"], errors="coerce")
    q = (
        pd.to_numeric(nodes["q_value"], errors="coerce")
        if "q_value" in nodes
        else pd.Series(np.nan, index=nodes.index)
    )
    return (q < 0.05).where(q.notna(), z.abs() > Z_NOTABLE) & z.notna()


ALPHA = 0.05


# --- numbers as words ----------------------------------------------------------------------------


def format_p(p: float | None) -> str:
    """``p = 0.14``, ``p = 0.003`` or ``p < 0.001``; ``no test`` when there is none."""
    if p is None or not math.isfinite(p):
        return "no test"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def p_column(values: pd.Series) -> pd.Series:
    """p- or q-values for a table: ``0.14``, ``0.003``, ``< 0.001`` or ``no test``."""
    return values.map(
        lambda p: format_p(None if pd.isna(p) else float(p)).removeprefix("p = ").removeprefix("p ")
    )


def format_money(value: float) -> str:
    """Amounts in thousands or millions: ``71.3 M``, ``12.5 k``, ``950``."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if size >= 1e4:
        return f"{value / 1e3:,.1f} k"
    return f"{value:,.0f}"


def _level(metric: str, value: float) -> str:
    return format_money(value) if metric == "revenue" else METRICS[metric].format_level(value)


def _n(value) -> str:
    return "0" if value is None or not math.isfinite(value) else f"{value:,.0f}"


def _moved(delta: float) -> str:
    return "rose" if delta > 0 else "fell" if delta < 0 else "did not move"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def too_few_answers(metric: str, what: dict) -> bool:
    """True when either window has fewer than :data:`MIN_ANSWERS` answers (sales are not sampled)."""
    if metric == "revenue":
        return False
    counts = [what.get("n_before"), what.get("n_after")]
    return any(not _is_number(n) or n < MIN_ANSWERS for n in counts)


def what_sentence(metric: str, what: dict, *, where: str = "") -> str:
    """What happened, e.g. ``NPS fell 7.5 points (36.4 → 28.8, n 415 → 423, p = 0.14).`` plus whether
    that is more than sampling noise, with the 95 % interval of the change."""
    measure = METRICS[metric]
    prefix = f"{where}, " if where else ""
    subject = f"{prefix}{measure.short_label}" if prefix else measure.short_label
    counts = f"n {_n(what.get('n_before'))} → {_n(what.get('n_after'))}"
    if not _is_number(what.get("delta")):
        return f"{subject[0].upper()}{subject[1:]} cannot be compared: a window has no data ({counts})."
    delta, before, after = what["delta"], what["before"], what["after"]
    subject = f"{subject[0].upper()}{subject[1:]}"
    if metric == "revenue":
        pct = 100 * (after / before - 1) if before else float("nan")
        size = f"{abs(pct):.1f} %" if math.isfinite(pct) else format_money(abs(delta))
        return (
            f"{subject} {_moved(delta)} {size} ({format_money(before)} → {format_money(after)}, "
            f"{counts} store-days). Sales carry no sampling test."
        )
    p = what.get("p_value")
    sentence = (
        f"{subject} {_moved(delta)} {measure.format_change(delta)} ({_level(metric, before)} → "
        f"{_level(metric, after)}, {counts}, {format_p(p)})."
    )
    if _is_number(what.get("low")) and _is_number(what.get("high")):
        interval = f"95 % interval of the change {what['low']:+.1f} to {what['high']:+.1f}"
        if metric == "rating":
            interval = f"95 % interval of the change {what['low']:+.2f} to {what['high']:+.2f}"
        verdict = (
            "More than sampling noise explains"
            if _is_number(p) and p < ALPHA
            else "Within what sampling noise alone could produce"
        )
        sentence += f" {verdict} ({interval})."
    return sentence


def when_sentence(when: dict) -> str:
    """When the change began, whether it is still going on, and in which series it shows most."""
    if when.get("start") is None:
        return "No change stands out in the monthly series: no split is significant at 5 %."
    start = dt.date.fromisoformat(when["start"])
    days = when.get("duration_days")
    if when.get("ongoing"):
        span = f"It began in {start:%B %Y} ({start.isoformat()}) and is still going on ({days} days so far)"
    else:
        end = when.get("end")
        span = f"It began in {start:%B %Y} ({start.isoformat()}) and ran until {end} ({days} days)"
    p = when.get("p_value")
    where = when.get("series") or "the whole scope"
    caution = "" if _is_number(p) and p < ALPHA else ", so it may be chance"
    return (
        f"{span}. Clearest in {where} ({format_p(p)} after allowing for the number of series searched"
        f"{caution})."
    )


def timeline_caption(metric: str, grain: str) -> str:
    """What the step-1 chart shows: the grain, the interval band (none for sales), n, the shading."""
    if metric == "revenue":
        return (
            "Weekly revenue; point size shows the number of sales days. No interval band: sales are counted "
            "in full, not sampled, so they carry no sampling error. Shaded: the two windows compared. Dashed "
            "lines: recorded actions (step 7). Hover for the value and the number of days."
        )
    values = "Weekly values" if grain == "week" else "Monthly values (a typical week has too few answers)"
    return (
        f"{values} with their 95 % interval (band); point size shows n. Shaded: the two windows compared. "
        "Dashed lines: recorded actions (step 7). Hover for the value, its interval and n."
    )


def node_label(store_id: str | None, touchpoint: str | None) -> str:
    """``ST007 · Delivery``, ``ST007`` or ``Delivery``."""
    return " · ".join(part for part in (store_id, touchpoint) if isinstance(part, str) and part)


def node_frame(nodes: list[dict], *, metric: str, by_touchpoint: bool = False) -> pd.DataFrame:
    """Ranked nodes (``where`` or ``touchpoints`` rows, in the engine's order) as a frame with a
    ``label``, the metric each change is ``measured`` in (``metric`` unless a row says otherwise:
    reviews and sales carry no touchpoint), the node's share of its group's answers in each window
    (``share_before``, ``share_after``, in %; only nodes with a touchpoint) and a ``verdict``: ``worse
    than expected`` or ``better than expected`` (see :func:`notable`; z combines scores and shares of
    answers, so a rising share reads as worse), ``within noise``, ``too few answers`` (no z: under 10
    answers in a window) or, for sales, ``no sampling test``."""
    columns = ["label", "region", "store_id", "touchpoint", "measured", "before", "delta", "p_value", "contribution",
               "z", "q_value", "n_before", "n_after", "share_before", "share_after"]  # fmt: skip
    if not nodes:
        return pd.DataFrame(columns=[*columns, "verdict"])
    frame = pd.DataFrame(nodes)
    for column in columns:
        if column not in frame:
            frame[column] = None
    frame["measured"] = frame["measured"].where(frame["measured"].isin(list(EXPLAINABLE)), metric)
    frame["label"] = [
        node_label(None, touchpoint) if by_touchpoint else node_label(store, touchpoint) or node_label(region, None)
        for store, touchpoint, region in zip(frame["store_id"], frame["touchpoint"], frame["region"], strict=True)
    ]  # fmt: skip
    numbers = ["before", "delta", "p_value", "contribution", "z", "q_value", "n_before", "n_after", "share_before",
               "share_after"]  # fmt: skip
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="coerce")
    untested = np.where(frame["measured"] == "revenue", "not like-for-like", "too few answers")
    moved = np.where(frame["z"] < 0, "worse than expected", "better than expected")
    frame["verdict"] = np.where(frame["z"].isna(), untested, np.where(notable(frame), moved, "within noise"))
    return frame[[*columns, "verdict"]]


def _change(measured: str, delta: float) -> str:
    return f"{abs(delta):,.0f}" if measured == "revenue" else METRICS[measured].format_change(delta)


def expected_change(store_id: str | None, touchpoint: str | None, *, whole_brand: bool = False) -> str:
    """What a node's change is measured against (as :func:`cx.analysis.explain.explain_change` does): the same
    touchpoint's change across the brand for a node with a touchpoint, no change for the brand's own
    touchpoints (``whole_brand``), and the brand's change for a store."""
    if isinstance(touchpoint, str) and touchpoint:
        if whole_brand and not (isinstance(store_id, str) and store_id):
            return "no change"
        return "the same touchpoint's change across the brand"
    return "the brand's change"


@dataclass(frozen=True)
class Standout:
    """The first node with a z in the engine's order, in words."""

    label: str
    z: float
    notable: bool  # beyond expectation (see :func:`notable`)
    moved: str  # "fell 26.2 points", "fell 26.2 points in NPS"
    counts: str  # "n 87 → 186, p = 0.008"
    against: str  # "what sampling noise and the same touchpoint's change across the brand"
    explain: str  # "explain", or "explains" after "what sampling noise alone"
    opposite: str  # "; ST006 · Returns moved the other way beyond expectation (z = +2.6)", or ""
    note: str  # " Reviews and sales carry no touchpoint, so ...", or ""


def _standout(metric: str, nodes: pd.DataFrame, *, whole_brand: bool) -> Standout:
    ranked = nodes.dropna(subset=["z"])
    top = ranked.iloc[0]
    measured = top["measured"] if top["measured"] in EXPLAINABLE else metric
    unit, note = "", ""
    if measured != metric:
        unit = f" in {METRICS[measured].short_label}"
        note = f" Reviews and sales carry no touchpoint, so touchpoints are measured in {METRICS[measured].short_label}."
    expected = expected_change(top["store_id"], top["touchpoint"], whole_brand=whole_brand)
    alone = expected == "no change"
    beyond = notable(ranked)
    other = ranked.loc[beyond & (np.sign(ranked["z"]) != np.sign(top["z"]))]
    opposite = ""
    if len(other) and not beyond.iloc[0]:
        opposite = f"; {other.iloc[0]['label']} moved the other way beyond expectation (z = {other.iloc[0]['z']:+.1f})"
    return Standout(
        label=top["label"],
        z=float(top["z"]),
        notable=bool(beyond.iloc[0]),
        moved=f"{_moved(top['delta'])} {_change(measured, top['delta'])}{unit}",
        counts=f"n {_n(top['n_before'])} → {_n(top['n_after'])}, {format_p(top['p_value'])}",
        against="what sampling noise alone" if alone else f"what sampling noise and {expected}",
        explain="explains" if alone else "explain",
        opposite=opposite,
        note=note,
    )


def where_sentence(metric: str, nodes: pd.DataFrame, *, scope_name: str) -> str:
    """The node that stands out most (the first in the engine's order), or that none does. Without any
    z (sales) the node that contributes most to the change."""
    if nodes.empty:
        return f"There is nothing below {scope_name} to rank for this metric."
    if nodes["z"].isna().all():
        top = nodes.loc[nodes["contribution"].abs().fillna(-1).idxmax()]
        return (
            f"{top['label']} contributes most to the change ({_signed(metric, top['contribution'])}); sales carry no "
            "sampling test, so nothing is ranked by how unexpected it is."
        )
    if metric == "revenue":
        return _sales_standout(nodes, scope_name=scope_name)
    top = _standout(metric, nodes, whole_brand=False)
    if not top.notable:
        return (
            f"Nothing stands out: the most unexpected change, {top.label} ({top.moved}, {top.counts}, "
            f"z = {top.z:+.1f}), is within {top.against} {top.explain}{top.opposite}.{top.note}"
        )
    return (
        f"{top.label} stands out: it {top.moved} ({top.counts}), z = {top.z:+.1f} against {top.against} "
        f"would give.{top.note}"
    )


def _sales_standout(nodes: pd.DataFrame, *, scope_name: str) -> str:
    """The store whose sales growth is furthest from its peers' (z against the robust spread)."""
    ranked = nodes.dropna(subset=["z"])
    top = ranked.iloc[0]
    growth = 100 * top["delta"] / top["before"] if top["before"] else float("nan")
    moved = (
        f"{'fell' if top['delta'] < 0 else 'rose'} {abs(growth):.1f} % ({_signed('revenue', top['delta'])})"
    )
    if not notable(ranked).iloc[0]:
        return (
            f"No store's sales growth stands out from its peers': the furthest, {top['label']}, {moved}, "
            f"z = {top['z']:+.1f}."
        )
    return (
        f"{top['label']} stands out: its sales {moved}, z = {top['z']:+.1f} against the growth of {scope_name} "
        "and the spread of the stores' growth."
    )


def whole_brand(scope: Scope) -> bool:
    """True when ``scope`` is the brand itself (every store the user may see, no other filter): its
    touchpoints are then measured against no change and its own monthly series is searched as it is."""
    return scope == scope.whole_brand()


def display_order(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes in the engine's order; without any z (sales) by the size of their contribution instead."""
    if nodes.empty or nodes["z"].notna().any():
        return nodes
    size = nodes["contribution"].abs().fillna(-1)
    return nodes.loc[size.sort_values(ascending=False, kind="mergesort").index].reset_index(drop=True)


def ranking_note(metric: str, change: dict | None, *, scope_name: str, parts: str) -> str:
    """How :func:`cx.analysis.explain.explain_change` orders ``parts``: when the scope's change is significant
    (p < 0.05), by how far each moved in that direction beyond what was expected (z times the sign of
    the change); otherwise by |z|."""
    change = change or {}
    delta, p = change.get("delta"), change.get("p_value")
    name = METRICS[metric].in_sentence
    subject = f"{name} of {scope_name}"
    if _is_number(p) and p < ALPHA and _is_number(delta) and delta != 0:
        return (
            f"Order: {subject} {_moved(delta)} significantly ({format_p(p)}), so {parts} are ordered by how far "
            f"they moved {'down' if delta < 0 else 'up'} beyond what was expected (z × the sign of that change); "
            "any that moved the other way come last."
        )
    size = f"is not significant ({format_p(p)})" if _is_number(p) else "has no test"
    return f"Order: the change in {subject} {size}, so {parts} are ordered by |z|, whichever way they moved."


def evidence_text(metric: str, *, touchpoint: bool) -> str:
    """The feedback sources whose z values :func:`cx.analysis.explain.explain_change` combines for a node, e.g.
    ``NPS, top-2-box and review rating`` for a store, ``NPS and top-2-box`` for a node with a
    touchpoint (reviews carry none)."""
    sources = evidence_metrics(metric if metric in FEEDBACK_METRICS else "nps")
    if touchpoint:
        sources = tuple(m for m in sources if m in TOUCHPOINT_METRICS)
    return _join([METRICS[m].evidence_name for m in sources])


SHARE_EVIDENCE = "a rising share counts as worse: unhappy customers speak up more"


def where_caption(metric: str, change: dict | None, *, scope_name: str, store: bool) -> str:
    """How step 3 ranks: what each node's z measures against, which sources it combines, the order."""
    if metric == "revenue":
        return (
            "Sales carry no sampling error, so each store's growth is judged against its peers: z = (its growth "
            f"− the growth of {scope_name}) / the robust spread of the stores' growth (1.4826 × MAD). Stores "
            "that did not trade on 90 % of the days of both windows (openings, closures) get no z; the order "
            "then follows the contribution to the change (Kitagawa decomposition). Click a bar to pick it."
        )
    touchpoints = evidence_text(metric, touchpoint=True)
    if store:
        method = (
            "z = (the touchpoint's change − the same touchpoint's change across the brand) / its standard error "
            f"(the sampling noise of its n answers), combined over {touchpoints} and over each one's share of "
            f"the store's answers as Σz / √k ({SHARE_EVIDENCE})."
        )
        parts = "touchpoints"
    else:
        method = (
            "z = (change of the node − expected change) / its standard error (the sampling noise of its n "
            "answers). Expected: the brand's change for a region or a store; the same touchpoint's change "
            f"across the brand for a store × touchpoint cell. A region's or store's z combines "
            f"{evidence_text(metric, touchpoint=False)}; a "
            f"cell's combines {touchpoints} and each one's share of the store's answers ({SHARE_EVIDENCE}); "
            "both as Σz / √k."
        )
        parts = "nodes"
    order = ranking_note(metric, change, scope_name=scope_name, parts=parts)
    return (
        f"{method} {order} Coloured worse or better than expected when the node's z stays significant after "
        "Benjamini-Hochberg control across all the nodes ranked (q < 0.05); dashed lines: |z| = 1.96. Click a bar to "
        "pick it."
    )


def touchpoints_caption(measured: str, change: dict | None, *, scope_name: str, brand: bool) -> str:
    """How step 5 ranks the scope's touchpoints (measured in NPS or top-2-box)."""
    versus = (
        "z = the touchpoint's change / its standard error (the brand's own touchpoints are measured against no "
        "change)"
        if brand
        else "z = (the touchpoint's change − the same touchpoint's change across the brand) / its standard error"
    )
    order = ranking_note(measured, change, scope_name=scope_name, parts="touchpoints")
    return (
        f"{versus}, combined over {evidence_text(measured, touchpoint=True)} and over each one's share of the "
        f"answers of {scope_name} as Σz / √k ({SHARE_EVIDENCE}). {order} Hover for the change, p, n and share "
        "of answers."
    )


SEARCHED = {  # level -> the series find_change searches; {cells}: the touchpoint series it adds for feedback
    "store": "the store's own monthly series{cells}, each relative to",
    "region": "the monthly series of the scope and of each of its stores{cells}, each relative to",
    "brand": "the brand's own monthly series as it is, and those of each store{cells} relative to",
}
SEARCHED_CELLS = {"store": " and those of each of its touchpoints", "region": " and each store × touchpoint cell",
                  "brand": " and each store × touchpoint cell"}  # fmt: skip


def search_note(metric: str, *, scope: Scope, series: str | None) -> str:
    """What step 2 searched (:func:`cx.analysis.explain.find_change`) for ``scope``: one touchpoint of a store, a
    store (its touchpoints), the whole brand (whose own series is read as it is) or another part of it,
    such as a region (its stores and store x touchpoint cells); ``series`` is where the change is
    clearest."""
    sales = metric == "revenue"  # sales carry no touchpoint: no touchpoint series
    shares = f"its share of the answers; {SHARE_EVIDENCE}"
    if scope.store and scope.touchpoint and not sales:
        searched = (
            "this touchpoint's own monthly series at the store, relative both to the brand's series and to the "
            "same touchpoint's across the brand so that brand-wide seasonality cancels. It is read in "
            f"{evidence_text(metric, touchpoint=True)} together (and in {shares})"
        )
    else:
        level = "store" if scope.store else "brand" if whole_brand(scope) else "region"
        searched = SEARCHED[level].format(cells="" if sales else SEARCHED_CELLS[level])
        matching = "the brand's matching series" + (
            "" if sales else " (for a touchpoint, the same touchpoint's)"
        )
        searched += f" {matching} so that brand-wide seasonality cancels."
        if sales:
            searched += " Revenue per day is read on its own (sales carry no sampling variance)"
        else:
            searched += (
                f" Each series is read in {evidence_text(metric, touchpoint=False)} together (a touchpoint in "
                f"{evidence_text(metric, touchpoint=True)} and {shares})"
            )
    weights = "" if sales else ", each month weighted by 1 / its sampling variance"
    return (
        f"Searched: {searched}{weights}. The single shift with the largest z whose permutation p ≤ 0.05 wins: "
        f"clearest in {series or 'the whole scope'}. p (adjusted) is that p × the number of series searched "
        "(Bonferroni)."
    )


def _signed(metric: str, value) -> str:
    if not _is_number(value):
        return "no value"
    return f"{value:+,.0f}" if metric == "revenue" else f"{value:+.2f}"


def source_agreement(sources: dict, metric: str) -> pd.DataFrame:
    """One row per source (NPS, CSAT top-2-box, review rating, sales) with its change (also as text:
    ``change``, ``p``) and whether it agrees with ``metric``'s change: same direction and p < 0.05
    (sales: direction only, no test)."""
    reference = (sources.get(metric) or {}).get("delta")
    direction = np.sign(reference) if _is_number(reference) else 0.0
    rows = []
    for key, change in sources.items():
        if change is None:
            rows.append({"source": key, "name": METRICS[key].source_name, "delta": None, "delta_pct": None,
                         "p_value": None, "agrees": None, "verdict": "no data for this scope"})  # fmt: skip
            continue
        delta, p = change.get("delta"), change.get("p_value")
        same = _is_number(delta) and direction != 0 and np.sign(delta) == direction
        if key == metric:
            verdict, agrees = "the metric investigated", None
        elif not _is_number(p):
            verdict, agrees = ("same direction (no test)" if same else "other direction (no test)"), None
        elif same and p < ALPHA:
            verdict, agrees = "agrees", True
        elif p < ALPHA:
            verdict, agrees = "moved the other way", False
        else:
            verdict, agrees = "no clear change", False
        rows.append({"source": key, "name": METRICS[key].source_name, "delta": delta,
                     "delta_pct": change.get("delta_pct"), "p_value": p, "agrees": agrees, "verdict": verdict})  # fmt: skip
    table = pd.DataFrame(rows)
    table["change"] = [_short_change(key, delta, pct) for key, delta, pct in
                       zip(table["source"], table["delta"], table["delta_pct"], strict=True)]  # fmt: skip
    table["p"] = [format_p(p) if _is_number(p) else ("no test" if key == "revenue" else "") for key, p in
                  zip(table["source"], table["p_value"], strict=True)]  # fmt: skip
    return table


def _short_change(metric: str, delta, pct) -> str:
    """A change in a table cell: ``-10.3 pts``, ``-17.2 pp``, ``-0.95 ★``, ``-14.5 %``; empty when none."""
    value = pct if metric == "revenue" else delta
    return METRICS[metric].short_change.format(value) if _is_number(value) else ""


def sources_sentence(agreement: pd.DataFrame, metric: str) -> str:
    """Which sources confirm the change."""
    if agreement.empty:
        return "No source has data in both windows."
    agreeing = list(agreement.loc[agreement["agrees"].eq(True), "name"])
    others = agreement.loc[agreement["agrees"].eq(False)]
    own = agreement.loc[agreement["source"] == metric, "delta"]
    moved = _moved(own.iloc[0]) if len(own) and _is_number(own.iloc[0]) else "moved"
    if agreeing:
        sentence = f"{_join(agreeing)} {moved} too (p < 0.05): more than one source saw the change."
    else:
        sentence = "No other source confirms the change with p < 0.05."
    if len(others):
        sentence += f" {_join(list(others['name']))}: no change in the same direction."
    sales = agreement.loc[agreement["source"] == "revenue", "delta_pct"]
    if metric != "revenue" and len(sales) and _is_number(sales.iloc[0]):
        sentence += f" Sales {_moved(sales.iloc[0])} {abs(sales.iloc[0]):.1f} % (no sampling test)."
    return sentence


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def touchpoints_sentence(metric: str, touchpoints: pd.DataFrame, *, whole_brand: bool = False) -> str:
    """The touchpoint that moved most unexpectedly (in NPS when ``metric`` is not per touchpoint);
    ``whole_brand``: the brand's own touchpoints, measured against no change."""
    if touchpoints.dropna(subset=["z"]).empty:
        return "No touchpoint has enough answers in both windows to compare."
    top = _standout(metric, touchpoints, whole_brand=whole_brand)
    facts = f"{top.moved} ({top.counts}, z = {top.z:+.1f})"
    if not top.notable:
        return (
            f"No touchpoint stands out: the most unexpected, {top.label}, {facts}, within {top.against} "
            f"{top.explain}{top.opposite}.{top.note}"
        )
    return f"{top.label} moved most unexpectedly: it {facts} against {top.against} would give.{top.note}"


def themes_sentence(terms: list[dict]) -> str:
    """The words used far more in the window than in the comparison comments."""
    if not terms:
        return (
            "No word is used markedly more than in the comparison comments (none with log-odds z above 1.96 "
            "and at least 3 uses)."
        )
    top = terms[:3]
    words = _join([f"“{t['term']}” ({t['count']}×, z = {t['z']:.1f})" for t in top])
    return f"Customers now write {words} far more than in the comparison comments."


def reaction_sentence(reaction: dict) -> str:
    """What customers did: review rating, number of reviews, transactions and revenue."""
    parts = []
    if _is_number(reaction.get("rating_delta")):
        parts.append(
            f"the review rating {_moved(reaction['rating_delta'])} {abs(reaction['rating_delta']):.2f} stars "
            f"({format_p(reaction.get('rating_p_value'))})"
        )
    if _is_number(reaction.get("reviews_delta")) and (parts or reaction["reviews_delta"]):
        count = reaction["reviews_delta"]
        parts.append(f"{abs(count):,.0f} {'more' if count >= 0 else 'fewer'} reviews were posted")
    sales = []
    for key, name in (("transactions_delta_pct", "transactions"), ("revenue_delta_pct", "revenue")):
        if _is_number(reaction.get(key)):
            sales.append(f"{name} {_moved(reaction[key])} {abs(reaction[key]):.1f} %")
    if sales:
        parts.append(_join(sales) + " (sales carry no sampling test)")
    if not parts:
        return "There are no reviews or sales for this scope in both windows."
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


def action_sentence(metric: str, effect: dict, *, window_days: int = 56) -> str:
    """The metric in the ``window_days`` before and after one recorded action."""
    head = f"After “{effect['description']}” ({effect['date']})"
    what = what_sentence(metric, effect)
    if not _is_number(effect.get("delta")):
        return f"{head}: not enough data {window_days} days either side to compare."
    return f"{head}, comparing {window_days} days either side: {what}"


def complaint_sentence(share: dict, *, where: str) -> str:
    """``Delivery accounts for 38 % of ST007's detractors now (61 of 160), up from 15 % (13 of 85; p < 0.001).``"""
    if share["share_after"] is None:
        return f"There are no {share['complaint']} at {where} in the window."
    now = f"{share['share_after']:.0f} % of {where}'s {share['complaint']} ({share['k_after']:,.0f} of {share['m_after']:,.0f})"
    if share["share_before"] is None:
        return f"{share['touchpoint']} accounts for {now}; there were none before to compare."
    direction = "up" if share["share_after"] > share["share_before"] else "down"
    return (
        f"{share['touchpoint']} accounts for {now}, {direction} from {share['share_before']:.0f} % "
        f"({share['k_before']:,.0f} of {share['m_before']:,.0f}; {format_p(share['p_value'])})."
    )


def association_sentence(result: dict) -> str:
    """``Across 31 like-for-like stores, the NPS change and revenue growth ... r = 0.31 (95 % interval
    -0.05 to 0.60, p = 0.09). An association, not a cause.``"""
    change = result["change"]
    name = METRICS[result["metric"]].in_sentence
    stores = result["stores"]
    if not _is_number(change.get("r")):
        return (f"Too few like-for-like stores ({stores}) with both {name} and sales in both periods to relate "
                "them; at least 4 are needed.")  # fmt: skip
    strength = "went together" if change["p_value"] < ALPHA else "show no clear link"
    return (
        f"Across {stores} like-for-like stores, the {name} change and revenue growth against "
        f"{result['compared_with']} {strength}: r = {change['r']:+.2f} (95 % interval {change['low']:+.2f} to "
        f"{change['high']:+.2f}, {format_p(change['p_value'])}; Spearman ρ = {change['spearman']:+.2f}). "
        "An association, not a cause."
    )
