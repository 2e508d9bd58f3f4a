"""Data: import a file with a checked column mapping, see the import history and each source's coverage."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from cx.analysis.health import SOURCE_LABELS, data_health, health_findings, weekly_volume
from cx.analysis.prepare import prepare_in_background
from cx.config import Settings
from cx.ingest import KINDS, ImportFailed, ImportOptions, ImportSummary, load_bytes, preview_mapping
from cx.ingest.limits import Limits
from cx.ingest.mapping import IGNORE, ColumnMappingError
from cx.ingest.readers import RawTable, UnreadableFileError, read_table
from cx.ingest.schema import ATTRIBUTE_PREFIX, field_specs
from cx.ingest.wording import Remedies, describe_options, plural
from cx.present.charts import volume_heatmap
from cx.present.markup import escape_markdown
from cx.store import queries
from cx.store.batches import undo_batch
from ui.shared import caching, tables
from ui.shared.errors import shown_as_error
from ui.shared.filters import current_scope

KIND_LABELS = {
    "stores": "Stores",
    **SOURCE_LABELS,
    "customers": "Customers (CRM)",
    "transactions": "Transactions",
}
ENCODINGS = {
    "": "Detect",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1252": "Windows-1252 (Western European)",
}
PREVIEW_ROWS = 20
LAST_IMPORT = "data_last_import"
UNDO_ASKED, UNDONE = "data_undo_asked", "data_undone"
# The labels of the page's controls, and the importer's advice worded with them.
ENCODING_LABEL = "Encoding"
DATE_FORMAT_LABEL = "Date format"
AS_OF_LABEL = "Relative dates count back from"
CREATE_STORES_LABEL = "Create unknown stores"
STRICT_LABEL = "Load nothing if any row is rejected or a store would change"
ALLOW_UPDATES_LABEL = "Allow changes to existing stores"
MAPPING_LABEL = "Column mapping"
PAGE_REMEDIES = Remedies(
    create_stores=f'tick "{CREATE_STORES_LABEL}" under Options',
    encoding=f'choose another under "{ENCODING_LABEL}" to override',
    real_encoding=(
        f'Choose the file\'s real encoding under "{ENCODING_LABEL}", e.g. Windows-1256 for Arabic files or '
        "Windows-1252 for Western European ones"
    ),
    mixed_encoding=f'choose {{first_name}} or {{second_name}} under "{ENCODING_LABEL}" to read all of it as one',
    strict=f'{{rejected}} rejected and "{STRICT_LABEL}" is ticked; the rejected rows are listed below.',
    updates=(
        f'The file would change existing stores ({{changes}}) and "{STRICT_LABEL}" is ticked, so nothing was '
        f'loaded; tick "{ALLOW_UPDATES_LABEL}" to apply the changes'
    ),
    missing_field=(
        f'choose the column that holds {{field}} under "{MAPPING_LABEL}", or give {{field}} a constant '
        "under Options"
    ),
    sales_amount=f'choose the column that holds revenue or transactions under "{MAPPING_LABEL}"',
    constant="constant {field}",
    rescale="rescale",
    rescale_to="add {field} with the file's minimum {low} and maximum {high} to the rescale table under Options",
    date_format=f'"{DATE_FORMAT_LABEL}"',
    date_format_to=f'enter {{format}} as "{DATE_FORMAT_LABEL}" under Options',
    as_of=f'"{AS_OF_LABEL}" under Options',
)


@st.cache_data(max_entries=2, show_spinner="Reading the file...")
def _read(file_id: str, file_name: str, encoding: str, _content: bytes) -> RawTable:
    """The uploaded file as a table of strings (``file_id`` and ``encoding`` key the cache)."""
    return read_table(
        _content, file_name=file_name, encoding=encoding or None, remedies=PAGE_REMEDIES, limits=_limits()
    )


def _limits() -> Limits:
    return Limits.from_env(upload=True)


def _automatic_fields(kind: str, columns: list[str], options: ImportOptions) -> dict[str, str]:
    """Column -> field as ``preview_mapping`` matches them, even while a required field has no column.

    When the full mapping fails, each required field is matched on its own with placeholders standing
    in for the others, so the table still starts from every column the import recognises.
    """
    try:
        mappings = [preview_mapping(kind, columns, options)]
    except ColumnMappingError:
        needed = [
            spec.name for spec in field_specs(kind, create_stores=options.create_stores) if spec.required
        ]
        needed += ["revenue", "transactions"] if kind == "sales" else []
        mappings = []
        for probed in (None, *needed):
            placeholders = {name: "?" for name in needed if name != probed}
            try:
                mappings.append(
                    preview_mapping(
                        kind, columns, replace(options, constants={**placeholders, **options.constants})
                    )
                )
            except ColumnMappingError:
                continue
    fields = {source: name for mapping in mappings for name, source in mapping.sources.items()}
    return {column: fields.get(column, IGNORE) for column in columns}


def _import_options(kind: str, encoding: str) -> ImportOptions:
    """The option widgets as ``ImportOptions`` (without the mapping); ``ValueError`` for a rescale
    that cannot be used."""
    left, right = st.columns(2)
    date_format = left.text_input(
        DATE_FORMAT_LABEL, placeholder="detected, or e.g. %d/%m/%Y", key="data_date_format"
    )
    as_of = right.date_input(
        AS_OF_LABEL,
        value=None,
        key="data_as_of",
        help="The date that values such as '3 months ago' are counted from, usually the day the file was "
        "saved; without it such values are rejected.",
    )
    create_stores = kind != "stores" and st.checkbox(
        CREATE_STORES_LABEL,
        key="data_create_stores",
        help="Create the stores the file names but the database lacks (name = id, region "
        '"Unassigned" unless a column or constant gives one); otherwise their rows are rejected.',
    )
    strict = st.checkbox(STRICT_LABEL, key="data_strict")
    allow_updates = (
        kind == "stores"
        and strict
        and st.checkbox(
            ALLOW_UPDATES_LABEL,
            key="data_allow_updates",
            help="Otherwise a stores file that would change an existing store's name, region or other "
            "attributes loads nothing, and the changes it would make are listed.",
        )
    )
    field_names = [spec.name for spec in field_specs(kind, create_stores=create_stores)]
    st.caption("Constants fill a field for every row (a touchpoint, platform or region, for instance).")
    constants = st.data_editor(
        pd.DataFrame({"field": pd.Series(dtype="object"), "value": pd.Series(dtype="object")}),
        num_rows="dynamic",
        hide_index=True,
        key=f"data_constants_{kind}",
        column_config={
            "field": st.column_config.SelectboxColumn("Field", options=field_names, required=True),
            "value": st.column_config.TextColumn("Value", required=True),
        },
    )
    scaled = [spec.name for spec in field_specs(kind) if spec.type in ("score", "rating")]
    scaled += [f"{ATTRIBUTE_PREFIX}*"] if kind == "surveys" else []
    rescale = pd.DataFrame(columns=["field", "low", "high"])
    if scaled:
        st.caption("Rescale maps a rating given on another scale (e.g. 0-10) linearly onto ours.")
        rescale = st.data_editor(
            pd.DataFrame(
                {
                    "field": pd.Series(dtype="object"),
                    "low": pd.Series(dtype="float"),
                    "high": pd.Series(dtype="float"),
                }
            ),
            num_rows="dynamic",
            hide_index=True,
            key=f"data_rescale_{kind}",
            column_config={
                "field": st.column_config.SelectboxColumn("Field", options=scaled, required=True),
                "low": st.column_config.NumberColumn("File's minimum", required=True),
                "high": st.column_config.NumberColumn("File's maximum", required=True),
            },
        )
    constants = constants.dropna()
    scales = _scales(rescale.dropna())
    return ImportOptions(
        constants=dict(zip(constants["field"], constants["value"].str.strip(), strict=True)),
        encoding=encoding or None,
        date_format=date_format.strip() or None,
        as_of=as_of,
        rescale=scales,
        create_stores=create_stores,
        strict=strict,
        allow_updates=allow_updates,
    )


def _scales(rescale: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """The rescale table as ``{field: (file's minimum, file's maximum)}``; ``ValueError`` when a minimum
    is not below its maximum."""
    for row in rescale.itertuples():
        if row.low >= row.high:
            raise ValueError(
                f"Rescale {row.field}: the file's minimum ({row.low:g}) must be below its maximum ({row.high:g})."
            )
    return {row.field: (float(row.low), float(row.high)) for row in rescale.itertuples()}


def _mapping_result(kind: str, columns: list[str], options: ImportOptions) -> None:
    """What the import would read: each field's column or constant, the ignored columns, or the problem."""
    try:
        mapping = preview_mapping(kind, columns, options, remedies=PAGE_REMEDIES)
    except ColumnMappingError as error:
        st.error(escape_markdown(str(error)))
        return
    st.success("Every required field has a column or a constant.")
    result = pd.DataFrame(
        [(name, source) for name, source in mapping.sources.items()]
        + [(name, f"constant {value!r}") for name, value in mapping.constants.items()],
        columns=["field", "read from"],
    )
    st.dataframe(result, hide_index=True)
    if mapping.unused:
        st.caption(escape_markdown("Columns ignored: " + ", ".join(mapping.unused)))


def _run_import(kind: str, upload, options: ImportOptions) -> None:
    """Import the uploaded file with a progress bar, keep its summary and start a fresh run."""
    bar = st.progress(0.0, text="Importing...")

    def progress(done: int, total: int) -> None:
        bar.progress(
            min(done / total, 1.0) if total else 1.0, text=f"Importing... {done:,} of {plural(total)}"
        )

    engine = caching.engine()
    try:
        summary = load_bytes(
            engine,
            kind,
            upload.getvalue(),
            options,
            file_name=upload.name,
            reports_dir=Settings.from_env().reports_dir,
            progress=progress,
            remedies=PAGE_REMEDIES,
            imported_by=caching.author(),
            limits=_limits(),
        )
    except ImportFailed as failure:
        summary = failure.summary
    if not summary.error and summary.rows_loaded:
        prepare_in_background(engine)
    st.session_state[LAST_IMPORT] = summary
    st.cache_data.clear()
    st.rerun()


def _show_summary(summary: ImportSummary) -> None:
    """Counts, notices and rejected rows of the last import."""
    if summary.error:
        st.error(escape_markdown(f"Nothing was loaded from {summary.file}: {summary.error}"))
    else:
        st.success(
            escape_markdown(
                f"{KIND_LABELS[summary.kind]} file {summary.file} imported as batch {summary.batch_id}."
            )
        )
    counts = {
        "Read": summary.rows_read,
        "Loaded": summary.rows_loaded,
        "Already there": summary.rows_duplicate,
        "Updated": summary.rows_updated,
        "Rejected": summary.rows_rejected,
    }
    for column, (label, value) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(label, f"{value:,}")
    if summary.notices:
        st.code("\n".join(summary.notices), language=None, wrap_lines=True)
    if summary.rejects is not None and len(summary.rejects):
        st.subheader("Rejected rows")
        st.dataframe(
            summary.rejects,
            hide_index=True,
            column_config={
                "row": st.column_config.NumberColumn(
                    "Row", help="Row number in the file; the header is row 1"
                ),
                "column": "Column",
                "value": "Value",
                "reason": "Reason",
            },
        )
        tables.download_button(
            summary.rejects,
            label="Download rejected rows (CSV)",
            file_name=f"{Path(summary.file).stem}-rejects.csv",
            key="data_rejects_download",
            icon=None,
        )


def _import_section() -> None:
    """Upload, preview, options, column mapping, then validate or import. A file that cannot be read or
    a rescale that cannot be used ends the section with a ``ValueError`` (its message shown by the caller)."""
    kind = st.selectbox("Kind of file", KINDS, format_func=KIND_LABELS.get, key="data_kind")
    upload = st.file_uploader("CSV or XLSX file", type=["csv", "xlsx"], key="data_file")
    if upload is None:
        limits = _limits()
        st.caption(
            "Import a stores file first: NPS, survey, review and sales rows must name a known store. "
            f"One upload: up to {limits.upload_bytes / 1e6:,.0f} MB and {limits.upload_rows:,} rows, "
            f"{limits.columns:,} columns, {limits.cell_bytes // 1024:,} kB per cell."
        )
        return
    encoding = st.selectbox(ENCODING_LABEL, list(ENCODINGS), format_func=ENCODINGS.get, key="data_encoding")
    try:
        table = _read(upload.file_id, upload.name, encoding, upload.getvalue())
    except UnreadableFileError as error:
        st.error(escape_markdown(str(error)))
        return
    source = "detected" if table.encoding_detected else "as chosen"
    shape = f"{plural(table.rows)}, {plural(len(table.frame.columns), 'column')}"
    st.caption(f"{shape}; encoding {table.encoding} ({source}). The first rows:")
    st.dataframe(table.frame.head(PREVIEW_ROWS), hide_index=True)
    if table.malformed:
        verb = "has" if len(table.malformed) == 1 else "have"
        st.warning(f"{plural(len(table.malformed))} {verb} more fields than the header and will be rejected.")
    with st.expander("Options"):
        options = _import_options(kind, encoding)

    columns = list(table.frame.columns)
    automatic = _automatic_fields(kind, columns, options)
    field_names = [spec.name for spec in field_specs(kind, create_stores=options.create_stores)]
    choices = [
        IGNORE,
        *field_names,
        *sorted({f for f in automatic.values() if f.startswith(ATTRIBUTE_PREFIX)}),
    ]
    st.markdown(f"**{MAPPING_LABEL}**: the field each column is read as (`-` ignores the column).")
    edited = st.data_editor(
        pd.DataFrame({"column": columns, "field": [automatic[column] for column in columns]}),
        hide_index=True,
        disabled=["column"],
        key=f"data_mapping_{kind}_{upload.file_id}",
        column_config={
            "column": "Column in the file",
            "field": st.column_config.SelectboxColumn("Field", options=choices, required=True),
        },
    )
    chosen = edited.loc[edited["field"] != IGNORE]
    repeated = chosen.loc[chosen["field"].duplicated(keep=False)].groupby("field")["column"].agg(", ".join)
    for name, sources in repeated.items():
        st.warning(escape_markdown(f"Field {name} is chosen for several columns ({sources}); choose one."))
    options = replace(
        options,
        mapping={
            column: name
            for column, name in zip(edited["column"], edited["field"], strict=True)
            if name != automatic[column]
        },
    )

    validate, run = st.columns(2)
    if validate.button("Validate", key="data_validate", width="stretch"):
        _mapping_result(kind, columns, options)
    if run.button("Import", type="primary", key="data_import", width="stretch", disabled=not repeated.empty):
        _run_import(kind, upload, options)


def _history_section() -> None:
    history = caching.cached(queries.import_history)
    if history.empty:
        st.caption("No imports yet.")
        return
    history = history.assign(options=history["options"].map(describe_options))
    st.dataframe(
        history,
        hide_index=True,
        column_order=[
            "id",
            "imported_at",
            "kind",
            "file_name",
            "rows_read",
            "rows_loaded",
            "rows_duplicate",
            "rows_updated",
            "rows_rejected",
            "options",
            "imported_by",
            "status",
        ],
        column_config={
            "id": st.column_config.NumberColumn("Batch"),
            "imported_at": st.column_config.DatetimeColumn("Imported", format="YYYY-MM-DD HH:mm"),
            "kind": "Kind",
            "file_name": "File",
            "rows_read": st.column_config.NumberColumn("Read", format="localized"),
            "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
            "rows_duplicate": st.column_config.NumberColumn("Already there", format="localized"),
            "rows_updated": st.column_config.NumberColumn("Updated", format="localized"),
            "rows_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
            "options": st.column_config.TextColumn(
                "Options", help="Mapping, constants and other options used"
            ),
            "imported_by": st.column_config.TextColumn("By"),
            "status": st.column_config.TextColumn("Status", help="loaded, or undone (its rows removed)"),
        },
    )
    _undo_section(history.loc[history["status"] == "loaded"])


def _undo_section(loaded: pd.DataFrame) -> None:
    """An Undo button per loaded batch, then a confirmation; a refusal says why where it stood."""
    if UNDONE in st.session_state:
        st.success(st.session_state.pop(UNDONE))
    if loaded.empty:
        return
    with st.expander("Undo an import"):
        st.caption(
            "Undo removes a batch's rows and puts the metrics back as they were before it; the batch stays "
            "in the history, marked undone."
        )
        for batch in loaded.itertuples():
            label, button = st.columns([5, 1], vertical_alignment="center")
            label.text(
                f"Batch {batch.id}: {KIND_LABELS.get(batch.kind, batch.kind)}, {batch.file_name}, {batch.imported_at:%Y-%m-%d %H:%M}"
            )
            if button.button("Undo", key=f"data_undo_{batch.id}"):
                st.session_state[UNDO_ASKED] = batch.id
        asked = st.session_state.get(UNDO_ASKED)
        if asked not in set(loaded["id"]):
            return
        st.warning(f"Undo batch {asked}? Its rows are removed and every rollup they fed is recomputed.")
        confirm, cancel = st.columns(2)
        if cancel.button("Keep it", key="data_undo_cancel", width="stretch"):
            st.session_state.pop(UNDO_ASKED)
            st.rerun()
        if confirm.button(
            f"Yes, undo batch {asked}", type="primary", key="data_undo_confirm", width="stretch"
        ):
            st.session_state.pop(UNDO_ASKED)
            with shown_as_error():
                undone = undo_batch(caching.engine(), int(asked), undone_by=caching.author())
                rows = sum(undone["removed"].values())
                st.session_state[UNDONE] = f"Batch {asked} undone: {plural(rows)} removed."
                prepare_in_background(caching.engine())
                st.cache_data.clear()
                st.rerun()


def _health_section(health: pd.DataFrame) -> None:
    summary = health_findings(health)
    st.markdown("\n".join(f"- {escape_markdown(sentence)}" for sentence in summary["sentences"].values()))
    st.dataframe(
        health,
        hide_index=True,
        column_config={
            "source": st.column_config.TextColumn("Source"),
            "store": st.column_config.TextColumn("Store"),
            "first": st.column_config.DateColumn("First date", format="YYYY-MM-DD"),
            "last": st.column_config.DateColumn("Last date", format="YYYY-MM-DD"),
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "rows_per_week": st.column_config.NumberColumn(
                "Rows per week", format="%.1f", help="Mean over the weeks from the store's first week on"
            ),
            "empty_weeks": st.column_config.NumberColumn(
                "Empty weeks", help="Weeks without rows between the store's first and last week"
            ),
            "gaps": st.column_config.NumberColumn("Gaps", help="Runs of empty weeks"),
            "longest_gap": st.column_config.NumberColumn("Longest gap", help="Longest run of empty weeks"),
            "weeks_behind": st.column_config.NumberColumn(
                "Weeks behind", help="Weeks from the store's last week to the source's last week"
            ),
            "no_data": st.column_config.CheckboxColumn("No data"),
        },
    )
    tables.download_button(
        health,
        label="Download the health table (CSV)",
        file_name="data-health.csv",
        key="data_health_download",
        icon=None,
    )

    loaded = [source for source in SOURCE_LABELS if source not in summary["never_loaded"]]
    if not loaded:
        return
    st.subheader("Rows per store and week")
    source = st.selectbox("Source", loaded, format_func=SOURCE_LABELS.get, key="data_volume_source")
    scope = current_scope()
    volume = caching.cached(weekly_volume, source=source, scope=scope)
    if volume.empty:
        st.info(f"No {SOURCE_LABELS[source]} rows for {escape_markdown(scope.describe())}.")
        return
    st.caption(
        f"Stores: {escape_markdown(scope.describe())} (sidebar filters). Orange cells are weeks without rows inside a "
        "store's range."
    )
    st.altair_chart(volume_heatmap(volume, source=source), width="stretch")
    tables.download_button(
        volume,
        label="Download rows per store and week (CSV)",
        file_name=f"{source}-rows-per-week.csv",
        key="data_volume_download",
        icon=None,
    )


st.title("Data")
health = caching.cached(data_health)
if health.empty and caching.viewer().may("imports"):
    st.info(
        "No data is loaded yet. Import a stores file below, then NPS, survey, review or sales files "
        "(or load the demo brand with `python -m cx demo`)."
    )
elif health.empty:
    st.info("No data is loaded for your stores yet; an administrator imports it.")

if caching.viewer().may("imports"):
    st.header("Import a file")
    with shown_as_error():
        _import_section()
    if LAST_IMPORT in st.session_state:
        _show_summary(st.session_state[LAST_IMPORT])

    st.header("Import history")
    _history_section()

st.header("Data health")
if health.empty:
    st.caption("Once stores are imported, this shows which stores each source covers, week by week.")
else:
    _health_section(health)
