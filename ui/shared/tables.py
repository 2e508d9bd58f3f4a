"""Tables as every page shows them: CSV downloads, before/after column settings, p and q as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.present.exports import to_csv_bytes
from cx.present.root_cause import p_column
from cx.store.audit import record_export
from ui.shared import caching, places
from ui.shared.filters import current_scope


def download_button(frame: pd.DataFrame, *, label: str, file_name: str, key: str,
                    icon: str | None = ":material/download:") -> None:  # fmt: skip
    """CSV download of a table (formula-like cells neutralised); each download is in the audit log, with
    who took it and the part of the brand the page showed."""
    st.download_button(label, to_csv_bytes(frame), file_name=file_name, mime="text/csv", key=key, icon=icon,
                       on_click=_audited, args=(file_name, len(frame)))  # fmt: skip


def _audited(file_name: str, rows: int) -> None:
    record_export(caching.engine(), actor=caching.author(), what=file_name, rows=rows,
                  scope=places.scope_name(current_scope()))  # fmt: skip


def change_columns(value: str = "%.2f", change: str = "%+.2f", **overrides) -> dict:
    """Column settings of a before/after table: values, change, its 95 % interval, p and q (as text,
    see :func:`p_values_as_text`) and n; ``overrides`` replace or add columns."""
    number = st.column_config.NumberColumn
    return {
        "before": number("Before", format=value), "after": number("After", format=value),
        "delta": number("Change", format=change), "low": number("95 % low", format=change),
        "high": number("95 % high", format=change), "p_value": st.column_config.TextColumn("p"),
        "q_value": st.column_config.TextColumn("q (FDR)"), "n_before": number("n before", format="%d"),
        "n_after": number("n after", format="%d"), **overrides,
    }  # fmt: skip


def p_values_as_text(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with its p- or q-value ``columns`` as text (``0.14``, ``< 0.001``, ``no test``: see
    :func:`cx.present.root_cause.p_column`), for the text columns of :func:`change_columns`."""
    return frame.assign(**{column: p_column(frame[column]) for column in columns})


ROW_PX = 35  # the height of a row of st.dataframe, the header row included


def full_height(rows: int) -> int:
    """The height that shows every one of ``rows`` rows of a table without a scroll bar."""
    return ROW_PX * (rows + 1) + 3
