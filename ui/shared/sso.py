"""Single sign-on with Streamlit's own ``st.login`` (OpenID Connect). It is set up in the ``[auth]``
section of the secrets (``.streamlit/secrets.toml``, or the files ``--secrets.files`` names):
``redirect_uri`` and ``cookie_secret``, and ``client_id``, ``client_secret`` and
``server_metadata_url`` either in ``[auth]`` itself or in one ``[auth.<provider>]`` section per
provider. With several providers, ``CX_SSO_PROVIDER`` (or ``sso_provider`` in a ``[cx]`` section of
the secrets) names the one to use. Which user of the dashboard a signed-in person is, is
:func:`cx.access.sso.user_for_identity`'s answer.
"""

from __future__ import annotations

import streamlit as st

from cx.access.sso import SsoSettings, identity_from_claims
from cx.store.users import SignInRefused

SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def configured() -> bool:
    """Whether the secrets set up ``st.login``: False without an ``[auth]`` section (or any secrets
    file); ``ValueError`` naming what is missing when ``[auth]`` is there but incomplete."""
    auth = _secrets_section("auth")
    if not auth:
        return False
    chosen = provider()
    section, name = (auth, "[auth]") if chosen is None else (auth[chosen], f"[auth.{chosen}]")
    missing = [f"[auth] {key}" for key in SHARED_KEYS if key not in auth]
    missing += [f"{name} {key}" for key in PROVIDER_KEYS if key not in section]
    if missing:
        raise ValueError(f"Single sign-on is half set up: the secrets lack {', '.join(missing)}.")
    return True


def provider() -> str | None:
    """The ``[auth.<provider>]`` that ``st.login`` uses: the one ``CX_SSO_PROVIDER`` or ``[cx]
    sso_provider`` names, else the only one; None for the provider set up in ``[auth]`` itself."""
    auth = _secrets_section("auth")
    named = sorted(
        name for name, value in auth.items() if isinstance(value, dict) and set(value) & set(PROVIDER_KEYS)
    )
    chosen = SsoSettings.from_env().provider or _secrets_section("cx").get("sso_provider")
    if chosen:
        if chosen not in named:
            raise ValueError(
                f"Single sign-on is to use the provider {chosen!r}, but the secrets have no [auth.{chosen}] "
                f"section (they have {', '.join(f'[auth.{name}]' for name in named) or 'none'})."
            )
        return chosen
    if not named or any(key in auth for key in PROVIDER_KEYS):
        return None
    if len(named) > 1:
        raise ValueError(
            f"The secrets set up {len(named)} single sign-on providers ({', '.join(named)}): name the one "
            "to use in CX_SSO_PROVIDER or as sso_provider in a [cx] section of the secrets."
        )
    return named[0]


def offer_button() -> None:
    """A "Sign in with single sign-on" button that takes the browser to the identity provider."""
    if st.button("Sign in with single sign-on", key="sso_sign_in", icon=":material/login:"):
        st.login(provider())


def identity() -> tuple[dict | None, str | None]:
    """Who signed in with single sign-on, as ``(identity, refused)``: ``({"email", "groups"}, None)``
    (see :func:`cx.access.sso.identity_from_claims`); ``(None, reason)`` when the provider's identity
    is refused (no e-mail, or one it has not verified); ``(None, None)`` when nobody signed in."""
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        return None, None
    try:
        return identity_from_claims(claims, groups_claim=SsoSettings.from_env().groups_claim), None
    except SignInRefused as refused:
        return None, str(refused)


def sign_out() -> None:
    """End the single sign-on: forget the identity cookie (and sign out at the provider if it can)."""
    st.logout()


def _secrets_section(name: str) -> dict:
    try:
        section = st.secrets.to_dict().get(name)
    except FileNotFoundError:  # no secrets file at all
        return {}
    return section if isinstance(section, dict) else {}
