"""Read an uploaded CSV or XLSX file into a table of strings, whatever its encoding and delimiter.

Row numbers are the ones a person sees when opening the file in a spreadsheet: the record number
in the file, the header being row 1. A quoted cell that spans several lines is one record, and
blank records keep their number even though they are dropped from the table.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cx.ingest.limits import DEFAULT_LIMITS, Limits
from cx.ingest.wording import COMMAND_LINE, Remedies, plural

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ZIP_MAGIC = b"PK\x03\x04"
LEGACY_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters other than tab, line feed and carriage return never occur in a real export.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_CONTROL_SHARE = 0.01
QUOTED = re.compile(r'"[^"]*"')
CODE_PAGES = {"cp1252": "Windows-1252", "cp1256": "Windows-1256"}  # as _windows_code_page names them
MIDNIGHT_SUFFIX = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
NO_HEADER = "Row 1 has no column names. The first row of the file must name the columns (the header)."


def _is_arabic_letter(byte: int) -> bool:
    return unicodedata.name(bytes([byte]).decode("cp1256"), "").startswith("ARABIC LETTER")


# True for each byte value that Windows-1256 decodes to an Arabic letter.
CP1256_ARABIC_LETTER = np.array([_is_arabic_letter(byte) for byte in range(256)])


class UnreadableFileError(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


@dataclass(frozen=True)
class RawTable:
    """A file's cells as stripped strings, with the spreadsheet row number of every table row."""

    frame: pd.DataFrame  # every cell a str ('' for empty), columns named as in the header
    row_numbers: np.ndarray  # spreadsheet row number of each frame row (header = 1)
    encoding: (
        str  # 'utf-8', 'utf-8-sig', 'utf-16', 'utf-16-le', 'utf-16-be', 'cp1256', 'cp1252' ... or 'xlsx'
    )
    encoding_detected: bool  # False when the caller forced the encoding
    malformed: list[tuple[int, str]]  # (row number, reason) of records left out of the frame
    padded: pd.DataFrame | None = None  # True where a cell had white space around it (None: no cell had)

    @property
    def rows(self) -> int:
        """Data rows of the file: those in the table and the malformed ones (blank records not counted)."""
        return len(self.frame) + len(self.malformed)


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """Name the encoding of the first bytes of a file.

    A byte order mark decides first; then UTF-16 without one (NUL bytes in every other position);
    then UTF-8, which must decode strictly (an incomplete character at the very end is ignored
    unless ``complete`` says the sample is the whole file). Anything else is a Windows code page:
    Arabic text puts Arabic letters in runs of several high bytes, while Western European accented
    letters sit alone among ASCII letters, so the sample is Windows-1256 when more than half of its
    high bytes are Windows-1256 Arabic letters next to another high byte (or when Windows-1252 cannot
    decode it), and Windows-1252 otherwise.
    """
    for mark, name in BYTE_ORDER_MARKS:
        if sample.startswith(mark):
            return name
    byte_values = np.frombuffer(sample, dtype=np.uint8)
    utf16 = _utf16_byte_order(byte_values)
    if utf16:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return _windows_code_page(sample, byte_values)
    return "utf-8"


def _utf16_byte_order(byte_values: np.ndarray) -> str | None:
    """'utf-16-le' or 'utf-16-be' when NUL bytes fill one byte position of each pair, else None."""
    pairs = byte_values[: byte_values.size // 2 * 2].reshape(-1, 2)
    if not len(pairs):
        return None
    nul_share = np.count_nonzero(pairs == 0, axis=0) / len(pairs)
    # ASCII characters (delimiters, digits, line ends) are at least a tenth of any CSV's characters.
    if nul_share[1] >= 0.1 and nul_share[0] <= 0.01:
        return "utf-16-le"
    if nul_share[0] >= 0.1 and nul_share[1] <= 0.01:
        return "utf-16-be"
    return None


def _windows_code_page(sample: bytes, byte_values: np.ndarray) -> str:
    high = byte_values >= 0x80
    next_to_high = np.zeros_like(high)
    next_to_high[1:] |= high[:-1]
    next_to_high[:-1] |= high[1:]
    arabic_in_words = np.count_nonzero(CP1256_ARABIC_LETTER[byte_values] & next_to_high)
    if arabic_in_words * 2 > np.count_nonzero(high):
        return "cp1256"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "cp1256"
    return "cp1252"


def read_table(
    source: Path | bytes,
    *,
    file_name: str,
    encoding: str | None = None,
    remedies: Remedies = COMMAND_LINE,
    limits: Limits = DEFAULT_LIMITS,
) -> RawTable:
    """Read a CSV (any of the supported encodings, delimiter , ; tab or |) or the first sheet of an XLSX.

    A workbook is recognised by its content (a zip archive), whatever its name. ``encoding`` forces
    the CSV encoding instead of detecting it; workbooks ignore it. Row number = record number in the
    file with the header as row 1: a quoted cell spanning several lines is one record, and blank
    records are dropped but still counted. Records with more fields than the header (not counting
    empty trailing ones) are left out and listed in ``malformed``; records with fewer fields are
    padded with empty cells, as Excel leaves out trailing empty fields in some exports. ``remedies``
    words the advice of a file that cannot be decoded. A CSV with more columns than ``limits`` allow
    in any record, or a cell larger than they allow, is refused before it is split into cells; so is
    an upload larger than they allow, and one with more rows after reading.
    """
    data = _load(source, file_name)
    if limits.upload_bytes is not None and len(data) > limits.upload_bytes:
        raise UnreadableFileError(
            f"{file_name} is {len(data) / 1e6:,.1f} MB; one upload may be at most "
            f"{limits.upload_bytes / 1e6:,.0f} MB. Split the file and upload the parts."
        )
    if data.startswith(ZIP_MAGIC):
        table = _read_xlsx(data, file_name)
    elif data.startswith(LEGACY_XLS_MAGIC):
        raise UnreadableFileError(
            f"{file_name} is an old-style .xls workbook. Open it in Excel and save it as .xlsx or CSV."
        )
    else:
        table = _read_csv(data, file_name, encoding, remedies, limits)
    if limits.upload_rows is not None and table.rows > limits.upload_rows:
        raise UnreadableFileError(
            f"{file_name} has {plural(table.rows)}; one upload may hold at most {limits.upload_rows:,}. "
            "Split the file and upload the parts."
        )
    return table


def _load(source: Path | bytes, file_name: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise UnreadableFileError(f"{file_name} could not be opened: {error.strerror}.") from error


def _read_xlsx(data: bytes, file_name: str) -> RawTable:
    try:
        grid = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=str)
    except Exception as error:  # openpyxl raises many types for a damaged workbook; all mean the same
        raise UnreadableFileError(
            f"{file_name} is not a readable XLSX workbook ({error}). "
            "Open it in Excel and save it again as .xlsx, or export the sheet as CSV."
        ) from error
    if grid.empty:
        raise UnreadableFileError(
            f"The first sheet of {file_name} is empty. Move the table to the first sheet, or export it as CSV."
        )
    grid = grid.fillna("")
    for column in grid:
        grid[column] = grid[column].str.replace(MIDNIGHT_SUFFIX, r"\1", regex=True)
    frame, row_numbers, padded = _table_from_grid(grid)
    return RawTable(frame, row_numbers, "xlsx", True, [], padded)


def _read_csv(
    data: bytes, file_name: str, forced_encoding: str | None, remedies: Remedies, limits: Limits
) -> RawTable:
    if forced_encoding:
        encoding = _known_encoding(forced_encoding)
    else:
        encoding = detect_encoding(data[:SAMPLE_BYTES], complete=len(data) <= SAMPLE_BYTES)
        if encoding in ("utf-8", "utf-8-sig") or encoding.startswith("cp"):
            encoding = _one_encoding(data, file_name, remedies, marked=encoding == "utf-8-sig")
    text = _decode(data, encoding, file_name, forced=bool(forced_encoding), advice=remedies.real_encoding)
    if not text or text.isspace():
        raise UnreadableFileError("The file is empty.")
    _reject_binary(text, file_name)
    header_line = text[: text.find("\n")] if "\n" in text else text
    if not header_line.replace("\ufeff", "").strip():
        raise UnreadableFileError(NO_HEADER)
    delimiter = _sniff_delimiter(header_line)
    _check_width(header_line, delimiter, limits.columns, file_name)
    _check_cells(
        data if encoding.startswith(("utf-8", "cp")) else text.encode(), delimiter, limits, file_name
    )
    grid, malformed = _split_records(text, delimiter, file_name, limits.columns)
    frame, row_numbers, padded = _table_from_grid(grid)
    return RawTable(frame, row_numbers, encoding, not forced_encoding, malformed, padded)


def _one_encoding(data: bytes, file_name: str, remedies: Remedies, *, marked: bool) -> str:
    """UTF-8 (``utf-8-sig`` when ``marked`` by a byte order mark) when the whole file decodes strictly
    as UTF-8; else the Windows code page of its lines that do not. A file with both lines in UTF-8
    (with non-ASCII characters, or the mark) and lines that are not UTF-8 was put together from two
    sources: read as either encoding, part of it would be stored garbled, so it is refused, naming
    the first line of each kind and both encodings."""
    try:
        data.decode("utf-8")
        return "utf-8-sig" if marked else "utf-8"
    except UnicodeDecodeError as error:
        first_bad = error.start
    lines = data.split(b"\n")
    starts = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]])
    bad_line = int(np.searchsorted(starts, first_bad, side="right"))  # 1-based
    foreign = b"\n".join(line for line in lines if not _is_utf8(line))
    code_page = _windows_code_page(foreign[:SAMPLE_BYTES], np.frombuffer(foreign[:SAMPLE_BYTES], np.uint8))
    utf8_line = (
        1
        if marked
        else next(
            (number for number, line in enumerate(lines, 1) if not line.isascii() and _is_utf8(line)), None
        )
    )
    if utf8_line is None:
        return code_page
    names = {
        "first": "utf-8",
        "second": code_page,
        "first_name": "UTF-8",
        "second_name": CODE_PAGES[code_page],
    }
    marked_as = "starts with a UTF-8 byte order mark" if marked else f"has line {utf8_line} in UTF-8"
    raise UnreadableFileError(
        f"{file_name} mixes two encodings: it {marked_as}, but line {bad_line} is not UTF-8 (it reads as "
        f"{CODE_PAGES[code_page]}). Read as either one, part of the file would be stored garbled, so "
        f"nothing was loaded. Save the whole file again in one encoding (UTF-8), or "
        f"{remedies.mixed_encoding.format(**names)}."
    )


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _known_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError as error:
        raise UnreadableFileError(
            f"'{name}' is not a known encoding. Pass --encoding with a name such as utf-8, "
            "cp1256 (Arabic Windows) or cp1252 (Western European Windows)."
        ) from error


def _decode(data: bytes, encoding: str, file_name: str, *, forced: bool, advice: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        how = "as requested" if forced else "as detected"
        raise UnreadableFileError(
            f"{file_name} cannot be decoded as {encoding} ({how}): byte {error.start} near line {line} "
            f"is not valid in that encoding. {advice}."
        ) from error


def _reject_binary(text: str, file_name: str) -> None:
    sample = text[:SAMPLE_BYTES]
    if "\x00" in text or len(CONTROL_CHARACTERS.findall(sample)) > MAX_CONTROL_SHARE * len(sample):
        raise UnreadableFileError(
            f"{file_name} does not look like a CSV or XLSX file: it contains binary data. "
            "Upload the CSV or XLSX export itself, not a PDF, image or archive."
        )


def _check_width(header_line: str, delimiter: str, columns: int, file_name: str) -> None:
    """Refuse a header with more than ``columns`` names (counted outside quotes)."""
    width = QUOTED.sub("", header_line).count(delimiter) + 1
    if width > columns:
        raise UnreadableFileError(_too_wide(file_name, 1, width, columns))


def _too_wide(file_name: str, row: int, width: int, columns: int) -> str:
    return (
        f"Row {row} of {file_name} has {plural(width, 'column')}; an import reads at most {columns:,}. "
        "Export only the columns to import."
    )


def _check_cells(data: bytes, delimiter: str, limits: Limits, file_name: str) -> None:
    """Refuse a file with a run of more than ``limits.cell_bytes`` bytes holding no delimiter and no line
    break: that run lies inside one cell."""
    if len(data) <= limits.cell_bytes:
        return
    values = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero((values == ord("\n")) | (values == ord(delimiter)))
    edges = np.concatenate(([-1], breaks, [len(values)]))
    runs = np.diff(edges) - 1
    longest = int(np.argmax(runs))
    if runs[longest] > limits.cell_bytes:
        line = int(np.count_nonzero(values[: edges[longest] + 1] == ord("\n"))) + 1
        raise UnreadableFileError(
            f"Line {line} of {file_name} holds a cell of {runs[longest] / 1024:,.0f} kB; an import reads "
            f"cells of at most {limits.cell_bytes // 1024:,} kB. Shorten that cell, or check that the file "
            "is the CSV export itself."
        )


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter among , ; tab | found most often in the header line outside quotes (',' if none)."""
    header = QUOTED.sub("", header_line)
    counts = [header.count(delimiter) for delimiter in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def _split_records(
    text: str, delimiter: str, file_name: str, columns: int
) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Cells of every record (header included, blank ones too), indexed by record number - 1.

    Records with more fields than the header stop pandas' C parser; then the file is split again
    into as many columns as its widest record has, and records holding a value beyond the header's
    width are taken out as malformed (trailing empty fields are not counted).
    """
    try:
        return _parse_csv(text, delimiter, file_name), []
    except pd.errors.ParserError:
        pass
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    width, widest = len(next(reader)), 0
    for row, record in enumerate(reader, start=2):
        widest = max(widest, len(record))
        if widest > columns:  # refused before a grid that wide is made
            raise UnreadableFileError(_too_wide(file_name, row, widest, columns))
    grid = _parse_csv(text, delimiter, file_name, columns=max(width, widest))
    if widest <= width:  # the C parser stumbled on something else, and a fixed width got past it
        return grid, []
    beyond = np.column_stack([grid[column].str.strip().ne("").to_numpy() for column in grid.columns[width:]])
    overlong = beyond.any(axis=1)
    fields = widest - np.argmax(beyond[overlong, ::-1], axis=1)
    malformed = [
        (row, f"has {count} fields, the header has {width}")
        for row, count in zip((grid.index[overlong] + 1).tolist(), fields.tolist(), strict=True)
    ]
    return grid.loc[~overlong, grid.columns[:width]], malformed


def _parse_csv(text: str, delimiter: str, file_name: str, *, columns: int | None = None) -> pd.DataFrame:
    """All records as strings; ``columns`` fixes their number (shorter records are padded with '')."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=None if columns is None else range(columns),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as error:
        open_quote = re.search(r"EOF inside string starting at row (\d+)", str(error))
        if open_quote:
            raise UnreadableFileError(
                f'{file_name}: the quote (") opened in row {int(open_quote[1]) + 1} is never closed, so the '
                "rest of the file cannot be split into rows. Close or remove that quote and import again."
            ) from error
        if columns is None:
            raise
        raise UnreadableFileError(
            f"{file_name} cannot be split into rows and fields ({error}). "
            'Check that cells containing the delimiter or line breaks are enclosed in quotes (").'
        ) from error


def _table_from_grid(grid: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame | None]:
    """Split a grid of cells (index = record number - 1, first record = header) into header and data.

    Cells are stripped, blank records dropped, and columns with neither a name nor a value (left
    by trailing delimiters or empty spreadsheet columns) removed; a column with values but no name
    is called "(column N)" after its position. Also gives which cells had white space around them
    (``None`` when none had).
    """
    padded = {}
    for column in grid:
        stripped = grid[column].str.strip()
        padded[column] = stripped.str.len().ne(grid[column].str.len())
        grid[column] = stripped
    header = [cell.replace("\ufeff", "").strip() for cell in grid.iloc[0]]
    if not any(header):
        raise UnreadableFileError(NO_HEADER)
    data = grid.iloc[1:]
    data = data[(data != "").any(axis=1).to_numpy()]
    has_values = (data != "").any(axis=0).to_numpy()
    kept = {
        position: name or f"(column {position + 1})"
        for position, (name, filled) in enumerate(zip(header, has_values, strict=True))
        if name or filled
    }
    _reject_duplicate_names(kept)
    frame = data.iloc[:, list(kept)]
    frame.columns = list(kept.values())
    around = pd.DataFrame(padded).loc[data.index].iloc[:, list(kept)] if padded else None
    if around is not None and around.to_numpy().any():
        around.columns = frame.columns
        around = around.reset_index(drop=True)
    else:
        around = None
    return frame.reset_index(drop=True), data.index.to_numpy() + 1, around


def _reject_duplicate_names(names: dict[int, str]) -> None:
    """Raise when two columns share a name; ``names`` maps 0-based column positions to names."""
    positions: dict[str, list[int]] = {}
    for position, name in names.items():
        positions.setdefault(name, []).append(position + 1)
    repeated = [
        f"'{name}' (columns {', '.join(map(str, where))})"
        for name, where in positions.items()
        if len(where) > 1
    ]
    if repeated:
        raise UnreadableFileError(
            f"The header has duplicate column names: {'; '.join(repeated)}. "
            "Rename the columns so that every column has its own name."
        )
