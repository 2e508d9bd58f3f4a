"""Match a file's columns to canonical fields: aliases first, ``--map`` overrides, ``--set`` constants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from cx.ingest.schema import ATTRIBUTE_PREFIX, DERIVABLE_IDS, FieldSpec, attribute_spec, field_specs
from cx.ingest.wording import COMMAND_LINE, Remedies

IGNORE = "-"


class ColumnMappingError(ValueError):
    """The file's columns cannot be matched to the fields its kind needs."""


def normalise_header(name: str) -> str:
    """``"Store ID"`` -> ``"store_id"``; ``"Review.Text"`` -> ``"review_text"``."""
    return re.sub(r"[\W_]+", "_", name.strip(), flags=re.UNICODE).strip("_").casefold()


@dataclass
class ColumnMapping:
    """Which source column feeds each canonical field, and what was left out."""

    kind: str
    sources: dict[str, str] = field(default_factory=dict)  # field -> source column
    constants: dict[str, str] = field(default_factory=dict)  # field -> --set value
    unused: list[str] = field(default_factory=list)
    specs: dict[str, FieldSpec] = field(default_factory=dict)  # every field in play

    def describe(self) -> str:
        parts = [f"{source} -> {name}" for name, source in self.sources.items()]
        parts += [f"{name} = {value!r} (constant)" for name, value in self.constants.items()]
        return "columns: " + ", ".join(parts)


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, str]:
    """``["Branch Name=store_id"]`` -> ``{"Branch Name": "store_id"}``; splits at the last ``=``."""
    parsed = {}
    for pair in pairs or []:
        key, sep, value = pair.rpartition("=") if option == "--map" else pair.partition("=")
        if not sep or not key.strip():
            raise ColumnMappingError(f"{option} {pair!r} must look like NAME=VALUE.")
        parsed[key.strip()] = value.strip()
    return parsed


def map_columns(
    columns: list[str],
    kind: str,
    *,
    overrides: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    create_stores: bool = False,
    remedies: Remedies = COMMAND_LINE,
) -> ColumnMapping:
    """Map source ``columns`` to the fields of ``kind``.

    An exact canonical name beats an alias; ``--map SOURCE=FIELD`` beats both (``FIELD`` ``-`` drops
    the column). ``--set FIELD=VALUE`` fills a field with a constant and wins over the file. An error
    for a missing field ends with the advice of ``remedies``.
    """
    specs = {spec.name: spec for spec in field_specs(kind, create_stores=create_stores)}
    overrides = dict(overrides or {})
    constants = dict(constants or {})
    mapping = ColumnMapping(kind=kind, specs=specs)
    by_normalised = {normalise_header(column): column for column in columns}

    for source, target in overrides.items():
        column = source if source in columns else by_normalised.get(normalise_header(source))
        if column is None:
            raise ColumnMappingError(
                f"--map names column {source!r}, which the file does not have "
                f"(its columns: {', '.join(columns)})."
            )
        if target == IGNORE:
            mapping.unused.append(column)
            continue
        _check_target(target, kind, specs)
        mapping.sources[target] = column

    claimed = set(mapping.sources.values()) | set(mapping.unused)
    for rank in ("exact", "alias"):
        for column in columns:
            if column in claimed:
                continue
            target = _match(normalise_header(column), specs, kind, exact=rank == "exact")
            if target and target not in mapping.sources and target not in constants:
                mapping.sources[target] = column
                claimed.add(column)
    mapping.unused += [column for column in columns if column not in claimed]

    for name, value in constants.items():
        _check_target(name, kind, specs)
        mapping.sources.pop(name, None)
        mapping.constants[name] = value
    for name in list(mapping.sources) + list(mapping.constants):
        if name.startswith(ATTRIBUTE_PREFIX):
            specs[name] = attribute_spec(name)

    missing = [
        spec.name
        for spec in specs.values()
        if spec.required
        and spec.name not in mapping.sources
        and spec.name not in mapping.constants
        and spec.name != DERIVABLE_IDS.get(kind)
    ]
    if missing:
        raise ColumnMappingError(
            f"The {kind} file is missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (found: {', '.join(columns) or 'none'}); "
            f"{remedies.missing_field.format(field=missing[0])}."
        )
    if kind == "sales" and not {"revenue", "transactions"} & (set(mapping.sources) | set(mapping.constants)):
        raise ColumnMappingError(
            f"The sales file needs a 'revenue' or a 'transactions' column (found: {', '.join(columns)}); "
            f"{remedies.sales_amount}."
        )
    return mapping


def _match(normalised: str, specs: dict[str, FieldSpec], kind: str, *, exact: bool) -> str | None:
    if (
        kind == "surveys"
        and normalised.startswith(ATTRIBUTE_PREFIX)
        and len(normalised) > len(ATTRIBUTE_PREFIX)
    ):
        return normalised if exact else None
    for spec in specs.values():
        if (exact and normalised == spec.name) or (not exact and normalised in spec.aliases):
            return spec.name
    return None


def _check_target(target: str, kind: str, specs: dict[str, FieldSpec]) -> None:
    if target in specs or (kind == "surveys" and target.startswith(ATTRIBUTE_PREFIX)):
        return
    raise ColumnMappingError(
        f"{target!r} is not a field of {kind} files; choose one of {', '.join(specs)}"
        + (" or attr_<name>" if kind == "surveys" else "")
        + "."
    )


def apply_mapping(frame: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    """A frame with one column per mapped field (strings), constants broadcast."""
    canonical = pd.DataFrame(
        {name: frame[source] for name, source in mapping.sources.items()}, index=frame.index
    )
    for name, value in mapping.constants.items():
        canonical[name] = value
    return canonical
