"""Data health: how completely each source covers each store, week by week.

Everything is counted in the database from the daily rollups (and the sales table, one row per store
and day), grouped by store and week; weeks start on Monday on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cx.store.queries import SOURCES, data_span, store_directory
from cx.store.scope import Scope
from cx.store.sums import NPS_COUNTS, sums

SOURCE_LABELS = {"nps": "NPS", "surveys": "Surveys", "reviews": "Reviews", "sales": "Sales"}
# The rollup columns whose sum is the number of raw rows (sales: one row per store and day).
ROW_COUNTS = {"nps": NPS_COUNTS, "surveys": ("n",), "reviews": ("n",), "sales": ("days",)}
HEALTH_COLUMNS = (
    "source", "store", "first", "last", "rows", "rows_per_week", "empty_weeks", "gaps", "longest_gap",
    "weeks_behind", "no_data",
)  # fmt: skip
WEEK = pd.Timedelta(days=7)
LISTED_STORES = 10


def weekly_volume(engine: Engine, *, source: str, scope: Scope | None = None) -> pd.DataFrame:
    """Rows per store and week (columns store, week, rows), empty weeks inside a store's range as 0.

    A store's range runs from its first to its last week with data; stores without data are absent.
    ``scope`` narrows the stores (default: the whole brand).
    """
    weeks = _weeks_with_rows(engine, source, scope or Scope())
    if weeks.empty:
        return weeks
    spans = weeks.groupby("store")["week"].agg(["min", "max"])
    every_week = pd.concat(
        [pd.DataFrame({"store": store, "week": pd.date_range(first, last, freq="7D")})
         for store, first, last in spans.itertuples()],
        ignore_index=True,
    )  # fmt: skip
    filled = every_week.merge(weeks, on=["store", "week"], how="left")
    return filled.assign(rows=filled["rows"].fillna(0).astype("int64"))


def data_health(engine: Engine, *, scope: Scope | None = None) -> pd.DataFrame:
    """One row per source and store of ``scope`` (default: every store): how much data there is and
    where weeks are missing.

    Columns: ``source``, ``store``, ``first`` and ``last`` date with data, ``rows``, ``rows_per_week``
    (rows divided by the weeks from the store's first week to the source's last week, both counted),
    ``empty_weeks`` (weeks without rows between the store's first and last week), ``gaps`` (runs of
    such weeks), ``longest_gap`` (the longest run, in weeks), ``weeks_behind`` (weeks from the store's
    last week to the source's last week) and ``no_data`` (the store has no row of this source; then
    dates, rates and gap counts are empty).

    Example: a store with rows in weeks 1, 2 and 5 has 2 empty weeks in 1 gap, the longest 2 weeks.
    """
    scope = (scope or Scope()).whole_brand()
    stores = list(store_directory(engine, scope=scope)["store_id"])
    frames = [_source_health(engine, source, stores, scope) for source in SOURCES]
    health = pd.concat([frame for frame in frames if len(frame)] or [frames[0]], ignore_index=True)
    return health[list(HEALTH_COLUMNS)]


def health_findings(health: pd.DataFrame) -> dict:
    """What :func:`data_health` found, per source.

    Keys: ``stores`` (how many stores there are), ``no_data`` and ``gaps`` (source -> store ids
    without data / with empty weeks inside their range), ``never_loaded`` (sources without a
    single row) and ``sentences`` (source -> one sentence for people).
    """
    stores = int(health["store"].nunique())
    summary: dict = {"stores": stores, "no_data": {}, "gaps": {}, "never_loaded": [], "sentences": {}}
    for source, label in SOURCE_LABELS.items():
        rows = health.loc[health["source"] == source]
        missing = sorted(rows.loc[rows["no_data"], "store"])
        gapped = rows.loc[rows["gaps"].fillna(0) > 0].sort_values(
            ["longest_gap", "store"], ascending=[False, True]
        )
        summary["no_data"][source] = missing
        summary["gaps"][source] = sorted(gapped["store"])
        if stores == 0 or len(missing) == stores:
            summary["never_loaded"].append(source)
            summary["sentences"][source] = f"{label}: never loaded."
            continue
        covered = f"all {stores:,} stores have data" if stores > 1 else "the one store has data"
        if missing:
            with_data = stores - len(missing)
            covered = (
                f"{with_data:,} of {stores:,} stores {'has' if with_data == 1 else 'have'} data; "
                f"{_count(len(missing), 'store has', 'stores have')} none: {_listed(missing)}"
            )
        total = _count(int(rows["rows"].sum()), "row", "rows")
        span = f"{rows['first'].min():%Y-%m-%d} to {rows['last'].max():%Y-%m-%d}"
        parts = [f"{label}: {total} from {span}; {covered}"]
        if len(gapped):
            worst = gapped.iloc[0]
            parts.append(
                f"{_count(len(gapped), 'store has', 'stores have')} gaps of empty weeks "
                f"(longest: {_count(int(worst['longest_gap']), 'week', 'weeks')}, {worst['store']})"
            )
        summary["sentences"][source] = ". ".join(parts) + "."
    return summary


def _weeks_with_rows(engine: Engine, source: str, scope: Scope) -> pd.DataFrame:
    """Store, week (Monday) and rows of every store-week with at least one row of ``source``."""
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}: choose one of {', '.join(SOURCES)}.")
    columns = ROW_COUNTS[source]
    measures = None if source == "sales" else columns
    frame = sums(engine, source, scope=scope, by=("store",), grain="week", measures=measures)
    weeks = pd.DataFrame(
        {"store": frame["store"], "week": pd.to_datetime(frame["bucket"]),
         "rows": frame[list(columns)].sum(axis=1).astype("int64")}
    )  # fmt: skip
    return weeks.loc[weeks["rows"] > 0].sort_values(["store", "week"], ignore_index=True)


def _source_health(engine: Engine, source: str, stores: list[str], scope: Scope) -> pd.DataFrame:
    weeks = _weeks_with_rows(engine, source, scope)
    skipped = weeks.groupby("store")["week"].diff().div(WEEK).sub(1).fillna(0).astype("int64")
    runs = skipped.where(skipped > 0)
    per_store = weeks.assign(run=runs).groupby("store").agg(
        rows=("rows", "sum"), first_week=("week", "min"), last_week=("week", "max"),
        empty_weeks=("run", "sum"), gaps=("run", "count"), longest_gap=("run", "max"),
    )  # fmt: skip
    health = (
        pd.DataFrame(index=pd.Index(stores, name="store"))
        .join(per_store)
        .join(data_span(engine, source=source, scope=scope))
    )
    last_week = per_store["last_week"].max() if len(per_store) else pd.NaT
    covered = (last_week - health["first_week"]) / WEEK + 1
    no_data = health["rows"].isna()
    health = health.assign(
        source=source,
        rows=health["rows"].fillna(0).astype("int64"),
        rows_per_week=health["rows"] / covered,
        empty_weeks=health["empty_weeks"].astype("Int64").mask(no_data),
        gaps=health["gaps"].astype("Int64").mask(no_data),
        longest_gap=health["longest_gap"].fillna(0).astype("Int64").mask(no_data),
        weeks_behind=((last_week - health["last_week"]) / WEEK).round().astype("Int64"),
        no_data=no_data,
    )
    return health.reset_index().reindex(columns=list(HEALTH_COLUMNS))


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _listed(stores: list[str]) -> str:
    shown = ", ".join(stores[:LISTED_STORES])
    return shown if len(stores) <= LISTED_STORES else f"{shown} and {len(stores) - LISTED_STORES} more"
