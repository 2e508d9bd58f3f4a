"""Bad input: every file in ``tests/data/bad/`` goes through ``cx load``, then the database is checked.

Each case states the exit code, the counts of the JSON summary, the ids that must be in the database
afterwards, the spreadsheet rows that must be rejected and phrases that the error (exit 1) or the
reject reasons (exit 0) must contain. A few files are written at run time because committing them is
awkward: a 100 kB text cell and a real workbook.

Every case runs on SQLite and PostgreSQL (``database_url``). Before each case the small valid stores
file ``_stores_ok.csv`` (S1, S2, S3) is loaded, so fact rows have stores to point to.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BAD_DIR = Path(__file__).resolve().parent / "data" / "bad"
STORES_OK = BAD_DIR / "_stores_ok.csv"

COUNTED_TABLES = (
    "store",
    "nps_response",
    "survey_response",
    "survey_attribute",
    "review",
    "sales",
    "import_batch",
)
FACT_TABLE = {
    "stores": "store",
    "nps": "nps_response",
    "surveys": "survey_response",
    "reviews": "review",
    "sales": "sales",
}
# How a loaded row is named in ``Case.ids``: its natural key.
KEY_SQL = {
    "stores": "SELECT store_id FROM store WHERE batch_id = :batch",
    "nps": "SELECT response_id FROM nps_response WHERE batch_id = :batch",
    "surveys": "SELECT response_id FROM survey_response WHERE batch_id = :batch",
    "reviews": "SELECT review_id FROM review WHERE batch_id = :batch",
    "sales": "SELECT store_id, date FROM sales WHERE batch_id = :batch",
}
SUMMARY_KEYS = {
    "kind",
    "file",
    "rows_read",
    "rows_loaded",
    "rows_duplicate",
    "rows_rejected",
    "rejects_file",
    "batch_id",
}
REJECT_COLUMNS = ["row", "column", "value", "reason"]
FORMULA_PREFIXES = ("=", "+", "-", "@")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")  # a spreadsheet reads it as the number it is

LONG_STORE_ID = "S" + "9" * 100  # 101 characters
LONG_REVIEW_ID = "R" + "x" * 100  # 101 characters
EXACT_REVIEW_ID = "R" + "y" * 99  # 100 characters: still fine


# --- database access ------------------------------------------------------------------------------


def fetch(url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in COUNTED_TABLES
            }
    finally:
        engine.dispose()


def column_by_id(url: str, table: str, id_column: str, column: str) -> dict[str, object]:
    return dict(fetch(url, f"SELECT {id_column}, {column} FROM {table}"))


# --- files written at run time ------------------------------------------------------------------


def _big_text(unit: str, size: int = 102_400) -> str:
    body = (unit * (size // len(unit) + 1))[: size - 1].rstrip()
    return body + "."


BIG_REVIEW_TEXT = _big_text('The queue was long, the staff "very" kind; coffee hot and fresh. ')
BIG_NPS_COMMENT = _big_text('الخدمة ممتازة, but parking is hard to find; staff said: "sorry". ')


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _reviews_100kb_text(path: Path) -> None:
    _write_csv(
        path,
        [
            ["review_id", "store_id", "posted_at", "rating", "text"],
            ["R1", "S1", "2024-03-01", "4", BIG_REVIEW_TEXT],
            ["R2", "S2", "2024-03-02", "5", "Short and sweet"],
        ],
    )


def _nps_100kb_comment(path: Path) -> None:
    _write_csv(
        path,
        [
            ["response_id", "store_id", "responded_at", "score", "comment"],
            ["N1", "S1", "2024-03-01", "8", BIG_NPS_COMMENT],
            ["N2", "S2", "2024-03-02", "11", "Outside the scale"],
        ],
    )


def _surveys_xlsx_csat_6(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["response_id", "store_id", "responded_at", "touchpoint", "csat", "comment"])
    sheet.append(["V1", "S1", dt.datetime(2024, 3, 1, 10, 30), "Checkout", 5, "Fast"])
    sheet.append(["V2", "S2", dt.datetime(2024, 3, 2, 12, 0), "Website", 6, "Six is too high"])
    sheet.append(["V3", "S3", dt.datetime(2024, 3, 3, 9, 15), "Delivery", 4, "On time"])
    workbook.save(path)


def _nps_million_columns(path: Path) -> None:
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n")


def _nps_2mb_cell(path: Path) -> None:
    path.write_text(
        "response_id,store_id,responded_at,score,comment\nN1,S1,2024-03-01,9," + "x" * 2_000_000 + "\n"
    )


GENERATED: dict[str, Callable[[Path], None]] = {
    "reviews_100kb_text.csv": _reviews_100kb_text,
    "nps_100kb_comment.csv": _nps_100kb_comment,
    "nps_1000000_columns.csv": _nps_million_columns,
    "nps_2mb_cell.csv": _nps_2mb_cell,
    "surveys_xlsx_csat_6.xlsx": _surveys_xlsx_csat_6,
}


def materialise(name: str, tmp_path: Path) -> Path:
    if name in GENERATED:
        path = tmp_path / "generated" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        GENERATED[name](path)
        return path
    path = BAD_DIR / name
    assert path.exists(), f"corpus file {name} is missing"
    return path


# --- checks of values stored verbatim -----------------------------------------------------------


def verify_formula_comments(url: str) -> None:
    comments = column_by_id(url, "nps_response", "response_id", "comment")
    assert comments["N1"] == '=HYPERLINK("http://example.com","click")'
    assert comments["N2"] == "@SUM(A1:A9)"
    assert comments["N3"] == "+call me back"
    assert comments["N6"] == "-2 stars if I could"


def verify_big_review_text(url: str) -> None:
    texts = column_by_id(url, "review", "review_id", "text")
    assert len(texts["R1"]) == len(BIG_REVIEW_TEXT) >= 100_000
    assert texts["R1"] == BIG_REVIEW_TEXT


def verify_big_nps_comment(url: str) -> None:
    comments = column_by_id(url, "nps_response", "response_id", "comment")
    assert len(comments["N1"]) == len(BIG_NPS_COMMENT) >= 100_000
    assert comments["N1"] == BIG_NPS_COMMENT


def verify_windows_1252(url: str) -> None:
    comments = column_by_id(url, "nps_response", "response_id", "comment")
    assert comments == {
        "N1": "Café crème très bon – 3,50 €",
        "N2": "Señora Müller war sehr freundlich; große Auswahl",
        "N3": "«Trop d’attente» à la caisse",
    }


def verify_windows_1256(url: str) -> None:
    texts = column_by_id(url, "review", "review_id", "text")
    assert texts == {
        "R1": "الخدمة ممتازة والموظفون لطفاء",
        "R2": "الانتظار طويل عند الدفع",
        "R3": "المتجر نظيف ومرتب",
    }


def verify_arabic_utf8(url: str) -> None:
    texts = column_by_id(url, "review", "review_id", "text")
    assert texts == {
        "R1": "خدمة سريعة وقهوة لذيذة",
        "R2": "المكان مزدحم، لكن الموظفين متعاونين",
        "R3": "سيء جدا 😞",
    }


def verify_utf16_without_mark(url: str) -> None:
    texts = column_by_id(url, "review", "review_id", "text")
    assert texts == {"R1": "خدمة ممتازة", "R2": "Très bien, merci"}


def verify_ids_and_names(url: str) -> None:
    """The full-width id is read as ST54; the right-to-left override is gone from the region's name."""
    rows = fetch(url, "SELECT store.store_id, region.name FROM store JOIN region ON region.id = store.region_id "
                      "WHERE store.store_id IN ('S50', 'ST54') ORDER BY store.store_id")  # fmt: skip
    assert rows == [("S50", "North"), ("ST54", "Region")]


def verify_utf16(url: str) -> None:
    comments = column_by_id(url, "survey_response", "response_id", "comment")
    assert comments == {"V1": "Très bien", "V2": "ممتاز", "V3": "Zu spät geliefert"}


def verify_store_alias(url: str) -> None:
    stores = column_by_id(url, "nps_response", "response_id", "store_id")
    assert stores == {"N1": "S1", "N2": "S2", "N3": "S3"}


def verify_semicolons(url: str) -> None:
    rows = fetch(url, "SELECT response_id, score, comment FROM nps_response ORDER BY response_id")
    assert rows == [
        ("N1", 9, "Fast, friendly"),
        ("N2", 8, "Clean store"),
        ("N3", 4, "Long queue, no bags"),
    ]


def verify_names_default_to_ids(url: str) -> None:
    names = column_by_id(url, "store", "store_id", "name")
    assert names["S40"] == "S40" and names["S41"] == "S41"


def verify_rescaled_csat(url: str) -> None:
    csat = column_by_id(url, "survey_response", "response_id", "csat")
    assert all(1 <= value <= 5 for value in csat.values())
    assert csat["V1"] == pytest.approx(1)
    assert csat["V3"] == pytest.approx(5)
    assert csat["V2"] == pytest.approx(1 + (7 - 1) * 4 / 9)


def verify_multiline_text(url: str) -> None:
    texts = column_by_id(url, "review", "review_id", "text")
    assert texts["R1"] == "First line\nsecond line\nthird line"


def verify_created_stores(url: str) -> None:
    names = dict(fetch(url, "SELECT store_id, name FROM store WHERE store_id IN ('S98', 'S99')"))
    assert names == {"S98": "S98", "S99": "S99"}
    regions = fetch(
        url,
        "SELECT region.name FROM store JOIN region ON region.id = store.region_id "
        "WHERE store.store_id IN ('S98', 'S99')",
    )
    assert all("unassigned" in name.lower() for (name,) in regions)


def verify_nullable_measures(url: str) -> None:
    rows = fetch(url, "SELECT store_id, revenue, transactions FROM sales ORDER BY store_id")
    assert rows == [("S1", 1000.0, 50), ("S3", 250.0, None)]


# --- the cases ----------------------------------------------------------------------------------

EMPTY = ("empty", "missing", "required")  # any of these words
NOT_A_NUMBER = ("not a number", "not numeric", "non-numeric")


@dataclass
class Case:
    file: str
    kind: str
    exit_code: int | tuple[int, ...] = 0
    ids: tuple[str, ...] = ()  # natural keys in the database afterwards (sales: "store_id/date")
    reject_rows: tuple[int, ...] = ()  # spreadsheet rows (header = 1) in the rejects export
    duplicate: int = 0
    phrases: tuple[str | tuple[str, ...], ...] = ()  # each: a phrase, or a tuple of alternatives
    options: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict)  # other table growth (store, survey_attribute)
    exported: dict[int, str] = field(default_factory=dict)  # row -> neutralised value in the export
    verify: Callable[[str], None] | None = None
    label: str = ""
    batch: bool = True  # exit 0 records a batch (False: a file with nothing to load records none)

    @property
    def id(self) -> str:
        return self.label or Path(self.file).stem

    @property
    def loaded(self) -> int:
        return len(self.ids)

    @property
    def rejected(self) -> int:
        return len(self.reject_rows)


CASES = [
    # Unusable files: exit 1, nothing loaded, no batch recorded.
    Case("stores_missing_store_id_column.csv", "stores", 1, phrases=("required column", "store_id")),
    Case("stores_missing_name_column.csv", "stores", ids=("S40", "S41"), verify=verify_names_default_to_ids),
    Case("nps_missing_score_column.csv", "nps", 1, phrases=("required column", "score")),
    Case("surveys_missing_csat_column.csv", "surveys", 1, phrases=("required column", "csat")),
    Case("reviews_missing_rating_column.csv", "reviews", 1, phrases=("required column", "rating")),
    Case("sales_missing_date_column.csv", "sales", 1, phrases=("required column", "date")),
    Case("sales_no_measure_column.csv", "sales", 1, phrases=("revenue", "transactions")),
    Case("nps_duplicate_column_names.csv", "nps", 1, phrases=(("duplicate", "more than once"), "score")),
    Case("nps_empty_file.csv", "nps", 1, phrases=("empty",)),
    # Files put together from two encodings: refused, naming a line of each and both encodings.
    Case(
        "nps_mixed_utf8_cp1252.csv",
        "nps",
        1,
        phrases=("mixes two encodings", "line 2 in UTF-8", "line 4", "Windows-1252", "--encoding utf-8"),
    ),
    Case(
        "reviews_mixed_utf8_cp1256.csv",
        "reviews",
        1,
        phrases=("mixes two encodings", "line 2 in UTF-8", "line 3", "Windows-1256", "--encoding cp1256"),
    ),
    # Files built to exhaust memory: refused before they are split into cells.
    Case("nps_1000000_columns.csv", "nps", 1, phrases=("1,000,000 columns", "at most 500")),
    Case("nps_2mb_cell.csv", "nps", 1, phrases=("line 2", "1,953 kB", "at most 256 kB")),
    Case("reviews_binary_garbage.csv", "reviews", 1),
    Case(
        "nps_wrong_encoding_forced_utf8.csv",
        "nps",
        1,
        options=("--encoding", "utf-8"),
        phrases=(("utf-8", "utf8"),),
        label="nps_wrong_encoding_forced_utf8-forced",
    ),
    Case(
        "surveys_csat_on_1_10_scale.csv",
        "surveys",
        1,
        phrases=("csat", "1-10", "--rescale csat=1-10"),
    ),
    # A text file named .xlsx: either read as the text it is, or refused with a clear message.
    Case("reviews_xlsx_really_text.xlsx", "reviews", (0, 1), ids=("R1", "R2")),
    # Header only: nothing loaded and nothing recorded (no batch), exit 0.
    Case("nps_header_only.csv", "nps", 0, phrases=("header but no data rows",), batch=False),
    Case("nps_header_only_no_ids.csv", "nps", 0, phrases=("header but no data rows",), batch=False),
    # Row-level rejects: valid rows load, each bad row is reported.
    Case(
        "nps_score_not_a_number.csv",
        "nps",
        ids=("N1", "N3", "N5"),
        reject_rows=(3, 5),
        phrases=("score", NOT_A_NUMBER),
    ),
    Case(
        "sales_revenue_not_a_number.csv",
        "sales",
        ids=("S1/2024-03-01", "S2/2024-03-01"),
        reject_rows=(3,),
        phrases=("revenue", NOT_A_NUMBER),
    ),
    Case(
        "nps_score_11_and_minus_1.csv",
        "nps",
        ids=("N1", "N3", "N5", "N6"),
        reject_rows=(3, 5),
        phrases=("score", "outside 0-10"),
        exported={5: "-1"},
    ),
    Case("nps_score_7_5.csv", "nps", ids=("N2", "N3"), reject_rows=(2,), phrases=("whole number",)),
    Case(
        "reviews_rating_0.csv",
        "reviews",
        ids=("R1", "R3", "R4"),
        reject_rows=(3,),
        phrases=("rating", "outside 1-5"),
    ),
    Case(
        "surveys_csat_6.csv",
        "surveys",
        ids=("V1", "V3", "V4", "V5"),
        reject_rows=(3,),
        phrases=("csat", "outside 1-5"),
    ),
    Case(
        "surveys_ces_8.csv",
        "surveys",
        ids=("V1", "V3", "V4"),
        reject_rows=(3,),
        phrases=("ces", "outside 1-7"),
    ),
    Case(
        "surveys_attribute_0.csv",
        "surveys",
        ids=("V1", "V3", "V4"),
        reject_rows=(3,),
        phrases=("cleanliness", "outside 1-5"),
        extra={"survey_attribute": 6},
    ),
    Case(
        "surveys_csat_on_1_10_scale.csv",
        "surveys",
        ids=("V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8"),
        options=("--rescale", "csat=1-10"),
        verify=verify_rescaled_csat,
        label="surveys_csat_on_1_10_scale-rescaled",
    ),
    Case(
        "sales_negative_revenue.csv",
        "sales",
        ids=("S1/2024-03-01", "S3/2024-03-01"),
        reject_rows=(3,),
        phrases=("revenue",),
        exported={3: "-50"},
    ),
    Case(
        "sales_transactions_2_5.csv",
        "sales",
        ids=("S1/2024-03-01", "S2/2024-03-01"),
        reject_rows=(3,),
        phrases=("transactions", "whole number"),
    ),
    Case(
        "stores_latitude_out_of_range.csv",
        "stores",
        ids=("S20", "S23"),
        reject_rows=(3, 4),
        phrases=("latitude",),
        exported={4: "-91"},
    ),
    Case(
        "nps_unparseable_dates.csv",
        "nps",
        ids=("N1", "N3", "N5", "N6"),
        reject_rows=(3, 5),
        phrases=("responded_at", "not a date"),
    ),
    Case(
        "reviews_future_dates.csv",
        "reviews",
        ids=("R1", "R3"),
        reject_rows=(3, 5),
        phrases=("posted_at", "in the future"),
    ),
    Case(
        "nps_unknown_store.csv",
        "nps",
        ids=("N1", "N3"),
        reject_rows=(3, 5),
        phrases=("unknown store",),
    ),
    Case(
        "nps_unknown_store.csv",
        "nps",
        ids=("N1", "N2", "N3", "N4"),
        options=("--create-stores",),
        extra={"store": 2},
        verify=verify_created_stores,
        label="nps_unknown_store-create_stores",
    ),
    Case("nps_duplicate_id_same_content.csv", "nps", ids=("N1", "N2", "N3"), duplicate=1),
    Case(
        "nps_duplicate_id_different_content.csv",
        "nps",
        ids=("N1", "N2", "N3"),
        reject_rows=(4,),
        phrases=("row 2",),
    ),
    Case(
        "sales_duplicate_store_date_different_content.csv",
        "sales",
        ids=("S1/2024-03-01", "S1/2024-03-02", "S2/2024-03-01"),
        reject_rows=(4,),
        duplicate=1,
        phrases=("row 2",),
    ),
    Case(
        "nps_empty_required_values.csv",
        "nps",
        ids=("N1", "N5"),
        reject_rows=(3, 4, 5),
        phrases=(EMPTY,),
    ),
    Case(
        "reviews_id_over_100_chars.csv",
        "reviews",
        ids=("R1", EXACT_REVIEW_ID),
        reject_rows=(3,),
        phrases=("review_id", "100"),
    ),
    Case(
        "nps_malformed_too_many_fields.csv",
        "nps",
        ids=("N1", "N2", "N4"),
        reject_rows=(4, 6),
        phrases=("field",),
    ),
    Case(
        "reviews_multiline_text_then_bad_rating.csv",
        "reviews",
        ids=("R1", "R3"),
        reject_rows=(3,),
        phrases=("outside 1-5",),
        verify=verify_multiline_text,
    ),
    Case(
        "nps_formula_cells.csv",
        "nps",
        ids=("N1", "N2", "N3", "N6"),
        reject_rows=(5, 6),
        phrases=(NOT_A_NUMBER, "unknown store"),
        exported={5: "'=SUM(X:Y)", 6: "'@evil"},
        verify=verify_formula_comments,
    ),
    Case("reviews_100kb_text.csv", "reviews", ids=("R1", "R2"), verify=verify_big_review_text),
    Case(
        "nps_100kb_comment.csv",
        "nps",
        ids=("N1",),
        reject_rows=(3,),
        phrases=("outside 0-10",),
        verify=verify_big_nps_comment,
    ),
    # Odd but valid files: they load whole, values verbatim.
    Case(
        "nps_wrong_encoding_forced_utf8.csv",
        "nps",
        ids=("N1", "N2", "N3"),
        verify=verify_windows_1252,
        label="nps_wrong_encoding_forced_utf8-detected",
    ),
    Case("reviews_arabic_windows1256.csv", "reviews", ids=("R1", "R2", "R3"), verify=verify_windows_1256),
    Case("reviews_arabic_utf8.csv", "reviews", ids=("R1", "R2", "R3"), verify=verify_arabic_utf8),
    Case("surveys_utf16.csv", "surveys", ids=("V1", "V2", "V3"), verify=verify_utf16),
    Case("reviews_utf16le_no_bom.csv", "reviews", ids=("R1", "R2"), verify=verify_utf16_without_mark),
    # Look-alike ids: invisible characters and white space are refused, full-width forms read as ASCII.
    Case(
        "stores_invisible_and_padded_ids.csv",
        "stores",
        ids=("S50", "ST54"),
        reject_rows=(3, 4, 5),
        phrases=("invisible character", "U+200B", "U+202E", "white space"),
        verify=verify_ids_and_names,
    ),
    Case(
        "nps_store_id_differs_by_case.csv",
        "nps",
        ids=("N1",),
        reject_rows=(3,),
        phrases=("unknown store", "store 'S1' exists"),
    ),
    Case(
        "nps_implausible_dates.csv",
        "nps",
        ids=("N3", "N4"),
        reject_rows=(2, 3),
        phrases=("before 1990-01-01",),
    ),
    Case("nps_excel_bom_store_id_alias.csv", "nps", ids=("N1", "N2", "N3"), verify=verify_store_alias),
    Case("nps_semicolon_separated.csv", "nps", ids=("N1", "N2", "N3"), verify=verify_semicolons),
    Case(
        "surveys_xlsx_csat_6.xlsx",
        "surveys",
        ids=("V1", "V3"),
        reject_rows=(3,),
        phrases=("csat", "outside 1-5"),
    ),
    # Mixed files: several kinds of bad rows next to good ones.
    Case(
        "nps_mixed_good_and_bad.csv",
        "nps",
        ids=("N1", "N4", "N8", "N9"),
        reject_rows=(3, 4, 6, 7, 8),
        phrases=(EMPTY, "outside 0-10", "unknown store", "not a date", "in the future"),
    ),
    Case(
        "surveys_mixed_good_and_bad.csv",
        "surveys",
        ids=("V1", "V7", "V8"),
        reject_rows=(3, 4, 5, 6, 7),
        phrases=("outside 1-5", "outside 1-7", "touchpoint", NOT_A_NUMBER),
        extra={"survey_attribute": 3},
    ),
    Case(
        "reviews_mixed_good_and_bad.csv",
        "reviews",
        ids=("R1", "R3", "R7"),
        reject_rows=(3, 5, 6, 7),
        duplicate=1,
        phrases=("outside 1-5", "unknown store", "not a date", "in the future"),
    ),
    Case(
        "sales_mixed_good_and_bad.csv",
        "sales",
        ids=("S1/2024-03-01", "S3/2024-03-01"),
        reject_rows=(3, 4, 5, 6),
        duplicate=1,
        phrases=("revenue", "whole number", "unknown store", "in the future"),
        exported={3: "-10"},
        verify=verify_nullable_measures,
    ),
    Case(
        "stores_mixed_good_and_bad.csv",
        "stores",
        ids=("S10", "S11", "S13"),  # S11 has no name: it is named by its id
        reject_rows=(4, 5, 7),
        phrases=("latitude", "100", "row 6"),
        exported={5: LONG_STORE_ID},
    ),
]

STRICT_CASES = [case for case in CASES if case.exit_code == 0 and case.reject_rows]


def _param(case: Case):
    return pytest.param(case, id=case.id)


# --- running the CLI in-process -----------------------------------------------------------------


@dataclass
class Result:
    code: int
    summary: dict
    stderr: str


def run_load(capsys, kind: str, path: Path, url: str, *options: str) -> Result:
    from cx.cli import main

    capsys.readouterr()
    try:
        code = main(["load", kind, str(path), "--db", url, "--json", "--no-prepare", *options])
    except SystemExit as exit_:  # an exit raised instead of returned is still an exit code
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err, f"traceback printed:\n{out}\n{err}"
    try:
        summary = json.loads(out)
    except json.JSONDecodeError as error:
        pytest.fail(f"stdout is not exactly one JSON object ({error}): {out!r}")
    assert isinstance(summary, dict), out
    missing = SUMMARY_KEYS - summary.keys()
    assert not missing, f"summary lacks {sorted(missing)}"
    assert summary["kind"] == kind
    return Result(code, summary, err)


def load_known_stores(capsys, url: str) -> None:
    result = run_load(capsys, "stores", STORES_OK, url)
    assert result.code == 0, result.stderr
    assert result.summary["rows_loaded"] == 3


def _matches(phrase: str | tuple[str, ...], haystack: str) -> bool:
    alternatives = (phrase,) if isinstance(phrase, str) else phrase
    return any(alternative.lower() in haystack.lower() for alternative in alternatives)


def read_rejects(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def loaded_keys(url: str, kind: str, batch_id: int) -> set[str]:
    rows = fetch(url, KEY_SQL[kind], batch=batch_id)
    if kind == "sales":
        return {f"{store_id}/{str(date)[:10]}" for store_id, date in rows}
    return {key for (key,) in rows}


def assert_nothing_changed(before: dict[str, int], after: dict[str, int]) -> None:
    assert after == before, "the database changed although the batch was refused"


def assert_refused(result: Result) -> None:
    """Exit 1: an error sentence in the summary and on stderr, no batch, nothing loaded."""
    assert result.code == 1, result.summary
    assert result.summary["batch_id"] is None
    assert result.summary["rows_loaded"] == 0
    assert isinstance(result.summary.get("error"), str) and result.summary["error"].strip()
    assert result.stderr.strip(), "exit 1 must say why on stderr"


# --- the tests ----------------------------------------------------------------------------------


def test_corpus_is_complete():
    committed = {path.name for path in BAD_DIR.iterdir() if not path.name.startswith("_")}
    used = {case.file for case in CASES}
    assert committed <= used, f"files without a case: {sorted(committed - used)}"
    assert len(committed | set(GENERATED)) >= 35


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_bad_input(case: Case, database_url, capsys, tmp_path):
    load_known_stores(capsys, database_url)
    path = materialise(case.file, tmp_path)
    before = table_counts(database_url)

    result = run_load(capsys, case.kind, path, database_url, *case.options)
    after = table_counts(database_url)
    summary = result.summary

    allowed = case.exit_code if isinstance(case.exit_code, tuple) else (case.exit_code,)
    assert result.code in allowed, f"exit {result.code}: {summary} {result.stderr}"

    if result.code == 1:
        assert_refused(result)
        assert_nothing_changed(before, after)
        message = f"{summary['error']} {result.stderr}"
        for phrase in case.phrases:
            assert _matches(phrase, message), f"{phrase!r} not in {message!r}"
        return

    if not case.batch:
        assert summary["batch_id"] is None and summary["rows_loaded"] == 0
        assert_nothing_changed(before, after)
        notices = " ".join(summary["notices"])
        for phrase in case.phrases:
            assert _matches(phrase, notices), f"{phrase!r} not in {notices!r}"
        return

    # The batch committed: the summary adds up and the database holds exactly the valid rows.
    assert summary["batch_id"] is not None
    assert summary["rows_loaded"] == case.loaded
    assert summary["rows_rejected"] == case.rejected
    assert summary["rows_duplicate"] == case.duplicate
    assert summary["rows_read"] == case.loaded + case.rejected + case.duplicate

    expected = dict.fromkeys(COUNTED_TABLES, 0)
    expected["import_batch"] = 1
    expected[FACT_TABLE[case.kind]] += case.loaded
    for table, growth in case.extra.items():
        expected[table] += growth
    growth = {table: after[table] - before[table] for table in COUNTED_TABLES}
    assert growth == expected
    assert loaded_keys(database_url, case.kind, summary["batch_id"]) == set(case.ids)

    if case.verify is not None:
        case.verify(database_url)

    if not case.reject_rows:
        assert summary["rejects_file"] is None
        return

    assert summary["rejects_file"], "rows were rejected but no rejects file is named"
    header, rejects = read_rejects(summary["rejects_file"])
    assert header == REJECT_COLUMNS
    assert {int(reject["row"]) for reject in rejects} == set(case.reject_rows)
    for reject in rejects:
        for column, cell in reject.items():
            formula = cell.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(cell)
            assert not formula, f"{column} cell {cell!r} is not neutralised"
    for row, value in case.exported.items():
        values = [reject["value"] for reject in rejects if int(reject["row"]) == row]
        assert value in values, f"row {row}: expected value {value!r} in the export, got {values!r}"
    reasons = [f"{reject['column']} {reject['reason']}" for reject in rejects]
    for phrase in case.phrases:
        assert any(_matches(phrase, reason) for reason in reasons), f"{phrase!r} not in {reasons!r}"


@pytest.mark.parametrize("case", [_param(case) for case in STRICT_CASES])
def test_strict_loads_nothing(case: Case, database_url, capsys, tmp_path):
    load_known_stores(capsys, database_url)
    path = materialise(case.file, tmp_path)
    before = table_counts(database_url)

    result = run_load(capsys, case.kind, path, database_url, *case.options, "--strict")

    assert_refused(result)
    assert result.summary["rows_rejected"] == case.rejected
    assert_nothing_changed(before, table_counts(database_url))


def test_rejects_export_columns_and_rows(database_url, capsys):
    """The export names the spreadsheet row, the column, the raw value and the reason."""
    load_known_stores(capsys, database_url)
    result = run_load(capsys, "nps", BAD_DIR / "nps_score_11_and_minus_1.csv", database_url)
    assert result.code == 0
    header, rejects = read_rejects(result.summary["rejects_file"])
    assert header == REJECT_COLUMNS
    by_row = {int(reject["row"]): reject for reject in rejects}
    assert sorted(by_row) == [3, 5]
    assert by_row[3]["column"] == "score"
    assert by_row[3]["value"] == "11"
    assert "outside 0-10" in by_row[3]["reason"]
    assert by_row[5]["column"] == "score"
    assert by_row[5]["value"] == "-1"
    assert "outside 0-10" in by_row[5]["reason"]


def test_formula_cells_neutralised_only_in_the_export(database_url, capsys):
    load_known_stores(capsys, database_url)
    result = run_load(capsys, "nps", BAD_DIR / "nps_formula_cells.csv", database_url)
    assert result.code == 0
    _, rejects = read_rejects(result.summary["rejects_file"])
    by_row = {int(reject["row"]): reject for reject in rejects}
    assert by_row[5]["column"] == "score"
    assert by_row[5]["value"] == "'=SUM(X:Y)"
    assert by_row[6]["column"] == "store_id"
    assert by_row[6]["value"] == "'@evil"
    verify_formula_comments(database_url)


def test_refused_file_can_be_loaded_after_the_fix(database_url, capsys):
    """A refused batch leaves no trace: the same ids load cleanly afterwards."""
    load_known_stores(capsys, database_url)
    scale_file = BAD_DIR / "surveys_csat_on_1_10_scale.csv"
    refused = run_load(capsys, "surveys", scale_file, database_url)
    assert refused.code == 1
    strict = run_load(capsys, "nps", BAD_DIR / "nps_mixed_good_and_bad.csv", database_url, "--strict")
    assert strict.code == 1
    fixed = run_load(capsys, "surveys", scale_file, database_url, "--rescale", "csat=1-10")
    assert fixed.code == 0
    assert fixed.summary["rows_loaded"] == 8
    lenient = run_load(capsys, "nps", BAD_DIR / "nps_mixed_good_and_bad.csv", database_url)
    assert lenient.code == 0
    assert lenient.summary["rows_loaded"] == 4
    assert fetch(database_url, "SELECT COUNT(*) FROM import_batch") == [(3,)]
