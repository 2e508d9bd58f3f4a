"""One import: read -> map -> validate -> plan -> write, with a summary and a rejects report."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from cx.ingest.customer_keys import hash_customer_keys
from cx.ingest.limits import DEFAULT_LIMITS, Limits
from cx.ingest.mapping import ColumnMapping, ColumnMappingError, apply_mapping, map_columns
from cx.ingest.parsing import detect_language
from cx.ingest.plan import (
    LoadPlan,
    attribute_ratings,
    case_lookalikes,
    derive_ids,
    split_file_duplicates,
    stores_to_create,
    unknown_store_rejects,
)
from cx.ingest.readers import RawTable, UnreadableFileError, read_table
from cx.ingest.schema import DERIVABLE_IDS, UNASSIGNED_REGION
from cx.ingest.validate import MISSING_SPELLINGS, ScaleMismatchError, ValidatedRows, validate_rows
from cx.ingest.wording import COMMAND_LINE, Remedies, describe_changes, plural, share_rejected
from cx.ingest.writer import Progress, UpdatesRefused, write_batch
from cx.present.exports import to_csv_bytes
from cx.store.catalogue import canonical_touchpoint_names
from cx.store.customers import forgotten_among
from cx.store.models import Store, Touchpoint

REJECT_COLUMNS = ["row", "column", "value", "reason"]


class ImportFailed(ValueError):
    """The batch was not loaded; ``summary`` says how far it got and ``str()`` says why."""

    def __init__(self, message: str, summary: ImportSummary):
        super().__init__(message)
        self.summary = summary


@dataclass
class ImportOptions:
    mapping: dict[str, str] = field(default_factory=dict)  # --map SOURCE=FIELD
    constants: dict[str, str] = field(default_factory=dict)  # --set FIELD=VALUE
    encoding: str | None = None
    date_format: str | None = None
    as_of: dt.date | None = None
    rescale: dict[str, tuple[float, float]] = field(default_factory=dict)
    create_stores: bool = False
    strict: bool = False
    allow_updates: bool = False  # with strict: a stores file may change existing stores


@dataclass
class ImportSummary:
    kind: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    rows_updated: int = 0
    changes: list[dict] = field(default_factory=list)  # store_id, field, from, to per changed attribute
    rejects_file: str | None = None
    batch_id: int | None = None
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    rejects: pd.DataFrame | None = field(default=None, repr=False)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("rejects")
        if data["error"] is None:
            data.pop("error")
        return data


def load_file(
    engine: Engine,
    kind: str,
    path: Path,
    options: ImportOptions,
    *,
    reports_dir: Path,
    progress: Progress | None = None,
    remedies: Remedies = COMMAND_LINE,
    imported_by: str | None = None,
    limits: Limits | None = None,
) -> ImportSummary:
    """Import one CSV/XLSX file of ``kind``; raises :class:`ImportFailed` when nothing was loaded."""
    content = Path(path).read_bytes()
    return load_bytes(
        engine, kind, content, options, file_name=str(path), reports_dir=reports_dir, progress=progress,
        remedies=remedies, imported_by=imported_by, limits=limits,
    )  # fmt: skip


def load_bytes(
    engine: Engine,
    kind: str,
    content: bytes,
    options: ImportOptions,
    *,
    file_name: str,
    reports_dir: Path,
    progress: Progress | None = None,
    remedies: Remedies = COMMAND_LINE,
    imported_by: str | None = None,
    limits: Limits | None = None,
) -> ImportSummary:
    """Import file ``content`` (as uploaded in the browser or read from disk); ``remedies`` words the
    advice in messages for the caller's controls; ``imported_by`` is who (default: the OS user);
    ``limits`` what is accepted (default: :meth:`Limits.from_env`)."""
    limits = limits or Limits.from_env()
    summary = ImportSummary(kind=kind, file=file_name)
    try:
        table = read_table(
            content, file_name=file_name, encoding=options.encoding, remedies=remedies, limits=limits
        )
    except UnreadableFileError as error:
        raise _failed(summary, str(error)) from None
    sha256 = hashlib.sha256(content).hexdigest()
    return _load_table(
        engine, kind, table, options, summary, sha256, reports_dir, progress, remedies, imported_by, limits
    )


def load_frame(
    engine: Engine, kind: str, frame: pd.DataFrame, options: ImportOptions, *, name: str, reports_dir: Path
) -> ImportSummary:
    """Import an in-memory frame in a canonical format (the demo brand, generated test data)."""
    strings = frame.astype(object).where(frame.notna(), "").astype("str")
    content = strings.to_csv(index=False).encode()
    table = RawTable(
        frame=strings.reset_index(drop=True),
        row_numbers=np.arange(2, len(frame) + 2),
        encoding="utf-8",
        encoding_detected=False,
        malformed=[],
    )
    summary = ImportSummary(kind=kind, file=name)
    sha256 = hashlib.sha256(content).hexdigest()
    return _load_table(engine, kind, table, options, summary, sha256, reports_dir, None, COMMAND_LINE)


def preview_mapping(
    kind: str, columns: list[str], options: ImportOptions, *, remedies: Remedies = COMMAND_LINE
) -> ColumnMapping:
    """The column mapping an import with these options would use (for the Data page)."""
    return map_columns(
        columns,
        kind,
        overrides=options.mapping,
        constants=options.constants,
        create_stores=options.create_stores,
        remedies=remedies,
    )


def _load_table(
    engine, kind, table: RawTable, options: ImportOptions, summary, sha256, reports_dir, progress, remedies,
    imported_by=None, limits: Limits = DEFAULT_LIMITS,
):  # fmt: skip
    summary.rows_read = table.rows
    if table.encoding_detected and table.encoding not in ("utf-8", "utf-8-sig", "xlsx"):
        summary.notices.append(f"encoding detected as {table.encoding}; {remedies.encoding}")
    mapping, strings = _mapped_strings(kind, table, options, summary, remedies)
    try:
        checked = validate_rows(
            strings, table.row_numbers, mapping, rescale=options.rescale, date_format=options.date_format,
            as_of=options.as_of, remedies=remedies, limits=limits, padded=_padded(table, mapping),
        )  # fmt: skip
    except (ScaleMismatchError, ValueError) as error:
        raise _failed(summary, str(error)) from None
    summary.notices += checked.notices

    plan, rejects = _plan(engine, kind, checked, table, mapping, options, remedies)
    summary.notices += plan.notices
    summary.rows_rejected = rejects["row"].nunique() if len(rejects) else 0
    summary.rejects = rejects[REJECT_COLUMNS]
    if len(rejects):
        summary.rejects_file = str(_write_rejects(rejects[REJECT_COLUMNS], reports_dir, kind, summary.file))
    if options.strict and summary.rows_rejected:
        rejected = share_rejected(summary.rows_rejected, summary.rows_read)
        raise _failed(summary, remedies.strict.format(rejected=rejected, rejects_file=summary.rejects_file))
    if len(table.frame) == 0 and not table.malformed:  # nothing to record: no batch, no new data version
        summary.notices.append("nothing loaded: the file has a header but no data rows")
        return summary
    try:
        result = write_batch(
            engine, plan, file_name=summary.file, sha256=sha256, rows_read=summary.rows_read,
            rows_rejected=summary.rows_rejected, options=_recorded_options(options), progress=progress,
            imported_by=imported_by, refuse_updates=options.strict and not options.allow_updates,
        )  # fmt: skip
    except UpdatesRefused as refused:
        summary.changes = refused.changes
        raise _failed(summary, remedies.updates.format(changes=describe_changes(refused.changes))) from None
    summary.batch_id = result.batch_id
    summary.rows_loaded = result.loaded
    summary.rows_duplicate = result.duplicate
    summary.rows_updated = result.updated
    summary.changes = result.changes
    return summary


def _mapped_strings(
    kind, table: RawTable, options: ImportOptions, summary: ImportSummary, remedies: Remedies
) -> tuple[ColumnMapping, pd.DataFrame]:
    """The file's columns as canonical fields (strings), store defaults filled and ids derived."""
    try:
        mapping = preview_mapping(kind, list(table.frame.columns), options, remedies=remedies)
    except ColumnMappingError as error:
        raise _failed(summary, str(error)) from None
    summary.notices.append(mapping.describe())
    if mapping.unused:
        summary.notices.append("columns not used: " + ", ".join(mapping.unused))
    strings = apply_mapping(table.frame, mapping)
    if kind == "stores":
        summary.notices += _fill_store_defaults(strings)
    id_field = DERIVABLE_IDS.get(kind)
    if id_field and id_field not in strings:
        strings[id_field] = derive_ids(strings, kind)
        mapping.sources[id_field] = f"{id_field} (derived from row content)"
        summary.notices.append(
            f"no {id_field} column: ids derived from each row's content, so re-imports stay idempotent"
        )
    return mapping, strings


def _plan(
    engine, kind, checked: ValidatedRows, table: RawTable, mapping, options, remedies: Remedies
) -> tuple[LoadPlan, pd.DataFrame]:
    values = checked.values
    rows = pd.Series(table.row_numbers, index=values.index)
    reject_parts = [checked.rejects, _malformed(table)]
    valid = values.loc[~checked.rejected]
    if checked.precision is not None:
        valid = valid.assign(date_precision=checked.precision.loc[valid.index])
    exact, conflicts = split_file_duplicates(valid, rows.loc[valid.index], kind)
    reject_parts.append(conflicts)
    valid = valid.loc[~exact & ~valid.index.isin(conflicts["frame_index"])]
    plan = LoadPlan(kind=kind, facts=valid, duplicates_in_file=int(exact.sum()))

    known = _known(engine, Store.store_id)
    lookalikes = case_lookalikes(valid["store_id"], known) if "store_id" in valid else []
    if lookalikes:
        plan.notices.append("store ids that differ from another only by case, read as different stores: "
                            + "; ".join(lookalikes))  # fmt: skip
    if kind not in ("stores", "customers"):
        if options.create_stores:
            plan.new_stores = stores_to_create(valid, known)
            if len(plan.new_stores):
                plan.notices.append(f"{plural(len(plan.new_stores), 'new store')} created from the file")
        else:
            source = mapping.sources.get("store_id", "store_id")
            unknown = unknown_store_rejects(
                valid, rows.loc[valid.index], known, source, remedies.create_stores
            )
            reject_parts.append(unknown)
            valid = valid.loc[~valid.index.isin(unknown["frame_index"])]
    if "touchpoint" in valid:
        valid["touchpoint"] = canonical_touchpoint_names(valid["touchpoint"])
        new = sorted(set(valid["touchpoint"].dropna()) - _known(engine, Touchpoint.name))
        if new:
            plan.notices.append("new touchpoints without a journey stage: " + ", ".join(new))
    if kind == "reviews" and "language" not in mapping.sources and "language" not in mapping.constants:
        valid["language"] = detect_language(valid["text"].fillna("")) if "text" in valid else None
        valid["language"] = valid["language"].replace("", None)
    if kind == "sales":
        valid["date"] = _iso_dates(valid["date"])
        if "transactions" in valid:
            valid["transactions"] = valid["transactions"].round().astype("Int64")
    if kind == "nps":
        valid["score"] = valid["score"].astype("int64")
    if kind == "surveys":
        plan.attributes = attribute_ratings(valid)
    if kind == "customers":
        forgotten = forgotten_among(engine, valid["customer_id"])
        if forgotten.any():
            valid = valid.loc[~forgotten]
            plan.notices.append(
                f"{plural(int(forgotten.sum()), 'customer')} not loaded: forgotten at their request"
            )
    if kind == "customers" and "signed_up_at" in valid:
        valid["signed_up_at"] = _iso_dates(valid["signed_up_at"]).where(valid["signed_up_at"].notna(), None)
    if kind == "transactions" and "items" in valid:
        valid["items"] = valid["items"].round().astype("Int64")
    valid, notices = hash_customer_keys(engine, kind, valid, rows)
    plan.notices += notices
    plan.facts = valid
    rejects = (
        pd.concat([part for part in reject_parts if len(part)], ignore_index=True)
        if any(len(part) for part in reject_parts)
        else pd.DataFrame(columns=["frame_index", *REJECT_COLUMNS])
    )
    return plan, rejects.sort_values(["row", "column"], kind="stable")


def _padded(table: RawTable, mapping: ColumnMapping) -> pd.DataFrame | None:
    """Which cells of each field read from a column had white space around them in the file."""
    if table.padded is None:
        return None
    sources = {name: source for name, source in mapping.sources.items() if source in table.padded}
    return pd.DataFrame({name: table.padded[source] for name, source in sources.items()})


def _fill_store_defaults(strings: pd.DataFrame) -> list[str]:
    """Stores without a region go to "Unassigned"; stores without a name are named by their id."""
    notices = []
    blank = strings["region"].isin(MISSING_SPELLINGS | {""})
    if blank.any():
        strings.loc[blank, "region"] = UNASSIGNED_REGION
        notices.append(
            f"{plural(int(blank.sum()), 'store')} without a region placed in {UNASSIGNED_REGION!r}"
        )
    if "name" not in strings:
        strings["name"] = strings["store_id"]
        notices.append("no name column: store ids used as names")
    else:
        unnamed = strings["name"].eq("")
        strings.loc[unnamed, "name"] = strings.loc[unnamed, "store_id"]
    return notices


def _known(engine: Engine, column) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(column)).scalars())


def _malformed(table: RawTable) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frame_index": [-1] * len(table.malformed),
            "row": [row for row, _ in table.malformed],
            "column": "",
            "value": "",
            "reason": [reason for _, reason in table.malformed],
        }
    )


def _iso_dates(values: pd.Series) -> pd.Series:
    text = np.datetime_as_string(values.to_numpy(dtype="datetime64[D]"), unit="D")
    return pd.Series(text, index=values.index, dtype=object)


def _write_rejects(rejects: pd.DataFrame, reports_dir: Path, kind: str, file_name: str) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", Path(file_name).stem)[:60] or "file"
    path = reports_dir / f"{dt.datetime.now():%Y%m%d-%H%M%S-%f}-{kind}-{stem}.rejects.csv"
    path.write_bytes(to_csv_bytes(rejects))
    return path


def _recorded_options(options: ImportOptions) -> dict:
    return {k: v for k, v in asdict(options).items() if v not in (None, False, {}, [])}


def _failed(summary: ImportSummary, message: str) -> ImportFailed:
    summary.error = message
    return ImportFailed(message, summary)
