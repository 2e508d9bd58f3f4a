"""Shared by every page: the engine, the global filters (kept in the URL) and cached calls into ``cx``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from cx.config import Settings, make_engine
from cx.periods import PRESETS, Period, preset_period
from cx.present.exports import to_csv_bytes
from cx.store import queries
from cx.store.scope import Scope

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


def database_url() -> str:
    return Settings.from_env().database_url


@st.cache_resource
def engine(url: str):
    return make_engine(url)


def data_version() -> int:
    return queries.data_version(engine(database_url()))


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def _cached(_function, name: str, url: str, version: int, kwargs: tuple):
    return _function(engine(url), **dict(kwargs))


def cached(function, **kwargs):
    """Call ``function(engine, **kwargs)`` through the data cache (fresh after every import)."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _cached(function, name, database_url(), data_version(), tuple(sorted(kwargs.items())))


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
    in_url = {k: params.get(k) for k in FILTER_KEYS if k in params}
    follow = bool(in_url) and in_url != st.session_state.get(_FILTERS_WRITTEN)
    with st.sidebar:
        st.subheader("Filters")
        keys = list(PRESETS)
        seed("filter_period", keys, params.get("period"), "last_90_days", from_url=follow)
        preset = st.selectbox("Period", keys, format_func=PRESETS.get, key="filter_period")
        start = end = None
        if preset == "custom":
            default_start = _date(params.get("from")) or latest - dt.timedelta(days=89)
            default_end = _date(params.get("to")) or latest
            if follow or "filter_range" not in st.session_state:
                st.session_state["filter_range"] = (default_start, default_end)
            chosen = st.date_input("From - to", key="filter_range")
            if isinstance(chosen, tuple) and len(chosen) == 2:
                start, end = chosen
            else:
                start, end = default_start, default_end
        compare_keys = list(COMPARISONS)
        seed("filter_compare", compare_keys, params.get("compare"), "previous", from_url=follow)
        compare = st.radio("Compare with", compare_keys, format_func=COMPARISONS.get, key="filter_compare")
        regions = ["All", *sorted(directory["region"].dropna().unique())]
        seed("filter_region", regions, params.get("region"), "All", from_url=follow)
        region = st.selectbox("Region", regions, key="filter_region")
        formats = ["All", *sorted(directory["format"].dropna().unique())]
        seed("filter_format", formats, params.get("format"), "All", from_url=follow)
        store_format = st.selectbox("Store format", formats, key="filter_format")
        visible = directory
        if region != "All":
            visible = visible.loc[visible["region"] == region]
        if store_format != "All":
            visible = visible.loc[visible["format"] == store_format]
        labels = {row.store_id: f"{row.store_id} · {row.name}" for row in visible.itertuples()}
        options = ["All", *labels]
        seed("filter_store", options, params.get("store"), "All",
             from_url=follow or st.session_state.get("filter_store") not in options)  # fmt: skip
        store = st.selectbox(
            "Store", options, format_func=lambda s: labels.get(s, "All stores"), key="filter_store"
        )
    period = preset_period(preset, latest, start=start, end=end)
    comparison = period.previous() if compare == "previous" else period.last_year()
    _write_params(preset, start, end, compare, region, store_format, store)
    scope = Scope(
        region=None if region == "All" else region,
        format=None if store_format == "All" else store_format,
        store=None if store == "All" else store,
    )
    return Filters(period=period, comparison=comparison, compare=compare, scope=scope, latest=latest)


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


def investigate_link(label: str, *, help: str | None = None, **params: str) -> None:
    """A link to the Root cause page that keeps the sidebar filters and adds ``params`` (store,
    touchpoint, metric, mode)."""
    st.page_link("ui/root_cause.py", label=label, icon=":material/troubleshoot:", help=help,
                 query_params={**filter_params(), **params})  # fmt: skip


def filter_params() -> dict[str, str]:
    """The current filters as query parameters, for links to other pages."""
    return {k: st.query_params[k] for k in FILTER_KEYS if k in st.query_params}


def _index(options: list, wanted, default) -> int:
    if wanted in options:
        return options.index(wanted)
    return options.index(default) if default in options else 0


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def current_filters() -> Filters | None:
    """The filters drawn by the router for this run (None when the database holds no data)."""
    return st.session_state.get("filters")


@st.cache_data(ttl=60, max_entries=8)
def source_coverage(url: str):
    return queries.source_coverage(engine(url))


@st.cache_data(ttl=60, max_entries=8)
def import_history(url: str):
    return queries.import_history(engine(url))


def footer() -> None:
    """One line: which database, and how fresh each source is."""
    coverage = source_coverage(database_url())
    parts = [
        f"{row.source} to {row.last:%Y-%m-%d}"
        for row in coverage.itertuples()
        if row.rows and row.last is not None
    ]
    url = engine(database_url()).url.render_as_string(hide_password=True)
    st.caption(f"Database {url} · data: {', '.join(parts) or 'none loaded yet'}")


def download_button(frame, *, label: str, file_name: str, key: str) -> None:
    """CSV download of a table (formula-like cells neutralised)."""
    st.download_button(label, to_csv_bytes(frame), file_name=file_name, mime="text/csv", key=key,
                       icon=":material/download:")  # fmt: skip


def change_columns(value: str = "%.2f", change: str = "%+.2f", **overrides) -> dict:
    """Column settings of a before/after table: values, change, its 95 % interval, p and q (as text,
    see :func:`cx.present.root_cause.p_column`) and n; ``overrides`` replace or add columns."""
    number = st.column_config.NumberColumn
    return {
        "before": number("Before", format=value), "after": number("After", format=value),
        "delta": number("Change", format=change), "low": number("95 % low", format=change),
        "high": number("95 % high", format=change), "p_value": st.column_config.TextColumn("p"),
        "q_value": st.column_config.TextColumn("q (FDR)"), "n_before": number("n before", format="%d"),
        "n_after": number("n after", format="%d"), **overrides,
    }  # fmt: skip


def require_filters() -> Filters:
    """The filters, or a clear sentence and a stop when the database holds no data yet."""
    filters = current_filters()
    if filters is None:
        st.info(
            "No data is loaded yet. Import files on the Data page, or run `python -m cx demo` for the demo brand."
        )
        st.page_link("ui/data.py", label="Go to the Data page", icon=":material/database:")
        st.stop()
    return filters


def period_caption(filters: Filters) -> None:
    st.caption(
        f"{filters.scope.describe().capitalize()} · {filters.period.label()} · compared with "
        f"{filters.comparison.label()} ({COMPARISONS[filters.compare].lower()})"
    )
