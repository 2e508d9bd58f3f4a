"""Safe CSV exports: cells that a spreadsheet would run as a formula are neutralised, and money carries
its currency."""

from __future__ import annotations

import pandas as pd

from cx.config import currency_code

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_COLUMNS = ("revenue",)  # columns holding amounts of money
METRIC_COLUMNS = ("metric", "measured")  # columns naming the metric a row's values are in


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with ``= + - @`` (or tab/CR) with ``'`` (OWASP CSV injection advice)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            text = safe[column].astype("str")
            risky = safe[column].notna() & text.str.startswith(FORMULA_STARTS)
            safe[column] = safe[column].astype(object).mask(risky, "'" + text)
    return safe


def with_currency(frame: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """``frame`` with a ``currency`` column when it holds money and a currency is set: on every row
    when it has a revenue column, else on the rows whose ``metric`` (or ``measured``) is revenue."""
    if not currency or "currency" in frame.columns:
        return frame
    if any(column in frame.columns for column in MONEY_COLUMNS):
        return frame.assign(currency=currency)
    for column in METRIC_COLUMNS:
        if column in frame.columns and frame[column].isin(MONEY_COLUMNS).any():
            return frame.assign(currency=frame[column].isin(MONEY_COLUMNS).map({True: currency, False: ""}))
    return frame


def to_csv_bytes(frame: pd.DataFrame, *, currency: str | None = None) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets pick the encoding) of the neutralised frame, with the
    currency of its money (``currency``, default ``CX_CURRENCY``; see :func:`with_currency`)."""
    money = with_currency(frame, currency_code(currency))
    return neutralise_formulas(money).to_csv(index=False).encode("utf-8-sig")
