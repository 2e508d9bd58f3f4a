"""Rollup maintenance: sufficient statistics per store x day and store x month, and the same sums
under fewer keys (every store's daily totals; store x week and store x month with touchpoints summed).

Every import adds its own rows inside its own transaction; the same SQL rebuilds everything from the
raw tables, so the rollups always equal a GROUP BY over the raw rows (tests check exactly that). Undoing
an import recomputes the buckets its rows fell in from the rows left.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy import Connection, Date, bindparam, text

# Columns of the rollup tables, shared with the queries that read them.
NPS_COUNTS = tuple(f"s{i}" for i in range(11))
SURVEY_SUMS = (
    "n",
    "csat_sum",
    "csat_sq",
    "top2",
    "c1",
    "c2",
    "c3",
    "c4",
    "c5",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "ces_agree",
    *(f"e{i}" for i in range(1, 8)),
)
ATTRIBUTE_SUMS = ("n", "rating_sum", "rating_sq")
REVIEW_SUMS = ("n", "rating_sum", "rating_sq", "low", "r1", "r2", "r3", "r4", "r5")
SALES_SUMS = ("days", "revenue", "transactions", "revenue_paired", "transactions_paired")
# Table ``<group>_<layout>``: layout -> its time key, that key's grain, and whether the store and the
# touchpoint are keys (review and sales rows carry no touchpoint).
LAYOUTS = {
    "daily": ("day", "daily", True, True),
    "monthly": ("month", "monthly", True, True),
    "daily_total": ("day", "daily", False, True),
    "store_weekly": ("week", "week", True, False),
    "store_monthly": ("month", "monthly", True, False),
}
GROUP_LAYOUTS = {  # sales' daily rows are the sales table itself
    "nps": ("daily", "monthly", "daily_total", "store_weekly", "store_monthly"),
    "survey": ("daily", "monthly", "daily_total", "store_weekly", "store_monthly"),
    "attribute": ("daily", "monthly", "daily_total"),
    "review": ("daily", "monthly", "daily_total", "store_weekly"),
    "sales": ("monthly", "daily_total", "store_weekly"),
}
ROLLUP_TABLES = tuple(
    f"{group}_{layout}" for group, layouts in GROUP_LAYOUTS.items() for layout in layouts
) + ("driver_moments",)
ROLLUP_GROUPS = {  # source (an import kind) -> the groups of rollup tables its rows feed
    "nps": ("nps",),
    "surveys": ("survey", "attribute", "driver_moments"),
    "reviews": ("review",),
    "sales": ("sales",),
}


def _rounds_to(column: str, value: int) -> str:
    """1 when ``column`` rounds to ``value``; ranges, so both databases round halves alike."""
    return f"SUM(CASE WHEN {column} >= {value - 0.5} AND {column} < {value + 0.5} THEN 1 ELSE 0 END)"


# group -> FROM clause (fact alias ``f``), its time column, its touchpoint (None: none), further keys,
# the measures' SQL and their column names.
_FACTS = {
    "nps": ("nps_response f", "f.responded_at", "COALESCE(f.touchpoint_id, 0)", (),
            ", ".join(f"SUM(CASE WHEN f.score = {i} THEN 1 ELSE 0 END)" for i in range(11)), NPS_COUNTS),
    "survey": ("survey_response f", "f.responded_at", "f.touchpoint_id", (),
               "COUNT(*), SUM(f.csat), SUM(f.csat * f.csat), SUM(CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END), "
               + ", ".join(_rounds_to("f.csat", v) for v in range(1, 6))
               + ", COUNT(f.ces), COALESCE(SUM(f.ces), 0), COALESCE(SUM(f.ces * f.ces), 0), "
               "SUM(CASE WHEN f.ces >= 5 THEN 1 ELSE 0 END), "
               + ", ".join(_rounds_to("f.ces", v) for v in range(1, 8)), SURVEY_SUMS),
    "attribute": ("survey_attribute a JOIN survey_response f ON f.response_id = a.response_id", "f.responded_at",
                  "f.touchpoint_id", (("attribute", "a.attribute"),),
                  "COUNT(*), SUM(a.rating), SUM(a.rating * a.rating)", ATTRIBUTE_SUMS),
    "review": ("review f", "f.posted_at", None, (),
               "COUNT(*), SUM(f.rating), SUM(f.rating * f.rating), SUM(CASE WHEN f.rating <= 2 THEN 1 ELSE 0 END), "
               + ", ".join(_rounds_to("f.rating", v) for v in range(1, 6)), REVIEW_SUMS),
    # the paired sums keep only days with both revenue and transactions
    "sales": ("sales f", "f.date", None, (),
              "COUNT(*), SUM(f.revenue), SUM(f.transactions), "
              "COALESCE(SUM(CASE WHEN f.transactions IS NOT NULL THEN f.revenue END), 0), "
              "COALESCE(SUM(CASE WHEN f.revenue IS NOT NULL THEN f.transactions END), 0)", SALES_SUMS),
}  # fmt: skip


def bucket_sql(column: str, grain: str, dialect: str) -> str:
    """SQL for the first day of ``column``'s day/week/month/quarter (same on SQLite and PostgreSQL)."""
    if dialect == "postgresql":
        unit = {"daily": "day", "day": "day", "week": "week", "monthly": "month", "month": "month"}.get(
            grain, grain
        )
        return f"CAST(date_trunc('{unit}', {column}) AS DATE)"
    if grain in ("daily", "day"):
        return f"date({column})"
    if grain == "week":
        return f"date({column}, '-6 days', 'weekday 1')"
    if grain in ("monthly", "month"):
        return f"strftime('%Y-%m-01', {column})"
    if grain == "quarter":
        return (
            f"printf('%s-%02d-01', strftime('%Y', {column}), "
            f"((CAST(strftime('%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)"
        )
    raise ValueError(f"Unknown grain {grain!r}: use day, week, month or quarter.")


def _upsert(table: str, keys: tuple[str, ...], columns: tuple[str, ...], select: str) -> str:
    """Insert grouped rows, adding to existing ones (NULL + x = x, so optional sums survive)."""
    updates = ", ".join(
        f"{c} = COALESCE({table}.{c} + excluded.{c}, {table}.{c}, excluded.{c})" for c in columns
    )
    return (
        f"INSERT INTO {table} ({', '.join(keys + columns)}) {select} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def rollup_statements(dialect: str, where: str) -> dict[str, list[str]]:
    """SQL per group of rollup tables that adds the rows matching ``where`` (fact table alias ``f``)."""
    statements = {
        group: [_statement(dialect, group, layout, where) for layout in layouts]
        for group, layouts in GROUP_LAYOUTS.items()
    }
    statements["driver_moments"] = _driver_moment_statements(dialect, where)
    return statements


def _statement(dialect: str, group: str, layout: str, where: str) -> str:
    """The upsert of one rollup table, ``<group>_<layout>``, from the fact rows matching ``where``."""
    source, moment, touchpoint, extra, measures, names = _FACTS[group]
    time_key, grain, by_store, by_touchpoint = LAYOUTS[layout]
    keys = [("store_id", "f.store_id")] if by_store else []
    keys.append((time_key, bucket_sql(moment, grain, dialect)))
    if by_touchpoint and touchpoint:
        keys.append(("touchpoint_id", touchpoint))
    keys += list(extra)
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return _upsert(
        f"{group}_{layout}",
        tuple(key for key, _ in keys),
        names,
        f"SELECT {', '.join(sql for _, sql in keys)}, {measures} FROM {source} WHERE {where} GROUP BY {groups}",
    )


def _driver_moment_statements(dialect: str, where: str) -> list[str]:
    """Monthly sums and cross-products of pairs of survey variables, for the driver correlations."""
    month = bucket_sql("f.responded_at", "monthly", dialect)
    moment_keys = ("store_id", "month", "var_a", "var_b")
    moment_sums = ("n", "sum_a", "sum_b", "sum_ab", "sum_aa", "sum_bb")
    # Pairs of survey variables on the same response, through the (response_id, attribute) key:
    # attribute x attribute, attribute x csat ('attr:' sorts before 'csat') and csat x csat.
    pair_sql = (
        ("'attr:' || a.attribute", "'attr:' || b.attribute", "a.rating", "b.rating",
         "survey_attribute a JOIN survey_attribute b ON b.response_id = a.response_id AND a.attribute <= b.attribute "
         "JOIN survey_response f ON f.response_id = a.response_id"),
        ("'attr:' || a.attribute", "'csat'", "a.rating", "f.csat",
         "survey_attribute a JOIN survey_response f ON f.response_id = a.response_id"),
        ("'csat'", "'csat'", "f.csat", "f.csat", "survey_response f"),
    )  # fmt: skip
    return [
        _upsert(
            "driver_moments",
            moment_keys,
            moment_sums,
            f"SELECT f.store_id, {month}, {var_a}, {var_b}, COUNT(*), SUM({x}), SUM({y}), SUM({x} * {y}), "
            f"SUM({x} * {x}), SUM({y} * {y}) FROM {source} WHERE {where} GROUP BY 1, 2, 3, 4",
        )
        for var_a, var_b, x, y, source in pair_sql
    ]


def add_batch_to_rollups(connection: Connection, source: str, batch_id: int) -> None:
    """Add the rows of one batch of ``source`` to the rollups (inside the batch's own transaction).

    The batch's rows are read once per group: summed per store x day (x touchpoint and further keys)
    into a temporary table, from which every table of the group adds its sums (all the measures are
    sums and counts, so sums of those sums are the same)."""
    dialect = connection.dialect.name
    for group in ROLLUP_GROUPS.get(source, ()):
        if group == "driver_moments":
            for statement in _driver_moment_statements(dialect, "f.batch_id = :batch"):
                connection.execute(text(statement), {"batch": batch_id})
            continue
        staged = f"staged_{group}"
        connection.execute(text(_staging(dialect, group, staged)), {"batch": batch_id})
        for layout in GROUP_LAYOUTS[group]:
            connection.execute(text(_statement_from_staged(dialect, group, layout, staged)))
        connection.execute(text(f"DROP TABLE {staged}"))


def _staging(dialect: str, group: str, staged: str) -> str:
    """A temporary table of the batch's sums per store x day (x touchpoint, further keys)."""
    source, moment, touchpoint, extra, measures, names = _FACTS[group]
    keys = [("store_id", "f.store_id"), ("day", bucket_sql(moment, "daily", dialect))]
    keys += [("touchpoint_id", touchpoint)] if touchpoint else []
    keys += list(extra)
    columns = ", ".join([key for key, _ in keys] + list(names))
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return (
        f"CREATE TEMP TABLE {staged} AS WITH sums ({columns}) AS (SELECT {', '.join(sql for _, sql in keys)}, "
        f"{measures} FROM {source} WHERE f.batch_id = :batch GROUP BY {groups}) SELECT * FROM sums"
    )


def _statement_from_staged(dialect: str, group: str, layout: str, staged: str) -> str:
    """The upsert of ``<group>_<layout>`` from the staged sums of :func:`_staging`."""
    _, _, touchpoint, extra, _, names = _FACTS[group]
    time_key, grain, by_store, by_touchpoint = LAYOUTS[layout]
    keys = [("store_id", "store_id")] if by_store else []
    keys.append((time_key, bucket_sql("day", grain, dialect)))
    if by_touchpoint and touchpoint:
        keys.append(("touchpoint_id", "touchpoint_id"))
    keys += [(key, key) for key, _ in extra]
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    sums = ", ".join(f"SUM({name})" for name in names)
    return _upsert(
        f"{group}_{layout}",
        tuple(key for key, _ in keys),
        names,
        f"SELECT {', '.join(sql for _, sql in keys)}, {sums} FROM {staged} GROUP BY {groups}",
    )


def rebuild_rollups(connection: Connection) -> None:
    """Recompute every rollup from the raw rows."""
    for table in ROLLUP_TABLES:
        connection.execute(text(f"DELETE FROM {table}"))
    for group_statements in rollup_statements(connection.dialect.name, "1 = 1").values():
        for statement in group_statements:
            connection.execute(text(statement))


def recompute_rollups(connection: Connection, source: str, *, stores: list[str], first, last) -> None:
    """Recompute, from the raw rows left, the rollup rows of ``source`` that hold any of ``stores``
    between the days ``first`` and ``last`` (in tables without a store key: every store's rows), whole
    buckets of each table's grain: after rows were removed, the rollups equal a rebuild again."""
    dialect = connection.dialect.name
    for group in ROLLUP_GROUPS.get(source, ()):
        moment = _FACTS["survey" if group == "driver_moments" else group][1]
        for table, time_key, grain, by_store, statements in _tables_of(dialect, group):
            start, end = bucket_span(first, last, grain)
            kept = f"{time_key} >= :start AND {time_key} < :end"
            facts = f"{moment} >= :start AND {moment} < :end"
            bound = [bindparam("start", type_=Date()), bindparam("end", type_=Date())]
            values = {"start": start, "end": end}
            if by_store:
                kept += " AND store_id IN :stores"
                facts += " AND f.store_id IN :stores"
                bound.append(bindparam("stores", expanding=True))
                values["stores"] = stores
            for sql in (f"DELETE FROM {table} WHERE {kept}", *statements(facts)):
                connection.execute(text(sql).bindparams(*bound), values)


def _tables_of(dialect: str, group: str):
    """``(table, time key, grain, keyed by store, where -> its upserts)`` of each table of ``group``."""
    if group == "driver_moments":
        yield "driver_moments", "month", "monthly", True, partial(_driver_moment_statements, dialect)
        return
    for layout in GROUP_LAYOUTS[group]:
        time_key, grain, by_store, _ = LAYOUTS[layout]
        yield (f"{group}_{layout}", time_key, grain, by_store,
               lambda where, layout=layout: [_statement(dialect, group, layout, where)])  # fmt: skip


def bucket_span(first: dt.date, last: dt.date, grain: str) -> tuple[dt.date, dt.date]:
    """The first day of ``first``'s bucket and the first day after ``last``'s (day, week from Monday,
    month)."""
    if grain == "daily":
        return first, last + dt.timedelta(days=1)
    if grain == "week":
        return first - dt.timedelta(days=first.weekday()), last + dt.timedelta(days=7 - last.weekday())
    following = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return first.replace(day=1), following
