"""Vectorised validation: canonical string columns -> typed values, or a reason per rejected cell."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.bidi import BIDI_PATTERN
from cx.ingest.limits import DEFAULT_LIMITS, Limits
from cx.ingest.mapping import ColumnMapping
from cx.ingest.parsing import parse_dates, parse_numbers
from cx.ingest.schema import MAX_ID_LENGTH, MAX_SHORT_LENGTH, FieldSpec
from cx.ingest.wording import COMMAND_LINE, Remedies

MISSING_TOKENS = frozenset({"na", "n/a", "null", "none", "nan", "?", "-", "#n/a", "missing", "nil"})
MISSING_SPELLINGS = frozenset(
    spelling
    for token in MISSING_TOKENS
    for spelling in (token, token.upper(), token.capitalize(), token.title())
)
SCALE_SHARE = 0.05  # more than 5 % of a column outside the scale (and at least 3 values): another scale
SCALE_MIN_COUNT = 3
FUTURE_TOLERANCE = dt.timedelta(days=1)
NOT_PRINTABLE_ASCII = r"[^\x20-\x7e]"  # ids with these need a closer look
NOT_ASCII = r"[^\x00-\x7f]"
ATTRIBUTE_DATES = ("opened_on", "signed_up_at")  # when a store opened, a customer signed up: no lower bound


class ScaleMismatchError(ValueError):
    """A rating column is on another scale than ours and no ``--rescale`` says how to map it."""


@dataclass
class ValidatedRows:
    """Typed values for every row (invalid cells NaN/None) and the reasons rows are rejected."""

    values: pd.DataFrame
    precision: pd.Series | None
    rejects: pd.DataFrame  # row, column, value, reason
    notices: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> pd.Series:
        """Boolean mask over rows: True where at least one cell was rejected."""
        return self.values.index.isin(self.rejects["frame_index"].unique())


def parse_rescale(pairs: dict[str, str]) -> dict[str, tuple[float, float]]:
    """``{"csat": "0-2"}`` -> ``{"csat": (0.0, 2.0)}``."""
    scales = {}
    for name, text in pairs.items():
        low, sep, high = text.partition("-")
        try:
            scales[name] = (float(low), float(high))
        except ValueError:
            raise ValueError(
                f"--rescale {name}={text} must look like FIELD=MIN-MAX, e.g. csat=0-2."
            ) from None
        if not sep or scales[name][0] >= scales[name][1]:
            raise ValueError(f"--rescale {name}={text}: MIN must be below MAX, e.g. csat=0-2.")
    return scales


def validate_rows(
    strings: pd.DataFrame,
    row_numbers: np.ndarray,
    mapping: ColumnMapping,
    *,
    rescale: dict[str, tuple[float, float]] | None = None,
    date_format: str | None = None,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    remedies: Remedies = COMMAND_LINE,
    limits: Limits = DEFAULT_LIMITS,
    padded: pd.DataFrame | None = None,
) -> ValidatedRows:
    """Type every mapped field; collect ``(row, column, value, reason)`` for each bad cell.

    Row numbers are spreadsheet row numbers (header = row 1). Dates after ``as_of`` (or today) are
    rejected as in the future, answer, review and sales dates before ``limits.earliest`` as
    implausible, and texts longer than ``limits.cell_bytes`` characters. Ids are read in Unicode
    normal form NFKC and rejected when they hold invisible characters or had white space around them
    in the file (``padded``: True per such cell, by field); names lose their bidirectional controls.
    ``remedies`` names the options in reasons and notices.
    """
    rescale = rescale or {}
    latest = pd.Timestamp(as_of or today or dt.date.today()) + FUTURE_TOLERANCE
    values = pd.DataFrame(index=strings.index)
    reasons: list[pd.DataFrame] = []
    notices: list[str] = []
    precision = None
    for name in strings.columns:
        spec = mapping.specs[name]
        raw = strings[name].astype("str")
        source = mapping.sources.get(name) or remedies.constant.format(field=name)
        empty = raw.eq("") | (spec.type != "text" and raw.isin(MISSING_SPELLINGS))
        if spec.type in ("datetime", "date"):
            parsed = parse_dates(
                raw.where(~empty, ""), column=name, date_format=date_format, as_of=as_of, remedies=remedies
            )
            reason = parsed.reason.where(~empty, "")
            future = parsed.values.gt(latest)
            reason = reason.mask(
                future & reason.eq(""), f"in the future (after {latest.date() - FUTURE_TOLERANCE})"
            )
            if name not in ATTRIBUTE_DATES:
                early = parsed.values.lt(pd.Timestamp(limits.earliest))
                reason = reason.mask(
                    early & reason.eq(""), f"before {limits.earliest}, the earliest date an import accepts"
                )
            values[name] = parsed.values
            if spec.type == "date" and parsed.values.dt.hour.fillna(0).astype(bool).any():
                values[name] = parsed.values.dt.normalize()
            if name not in ATTRIBUTE_DATES:
                precision = parsed.precision
            if not empty.all():
                notices.append(parsed.rule)
        elif spec.type in ("score", "rating", "amount", "count", "latitude", "longitude"):
            scale = rescale.get(name) or _wildcard(rescale, name)
            number, reason = _numbers(raw, empty, spec, source, scale, remedies)
            values[name] = number
        else:
            reason = pd.Series("", index=raw.index)
            if spec.type == "id":
                raw, reason = _ids(raw, padded[name] if padded is not None and name in padded else None)
            elif spec.type == "short":
                raw = _without_bidi_controls(raw)
            limit = {"id": MAX_ID_LENGTH, "short": MAX_SHORT_LENGTH, "text": limits.cell_bytes}.get(spec.type)
            if limit:
                reason = reason.mask(
                    raw.str.len().gt(limit) & reason.eq(""), f"longer than {limit:,} characters"
                )
            values[name] = raw.where(~empty, None)
        if spec.required:
            reason = reason.mask(empty, "empty")
        if reason.ne("").any():
            reasons.append(_rejects(raw, reason, row_numbers, source))
    rejects = (
        pd.concat(reasons, ignore_index=True).sort_values(["row", "column"], kind="stable")
        if reasons
        else pd.DataFrame(columns=["frame_index", "row", "column", "value", "reason"])
    )
    return ValidatedRows(values=values, precision=precision, rejects=rejects, notices=notices)


def _rejects(raw: pd.Series, reason: pd.Series, row_numbers: np.ndarray, source: str) -> pd.DataFrame:
    """One reject record per cell of column ``source`` with a reason."""
    bad = reason.ne("")
    return pd.DataFrame(
        {
            "frame_index": raw.index[bad],
            "row": row_numbers[bad.to_numpy()],
            "column": source,
            "value": raw[bad].to_numpy(),
            "reason": reason[bad].to_numpy(),
        }
    )


def _ids(raw: pd.Series, padded: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Ids in NFKC (full-width ``ＳＴ１`` is ``ST1``), and why any is refused: an invisible character
    (Unicode control or format, such as a zero-width space or a right-to-left override) would make a
    look-alike of another id, and white space around it in the file another id than it seems."""
    reason = pd.Series("", index=raw.index)
    if padded is not None:
        reason = reason.mask(
            padded.reindex(raw.index, fill_value=False),
            "has white space before or after it; ids are read exactly as written, so remove it",
        )
    unusual = raw.str.contains(NOT_PRINTABLE_ASCII, regex=True).to_numpy(dtype=bool)
    if unusual.any():
        normal = raw[unusual].map(lambda text: unicodedata.normalize("NFKC", text))
        raw = raw.mask(unusual, normal)
        hidden = normal.map(_invisible)
        reason = reason.mask(hidden.reindex(raw.index, fill_value="").ne("") & reason.eq(""),
                             "contains an invisible character (" + hidden.reindex(raw.index, fill_value="") +
                             "), which would make it a look-alike of another id")  # fmt: skip
    return raw, reason


def _invisible(text: str) -> str:
    """The first control or format character of ``text`` as ``U+200B ZERO WIDTH SPACE``, else ''."""
    for character in text:
        if unicodedata.category(character) in ("Cc", "Cf"):
            return f"U+{ord(character):04X} {unicodedata.name(character, 'control character')}"
    return ""


def _without_bidi_controls(raw: pd.Series) -> pd.Series:
    """Names without the characters that reorder text around them (an override in a region name
    would show it reversed)."""
    unusual = raw.str.contains(NOT_ASCII, regex=True).to_numpy(dtype=bool)
    if not unusual.any():
        return raw
    return raw.mask(unusual, raw[unusual].str.replace(BIDI_PATTERN, "", regex=True).str.strip())


def _wildcard(rescale: dict[str, tuple[float, float]], name: str) -> tuple[float, float] | None:
    return rescale.get("attr_*") if name.startswith("attr_") else None


def _numbers(
    raw: pd.Series,
    empty: pd.Series,
    spec: FieldSpec,
    source: str,
    source_scale: tuple[float, float] | None,
    remedies: Remedies,
) -> tuple[pd.Series, pd.Series]:
    number = parse_numbers(raw.where(~empty, ""))
    reason = pd.Series("", index=raw.index).mask(number.isna() & ~empty, "not a number")
    whole = spec.type in ("score", "count")
    if spec.type == "amount" or spec.type == "count":
        reason = reason.mask(number.lt(0), "negative")
    elif spec.type in ("latitude", "longitude"):
        limit = 90 if spec.type == "latitude" else 180
        reason = reason.mask(number.abs().gt(limit), f"outside -{limit}..{limit}")
    elif spec.scale:
        low, high = spec.scale
        if source_scale is None:
            outside = number.lt(low) | number.gt(high)
            _check_scale(number, outside, spec, source, remedies.rescale_to)
            whole = True
        else:
            a, b = source_scale
            outside = number.lt(a) | number.gt(b)
            reason = reason.mask(outside, f"outside {_fmt(a)}-{_fmt(b)} ({remedies.rescale})")
            number = low + (number - a) * (high - low) / (b - a)
            whole = spec.type == "score"
        reason = reason.mask(outside & reason.eq(""), f"outside {_fmt(low)}-{_fmt(high)}")
    fraction = number.notna() & (number - number.round()).abs().gt(1e-9)
    if whole:
        reason = reason.mask(fraction & reason.eq(""), "not a whole number")
    return number.where(reason.eq("")), reason


def _check_scale(number: pd.Series, outside: pd.Series, spec: FieldSpec, source: str, remedy: str) -> None:
    count, present = int(outside.sum()), int(number.notna().sum())
    if count >= SCALE_MIN_COUNT and count > SCALE_SHARE * present:
        low, high = spec.scale
        observed = f"{_fmt(number.min())}-{_fmt(number.max())}"
        advice = remedy.format(field=spec.name, low=_fmt(number.min()), high=_fmt(number.max()))
        raise ScaleMismatchError(
            f"Column {source!r} ({spec.name}) holds values {observed}, {count} of {present} outside our "
            f"{_fmt(low)}-{_fmt(high)} scale, so the file seems to use another scale; if it does, "
            f"{advice} to map it onto {_fmt(low)}-{_fmt(high)}."
        )


def _fmt(value: float) -> str:
    return f"{value:g}"
