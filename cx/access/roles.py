"""The five roles: what each may read and write.

| role | reads | writes |
|---|---|---|
| ``admin`` | everything, customers' personal data included | imports, users, settings, goals, actions, personal data (export, erase) |
| ``executive`` | the whole brand | nothing |
| ``cx_lead`` | the whole brand | goals, actions, alert rules |
| ``regional_manager`` | its granted regions and districts, and the stores in them | goals and actions within its grant |
| ``store_manager`` | its granted stores | actions within its grant |

A role that reads only its grant may still see the brand's aggregate values as a benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    whole_brand: bool  # reads every store (else only its grants)
    writes: frozenset[str]  # "imports", "users", "settings", "goals", "actions", "alerts", "personal_data"
    grant_levels: frozenset[str]  # the levels its grants may name


ROLES = {
    role.name: role
    for role in (
        Role("admin", True, frozenset({"imports", "users", "settings", "goals", "actions", "alerts",
                                       "personal_data"}), frozenset()),
        Role("executive", True, frozenset(), frozenset()),
        Role("cx_lead", True, frozenset({"goals", "actions", "alerts"}), frozenset()),
        Role("regional_manager", False, frozenset({"goals", "actions"}),
             frozenset({"brand", "region", "district", "store"})),
        Role("store_manager", False, frozenset({"actions"}), frozenset({"store"})),
    )
}  # fmt: skip


ROLE_LABELS = {"admin": "Administrator", "executive": "Executive", "cx_lead": "CX lead",
               "regional_manager": "Regional manager", "store_manager": "Store manager"}  # fmt: skip


def role_of(name: str) -> Role:
    """The role called ``name``; ``ValueError`` naming the roles there are otherwise."""
    try:
        return ROLES[name]
    except KeyError:
        raise ValueError(f"There is no role {name!r}; the roles are {', '.join(ROLES)}.") from None
