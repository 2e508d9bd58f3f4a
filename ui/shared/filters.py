"""The global filters: drawn in the sidebar by the router, kept in the URL query parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from cx.periods import PRESETS, Period, preset_period
from cx.present.markup import display_name, escape_markdown
from cx.store import queries
from cx.store.scope import Scope
from ui.shared import caching, paths
from ui.shared.caching import cached
from ui.shared.places import scope_title

COMPARISONS = {"previous": "Previous period", "last_year": "Same period last year"}
FILTER_KEYS = ("period", "from", "to", "compare", "region", "format", "store")
_FILTERS_WRITTEN = "_filters_in_url"  # session state: the filter parameters this session last put in the URL


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected: the period, its comparison period and the scope of stores."""

    period: Period
    comparison: Period
    compare: str
    scope: Scope
    latest: dt.date


def sidebar_filters() -> Filters | None:
    """Draw the global filters in the sidebar; their values live in the URL query parameters.

    The widgets keep their own values while the URL holds what they last wrote. When the URL's filters
    changed under them (a link from another page, a drill-down on a page, an address typed or pasted),
    the URL wins and the widgets move to it.
    """
    directory = cached(queries.store_directory)
    latest = cached(queries.latest_data_day)
    if latest is None:
        return None
    params = st.query_params
    refuse_unseen(directory)
    in_url = {k: params.get(k) for k in FILTER_KEYS if k in params}
    follow = bool(in_url) and in_url != st.session_state.get(_FILTERS_WRITTEN)
    with st.sidebar:
        st.subheader("Filters")
        keys = list(PRESETS)
        seed("filter_period", keys, params.get("period"), "last_90_days", from_url=follow)
        preset = st.selectbox("Period", keys, format_func=PRESETS.get, key="filter_period")
        start, end = _custom_range(latest, follow=follow) if preset == "custom" else (None, None)
        compare_keys = list(COMPARISONS)
        seed("filter_compare", compare_keys, params.get("compare"), "previous", from_url=follow)
        compare = st.radio("Compare with", compare_keys, format_func=COMPARISONS.get, key="filter_compare")
        regions = ["All", *sorted(directory["region"].dropna().unique())]
        seed("filter_region", regions, params.get("region"), "All", from_url=follow)
        region = st.selectbox("Region", regions, format_func=display_name, key="filter_region")
        formats = ["All", *sorted(directory["format"].dropna().unique())]
        seed("filter_format", formats, params.get("format"), "All", from_url=follow)
        store_format = st.selectbox("Store format", formats, format_func=display_name, key="filter_format")
        visible = directory
        if region != "All":
            visible = visible.loc[visible["region"] == region]
        if store_format != "All":
            visible = visible.loc[visible["format"] == store_format]
        labels = {row.store_id: display_name(f"{row.store_id} · {row.name}") for row in visible.itertuples()}
        options = ["All", *labels]
        seed("filter_store", options, params.get("store"), "All",
             from_url=follow or st.session_state.get("filter_store") not in options)  # fmt: skip
        store = st.selectbox(
            "Store", options, format_func=lambda s: labels.get(s, "All stores"), key="filter_store"
        )
    period = preset_period(preset, latest, start=start, end=end)
    comparison = period.previous() if compare == "previous" else period.last_year()
    _write_params(preset, start, end, compare, region, store_format, store)
    scope = caching.viewer().confine(Scope(
        region=None if region == "All" else region,
        format=None if store_format == "All" else store_format,
        store=None if store == "All" else store,
    ))  # fmt: skip
    return Filters(period=period, comparison=comparison, compare=compare, scope=scope, latest=latest)


def refuse_unseen(directory) -> None:
    """Stop the run, with a sentence and no data, when the address names a region or store that is not
    among those the viewer may see: the same words whether it exists or not, and the name is not
    repeated, so nothing hints at it."""
    for key, column, noun in (("region", "region", "region"), ("store", "store_id", "store")):
        wanted = st.query_params.get(key)
        if wanted and wanted != "All" and wanted not in set(directory[column].dropna()):
            st.error(f"This address names a {noun} that is not among the {noun}s you may see (`{key}=` in "
                     "the address), so nothing is shown.", icon=":material/block:")  # fmt: skip
            st.page_link(paths.SUMMARY, label="Open the executive summary of what you may see",
                         icon=":material/dashboard:", query_params={})  # fmt: skip
            st.stop()


def _custom_range(latest: dt.date, *, follow: bool) -> tuple[dt.date, dt.date]:
    """The from - to widget of a custom period, started at the URL's ``from`` and ``to`` (default: the
    last 90 days); while only one end is picked, the range the widget started from."""
    default_start = _date(st.query_params.get("from")) or latest - dt.timedelta(days=89)
    default_end = _date(st.query_params.get("to")) or latest
    if follow or "filter_range" not in st.session_state:
        st.session_state["filter_range"] = (default_start, default_end)
    chosen = st.date_input("From - to", key="filter_range")
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return chosen
    return default_start, default_end


def seed(key: str, options: list, wanted, default, *, from_url: bool = False) -> None:
    """Start widget ``key`` at ``wanted`` (a query parameter's value) when the widget is new, or when
    ``from_url`` says the URL changed under it; a value that is not among ``options`` gives ``default``."""
    if from_url or key not in st.session_state:
        st.session_state[key] = options[_index(options, wanted, default)]


def _write_params(preset, start, end, compare, region, store_format, store) -> None:
    """Put the filters in the URL; other query parameters (a page's own state) stay as they are."""
    values = {"period": preset, "compare": compare, "region": region, "format": store_format, "store": store}
    if preset == "custom":
        values.update({"from": start.isoformat(), "to": end.isoformat()})
    wanted = {k: v for k, v in values.items() if v not in (None, "All")}
    if {k: st.query_params.get(k) for k in FILTER_KEYS if k in st.query_params} != wanted:
        for key in FILTER_KEYS:
            if key not in wanted and key in st.query_params:
                del st.query_params[key]
        st.query_params.update(wanted)
    st.session_state[_FILTERS_WRITTEN] = wanted


def update_params(**values: str | None) -> None:
    """Set query parameters (``None`` removes one), e.g. from a button's callback. Filters among them
    (``region``, ``store`` ...) move the sidebar on the next run, as a link to the page would."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


def filter_params() -> dict[str, str]:
    """The current filters as query parameters, for links to other pages."""
    return {k: st.query_params[k] for k in FILTER_KEYS if k in st.query_params}


def _index(options: list, wanted, default) -> int:
    if wanted in options:
        return options.index(wanted)
    return options.index(default) if default in options else 0


def _date(text: str | None) -> dt.date | None:
    """A date from the URL; None for none or for one that is not ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def current_filters() -> Filters | None:
    """The filters drawn by the router for this run (None when the database holds no data)."""
    return st.session_state.get("filters")


def current_scope() -> Scope:
    """The sidebar's scope; the whole brand when the database holds no data."""
    filters = current_filters()
    return filters.scope if filters else caching.viewer().scope()


def require_filters() -> Filters:
    """The filters, or a clear sentence and a stop when the database holds no data yet."""
    filters = current_filters()
    if filters is None:
        st.info(
            "No data is loaded yet. Import files on the Data page, or run `python -m cx demo` for the demo brand."
        )
        st.page_link(paths.DATA, label="Go to the Data page", icon=":material/database:")
        st.stop()
    return filters


def period_caption(filters: Filters) -> None:
    st.caption(
        f"{escape_markdown(scope_title(filters.scope))} · {filters.period.label()} · compared with "
        f"{filters.comparison.label()} ({COMPARISONS[filters.compare].lower()})"
    )
