"""Rollup maintenance: sufficient statistics per store x day and store x month.

Every import adds its own rows inside its own transaction; the same SQL rebuilds everything from the
raw tables, so the rollups always equal a GROUP BY over the raw rows (tests check exactly that).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

GRAINS = ("daily", "monthly")
ROLLUP_TABLES = tuple(
    f"{group}_{grain}" for group in ("nps", "survey", "attribute", "review") for grain in GRAINS
) + ("sales_monthly", "driver_moments")
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
ROLLUP_GROUPS = {  # source (an import kind) -> the groups of rollup tables its rows feed
    "nps": ("nps",),
    "surveys": ("survey", "attribute", "driver_moments"),
    "reviews": ("review",),
    "sales": ("sales",),
}


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


def _rounds_to(column: str, value: int) -> str:
    """1 when ``column`` rounds to ``value``; ranges, so both databases round halves alike."""
    return f"SUM(CASE WHEN {column} >= {value - 0.5} AND {column} < {value + 0.5} THEN 1 ELSE 0 END)"


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
    statements: dict[str, list[str]] = {group: [] for group in ("nps", "survey", "attribute", "review")}
    for grain in GRAINS:
        for group, statement in _response_statements(dialect, grain, where).items():
            statements[group].append(statement)
    statements["sales"] = [_sales_statement(dialect, where)]
    statements["driver_moments"] = _driver_moment_statements(dialect, where)
    return statements


def _response_statements(dialect: str, grain: str, where: str) -> dict[str, str]:
    """The NPS, survey, attribute and review rollups at one grain (``daily`` or ``monthly``)."""
    key = "day" if grain == "daily" else "month"

    def when(column: str) -> str:
        return bucket_sql(column, grain, dialect)

    return {
        "nps": _upsert(
            f"nps_{grain}",
            ("store_id", key, "touchpoint_id"),
            NPS_COUNTS,
            f"SELECT f.store_id, {when('f.responded_at')}, COALESCE(f.touchpoint_id, 0), "
            + ", ".join(f"SUM(CASE WHEN f.score = {i} THEN 1 ELSE 0 END)" for i in range(11))
            + f" FROM nps_response f WHERE {where} GROUP BY 1, 2, 3",
        ),
        "survey": _upsert(
            f"survey_{grain}",
            ("store_id", key, "touchpoint_id"),
            SURVEY_SUMS,
            f"SELECT f.store_id, {when('f.responded_at')}, f.touchpoint_id, COUNT(*), SUM(f.csat), "
            "SUM(f.csat * f.csat), SUM(CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END), "
            + ", ".join(_rounds_to("f.csat", v) for v in range(1, 6))
            + ", COUNT(f.ces), COALESCE(SUM(f.ces), 0), COALESCE(SUM(f.ces * f.ces), 0), "
            "SUM(CASE WHEN f.ces >= 5 THEN 1 ELSE 0 END), "
            + ", ".join(_rounds_to("f.ces", v) for v in range(1, 8))
            + f" FROM survey_response f WHERE {where} GROUP BY 1, 2, 3",
        ),
        "attribute": _upsert(
            f"attribute_{grain}",
            ("store_id", key, "touchpoint_id", "attribute"),
            ATTRIBUTE_SUMS,
            f"SELECT f.store_id, {when('f.responded_at')}, f.touchpoint_id, a.attribute, COUNT(*), "
            "SUM(a.rating), SUM(a.rating * a.rating) FROM survey_attribute a "
            f"JOIN survey_response f ON f.response_id = a.response_id WHERE {where} GROUP BY 1, 2, 3, 4",
        ),
        "review": _upsert(
            f"review_{grain}",
            ("store_id", key),
            REVIEW_SUMS,
            f"SELECT f.store_id, {when('f.posted_at')}, COUNT(*), SUM(f.rating), SUM(f.rating * f.rating), "
            "SUM(CASE WHEN f.rating <= 2 THEN 1 ELSE 0 END), "
            + ", ".join(_rounds_to("f.rating", v) for v in range(1, 6))
            + f" FROM review f WHERE {where} GROUP BY 1, 2",
        ),
    }


def _sales_statement(dialect: str, where: str) -> str:
    """The monthly sales rollup; the paired sums keep only days with both revenue and transactions."""
    return _upsert(
        "sales_monthly",
        ("store_id", "month"),
        SALES_SUMS,
        f"SELECT f.store_id, {bucket_sql('f.date', 'monthly', dialect)}, COUNT(*), SUM(f.revenue), "
        "SUM(f.transactions), COALESCE(SUM(CASE WHEN f.transactions IS NOT NULL THEN f.revenue END), 0), "
        "COALESCE(SUM(CASE WHEN f.revenue IS NOT NULL THEN f.transactions END), 0) "
        f"FROM sales f WHERE {where} GROUP BY 1, 2",
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
    """Add the rows of one batch of ``source`` to the rollups (inside the batch's own transaction)."""
    statements = rollup_statements(connection.dialect.name, "f.batch_id = :batch")
    for group in ROLLUP_GROUPS.get(source, ()):
        for statement in statements[group]:
            connection.execute(text(statement), {"batch": batch_id})


def rebuild_rollups(connection: Connection) -> None:
    """Recompute every rollup from the raw rows."""
    for table in ROLLUP_TABLES:
        connection.execute(text(f"DELETE FROM {table}"))
    for group_statements in rollup_statements(connection.dialect.name, "1 = 1").values():
        for statement in group_statements:
            connection.execute(text(statement))
