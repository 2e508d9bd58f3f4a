"""Safe CSV exports: cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with ``= + - @`` (or tab/CR) with ``'`` (OWASP CSV injection advice)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            text = safe[column].astype("str")
            risky = safe[column].notna() & text.str.startswith(FORMULA_STARTS)
            safe[column] = safe[column].astype(object).mask(risky, "'" + text)
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets pick the encoding) of the neutralised frame."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")
