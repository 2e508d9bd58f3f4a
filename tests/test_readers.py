"""Reading uploaded files: encodings, delimiters, workbooks, broken rows and spreadsheet row numbers."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import numpy as np
import pytest
from openpyxl import Workbook

from cx.ingest.limits import Limits
from cx.ingest.readers import UnreadableFileError, detect_encoding, read_table
from cx.ingest.wording import Remedies

ARABIC = "الخدمة بطيئة جدا"
FRENCH = "Café crème, très bien"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def cells(table) -> list[list[str]]:
    return table.frame.to_numpy().tolist()


# --- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a byte order mark
        ("utf-16-le", "utf-16-le"),  # no byte order mark: found by the NUL bytes
        ("cp1256", "cp1256"),
    ],
)
def test_arabic_text_round_trips_in_each_encoding(encoding, expected):
    data = csv_bytes("review_id,text", f"R1,{ARABIC}", "R2,ok", encoding=encoding)

    table = read_table(data, file_name="reviews.csv")

    assert table.encoding == expected
    assert table.encoding_detected is True
    assert list(table.frame.columns) == ["review_id", "text"]
    assert cells(table) == [["R1", ARABIC], ["R2", "ok"]]


def test_windows_1252_text_round_trips():
    data = csv_bytes("id,comment", f'N1,"{FRENCH}"', 'N2,"Señora Müller – 3,50 €"', encoding="cp1252")

    table = read_table(data, file_name="nps.csv")

    assert table.encoding == "cp1252"
    assert cells(table) == [["N1", FRENCH], ["N2", "Señora Müller – 3,50 €"]]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"\xef\xbb\xbfid,text\n", "utf-8-sig"),
        (b"\xff\xfei\x00d\x00", "utf-16"),
        (b"\xfe\xff\x00i\x00d", "utf-16"),
        ("id,text\n1,abc\n".encode("utf-16-be"), "utf-16-be"),
        (f"id,text\n1,{ARABIC}\n".encode(), "utf-8"),
        (f"id,text\n1,{ARABIC}\n".encode("cp1256"), "cp1256"),
        ("Atenção: informação não disponível".encode("cp1252"), "cp1252"),
        (FRENCH.encode("cp1252"), "cp1252"),
        ("Zu spät geliefert, große Auswahl".encode("cp1252"), "cp1252"),
    ],
)
def test_detect_encoding(sample, expected):
    assert detect_encoding(sample) == expected


def test_a_sample_cut_inside_a_character_is_still_utf8():
    sample = "façade é".encode()[:-1]  # the last character lost its second byte

    assert detect_encoding(sample) == "utf-8"
    assert detect_encoding(sample, complete=True) != "utf-8"


def test_a_whole_windows_1252_file_ending_in_an_accent_is_not_taken_for_utf8():
    table = read_table("id,name\n1,Café".encode("cp1252"), file_name="f.csv")

    assert table.encoding == "cp1252"
    assert cells(table) == [["1", "Café"]]


def test_forced_encoding_is_used_and_reported_as_forced():
    data = csv_bytes("id,text", "1,Ã©", encoding="utf-8")

    table = read_table(data, file_name="f.csv", encoding="cp1252")

    assert table.encoding == "cp1252"
    assert table.encoding_detected is False
    assert cells(table) == [["1", "ÃƒÂ©"]]  # C3 83 C2 A9 read byte by byte


def test_forced_encoding_that_cannot_decode_the_file_names_it_and_the_option():
    data = csv_bytes("id,comment", f"N1,{FRENCH}", encoding="cp1252")

    with pytest.raises(UnreadableFileError, match=r"utf-8 \(as requested\).*--encoding"):
        read_table(data, file_name="nps.csv", encoding="utf-8")


def test_advice_on_an_undecodable_file_is_worded_for_the_callers_controls():
    data = csv_bytes("id,comment", f"N1,{FRENCH}", encoding="cp1252")
    page = Remedies(real_encoding='Choose the real encoding under "Encoding"')

    with pytest.raises(UnreadableFileError) as raised:
        read_table(data, file_name="nps.csv", encoding="utf-8", remedies=page)
    assert str(raised.value).endswith(
        'is not valid in that encoding. Choose the real encoding under "Encoding".'
    )
    assert "--" not in str(raised.value)


def test_rows_count_the_malformed_records_but_not_the_blank_ones():
    table = read_table(csv_bytes("a,b", "1,2", "", "3,4,5", "6,7"), file_name="x.csv")

    assert (len(table.frame), len(table.malformed), table.rows) == (2, 1, 3)


def test_unknown_encoding_name_is_refused():
    with pytest.raises(UnreadableFileError, match="'klingon' is not a known encoding"):
        read_table(b"a,b\n1,2\n", file_name="f.csv", encoding="klingon")


def test_byte_order_mark_is_not_part_of_the_first_column_name_even_when_forced():
    data = b"\xef\xbb\xbf Store ID ,score\nS1,9\n"

    table = read_table(data, file_name="f.csv", encoding="utf-8")

    assert list(table.frame.columns) == ["Store ID", "score"]


# --- delimiters and cells -----------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_from_the_header(delimiter):
    comment = '"Fast, friendly; nice"' if delimiter in ",;" else "Fast, friendly; nice"
    data = csv_bytes(delimiter.join(["id", "score", "comment"]), delimiter.join(["N1", "9", comment]))

    table = read_table(data, file_name="f.csv")

    assert list(table.frame.columns) == ["id", "score", "comment"]
    assert cells(table) == [["N1", "9", "Fast, friendly; nice"]]


def test_semicolons_win_over_commas_inside_quoted_header_names():
    data = csv_bytes('"name, full";score;comment', '"Doe, J";4,5;"Good, fast"')

    table = read_table(data, file_name="f.csv")

    assert list(table.frame.columns) == ["name, full", "score", "comment"]
    assert cells(table) == [["Doe, J", "4,5", "Good, fast"]]


def test_cells_and_names_are_stripped_and_every_cell_is_a_string():
    data = csv_bytes("  id , score ,note", " N1 ,  9 ,", "N2,10,  two words  ")

    table = read_table(data, file_name="f.csv")

    assert list(table.frame.columns) == ["id", "score", "note"]
    assert cells(table) == [["N1", "9", ""], ["N2", "10", "two words"]]
    assert all(isinstance(cell, str) for row in cells(table) for cell in row)


def test_empty_trailing_columns_are_dropped_and_unnamed_filled_ones_kept():
    data = csv_bytes(",id,score,,", "0,N1,9,,", "1,N2,8,,")

    table = read_table(data, file_name="f.csv")

    assert list(table.frame.columns) == ["(column 1)", "id", "score"]
    assert cells(table) == [["0", "N1", "9"], ["1", "N2", "8"]]


# --- row numbers ----------------------------------------------------------------------------------


def test_row_numbers_count_records_with_the_header_as_row_1():
    data = csv_bytes("id,text", "R1,plain", "R2,plain")

    assert read_table(data, file_name="f.csv").row_numbers.tolist() == [2, 3]


def test_quoted_line_breaks_stay_in_one_cell_and_one_row_number():
    data = csv_bytes("id,text,rating", 'R1,"First line\nsecond line\nthird line",4', "R2,short,9", "R3,x,5")

    table = read_table(data, file_name="f.csv")

    assert cells(table)[0] == ["R1", "First line\nsecond line\nthird line", "4"]
    assert table.row_numbers.tolist() == [2, 3, 4]


def test_blank_records_are_dropped_but_keep_their_row_numbers():
    data = csv_bytes("id,score", "N1,1", "", "N3,3", " , ", "   ", "N6,6", "")

    table = read_table(data, file_name="f.csv")

    assert cells(table) == [["N1", "1"], ["N3", "3"], ["N6", "6"]]
    assert table.row_numbers.tolist() == [2, 4, 7]


def test_rows_with_too_many_fields_are_listed_as_malformed_with_their_row_numbers():
    data = csv_bytes(
        "id,store,date,score,comment",
        "N1,S1,2024-03-01,9,fine",
        'N2,S1,2024-03-01,8,"two\nlines"',
        "N3,S1,2024-03-01,7,too,many,fields",
        "",
        "N5,S2,2024-03-02,6,trailing empties,,",
        "N6,S2",
        "N7,S2,2024-03-02,5,x,y",
    )

    table = read_table(data, file_name="f.csv")

    assert table.malformed == [(4, "has 7 fields, the header has 5"), (8, "has 6 fields, the header has 5")]
    assert table.frame["id"].tolist() == ["N1", "N2", "N5", "N6"]
    assert table.row_numbers.tolist() == [2, 3, 6, 7]
    assert cells(table)[2] == ["N5", "S2", "2024-03-02", "6", "trailing empties"]
    assert cells(table)[3] == ["N6", "S2", "", "", ""]  # short rows are padded, as Excel writes them


def test_a_quote_that_is_never_closed_is_refused_with_its_row():
    data = csv_bytes("id,text", "R1,ok", 'R2,"never closed', "R3,lost")

    with pytest.raises(UnreadableFileError, match=r"opened in row 3 is never closed"):
        read_table(data, file_name="f.csv")


# --- unusable files -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t ", b"\xef\xbb\xbf", "\n".encode("utf-16")])
def test_empty_file_is_refused(data):
    with pytest.raises(UnreadableFileError, match=r"^The file is empty\.$"):
        read_table(data, file_name="f.csv")


def test_header_only_file_gives_an_empty_table():
    table = read_table(b"id,store_id,score\r\n", file_name="f.csv")

    assert list(table.frame.columns) == ["id", "store_id", "score"]
    assert len(table.frame) == 0
    assert table.row_numbers.tolist() == []
    assert table.malformed == []


def test_binary_garbage_is_refused():
    garbage = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()

    with pytest.raises(UnreadableFileError, match="does not look like a CSV or XLSX file"):
        read_table(garbage, file_name="reviews.csv")


def test_control_characters_without_nul_bytes_are_refused_too():
    data = b"id,text\n" + bytes(range(1, 9)) * 50

    with pytest.raises(UnreadableFileError, match="does not look like a CSV or XLSX file"):
        read_table(data, file_name="f.csv")


def test_duplicate_column_names_are_refused_naming_them():
    data = csv_bytes("id,score,Score,score", "N1,1,2,3")

    with pytest.raises(UnreadableFileError, match=r"duplicate column names: 'score' \(columns 2, 4\)"):
        read_table(data, file_name="f.csv")


@pytest.mark.parametrize("data", [b"\nid,score\nN1,9\n", b",,\n1,2,3\n", b"\xef\xbb\xbf;;\n1;2;3\n"])
def test_header_without_names_is_refused(data):
    with pytest.raises(UnreadableFileError, match="Row 1 has no column names"):
        read_table(data, file_name="f.csv")


def test_legacy_xls_workbook_is_refused_with_advice():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    with pytest.raises(UnreadableFileError, match="old-style .xls workbook.*save it as .xlsx"):
        read_table(data, file_name="old.xls")


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(UnreadableFileError, match="could not be opened"):
        read_table(tmp_path / "absent.csv", file_name="absent.csv")


# --- workbooks --------------------------------------------------------------------------------------


def workbook_bytes(*rows: list) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_round_trip_with_numbers_dates_and_a_blank_row(tmp_path):
    data = workbook_bytes(
        [" Store ID ", "Date", "Revenue", "Transactions", "Note"],
        ["S1", dt.datetime(2024, 3, 5), 1200.5, 40, None],
        [None, None, None, None, None],
        ["S2", dt.datetime(2024, 3, 5, 14, 30), 900, 31, " late "],
    )
    path = tmp_path / "sales.xlsx"
    path.write_bytes(data)

    table = read_table(path, file_name="sales.xlsx")

    assert table.encoding == "xlsx"
    assert list(table.frame.columns) == ["Store ID", "Date", "Revenue", "Transactions", "Note"]
    assert cells(table) == [
        ["S1", "2024-03-05", "1200.5", "40", ""],
        ["S2", "2024-03-05 14:30:00", "900", "31", "late"],
    ]
    assert table.row_numbers.tolist() == [2, 4]
    assert table.malformed == []


def test_xlsx_is_recognised_by_content_whatever_its_name():
    table = read_table(workbook_bytes(["id"], ["R1"]), file_name="upload")

    assert table.encoding == "xlsx"
    assert cells(table) == [["R1"]]


def test_text_named_xlsx_is_read_as_the_csv_it_is():
    table = read_table(csv_bytes("id,rating", "R1,4"), file_name="reviews.xlsx")

    assert table.encoding == "utf-8"
    assert cells(table) == [["R1", "4"]]


def test_corrupt_xlsx_is_refused():
    data = workbook_bytes(["id"], ["R1"])[:300]

    with pytest.raises(UnreadableFileError, match="not a readable XLSX workbook"):
        read_table(data, file_name="broken.xlsx")


def test_xlsx_with_an_empty_first_sheet_is_refused():
    with pytest.raises(UnreadableFileError, match="first sheet of empty.xlsx is empty"):
        read_table(workbook_bytes(), file_name="empty.xlsx")


# --- size ---------------------------------------------------------------------------------------------


def test_a_200000_row_file_reads_whole():
    rows = 200_000
    lines = ["response_id,store_id,responded_at,score,touchpoint,comment,customer_id"]
    lines += [
        f"R{i},S{i % 300},2024-03-{i % 28 + 1:02d},{i % 11},Website,{ARABIC if i % 2 else 'Fine'},C{i % 5000}"
        for i in range(rows)
    ]
    data = csv_bytes(*lines)

    table = read_table(data, file_name="big.csv")

    assert table.frame.shape == (rows, 7)
    assert table.row_numbers[[0, -1]].tolist() == [2, rows + 1]
    assert table.frame.iloc[0].tolist() == ["R0", "S0", "2024-03-01", "0", "Website", "Fine", "C0"]
    assert table.frame.iloc[-1].tolist() == ["R199999", "S199", "2024-03-24", "8", "Website", ARABIC, "C4999"]


# --- files put together from two encodings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "first", "second"),
    [
        (
            "id,text\n1,café ممتاز\n".encode() + "2,déjà vu\n".encode("cp1252"),
            "line 2 in UTF-8",
            "Windows-1252",
        ),
        (
            "id,text\n1,déjà vu\n".encode("cp1252") + "2,café ممتاز\n".encode(),
            "line 3 in UTF-8",
            "Windows-1252",
        ),
        ("id,text\n1,café\n".encode() + "2,ممتاز جدا\n".encode("cp1256"), "line 2 in UTF-8", "Windows-1256"),
        (
            codecs.BOM_UTF8 + b"id,text\n1,ok\n" + "2,déjà vu\n".encode("cp1252"),
            "byte order mark",
            "Windows-1252",
        ),
    ],
)
def test_a_file_mixing_utf8_and_a_code_page_is_refused(data, first, second):
    with pytest.raises(UnreadableFileError) as refused:
        read_table(data, file_name="mixed.csv")
    message = str(refused.value)
    assert "mixes two encodings" in message and first in message and second in message
    assert "nothing was loaded" in message and "--encoding utf-8 or --encoding cp" in message


def test_the_page_words_the_mixed_encoding_advice_with_its_own_controls():
    page = Remedies(mixed_encoding='choose {first_name} or {second_name} under "Encoding"')
    data = "id,text\n1,café\n".encode() + "2,déjà\n".encode("cp1252")
    with pytest.raises(UnreadableFileError, match='choose UTF-8 or Windows-1252 under "Encoding"'):
        read_table(data, file_name="mixed.csv", remedies=page)


def test_a_mixed_file_read_with_a_chosen_encoding_is_read_whole_in_it():
    data = "id,text\n1,café\n".encode() + "2,déjà\n".encode("cp1252")
    table = read_table(data, file_name="mixed.csv", encoding="cp1252")
    assert table.frame["text"].tolist() == ["cafÃ©", "déjà"]


def test_utf16_without_a_byte_order_mark_is_read():
    table = read_table("id,text\n1,ممتاز\n2,café\n".encode("utf-16-le"), file_name="f.csv")
    assert table.encoding == "utf-16-le" and table.frame["text"].tolist() == ["ممتاز", "café"]


# --- limits ------------------------------------------------------------------------------------------


def test_a_header_wider_than_the_limit_is_refused_before_it_is_split():
    with pytest.raises(
        UnreadableFileError, match="Row 1 of wide.csv has 501 columns; an import reads at most 500"
    ):
        read_table((",".join(f"c{i}" for i in range(501)) + "\n").encode(), file_name="wide.csv")


def test_a_record_wider_than_the_limit_is_refused():
    data = ("a,b\n1,2\n" + ",".join("9" * 600) + "\n").encode()
    with pytest.raises(UnreadableFileError, match="Row 3 of f.csv has 600 columns"):
        read_table(data, file_name="f.csv", limits=Limits(columns=500))


def test_a_cell_larger_than_the_limit_is_refused_and_one_at_the_limit_is_read():
    limits = Limits(cell_bytes=1024)
    read_table(("id,text\n1," + "x" * 1024 + "\n").encode(), file_name="f.csv", limits=limits)
    with pytest.raises(UnreadableFileError, match="Line 2 of f.csv holds a cell of 1 kB; .* at most 1 kB"):
        read_table(("id,text\n1," + "x" * 1025 + "\n").encode(), file_name="f.csv", limits=limits)


def test_an_upload_over_its_size_or_rows_is_refused():
    data = b"id,text\n" + b"".join(b"%d,x\n" % i for i in range(10))
    with pytest.raises(UnreadableFileError, match="one upload may be at most"):
        read_table(data, file_name="f.csv", limits=Limits(upload_bytes=40))
    with pytest.raises(UnreadableFileError, match="has 10 rows; one upload may hold at most 9"):
        read_table(data, file_name="f.csv", limits=Limits(upload_rows=9))
    assert len(read_table(data, file_name="f.csv", limits=Limits(upload_rows=10)).frame) == 10


def test_white_space_around_cells_is_recorded_per_cell():
    table = read_table(b"store_id,name\nS1 ,One\nS2,Two\n", file_name="f.csv")
    assert table.frame["store_id"].tolist() == ["S1", "S2"]
    assert table.padded["store_id"].tolist() == [True, False] and not table.padded["name"].any()
    assert read_table(b"store_id,name\nS1,One\n", file_name="f.csv").padded is None
