"""Single sign-on: the identity an OpenID Connect provider vouches for, and the user of the dashboard
that identity is. The provider proves an e-mail address; :mod:`cx.store.users` says what its owner may
see. A person the dashboard does not know is refused, unless ``CX_SSO_AUTO_ROLE`` lets them in.

| setting | environment variable | default |
|---|---|---|
| the provider of ``[auth]`` in the secrets to sign in with | ``CX_SSO_PROVIDER`` | the only one |
| the claim listing the person's groups at the provider | ``CX_SSO_GROUPS_CLAIM`` | ``groups`` |
| the role of a person the dashboard does not know yet | ``CX_SSO_AUTO_ROLE`` | none: refused |
| grants (and role) by provider group for such a person, as JSON | ``CX_SSO_GROUP_GRANTS`` | none |

``CX_SSO_GROUP_GRANTS`` looks like ``{"cx-gulf": {"role": "regional_manager", "region": ["Gulf"]}}``:
each group may name a role and grants at the levels of :data:`cx.store.users.GRANT_LEVELS` (one name
or a list). They apply once, when the person is added; later changes are made with ``users grant``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from cx.access.roles import role_of
from cx.store.users import GRANT_LEVELS, SignInRefused, add_user, normal_email, user

GroupGrants = Mapping[str, Mapping[str, str | list[str]]]


@dataclass(frozen=True)
class SsoSettings:
    provider: str | None = None
    groups_claim: str = "groups"
    auto_role: str | None = None
    group_grants: GroupGrants = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> SsoSettings:
        """The settings in the environment; ``ValueError`` naming the variable that is wrong."""
        auto_role = os.environ.get("CX_SSO_AUTO_ROLE") or None
        if auto_role:
            _checked_role("CX_SSO_AUTO_ROLE", auto_role)
        return cls(
            provider=os.environ.get("CX_SSO_PROVIDER") or None,
            groups_claim=os.environ.get("CX_SSO_GROUPS_CLAIM") or "groups",
            auto_role=auto_role,
            group_grants=group_grants_from_json(os.environ.get("CX_SSO_GROUP_GRANTS") or "{}"),
        )


def group_grants_from_json(text: str) -> GroupGrants:
    """``CX_SSO_GROUP_GRANTS`` read and checked: group -> ``{"role": ..., level: [names]}``."""
    wrong = (
        'CX_SSO_GROUP_GRANTS must be a JSON object like {"cx-gulf": {"role": "regional_manager", '
        f'"region": ["Gulf"]}}, with the levels {", ".join(GRANT_LEVELS)}'
    )
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{wrong}; it is not JSON ({error}).") from None
    if not isinstance(parsed, dict) or not all(isinstance(spec, dict) for spec in parsed.values()):
        raise ValueError(f"{wrong}.")
    for group, spec in parsed.items():
        for key, value in spec.items():
            if key == "role" and isinstance(value, str):
                _checked_role(f"CX_SSO_GROUP_GRANTS (group {group!r})", value)
            elif key not in GRANT_LEVELS or not _names(value):
                raise ValueError(f"{wrong}; group {group!r} has {key!r}: {value!r}.")
    return parsed


def identity_from_claims(claims: Mapping, *, groups_claim: str = "groups") -> dict:
    """``{"email", "groups"}`` of a signed-in person from the provider's claims (e-mail lower-cased; the
    groups from ``groups_claim``, none when it is absent). :class:`SignInRefused` when there is no
    usable e-mail, or ``email_verified`` is present and false."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise SignInRefused(
            "The identity provider gave no e-mail address, which the dashboard knows its users by; "
            "ask an administrator to let the provider share it (scope email)."
        )
    if str(claims.get("email_verified", True)).lower() == "false":
        raise SignInRefused(
            f"The identity provider has not verified {email}; verify it there, then sign in again."
        )
    try:
        email = normal_email(email)
    except ValueError:
        raise SignInRefused(f"The identity provider's e-mail {email!r} is not an e-mail address.") from None
    return {"email": email, "groups": _names(claims.get(groups_claim)) or []}


def user_for_identity(
    engine: Engine,
    email: str,
    groups: list[str],
    *,
    auto_role: str | None = None,
    group_grants: GroupGrants | None = None,
) -> dict:
    """The active user (as :func:`cx.store.users.user` lists them) whose e-mail the provider proved.

    A person the dashboard does not know is refused (:class:`SignInRefused`) unless ``auto_role`` is
    given: then they are added without a password, with the role their ``groups`` name in
    ``group_grants`` (else ``auto_role``) and those groups' grants. A disabled user is refused.
    """
    email = normal_email(email)
    try:
        found = user(engine, email)
    except ValueError:  # not a user yet
        if auto_role is None:
            raise SignInRefused(f"{email} is not a user of this dashboard; ask an administrator.") from None
        found = _add_signed_in(engine, email, groups, auto_role, group_grants or {})
    if not found["active"]:
        raise SignInRefused("This account is disabled; ask an administrator.")
    return found


def _add_signed_in(
    engine: Engine, email: str, groups: list[str], auto_role: str, group_grants: GroupGrants
) -> dict:
    specs = [group_grants[group] for group in groups if group in group_grants]
    roles = sorted({spec["role"] for spec in specs if "role" in spec})
    if len(roles) > 1:
        raise SignInRefused(
            f"The groups of {email} give different roles ({', '.join(roles)}); ask an administrator."
        )
    grants = sorted(
        {(level, name) for spec in specs for level, value in spec.items() if level != "role"
         for name in _names(value)}
    )  # fmt: skip
    try:
        return add_user(engine, email, role=roles[0] if roles else auto_role, grants=grants)
    except ValueError as error:
        try:
            return user(engine, email)  # another session added them a moment ago
        except ValueError:
            raise SignInRefused(f"{email} could not be added ({error}); ask an administrator.") from None


def _checked_role(setting: str, name: str) -> None:
    try:
        role_of(name)
    except ValueError as error:
        raise ValueError(f"{setting}: {error}") from None


def _names(value) -> list[str] | None:
    """One name or a list of names as a list; None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return list(value)
    return None
