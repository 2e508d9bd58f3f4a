"""CSV exports open in a spreadsheet as data: no cell is a formula, and numbers stay numbers.

The round trip uses LibreOffice (Debian's ``libreoffice-calc-nogui``): the CSV is converted to XLSX
by ``soffice --headless`` as Calc imports it (formulas evaluated), and every cell of the result is read
with openpyxl. Without ``soffice`` those tests are skipped with the reason; ``CX_REQUIRE_SPREADSHEET=1``
(set by CI) makes that a failure. Calc runs only cells starting with ``=``; Excel also runs ``+ - @``,
which :func:`leads_a_formula` checks on the CSV itself.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cx.present.exports import formula_like, neutralise_formulas, to_csv_bytes

SOFFICE = shutil.which("soffice")
REQUIRE_SPREADSHEET = os.environ.get("CX_REQUIRE_SPREADSHEET") == "1"
CONVERT_TIMEOUT = 120  # seconds; the first start of LibreOffice builds its profile
UTF8_CSV = "CSV:44,34,76,1"  # Calc's CSV import: comma, double quote, UTF-8, from line 1

DDE = "=cmd|' /C calc'!A0"
FORMULA_LIKE = [
    "=1+1", " =1+1", "\t=1+1", "\r=1+1", "\n=1+1", "\u00a0=1+1", "\u3000=1+1", "\u200b=1+1",
    "＝1+1", "＋1+1", "－1+1", "＠SUM(A1)", "=HYPERLINK(\"https://evil.example\",\"x\")", DDE,
    "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-5+cmd|' /C calc'!A0", "-", "\tx", "\rx",
    "cmd|' /C calc'!A0",
]  # fmt: skip
PLAIN = ["Delivery", "late again", "5", "-5", "+3.5", "-1e3", ".5", "x=1+1", "a|b", "AT&T", "'quoted"]


def leads_a_formula(cell: str) -> bool:
    """Excel's rule, written apart from the code under test: a cell runs as a formula when, after
    leading white space and in NFKC form, it starts with ``= + - @`` and is not a number."""
    start = unicodedata.normalize("NFKC", cell).lstrip().lstrip("\u200b")
    if not start[:1] or start[0] not in "=+-@":
        return False
    try:
        float(start)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_is_found(text):
    assert formula_like(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_and_plain_numbers_are_not_formulas(text):
    assert not formula_like(text)


def test_neutralised_cells_start_with_a_quote_and_numbers_never_change():
    frame = pd.DataFrame({"text": ["=1+1", "-5", "＝1", " @x", "ok", "\r=1"], "score": [-5, 3, -1, 0, 9, 2],
                          "mixed": [-5, "-5", "+cmd|' /C calc'!A0", 1.5, None, "-x"], "rate": [-0.5] * 6})  # fmt: skip
    safe = neutralise_formulas(frame.rename(columns={"rate": "=rate"}))
    assert safe["text"].tolist() == ["'=1+1", "-5", "'＝1", "' @x", "ok", "'\r=1"]
    assert safe["mixed"].tolist() == [-5, "-5", "'+cmd|' /C calc'!A0", 1.5, None, "'-x"]
    pd.testing.assert_series_equal(safe["score"], frame["score"])
    assert list(safe.columns) == ["text", "score", "mixed", "'=rate"]
    assert safe["'=rate"].tolist() == [-0.5] * 6


def export_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The exported CSV read back as text (the BOM dropped)."""
    return list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))


def attack_frame() -> pd.DataFrame:
    cells = FORMULA_LIKE + PLAIN
    return pd.DataFrame({"cell": cells, "n": range(len(cells)), "delta": [-1.5] * len(cells), "DDE": DDE})


def test_no_exported_cell_leads_a_formula():
    rows = export_rows(attack_frame())
    assert not [cell for row in rows for cell in row if leads_a_formula(cell)]
    assert rows[0] == ["cell", "n", "delta", "DDE"]
    cells = [row[0] for row in rows[1:]]
    assert cells == ["'" + cell for cell in FORMULA_LIKE] + PLAIN


# --- the round trip through a spreadsheet ---------------------------------------------------------


@pytest.fixture(scope="module")
def spreadsheet(tmp_path_factory):
    """``convert(csv_bytes) -> openpyxl worksheet``: the CSV as LibreOffice Calc opens it."""
    if SOFFICE is None:
        reason = "no soffice (on Debian: apt-get install libreoffice-calc-nogui)"
        if REQUIRE_SPREADSHEET:
            pytest.fail(f"{reason}; CX_REQUIRE_SPREADSHEET=1 makes this a failure")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("spreadsheet")
    profile = (folder / "profile").as_uri()  # its own profile: runs side by side do not share one

    def convert(content: bytes, name: str):
        source = folder / f"{name}.csv"
        source.write_bytes(content)
        subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                        f"--infilter={UTF8_CSV}", "--convert-to", "xlsx", "--outdir", str(folder), str(source)],
                       check=True, capture_output=True, timeout=CONVERT_TIMEOUT)  # fmt: skip
        return openpyxl.load_workbook(Path(folder / f"{name}.xlsx")).active

    return convert


def test_the_spreadsheet_runs_an_unneutralised_formula(spreadsheet):
    """The check sees formulas: the same frame exported without neutralising has some."""
    raw = attack_frame().to_csv(index=False).encode("utf-8-sig")
    sheet = spreadsheet(raw, "raw")
    assert [cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_spreadsheet_finds_no_formula_and_numbers_stay_numbers(spreadsheet):
    frame = attack_frame()
    sheet = spreadsheet(to_csv_bytes(frame), "safe")
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.value for cell in cells if cell.data_type == "f"] == []
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == list(frame["n"]) and [row[2] for row in rows] == list(frame["delta"])
    texts = [row[0] for row in rows]
    assert texts[: len(FORMULA_LIKE)] == [
        "'" + cell.replace("\r", "\n") for cell in FORMULA_LIKE
    ]  # Calc reads CR as LF
    assert texts[len(FORMULA_LIKE) :] == ["Delivery", "late again", 5, -5, 3.5, -1000, 0.5, "x=1+1", "a|b", "AT&T",
                                     "'quoted"]  # fmt: skip
    assert {row[3] for row in rows} == {"'" + DDE}
