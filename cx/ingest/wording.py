"""How import messages speak: counted nouns, the options a person can change, recorded options in words.

The importer's messages end with a remedy ("... or pass --create-stores"). The command line's flags are
the default wording; a caller with other controls (the Data page) passes a :class:`Remedies` that
names its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def plural(count: int, noun: str = "row") -> str:
    """``1 row``, ``2 rows``, ``1,000 rows``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def share_rejected(rejected: int, total: int) -> str:
    """``1 of 3 rows was``, ``2 of 3 rows were`` (to be followed by "rejected")."""
    return f"{rejected:,} of {plural(total)} {'was' if rejected == 1 else 'were'}"


@dataclass(frozen=True)
class Remedies:
    """The names of the import options in messages, and the clauses that tell a person to use them.

    Fields holding ``{...}`` are ``str.format`` templates. The defaults are the flags of
    ``python -m cx load``.
    """

    create_stores: str = "pass --create-stores"  # after "unknown store: load it in a stores file first, or"
    encoding: str = "pass --encoding to override"  # after "encoding detected as cp1252;"
    real_encoding: str = (
        "Pass the file's real encoding, e.g. --encoding cp1256 for Arabic Windows files or --encoding "
        "cp1252 for Western European ones"
    )
    updates: str = (
        "--strict: the file would change existing stores ({changes}), so nothing was loaded; pass "
        "--allow-updates to apply the changes"
    )
    mixed_encoding: str = "pass --encoding {first} or --encoding {second} to read all of it as one"
    strict: str = "--strict: {rejected} rejected, so nothing was loaded; the reasons are in {rejects_file}."
    missing_field: str = "rename the column, or pass --map 'SOURCE={field}' or --set {field}=VALUE"
    sales_amount: str = "pass --map 'SOURCE=revenue' or --map 'SOURCE=transactions'"
    constant: str = "--set {field}"  # a field filled with a constant, where a reject names its column
    rescale: str = "--rescale"  # after "outside 0-2", in parentheses
    rescale_to: str = "pass --rescale {field}={low}-{high}"
    date_format: str = "--date-format"  # "read with --date-format %d/%m/%Y"
    date_format_to: str = "pass --date-format {format}"
    as_of: str = "--as-of"  # "relative date needs --as-of"


COMMAND_LINE = Remedies()


def describe_changes(changes: list[dict], shown: int = 5) -> str:
    """``S1 name 'Old' -> 'New'; S2 region 'North' -> 'South'`` (the first ``shown``, then how many more)."""
    words = [f"{c['store_id']} {c['field']} {c['from']!r} -> {c['to']!r}" for c in changes[:shown]]
    if len(changes) > shown:
        words.append(f"{plural(len(changes) - shown, 'more change')}")
    return "; ".join(words)


def describe_options(recorded: str | None) -> str:
    """The options an import batch recorded (JSON, see ``ImportOptions``) in words, ``"none"`` for none.

    ``{"rescale": {"csat": [0, 2]}, "encoding": "cp1252"}`` -> ``"encoding cp1252; rescale csat 0-2"``.
    Text that is not such JSON is returned as it is.
    """
    try:
        options = json.loads(recorded or "{}")
    except ValueError:
        return str(recorded)
    if not isinstance(options, dict):
        return str(recorded)
    parts = [_describe_option(name, value) for name, value in options.items()]
    return "; ".join(part for part in parts if part) or "none"


def _describe_option(name: str, value) -> str:
    if name == "mapping" and isinstance(value, dict):
        return "; ".join(
            f"column {source!r} ignored" if field == "-" else f"column {source!r} read as {field}"
            for source, field in value.items()
        )
    if name == "constants" and isinstance(value, dict):
        return "; ".join(f"{field} set to {constant!r}" for field, constant in value.items())
    if name == "rescale" and isinstance(value, dict):
        return "; ".join(f"rescale {field} {_scale(scale)}" for field, scale in value.items())
    labels = {
        "encoding": "encoding {}",
        "date_format": "date format {}",
        "as_of": "relative dates counted back from {}",
        "create_stores": "unknown stores created",
        "strict": "nothing loaded if any row is rejected",
    }
    if value in (None, False, {}, [], ""):
        return ""
    return labels.get(name, f"{name} {{}}").format(value)


def _scale(scale) -> str:
    try:
        low, high = scale
        return f"{float(low):g}-{float(high):g}"
    except (TypeError, ValueError):
        return str(scale)
