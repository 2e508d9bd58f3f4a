"""Which stores and touchpoints a query covers, and which stores its caller may see: the ``Scope``
and the one gate every read passes.

Every query of the storage layer takes a ``Scope`` and builds its FROM and WHERE with :func:`gated`,
so access control lives in one place: a ``Scope`` with ``visible_stores`` never returns rows of
other stores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Table

from cx.store.models import Brand, District, Region, Store, Touchpoint

GROUP_COLUMNS = {
    "brand": Brand.name,
    "region": Region.name,
    "district": District.name,
    "store": Store.store_id,
    "format": Store.format,
    "touchpoint": Touchpoint.name,
    "stage": Touchpoint.stage,
}
TOUCHPOINT_KEYS = ("touchpoint", "stage")


@dataclass(frozen=True)
class Scope:
    """A slice of the brand. Empty fields do not filter; ``visible_stores`` None means every store."""

    visible_stores: frozenset[str] | None = None
    stores: frozenset[str] | None = None  # a chosen set of stores (e.g. a sample of the rest of the brand)
    brand: str | None = None
    region: str | None = None
    district: str | None = None
    store: str | None = None
    format: str | None = None
    touchpoint: str | None = None
    stage: str | None = None

    @property
    def needs_touchpoints(self) -> bool:
        return self.touchpoint is not None or self.stage is not None

    def whole_brand(self) -> Scope:
        """The whole brand as this scope's caller may see it (the same ``visible_stores``)."""
        return Scope(visible_stores=self.visible_stores)

    def all_touchpoints(self) -> Scope:
        """The same stores with no touchpoint or stage filter (for sources that carry no touchpoint)."""
        return replace(self, touchpoint=None, stage=None)

    def describe(self) -> str:
        parts = [
            f"{k} {v}"
            for k, v in vars(self).items()
            if v is not None and k not in ("visible_stores", "stores")
        ]
        return ", ".join(parts) or "whole brand"


# Which joined table each group key and scope field needs (beyond the fact or rollup table itself).
NEEDS = {
    "brand": ("store", "region", "brand"),
    "region": ("store", "region"),
    "district": ("store", "district"),
    "format": ("store",),
    "touchpoint": ("touchpoint",),
    "stage": ("touchpoint",),
}


def scope_conditions(scope: Scope, store_id=Store.store_id) -> list[ColumnElement[bool]]:
    """WHERE conditions (parameterised) on the joined store/region/brand/district/touchpoint tables.

    ``store_id`` is the column that names the store on the queried table, so store filters need no join.
    """
    conditions: list[ColumnElement[bool]] = []
    if scope.visible_stores is not None:
        conditions.append(store_id.in_(sorted(scope.visible_stores)))
    if scope.stores is not None:
        conditions.append(store_id.in_(sorted(scope.stores)))
    for value, column in (
        (scope.brand, Brand.name),
        (scope.region, Region.name),
        (scope.district, District.name),
        (scope.store, store_id),
        (scope.format, Store.format),
        (scope.touchpoint, Touchpoint.name),
        (scope.stage, Touchpoint.stage),
    ):
        if value is not None:
            conditions.append(column == value)
    return conditions


def tables_needed(scope: Scope, by: tuple[str, ...]) -> set[str]:
    """The organisation tables a query must join for this scope and grouping."""
    fields = {key for key in by} | {name for name, value in vars(scope).items() if value is not None}
    return {table for field in fields for table in NEEDS.get(field, ())}


def organisation_join(table: Table, needed: set[str]):
    """``table`` (a rollup or a fact table) joined to just the organisation tables a query uses
    (``needed``, see :func:`cx.store.scope.tables_needed`)."""
    joined = table
    if needed & {"store", "region", "brand", "district"} and table is not Store.__table__:
        joined = joined.join(Store.__table__, Store.store_id == table.c.store_id)
    if needed & {"region", "brand"}:
        joined = joined.join(Region.__table__, Region.id == Store.region_id)
    if "brand" in needed:
        joined = joined.join(Brand.__table__, Brand.id == Region.brand_id)
    if "district" in needed:
        joined = joined.outerjoin(District.__table__, District.id == Store.district_id)
    if "touchpoint" in needed:
        joined = joined.outerjoin(Touchpoint.__table__, Touchpoint.id == table.c.touchpoint_id)
    return joined


def gated(table: Table, scope: Scope, *, by: tuple[str, ...] = (), also: frozenset[str] = frozenset()):
    """The gate: ``table`` joined to the organisation tables that ``scope`` and the grouping ``by``
    need (plus ``also``), and the parameterised WHERE conditions that confine it to ``scope``.

    Returns ``(from_clause, conditions)``; callers add their own conditions to the list.
    """
    needed = tables_needed(scope, by) | set(also)
    return organisation_join(table, needed), scope_conditions(scope, store_id=table.c.store_id)
