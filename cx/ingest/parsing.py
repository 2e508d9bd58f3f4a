"""Turn the strings of a file's column into dates, numbers and review languages, whole columns at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx.ingest.wording import COMMAND_LINE, Remedies, plural

# Regular expressions run in Arrow's RE2 engine on this dtype; on pandas' default ``str`` dtype
# ``str.extract`` would call Python's ``re`` once per value. Under RE2 an optional group that does
# not take part in a match comes back as '' instead of missing, so every group below is non-empty
# when it matches.
ARROW_TEXT = "large_string[pyarrow]"

# 2024-03-05, 2024/3/5, 05/03/2024, 5.3.24, 2019-04; optional time (T or space, seconds, fraction,
# AM/PM) and a trailing Z or UTC offset, which is dropped.
DATE_PATTERN = (
    r"^(?P<field1>\d{1,4})(?P<sep1>[-/.])(?P<field2>\d{1,2})(?:(?P<sep2>[-/.])(?P<field3>\d{1,4}))?"
    r"(?:(?:t|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<meridiem>[ap]m)?)?"
    r"\s*(?:z|[-+]\d{2}(?::?\d{2})?)?$"
)
RELATIVE_PATTERN = (
    r"^(?:(?:edited|updated|posted)\s+)?"
    r"(?:(?P<word>today|yesterday)|(?P<count>an?|one|\d+)\s+(?P<unit>second|minute|hour|day|week|month|year)s?\s+ago)$"
)
DAYS_PER_UNIT = {"second": 0, "minute": 0, "hour": 0, "day": 1, "week": 7}
MONTHS_PER_UNIT = {"month": 1, "year": 12}
DAYS_FOR_WORD = {"today": 0, "yesterday": 1}
# %y in strptime: 69-99 -> 1900s, 00-68 -> 2000s.
TWO_DIGIT_YEAR_PIVOT = 69
# datetime64[ns] holds 1677-09-21 .. 2262-04-11; dates outside whole years of that range are not dates.
FIRST_YEAR, LAST_YEAR = 1678, 2261

EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
# 4 | 4.5 | 4,5 | 1,234.5 (comma thousands) | 1.234,5 or 1.234.567 (dot thousands), then an
# optional "stars", "/5" or "out of 5".
NUMBER_PATTERN = (
    r"^(?P<sign>-)?(?:(?P<comma_grouped>\d{1,3}(?:,\d{3})+(?:\.\d+)?)"
    r"|(?P<dot_grouped>\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,})"
    r"|(?P<plain>\d+(?:[.,]\d+)?))"
    r"\s*(?:stars?|/\s*\d+|out\s+of\s+\d+)?$"
)
STAR = "★"
STARS_ONLY = r"[★☆\s]+"

PERSIAN_SIGNS = "[\u067e\u0686\u0698\u06af\u06a9\u06cc\u06f0-\u06f9]"  # پ چ ژ گ ک ی and Persian digits
ARABIC_LETTERS = (
    "[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]"
)


class DateFormatError(ValueError):
    """A ``--date-format`` that cannot be used to read dates."""


@dataclass(frozen=True)
class ParsedDates:
    """Dates of one column, aligned on its index, and one sentence saying how they were read."""

    values: pd.Series  # datetime64[ns], NaT where not parsed
    precision: pd.Series  # 'day' or 'month'; '' where not parsed
    reason: pd.Series  # '' where parsed, else 'empty', 'not a date' or 'relative date needs --as-of'
    rule: str


@dataclass(frozen=True)
class _Reading:
    """Dates for some rows of a column (NaT where unreadable), their precision and how they were read.

    The rule of an absolute reading is a sentence naming the column; a relative one is a phrase.
    """

    values: pd.Series
    precision: pd.Series
    rule: str


def parse_dates(
    values: pd.Series,
    *,
    column: str,
    date_format: str | None = None,
    as_of: dt.date | None = None,
    remedies: Remedies = COMMAND_LINE,
) -> ParsedDates:
    """Read a column of dates, choosing one format for the whole column.

    Absolute dates use the format that reads the most values: ISO (2024-03-05, with optional time,
    T, Z or UTC offset, the offset being dropped), Y/m/d, m/d/Y or d/m/Y (also with - or . and
    two-digit years, optional time with optional AM/PM), or Y-m (month precision, dated the first
    day of the month). m/d against d/m is settled by the values whose first or second field exceeds
    12; when none does, m/d is chosen, except for dotted dates (d.m.Y), and ``rule`` says how to
    override. ``date_format`` (strptime codes) skips the detection. ``remedies`` names the options in
    ``rule`` and in the reasons.

    Relative dates ('yesterday', '3 weeks ago', 'Edited a year ago') count back from ``as_of``:
    days and weeks give day precision (seconds, minutes and hours ago give the as-of day itself);
    months and years give month precision, dated the first day of the month. Future dates are kept.
    """
    text = _as_text(values)
    codes, distinct = _distinct(text)
    rows = pd.Series(np.bincount(codes, minlength=len(distinct)))  # how many rows hold each value
    empty = distinct.eq("")
    relative = _relative_dates(distinct, rows, as_of, remedies.as_of)
    is_relative = relative.precision.ne("")
    absolute = ~empty & ~is_relative
    if date_format:
        reading = _read_with_format(distinct[absolute], date_format, column, remedies.date_format)
    else:
        reading = _read_detected(distinct[absolute], rows[absolute], column, remedies.date_format_to)

    dates = relative.values.where(~absolute, reading.values)
    precision = relative.precision.where(~absolute, reading.precision).mask(dates.isna(), "")
    reason = pd.Series(
        np.select(
            [empty, absolute & dates.isna(), is_relative & dates.isna()],
            ["empty", "not a date", f"relative date needs {remedies.as_of}"],
            "",
        ),
        dtype="str",
    )
    if absolute.any():
        rule = "; ".join(part for part in (reading.rule, relative.rule) if part)
    else:
        rule = f"{column}: {relative.rule or 'every value is empty'}"
    return ParsedDates(
        values=_spread(dates, codes, text.index),
        precision=_spread(precision, codes, text.index),
        reason=_spread(reason, codes, text.index),
        rule=rule,
    )


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").str.strip()


def _distinct(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the distinct values, and those values (in order of appearance).

    Date and number columns repeat few values, so the string work runs once per distinct value.
    """
    codes, distinct = pd.factorize(text)
    return codes, pd.Series(distinct, dtype="str")


def _spread(per_value: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Results per distinct value back onto the rows."""
    return per_value.take(codes).set_axis(index)


def _extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of ``pattern`` in each lower-cased value (Arrow strings, '' where a group is absent)."""
    return text.str.lower().astype(ARROW_TEXT).str.extract(pattern).fillna("")


def _number(digits: pd.Series) -> pd.Series:
    """Float from a group of ASCII digits ('' -> NaN); Arrow's cast is far faster than ``pd.to_numeric``."""
    return digits.mask(digits.eq("")).astype("float64[pyarrow]").astype("float64")


def _relative_dates(text: pd.Series, rows: pd.Series, as_of: dt.date | None, as_of_name: str) -> _Reading:
    """Resolve 'yesterday', '3 months ago' ...; precision is '' exactly for values that are not relative.

    Without ``as_of`` the dates stay NaT and the rule says that the option ``as_of_name`` is needed.
    """
    found = _extract(text, RELATIVE_PATTERN)
    count = _number(found["count"].replace({"a": "1", "an": "1", "one": "1"}))
    unit_days, word_days, unit_months = (
        found[group].map(table).astype("float64")
        for group, table in (("unit", DAYS_PER_UNIT), ("word", DAYS_FOR_WORD), ("unit", MONTHS_PER_UNIT))
    )
    days = word_days.fillna(unit_days * count)
    months = unit_months * count
    precision = pd.Series(np.select([days.notna(), months.notna()], ["day", "month"], ""), dtype="str")
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    is_relative = precision.ne("")
    if not is_relative.any():
        return _Reading(dates, precision, "")
    found_text = (
        f"{plural(int(rows[is_relative].sum()), 'relative date')} such as '{text[is_relative].iloc[0]}'"
    )
    if as_of is None:
        verb = "needs" if rows[is_relative].sum() == 1 else "need"
        return _Reading(dates, precision, f"{found_text} {verb} {as_of_name} (the date the file was saved)")
    anchor = pd.Timestamp(as_of).normalize()
    dates = dates.mask(days.notna(), (anchor - pd.to_timedelta(days, unit="D")).astype("datetime64[ns]"))
    month_number = anchor.year * 12 + anchor.month - 1 - months
    first_of_month = _assemble(month_number // 12, month_number % 12 + 1, pd.Series(1.0, index=text.index))
    dates = dates.mask(months.notna(), first_of_month)
    return _Reading(dates, precision, f"{found_text} resolved against {anchor.date().isoformat()}")


def _read_with_format(text: pd.Series, date_format: str, column: str, option: str) -> _Reading:
    if "%" not in date_format:
        raise DateFormatError(
            f"{option} {date_format!r} has no strptime codes; write e.g. %d/%m/%Y for 31/12/2024."
        )
    try:
        dates = pd.to_datetime(text, format=date_format, errors="coerce")
    except ValueError as error:
        raise DateFormatError(
            f"{option} {date_format!r} is not a usable format ({error}); write e.g. %d/%m/%Y."
        ) from error
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    dates = dates.where(dates.dt.year.between(FIRST_YEAR, LAST_YEAR)).astype("datetime64[ns]")
    precision = "day" if "%d" in date_format or "%j" in date_format else "month"
    return _Reading(
        dates,
        pd.Series(precision, index=text.index, dtype="str"),
        f"{column} read with {option} {date_format}",
    )


def _read_detected(text: pd.Series, rows: pd.Series, column: str, override: str) -> _Reading:
    """Try every known field order on the whole column and keep the one that reads the most rows."""
    parts = _extract(text, DATE_PATTERN)
    field1, field2, field3 = (_number(parts[name]) for name in ("field1", "field2", "field3"))
    width1, width3 = parts["field1"].str.len(), parts["field3"].str.len()
    one_separator = parts["sep2"].eq("") | parts["sep2"].eq(parts["sep1"])
    year_first = width1.eq(4) & one_separator
    day_month = width1.between(1, 2) & width3.isin([2, 4]) & one_separator
    year = field3.where(width3.eq(4), field3 + np.where(field3 < TWO_DIGIT_YEAR_PIVOT, 2000, 1900))
    month_only = year_first & width3.eq(0) & parts["hour"].eq("") & parts["sep1"].isin(["-", "/"])
    clock = _clock(parts)
    candidates = {
        "ymd": (_assemble(field1, field2, field3) + clock).where(year_first & width3.between(1, 2)),
        "ym": _assemble(field1, field2, pd.Series(1.0, index=text.index)).where(month_only),
        "mdy": (_assemble(year, field1, field2) + clock).where(day_month),
        "dmy": (_assemble(year, field2, field1) + clock).where(day_month),
    }
    read = {name: int(rows[dates.notna()].sum()) for name, dates in candidates.items()}
    preferred = "dmy" if _most_common(parts["sep1"][day_month], rows) == "." else "mdy"
    best = max(read, key=lambda name: (read[name], name == preferred))
    dates = candidates[best]
    separator = _most_common(parts["sep1"][dates.notna()], rows)
    if not read[best]:
        examples = ", ".join(f"'{value}'" for value in text.head(2))
        rule = f"{column}: no value looks like a date (such as {examples})"
    elif best == "ym":
        rule = f"{column} read as year and month (Y{separator}m), dated the first day of the month"
    elif best == "ymd":
        rule = f"{column} read as " + ("ISO dates" if separator == "-" else f"Y{separator}m{separator}d")
    else:
        rule = _field_order_rule(
            column,
            day_first=best == "dmy",
            separator=separator,
            year="Y" if width3[day_month].eq(4).any() else "y",
            firsts=int(rows[day_month & field1.gt(12)].sum()),
            seconds=int(rows[day_month & field2.gt(12)].sum()),
            override=override,
        )
    return _Reading(dates, pd.Series("month" if best == "ym" else "day", index=text.index, dtype="str"), rule)


def _clock(parts: pd.DataFrame) -> pd.Series:
    """Time of day as a timedelta (0 without a time; NaT for an impossible one like 25:00 or 13 PM)."""
    hour, minute, second = (_number(parts[name]).fillna(0) for name in ("hour", "minute", "second"))
    nanoseconds = _number(parts["fraction"].str.pad(9, side="right", fillchar="0")).fillna(0)
    twelve_hour = parts["meridiem"].ne("")
    valid = hour.le(23) & minute.le(59) & second.le(59) & ~(twelve_hour & ~hour.between(1, 12))
    hour = hour.where(~twelve_hour, hour % 12 + np.where(parts["meridiem"].eq("pm"), 12, 0))
    offset = pd.to_timedelta(((hour * 60 + minute) * 60 + second) * 1_000_000_000 + nanoseconds, unit="ns")
    return offset.where(valid)


def _assemble(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates from numeric parts; NaT where they make no date (31 April, month 13, a missing part)."""
    dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    return dates.where(year.between(FIRST_YEAR, LAST_YEAR)).astype("datetime64[ns]")


def _most_common(separators: pd.Series, rows: pd.Series) -> str:
    """The separator used by the most rows ('/' when there is none)."""
    per_separator = rows[separators.index].groupby(separators.astype("str")).sum()
    return str(per_separator.idxmax()) if len(per_separator) else "/"


def _field_order_rule(
    column: str, *, day_first: bool, separator: str, year: str, firsts: int, seconds: int, override: str
) -> str:
    """How m/d or d/m was chosen; ``firsts``/``seconds`` count rows whose first/second field exceeds 12;
    ``override`` is the template of the advice to pass another format."""
    label = separator.join(["d", "m", year] if day_first else ["m", "d", year])
    if not firsts and not seconds:
        other_format = separator.join(["%m", "%d", f"%{year}"] if day_first else ["%d", "%m", f"%{year}"])
        because = "; dotted dates are day-first" if day_first else ""
        return (
            f"{column} is ambiguous: every value fits m{separator}d and d{separator}m; read as {label}{because}; "
            f"{override.format(format=other_format)} if the file is {'month' if day_first else 'day'}-first"
        )
    other = separator.join(["m", "d", year] if day_first else ["d", "m", year])
    if day_first:
        evidence, misfits = f"the first field exceeds 12 in {plural(firsts)}", seconds
    else:
        evidence, misfits = f"the second field exceeds 12 in {plural(seconds)}", firsts
    unread = f"; {plural(misfits)} fitting only {other} not read" if misfits else ""
    return f"{column} read as {label}: {evidence}{unread}"


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers from '4', ' 4.0 ', '4,5', '1,234.5', '4 stars', '4/5', '4 out of 5', '★★★★', '٤' or '۴'.

    A comma followed by three-digit groups separates thousands ('1,234' is 1234), any other comma
    is a decimal comma. '4/5' and '4 out of 5' give 4 (the scale is not applied). Float, NaN where
    not a number.
    """
    text = _as_text(values)
    codes, distinct = _distinct(text)
    distinct = distinct.str.translate(EASTERN_DIGITS)
    found = _extract(distinct, NUMBER_PATTERN)
    digits = (
        found["comma_grouped"].str.replace(",", "")
        + found["dot_grouped"].str.replace(".", "").str.replace(",", ".")
        + found["plain"].str.replace(",", ".")
    )
    numbers = pd.to_numeric((found["sign"] + digits).astype("str"), errors="coerce").astype("float64")
    stars = distinct.str.fullmatch(STARS_ONLY) & distinct.str.contains(STAR)
    numbers = numbers.mask(stars, distinct.str.count(STAR).astype("float64"))
    return _spread(numbers, codes, text.index)


def detect_language(texts: pd.Series) -> pd.Series:
    """'fa' for Arabic script with Persian letters or digits, 'ar' for Arabic script, 'en' for other text.

    '' for empty text. Decided by script alone, so 'en' stands for any non-Arabic-script text.
    """
    text = _as_text(texts)
    language = np.select(
        [text.str.contains(PERSIAN_SIGNS), text.str.contains(ARABIC_LETTERS), text.ne("")],
        ["fa", "ar", "en"],
        "",
    )
    return pd.Series(language, index=texts.index, dtype="str")
