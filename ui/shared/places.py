"""How pages name the part of the brand a scope covers, from its fields (never from the text of
``Scope.describe()``): ``the whole brand``, ``region Gulf``, ``store ST007 · City Centre``."""

from __future__ import annotations

from cx.present.root_cause import whole_brand
from cx.store.scope import Scope


def scope_name(scope: Scope) -> str:
    """``the whole brand`` (``your 11 stores`` for a viewer who sees only some), or the scope's fields
    (``region Gulf, format mall``) as sentences name it."""
    return brand_name(scope) if whole_brand(scope) else scope.describe()


def brand_name(scope: Scope) -> str:
    """``the whole brand``, or ``your 11 stores`` when the scope's viewer sees only those."""
    if scope.visible_stores is None:
        return "the whole brand"
    return f"your {count_phrase(len(scope.visible_stores), 'store')}"


def scope_title(scope: Scope) -> str:
    """:func:`scope_name` at the start of a line: ``The whole brand``, ``Region Gulf, format mall``
    (only the first letter raised: names keep the case the data give them)."""
    name = scope_name(scope)
    return name[:1].upper() + name[1:]


def count_phrase(count: int, noun: str, plural: str | None = None) -> str:
    """``1 store``, ``2 stores``, ``1,204 answers``: a count with its noun in the right number."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def place_name(scope: Scope, *, store_name: str = "") -> str:
    """``store ST007 · City Centre``, ``region Gulf`` or ``the whole brand``; `` (mall stores)`` added
    for a store format."""
    if scope.store:
        place = f"store {scope.store} · {store_name}"
    elif scope.region:
        place = f"region {scope.region}"
    else:
        place = brand_name(scope)
    return place + (f" ({scope.format} stores)" if scope.format else "")


def where_phrase(scope: Scope, *, touchpoint: str | None = None) -> str:
    """How a sentence about the scope starts: ``At ST007's Delivery touchpoint``, ``At store ST007``,
    ``In region Gulf`` or ``Across the brand``."""
    if scope.store:
        return f"At {scope.store}'s {touchpoint} touchpoint" if touchpoint else f"At store {scope.store}"
    if scope.region:
        return f"In region {scope.region}"
    return "Across the brand"


def action_scope(scope: Scope) -> tuple[str, str | None]:
    """The level an action is recorded for: ``("store", "ST007")``, ``("region", "Gulf")`` or
    ``("brand", None)``."""
    if scope.store:
        return "store", scope.store
    if scope.region:
        return "region", scope.region
    return "brand", None


def action_scope_name(scope: Scope) -> str:
    """``store ST007``, ``region Gulf`` or ``the whole brand``: who an action is recorded for."""
    scope_type, scope_value = action_scope(scope)
    return f"{scope_type} {scope_value}" if scope_value else "the whole brand"
