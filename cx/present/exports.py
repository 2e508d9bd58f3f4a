"""Safe CSV exports: cells that a spreadsheet would run as a formula are neutralised, and money carries
its currency."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from cx.config import currency_code

FORMULA_SIGNS = ("=", "+", "-", "@")
# What may stand before a formula sign and still let it start one: white space and control characters
# (tab, CR, LF, NUL ...), Unicode spaces, and the invisible zero-width ones.
BLANK = re.compile(r"[\s\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff]*")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
DDE = re.compile(r"\|.*!")  # a DDE reference, application|topic!item, as in =cmd|' /C calc'!A0
# A cell :func:`formula_like` may flag: it starts with a blank, control or sign, holds a character
# outside ASCII (full-width and zero-width forms), or a "|".
MAYBE_FORMULA = r"^[\s\x00-\x1f\x7f=+\-@]|[^\x00-\x7f]|\|"
MONEY_COLUMNS = ("revenue",)  # columns holding amounts of money
METRIC_COLUMNS = ("metric", "measured")  # columns naming the metric a row's values are in


def formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula or a DDE call.

    Read in its NFKC form (full-width ``＝ ＋ － ＠`` are ``= + - @``), ``text`` is formula-like when
    it starts with a tab, CR or LF; when a formula sign follows the white space, control or zero-width
    characters it starts with, unless the whole of it is a plain number (``-5``, ``+3.5``, ``-1e3``);
    or when it holds a DDE reference (``|`` and later ``!``).
    """
    if text[:1] in ("\t", "\r", "\n"):
        return True
    normal = unicodedata.normalize("NFKC", text)
    start = normal[BLANK.match(normal).end() :]
    if start.startswith(FORMULA_SIGNS) and not PLAIN_NUMBER.fullmatch(normal):
        return True
    return DDE.search(normal) is not None


def neutralise_text(value):
    """``value`` with ``'`` before it when it is formula-like text (:func:`formula_like`); anything
    else as it is."""
    return "'" + value if isinstance(value, str) and formula_like(value) else value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each formula-like text cell and column name prefixed with ``'``, so a spreadsheet
    shows it as text (OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection).
    Numbers are never changed: numeric columns, numbers in text columns, and text that is exactly a
    plain number."""
    safe = frame.rename(columns=neutralise_text)
    for column in safe.columns[[not pd.api.types.is_numeric_dtype(dtype) for dtype in safe.dtypes]]:
        values = safe[column]
        try:  # only cells that could be formula-like are read one by one
            maybe = values.str.contains(MAYBE_FORMULA, regex=True, na=False).to_numpy(dtype=bool)
        except AttributeError:  # no text in the column
            continue
        if maybe.any():
            safe[column] = values.astype(object).mask(maybe, values[maybe].map(neutralise_text))
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
    currency of its money (``currency``, default ``CX_CURRENCY``; see :func:`with_currency`). Lines end
    in CRLF (RFC 4180), so a cell holding a lone CR is quoted and cannot start a row of its own."""
    money = with_currency(frame, currency_code(currency))
    return neutralise_formulas(money).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
