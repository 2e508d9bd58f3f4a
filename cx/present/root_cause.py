"""The guided root-cause investigation: plain-language answers to the seven questions of
:func:`cx.analysis.explain.explain_change`, the drill path (brand › region › store › touchpoint › theme word),
and the slices shown below a store: one touchpoint's comments and share of complaints, and every
comment that uses one theme word.

Every sentence is generated from the numbers and carries its n and p-value (or says that sales carry
no sampling test). The sentences shown as Markdown escape the names and words they quote
(:func:`cx.present.markup.escape_markdown`). Nothing here imports Streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import numpy as np
import pandas as pd

from cx.analysis.explain import MIN_STATED_ANSWERS, evidence_metrics
from cx.config import currency_code
from cx.metrics.registry import EXPLAINABLE, FEEDBACK_METRICS, METRICS, TOUCHPOINT_METRICS
from cx.present.markup import escape_markdown
from cx.store.scope import Scope

MIN_ANSWERS = MIN_STATED_ANSWERS  # per window: below this a change is a small sample, never a finding
ALPHA = 0.05

SIGNIFICANCE_NOTE = (
    "How changes are judged: each change is tested against its sampling noise with the metric's own test, "
    "then corrected for the number of stores, touchpoints or cells tested at once (Benjamini-Hochberg, "
    f"5 % false discovery rate). Only a change that survives the correction is called significant and "
    f"coloured; one with fewer than {MIN_STATED_ANSWERS} answers in a window is marked as a small sample."
)
VERDICTS = {"worse": "worse (significant)", "better": "better (significant)", "noise": "within noise",
            "small": "small sample", "untested": "not like-for-like"}  # fmt: skip


def small_sample(n_before, n_after) -> pd.Series:
    """Fewer than :data:`MIN_ANSWERS` answers in either window (or no count)."""
    before, after = pd.to_numeric(n_before, errors="coerce"), pd.to_numeric(n_after, errors="coerce")
    return ~((before >= MIN_ANSWERS) & (after >= MIN_ANSWERS))


def significant(nodes: pd.DataFrame) -> pd.Series:
    """Whether each node's change is significant after the correction: its ``q_value`` (the node's
    own before/after test, Benjamini-Hochberg adjusted across its level; sales: the peer test) is
    below 0.05, and (sampled metrics) it rests on at least :data:`MIN_ANSWERS` answers per window."""
    q = (
        pd.to_numeric(nodes["q_value"], errors="coerce")
        if "q_value" in nodes
        else pd.Series(np.nan, index=nodes.index)
    )
    enough = ~small_sample(nodes["n_before"], nodes["n_after"])
    if "measured" in nodes:
        enough = enough | (nodes["measured"] == "revenue")
    return (q < ALPHA) & enough


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


def format_money(value: float, *, currency: str | None = None) -> str:
    """Amounts in thousands or millions after the currency (``currency``, default ``CX_CURRENCY``; none
    when unset or ``""``): ``USD 71.3 M``, ``USD 12.5 k``, ``950``."""
    size = abs(value)
    if size >= 1e6:
        amount = f"{value / 1e6:,.1f} M"
    elif size >= 1e4:
        amount = f"{value / 1e3:,.1f} k"
    else:
        amount = f"{value:,.0f}"
    code = currency_code(currency)
    return f"{code} {amount}" if code else amount


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


def _chance(p) -> str:
    """How a p-value reads in a sentence for a regional manager."""
    if not _is_number(p):
        return "there is no test"
    if p < 0.001:
        return "that is far more than chance would explain"
    if p < ALPHA:
        return "that is more than chance would explain"
    return "that is within what chance alone could produce"


def what_sentence(metric: str, what: dict, *, where: str = "", since: dt.date | None = None) -> str:
    """What happened in plain words, e.g. ``At store ST007, NPS fell 12.0 points since March 2026
    (36.4 → 24.4); that is far more than chance would explain.`` The statistics behind it are in
    :func:`what_details`. Fewer than :data:`MIN_ANSWERS` answers in a window: said to be too few."""
    measure = METRICS[metric]
    subject = f"{where}, {measure.short_label}" if where else measure.short_label
    subject = f"{subject[0].upper()}{subject[1:]}"
    if what.get("comparable") is False:
        return f"{subject} cannot be compared between these windows (see below)."
    if not _is_number(what.get("delta")):
        return f"{subject} cannot be compared: a window has no data."
    delta, before, after = what["delta"], what["before"], what["after"]
    when = f" since {since:%B %Y}" if since else ""
    if metric == "revenue":
        pct = 100 * (after / before - 1) if before else float("nan")
        size = f"{abs(pct):.1f} %" if math.isfinite(pct) else format_money(abs(delta))
        return (f"{subject} {_moved(delta)} {size}{when} ({format_money(before)} → {format_money(after)}); "
                "sales are counted in full, so this is the actual change, not an estimate.")  # fmt: skip
    change = f"{subject} {_moved(delta)} {measure.format_change(delta)}{when} ({_level(metric, before)} → {_level(metric, after)})"
    if too_few_answers(metric, what):
        return (f"{change}, but on only {_n(what.get('n_before'))} and {_n(what.get('n_after'))} answers: "
                "too few to tell from chance.")  # fmt: skip
    return f"{change}; {_chance(what.get('p_value'))}."


def what_details(metric: str, what: dict) -> str:
    """The statistics behind :func:`what_sentence`: n per window, the 95 % interval of the change, the
    test and its p."""
    if not _is_number(what.get("delta")):
        return f"n {_n(what.get('n_before'))} → {_n(what.get('n_after'))}."
    if metric == "revenue":
        return (
            f"{_n(what.get('n_before'))} → {_n(what.get('n_after'))} store-days with sales; no sampling test."
        )
    parts = [f"n {_n(what.get('n_before'))} → {_n(what.get('n_after'))} answers"]
    if _is_number(what.get("low")) and _is_number(what.get("high")):
        digits = 2 if metric == "rating" else 1
        parts.append(f"95 % interval of the change {what['low']:+.{digits}f} to {what['high']:+.{digits}f}")
    test = getattr(METRICS[metric].estimator, "test_name", "no test")
    parts.append(f"{format_p(what.get('p_value'))} ({test}, two-sided)")
    return " · ".join(parts) + "."


def when_sentence(when: dict) -> str:
    """When the change began and whether it is still going on, for a change found significant after
    the search's correction (:func:`cx.analysis.explain.find_change`); else that none stands out."""
    if when.get("start") is None:
        months = when.get("searched_months")
        span = f"the last {months} months" if months else "the data"
        return f"No change stands out in {span}: none is larger than chance would explain."
    start = dt.date.fromisoformat(when["start"])
    days = when.get("duration_days")
    where = when.get("series") or "the whole scope"
    span = (f"is still going on ({days} days so far)" if when.get("ongoing")
            else f"lasted until {when.get('end')} ({days} days)")  # fmt: skip
    if where == "the whole scope":
        return f"It began in {start:%B %Y} and {span}."
    return (f"Searching every part month by month, the clearest change larger than chance is in {where}: it "
            f"began in {start:%B %Y} and {span}.")  # fmt: skip


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
    (``share_before``, ``share_after``, in %; only nodes with a touchpoint), ``after`` and a
    ``verdict`` (:data:`VERDICTS`): worse or better when the change is significant after the
    correction (:func:`significant`; the direction is the change's, so a rise never reads as worse),
    a small sample under :data:`MIN_ANSWERS` answers in a window, within noise otherwise; sales
    stores that did not trade in both windows are not like-for-like."""
    columns = ["label", "region", "store_id", "touchpoint", "measured", "before", "after", "delta", "low", "high",
               "p_value", "contribution", "z", "q_value", "n_before", "n_after", "share_before", "share_after"]  # fmt: skip
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
    numbers = [c for c in columns if c not in ("label", "region", "store_id", "touchpoint", "measured")]
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="coerce")
    frame["after"] = frame["after"].fillna(frame["before"] + frame["delta"])
    frame["verdict"] = _verdicts(frame)
    return frame[[*columns, "verdict"]]


def _verdicts(frame: pd.DataFrame) -> np.ndarray:
    sales = frame["measured"] == "revenue"
    better = frame["measured"].map(lambda m: 1.0 if METRICS[m].higher_is_better else -1.0)
    direction = np.where(sales, np.sign(frame["z"]), np.sign(frame["delta"]) * better)  # sales: against peers
    found = significant(frame)
    conditions = [sales & frame["z"].isna(), ~sales & small_sample(frame["n_before"], frame["n_after"]),
                  found & (direction < 0), found & (direction > 0)]  # fmt: skip
    labels = [VERDICTS["untested"], VERDICTS["small"], VERDICTS["worse"], VERDICTS["better"]]
    return np.select(conditions, labels, default=VERDICTS["noise"])


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


BEYOND = {"the same touchpoint's change across the brand": "far more than the same touchpoint moved across the brand",
          "the brand's change": "far more than the brand as a whole moved"}  # fmt: skip


def _stated(metric: str, row: pd.Series, *, whole_brand: bool) -> str:
    """``fell 40.1 points in NPS (62.0 → 21.9); that is far more than chance would explain, and far
    more than the brand as a whole moved``: one node's change in words."""
    measured = row["measured"] if row["measured"] in EXPLAINABLE else metric
    unit = f" in {METRICS[measured].short_label}" if measured != metric else ""
    levels = f"{_level(measured, row['before'])} → {_level(measured, row['after'])}"
    sentence = f"{_moved(row['delta'])} {_change(measured, row['delta'])}{unit} ({levels})"
    if measured == "revenue":
        return sentence
    sentence += f"; {_chance(row['p_value'])}"
    expected = expected_change(row["store_id"], row["touchpoint"], whole_brand=whole_brand)
    z = row["z"]
    if expected in BEYOND and _is_number(z) and abs(z) > Z_BEYOND and np.sign(z) == np.sign(row["delta"]):
        sentence += f", and {BEYOND[expected]}"
    return sentence


Z_BEYOND = 1.959964  # the node moved beyond its expected change (the brand's, or the touchpoint's) at 5 %


def where_sentence(metric: str, nodes: pd.DataFrame, *, scope_name: str, whole_brand: bool = False) -> str:
    """The first node in the engine's order whose change is significant after the correction, in plain
    words; or that none changed by more than chance, naming the clearest change that is not a small
    sample. Sales (no sampling test): the store whose growth is furthest from its peers'."""
    if nodes.empty:
        return f"There is nothing below {scope_name} to rank for this metric."
    if metric == "revenue":
        return _sales_standout(nodes, scope_name=scope_name)
    found = nodes.loc[significant(nodes)]
    if len(found):
        top = found.iloc[0]
        sentence = f"{top['label']} stands out: it {_stated(metric, top, whole_brand=whole_brand)}."
        other = found.loc[np.sign(found["delta"]) != np.sign(top["delta"])]
        if len(other):
            sentence += f" {other.iloc[0]['label']} moved the other way, also beyond chance."
        return sentence
    readable = nodes.loc[~small_sample(nodes["n_before"], nodes["n_after"]) & nodes["delta"].notna()]
    if readable.empty:
        return f"Nothing below {scope_name} has {MIN_ANSWERS} answers in both windows: too few to tell changes from chance."
    top = readable.iloc[0]
    return (f"Nothing below {scope_name} changed by more than chance would explain. The clearest change, "
            f"{top['label']}, {_moved(top['delta'])} {_change(top['measured'], top['delta'])}: within noise.")  # fmt: skip


def _sales_standout(nodes: pd.DataFrame, *, scope_name: str) -> str:
    """The store whose sales growth is furthest from its peers' (z against the robust spread)."""
    ranked = nodes.dropna(subset=["z"])
    if ranked.empty:
        top = nodes.loc[nodes["contribution"].abs().fillna(-1).idxmax()]
        return (f"{top['label']} contributes most to the change ({_signed('revenue', top['contribution'])}); no "
                "store traded on enough days of both windows to compare its growth with its peers'.")  # fmt: skip
    top = ranked.iloc[0]
    growth = 100 * top["delta"] / top["before"] if top["before"] else float("nan")
    moved = (
        f"{'fell' if top['delta'] < 0 else 'rose'} {abs(growth):.1f} % ({_signed('revenue', top['delta'])})"
    )
    if not significant(ranked).iloc[0]:
        return f"No store's sales growth stands out from its peers': the furthest, {top['label']}, {moved}."
    return f"{top['label']} stands out: its sales {moved}, far from the growth of {scope_name} and its other stores."


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


def where_caption(metric: str, *, parts: str) -> str:
    """What the step-3 chart shows, in plain words."""
    measure = METRICS[metric].in_sentence
    if metric == "revenue":
        return (f"Bars: each of the {parts}' change in revenue. Coloured when its growth is far from its peers' "
                "growth; ordered by how far. Click a bar to look closer.")  # fmt: skip
    return (f"Bars: each of the {parts}' change in {measure} (hover for its interval and number of answers), "
            "coloured only when significant after the correction named at the top. Ordered by how far each "
            "moved beyond what the brand's own change predicts for its number of answers. Click a bar to look "
            "closer.")  # fmt: skip


def where_details(metric: str, change: dict | None, *, scope_name: str, store: bool) -> str:
    """How step 3 orders the nodes: what each node's z measures against, which sources it combines."""
    if metric == "revenue":
        return (
            "Sales carry no sampling error, so each store's growth is judged against its peers: z = (its growth "
            f"− the growth of {scope_name}) / the robust spread of the stores' growth (1.4826 × MAD). Stores "
            "that did not trade on 90 % of the days of both windows (openings, closures) get no z; the order "
            "then follows the contribution to the change (Kitagawa decomposition)."
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
    return f"{method} {order}"


def touchpoints_details(measured: str, change: dict | None, *, scope_name: str, brand: bool) -> str:
    """How step 5 orders the scope's touchpoints (measured in NPS or top-2-box)."""
    versus = (
        "z = the touchpoint's change / its standard error (the brand's own touchpoints are measured against no "
        "change)"
        if brand
        else "z = (the touchpoint's change − the same touchpoint's change across the brand) / its standard error"
    )
    order = ranking_note(measured, change, scope_name=scope_name, parts="touchpoints")
    return (
        f"{versus}, combined over {evidence_text(measured, touchpoint=True)} and over each one's share of the "
        f"answers of {scope_name} as Σz / √k ({SHARE_EVIDENCE}). {order}"
    )


SEARCHED = {  # level -> the series find_change searches; {cells}: the touchpoint series it adds for feedback
    "store": "the store's own monthly series{cells}, each relative to",
    "region": "the monthly series of the scope and of each of its stores{cells}, each relative to",
    "brand": "the brand's own monthly series as it is, and those of each store{cells} relative to",
}
SEARCHED_CELLS = {"store": " and those of each of its touchpoints", "region": " and each store × touchpoint cell",
                  "brand": " and each store × touchpoint cell"}  # fmt: skip


def search_note(metric: str, *, scope: Scope, series: str | None, p_value: float | None = None) -> str:
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
        f"Searched: {searched}{weights}. The single shift with the largest z of all series wins when it "
        f"stays at or below 0.05 against the largest z of every series under the same random orders of the "
        f"months (Westfall-Young max-T, which allows for the number of series searched): clearest in "
        f"{series or 'the whole scope'}, {format_p(p_value)} after that adjustment."
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
    """The first touchpoint in the engine's order whose change is significant after the correction
    (in NPS when ``metric`` is not per touchpoint), or that none changed by more than chance;
    ``whole_brand``: the brand's own touchpoints, measured against no change."""
    readable = touchpoints.loc[~small_sample(touchpoints["n_before"], touchpoints["n_after"])]
    if readable.dropna(subset=["delta"]).empty:
        return f"No touchpoint has {MIN_ANSWERS} answers in both windows: too few to compare."
    found = touchpoints.loc[significant(touchpoints)]
    if found.empty:
        top = readable.dropna(subset=["delta"]).iloc[0]
        return (f"No touchpoint changed by more than chance would explain; the clearest, {top['label']}, "
                f"{_moved(top['delta'])} {_change(top['measured'], top['delta'])}: within noise.")  # fmt: skip
    top = found.iloc[0]
    return f"{top['label']} moved most: it {_stated(metric, top, whole_brand=whole_brand)}."


def themes_sentence(terms: list[dict]) -> str:
    """The words customers now use far more than in the comparison comments, with how often."""
    if not terms:
        return "No word is used markedly more often than in the comparison comments."
    words = _join([f"“{t['term']}” ({t['count']} times)" for t in terms[:3]])
    if terms[0].get("significant") is False:  # too few comments for the test: leads, not findings
        leads = _join(
            [f"“{t['term']}” ({t['count']} {'time' if t['count'] == 1 else 'times'})" for t in terms[:3]]
        )
        return (f"Too few comments for any word to stand out reliably; those used most beyond the comparison "
                f"comments are {leads}: a small sample, read the comments themselves.")  # fmt: skip
    return f"Customers now write {words} far more often than in the comparison comments."


THEMES_DETAILS = (
    "Words are ranked by the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "
    "“Fightin' Words”): the window's comments against the comparison comments, listed when z > 1.96 and used "
    "at least 3 times."
)


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
    """The metric in the ``window_days`` before and after one recorded action, as Markdown."""
    head = f"After “{escape_markdown(effect['description'])}” ({effect['date']})"
    what = what_sentence(metric, effect)
    if not _is_number(effect.get("delta")):
        return f"{head}: not enough data {window_days} days either side to compare."
    return f"{head}, comparing {window_days} days either side: {what}"


def complaint_sentence(share: dict, *, where: str) -> str:
    """``Delivery accounts for 38 % of ST007's detractors now (61 of 160), up from 15 % (13 of 85; p < 0.001).``
    as Markdown."""
    where, touchpoint = escape_markdown(where), escape_markdown(share["touchpoint"])
    if share["share_after"] is None:
        return f"There are no {share['complaint']} at {where} in the window."
    now = f"{share['share_after']:.0f} % of {where}'s {share['complaint']} ({share['k_after']:,.0f} of {share['m_after']:,.0f})"
    if share["share_before"] is None:
        return f"{touchpoint} accounts for {now}; there were none before to compare."
    direction = "up" if share["share_after"] > share["share_before"] else "down"
    return (
        f"{touchpoint} accounts for {now}, {direction} from {share['share_before']:.0f} % "
        f"({share['k_before']:,.0f} of {share['m_before']:,.0f}; {format_p(share['p_value'])})."
    )


def association_sentence(result: dict) -> str:
    """``Across 31 like-for-like stores, the NPS change and revenue growth ... r = 0.31 (95 % interval
    -0.05 to 0.60, p = 0.09). An association, not a cause.``"""
    change = result["change"]
    name = METRICS[result["metric"]].in_sentence
    stores = result["stores"]
    coverage = result.get("coverage") or {}
    if coverage and not coverage["comparable"]:
        return (
            f"Not comparable: {coverage['reason']}, so the {name} change cannot be related to sales growth."
        )
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
