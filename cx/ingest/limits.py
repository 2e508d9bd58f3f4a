"""What an import accepts: columns, characters per cell, answer dates, and per upload on the Data page
file size and rows. Each has a default and an environment variable; the checks of a file's shape run
before the whole file is parsed, so a hostile header or cell is refused at once with little memory.

| setting | default | environment variable |
|---|---|---|
| columns per file | 500 | ``CX_MAX_COLUMNS`` |
| size of one cell | 256 kB | ``CX_MAX_CELL_KB`` |
| earliest answer, review or sales date | 1990-01-01 | ``CX_EARLIEST_DATE`` |
| upload size (Data page) | 200 MB | ``CX_MAX_UPLOAD_MB`` |
| rows per upload (Data page) | 2,000,000 | ``CX_MAX_UPLOAD_ROWS`` |
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    columns: int = 500
    cell_bytes: int = 256 * 1024
    earliest: dt.date = dt.date(1990, 1, 1)
    upload_bytes: int | None = None  # None: no limit (the command line)
    upload_rows: int | None = None

    @classmethod
    def from_env(cls, *, upload: bool = False) -> Limits:
        """The limits set in the environment; ``upload`` adds those of one upload on the Data page."""
        defaults = cls()
        return cls(
            columns=_number("CX_MAX_COLUMNS", defaults.columns),
            cell_bytes=_number("CX_MAX_CELL_KB", 256) * 1024,
            earliest=dt.date.fromisoformat(
                os.environ.get("CX_EARLIEST_DATE") or defaults.earliest.isoformat()
            ),
            upload_bytes=_number("CX_MAX_UPLOAD_MB", 200) * 1_000_000 if upload else None,
            upload_rows=_number("CX_MAX_UPLOAD_ROWS", 2_000_000) if upload else None,
        )


def _number(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"{name}={text!r} must be a whole number.") from None
    if value < 1:
        raise ValueError(f"{name}={text!r} must be at least 1.")
    return value


DEFAULT_LIMITS = Limits()
