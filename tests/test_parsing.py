"""Column parsers: dates (one format per column, relative dates), numbers and review language."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cx.ingest.parsing import DateFormatError, detect_language, parse_dates, parse_numbers
from cx.ingest.wording import Remedies

AS_OF = dt.date(2026, 11, 1)


def dates(*values: str, **options) -> tuple[list, list[str], list[str], str]:
    parsed = parse_dates(pd.Series(values, dtype="str"), column="responded_at", **options)
    stamps = [None if pd.isna(value) else str(value) for value in parsed.values]
    return stamps, parsed.precision.tolist(), parsed.reason.tolist(), parsed.rule


# --- absolute dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024-3-5", "2024-03-05 00:00:00"),
        ("2024-03-05 14:30", "2024-03-05 14:30:00"),
        ("2024-03-05 14:30:15", "2024-03-05 14:30:15"),
        ("2024-03-05 14:30:15.250000", "2024-03-05 14:30:15.250000"),
        ("2024-03-05T14:30:15", "2024-03-05 14:30:15"),
        ("2024-03-05T14:30:15Z", "2024-03-05 14:30:15"),
        ("2024-03-05T14:30:15+03:00", "2024-03-05 14:30:15"),  # the offset is dropped, not applied
        ("2024-03-05T14:30:15.5-0500", "2024-03-05 14:30:15.500000"),
    ],
)
def test_iso_dates_and_datetimes(value, expected):
    stamps, precision, reason, rule = dates(value)

    assert stamps == [expected]
    assert precision == ["day"]
    assert reason == [""]
    assert rule == "responded_at read as ISO dates"


@pytest.mark.parametrize(
    ("values", "expected", "rule"),
    [
        (["2024/03/05", "2024/12/31"], ["2024-03-05", "2024-12-31"], "responded_at read as Y/m/d"),
        (
            ["03/25/2024", "12/01/2024"],
            ["2024-03-25", "2024-12-01"],
            "m/d/Y: the second field exceeds 12 in 1 row",
        ),
        (
            ["25/03/2024", "01/12/2024"],
            ["2024-03-25", "2024-12-01"],
            "d/m/Y: the first field exceeds 12 in 1 row",
        ),
        (["3/25/24", "12/1/99"], ["2024-03-25", "1999-12-01"], "m/d/y: the second field exceeds 12 in 1 row"),
        (["25/3/24", "1/12/68"], ["2024-03-25", "2068-12-01"], "d/m/y: the first field exceeds 12 in 1 row"),
        (
            ["25-03-2024", "01-12-2024"],
            ["2024-03-25", "2024-12-01"],
            "d-m-Y: the first field exceeds 12 in 1 row",
        ),
        (
            ["25.03.2024", "01.12.2024"],
            ["2024-03-25", "2024-12-01"],
            "d.m.Y: the first field exceeds 12 in 1 row",
        ),
    ],
)
def test_day_and_month_orders(values, expected, rule):
    stamps, precision, reason, found_rule = dates(*values)

    assert [stamp[:10] for stamp in stamps] == expected
    assert precision == ["day", "day"]
    assert reason == ["", ""]
    assert rule in found_rule


def test_time_after_the_date_with_or_without_am_pm():
    stamps, _, reason, _ = dates(
        "25/03/2024 14:30", "26/03/2024 2:30 PM", "27/03/2024 12:05 am", "28/03/2024 25:00"
    )

    assert stamps == ["2024-03-25 14:30:00", "2024-03-26 14:30:00", "2024-03-27 00:05:00", None]
    assert reason == ["", "", "", "not a date"]


def test_day_first_evidence_is_counted_in_rows_not_distinct_values():
    _, _, _, rule = dates("13/01/2024", "13/01/2024", "14/01/2024", "01/02/2024")

    assert rule == "responded_at read as d/m/Y: the first field exceeds 12 in 3 rows"


def test_ambiguous_slash_dates_are_read_month_first_and_the_rule_says_how_to_override():
    stamps, _, _, rule = dates("05/03/2024", "03/04/2024")

    assert stamps == ["2024-05-03 00:00:00", "2024-03-04 00:00:00"]
    assert rule == (
        "responded_at is ambiguous: every value fits m/d and d/m; read as m/d/Y; "
        "pass --date-format %d/%m/%Y if the file is day-first"
    )


def test_ambiguous_dotted_dates_are_read_day_first():
    stamps, _, _, rule = dates("05.03.2024", "03.04.2024")

    assert stamps == ["2024-03-05 00:00:00", "2024-04-03 00:00:00"]
    assert rule == (
        "responded_at is ambiguous: every value fits m.d and d.m; read as d.m.Y; dotted dates are day-first; "
        "pass --date-format %m.%d.%Y if the file is month-first"
    )


def test_conflicting_orders_keep_the_majority_and_say_how_many_rows_are_left():
    stamps, _, reason, rule = dates("25/03/2024", "26/03/2024", "03/27/2024")

    assert stamps == ["2024-03-25 00:00:00", "2024-03-26 00:00:00", None]
    assert reason == ["", "", "not a date"]
    assert rule == (
        "responded_at read as d/m/Y: the first field exceeds 12 in 2 rows; 1 row fitting only m/d/Y not read"
    )


@pytest.mark.parametrize("value", ["2019-4", "2019-04", "2019/04"])
def test_year_and_month_give_the_first_day_with_month_precision(value):
    stamps, precision, reason, rule = dates(value)

    assert stamps == ["2019-04-01 00:00:00"]
    assert precision == ["month"]
    assert reason == [""]
    assert "read as year and month" in rule


def test_one_format_per_column_the_one_that_reads_most_rows():
    stamps, precision, reason, rule = dates(
        "2024-03-05", "2024-03-06", "06/03/2024", "", "missing", "2024-02-30"
    )

    assert stamps == ["2024-03-05 00:00:00", "2024-03-06 00:00:00", None, None, None, None]
    assert precision == ["day", "day", "", "", "", ""]
    assert reason == ["", "", "not a date", "empty", "not a date", "not a date"]
    assert rule == "responded_at read as ISO dates"


def test_future_dates_are_parsed_not_rejected():
    stamps, _, reason, _ = dates("2099-01-01")

    assert stamps == ["2099-01-01 00:00:00"]
    assert reason == [""]


def test_values_are_naive_nanosecond_datetimes_aligned_on_the_input_index():
    values = pd.Series(["2024-03-05", None, "x"], index=[10, 20, 30], dtype=object)

    parsed = parse_dates(values, column="posted_at")

    assert str(parsed.values.dtype) == "datetime64[ns]"
    assert parsed.values.index.tolist() == parsed.reason.index.tolist() == [10, 20, 30]
    assert parsed.reason.tolist() == ["", "empty", "not a date"]


def test_no_date_at_all():
    stamps, _, reason, rule = dates("soon", "later")

    assert stamps == [None, None]
    assert reason == ["not a date", "not a date"]
    assert rule == "responded_at: no value looks like a date (such as 'soon', 'later')"


# --- forced format ------------------------------------------------------------------------------


def test_forced_format_reads_only_what_fits_it():
    stamps, precision, reason, rule = dates("05/03/2024", "2024-03-05", date_format="%d/%m/%Y")

    assert stamps == ["2024-03-05 00:00:00", None]
    assert precision == ["day", ""]
    assert reason == ["", "not a date"]
    assert rule == "responded_at read with --date-format %d/%m/%Y"


def test_forced_format_without_a_day_gives_month_precision():
    stamps, precision, _, _ = dates("03.2024", date_format="%m.%Y")

    assert stamps == ["2024-03-01 00:00:00"]
    assert precision == ["month"]


@pytest.mark.parametrize(
    ("date_format", "message"), [("DD/MM/YYYY", "no strptime codes"), ("%Q", "not a usable")]
)
def test_unusable_forced_format_is_refused(date_format, message):
    with pytest.raises(DateFormatError, match=message):
        dates("05/03/2024", date_format=date_format)


# --- relative dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("today", "2026-11-01", "day"),
        ("yesterday", "2026-10-31", "day"),
        ("a day ago", "2026-10-31", "day"),
        ("3 days ago", "2026-10-29", "day"),
        ("a week ago", "2026-10-25", "day"),
        ("2 weeks ago", "2026-10-18", "day"),
        ("an hour ago", "2026-11-01", "day"),
        ("5 minutes ago", "2026-11-01", "day"),
        ("a month ago", "2026-10-01", "month"),
        ("3 months ago", "2026-08-01", "month"),
        ("11 months ago", "2025-12-01", "month"),
        ("a year ago", "2025-11-01", "month"),
        ("2 years ago", "2024-11-01", "month"),
        ("Edited 3 months ago", "2026-08-01", "month"),
        ("  2 Weeks Ago ", "2026-10-18", "day"),
    ],
)
def test_relative_dates_resolve_against_as_of(value, expected, precision):
    stamps, found_precision, reason, _ = dates(value, as_of=AS_OF)

    assert stamps == [f"{expected} 00:00:00"]
    assert found_precision == [precision]
    assert reason == [""]


def test_months_ago_from_mid_month_is_dated_the_first_of_that_month():
    stamps, _, _, _ = dates("3 months ago", as_of=dt.date(2026, 5, 31))

    assert stamps == ["2026-02-01 00:00:00"]


def test_relative_and_absolute_dates_mix_in_one_column():
    stamps, precision, reason, rule = dates("3 months ago", "2024-01-02", "2 weeks ago", as_of=AS_OF)

    assert stamps == ["2026-08-01 00:00:00", "2024-01-02 00:00:00", "2026-10-18 00:00:00"]
    assert precision == ["month", "day", "day"]
    assert reason == ["", "", ""]
    assert rule == (
        "responded_at read as ISO dates; 2 relative dates such as '3 months ago' resolved against 2026-11-01"
    )


def test_relative_dates_without_as_of_are_not_dates_yet():
    stamps, precision, reason, rule = dates("3 months ago", "2024-01-02", "yesterday")

    assert stamps == [None, "2024-01-02 00:00:00", None]
    assert precision == ["", "day", ""]
    assert reason == ["relative date needs --as-of", "", "relative date needs --as-of"]
    assert "2 relative dates such as '3 months ago' need --as-of" in rule


def test_advice_is_worded_for_the_callers_controls():
    page = Remedies(date_format_to='enter {format} as "Date format"', as_of='"Count back from"')

    *_, rule = dates("05/03/2024", "03/04/2024", remedies=page)
    assert rule.endswith('; enter %d/%m/%Y as "Date format" if the file is day-first')
    _, _, reason, rule = dates("3 months ago", remedies=page)
    assert reason == ['relative date needs "Count back from"']
    assert (
        rule
        == "responded_at: 1 relative date such as '3 months ago' needs \"Count back from\" (the date the file was saved)"
    )


def test_only_relative_dates_name_the_column_first():
    _, _, _, rule = dates("3 months ago", as_of=AS_OF)

    assert rule == "responded_at: 1 relative date such as '3 months ago' resolved against 2026-11-01"


# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4.0),
        (" 4.0 ", 4.0),
        ("4,5", 4.5),
        ("-1", -1.0),
        ("4 stars", 4.0),
        ("1 Star", 1.0),
        ("4/5", 4.0),
        ("8 / 10", 8.0),
        ("4 out of 5", 4.0),
        ("★★★★", 4.0),
        ("★★★☆☆", 3.0),
        ("٤", 4.0),
        ("۴", 4.0),
        ("١٠", 10.0),
        ("۴٫۵", 4.5),
        ("1,234", 1234.0),
        ("1,234.50", 1234.5),
        ("1.234,50", 1234.5),
        ("1.234.567", 1234567.0),
        ("", math.nan),
        ("four", math.nan),
        ("abc", math.nan),
        ("4..5", math.nan),
        ("4,5,6", math.nan),
        ("☆☆", math.nan),
    ],
)
def test_parse_numbers(text, expected):
    result = parse_numbers(pd.Series([text], dtype="str"))

    assert result.dtype == "float64"
    assert result.iloc[0] == pytest.approx(expected, nan_ok=True)


def test_numbers_are_aligned_on_the_input_index():
    result = parse_numbers(pd.Series(["9", None, "9"], index=[5, 6, 7], dtype=object))

    assert result.index.tolist() == [5, 6, 7]
    assert result.tolist()[0::2] == [9.0, 9.0] and math.isnan(result[6])


# --- language ---------------------------------------------------------------------------------------


def test_detect_language_by_script():
    texts = pd.Series(
        [
            "الخدمة بطيئة جدا",
            "این فروشگاه خیلی خوب است",  # Persian: ی and ک
            "پارکینگ",  # Persian letters only
            "Great coffee, slow checkout",
            "Très bien",
            "التوصيل متأخر but staff were nice",
            "ممتاز ۵",  # letters shared with Arabic, but a Persian digit
            "",
            "   ",
            None,
        ],
        index=range(10, 20),
        dtype=object,
    )

    languages = detect_language(texts)

    assert languages.tolist() == ["ar", "fa", "fa", "en", "en", "ar", "fa", "", "", ""]
    assert languages.index.tolist() == list(range(10, 20))
