"""Single sign-on: the provider's claims become an identity, the identity becomes a user of the dashboard
(on SQLite and PostgreSQL: known and active, or added with a role and group grants when the settings
allow it), and the settings and the ``[auth]`` secrets are read as documented."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from cx.access.sso import SsoSettings, identity_from_claims, user_for_identity
from cx.config import make_engine
from cx.store import users
from cx.store.users import SignInRefused
from tests.helpers import load, write_csv

STORES = (
    "store_id,name,region,district",
    "S1,One,Gulf,Coast",
    "S2,Two,Gulf,Desert",
    "S3,Three,Levant,Hills",
)
GROUP_GRANTS = {
    "cx-gulf": {"role": "regional_manager", "region": ["Gulf"]},
    "cx-hills": {"district": "Hills"},
    "cx-leads": {"role": "cx_lead"},
}


@pytest.fixture
def engine(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_known_active_user_is_who_signed_in(engine):
    users.add_user(engine, "gulf@example.com", role="regional_manager", grants=[("region", "Gulf")])
    found = user_for_identity(engine, "Gulf@Example.com", ["cx-leads"], auto_role="executive",
                              group_grants=GROUP_GRANTS)  # fmt: skip
    assert found == users.user(engine, "gulf@example.com")  # groups change nothing for a known user
    assert users.visible_stores(engine, "gulf@example.com") == {"S1", "S2"}


def test_an_unknown_email_is_refused_unless_a_role_is_set_for_newcomers(engine):
    with pytest.raises(
        SignInRefused, match="^who@example.com is not a user of this dashboard; ask an administrator.$"
    ):
        user_for_identity(engine, "who@example.com", ["cx-gulf"], group_grants=GROUP_GRANTS)
    assert users.list_users(engine) == []
    added = user_for_identity(engine, "Who@Example.com", [], auto_role="store_manager")
    assert (added["email"], added["role"], added["grants"], added["active"]) == (
        "who@example.com", "store_manager", [], True)  # fmt: skip
    assert users.visible_stores(engine, "who@example.com") == frozenset()  # sees nothing until granted
    assert user_for_identity(engine, "who@example.com", [], auto_role="store_manager") == added


def test_an_added_user_has_no_password_and_cannot_use_the_password_form(engine):
    user_for_identity(engine, "boss@example.com", [], auto_role="executive")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT password_hash FROM app_user")).scalar_one() is None
    with pytest.raises(SignInRefused, match="wrong"):
        users.sign_in(engine, "boss@example.com", "")


def test_a_disabled_user_is_refused(engine):
    users.add_user(engine, "gone@example.com", role="cx_lead")
    users.disable(engine, "gone@example.com")
    with pytest.raises(SignInRefused, match="disabled; ask an administrator"):
        user_for_identity(engine, "gone@example.com", [], auto_role="cx_lead")


def test_group_grants_give_a_newcomer_their_role_and_stores(engine):
    added = user_for_identity(engine, "gulf@example.com", ["everyone", "cx-gulf", "cx-hills"],
                              auto_role="store_manager", group_grants=GROUP_GRANTS)  # fmt: skip
    assert added["role"] == "regional_manager"
    assert added["grants"] == [{"level": "district", "value": "Hills"}, {"level": "region", "value": "Gulf"}]
    assert users.visible_stores(engine, "gulf@example.com") == {"S1", "S2", "S3"}
    lead = user_for_identity(engine, "lead@example.com", ["cx-leads"], auto_role="store_manager",
                             group_grants=GROUP_GRANTS)  # fmt: skip
    assert lead["role"] == "cx_lead" and users.visible_stores(engine, "lead@example.com") is None


def test_groups_that_disagree_or_grants_that_name_nothing_refuse_and_add_no_one(engine):
    with pytest.raises(SignInRefused, match=r"give different roles \(cx_lead, regional_manager\)"):
        user_for_identity(engine, "two@example.com", ["cx-gulf", "cx-leads"], auto_role="store_manager",
                          group_grants=GROUP_GRANTS)  # fmt: skip
    with pytest.raises(SignInRefused, match="could not be added.*no region 'Gulf '.*ask an administrator"):
        user_for_identity(engine, "typo@example.com", ["g"], auto_role="regional_manager",
                          group_grants={"g": {"region": "Gulf "}})  # fmt: skip
    with pytest.raises(SignInRefused, match="takes grants of store, not district"):
        user_for_identity(engine, "s@example.com", ["cx-hills"], auto_role="store_manager",
                          group_grants=GROUP_GRANTS)  # fmt: skip
    assert users.list_users(engine) == []


def test_claims_become_an_identity_with_a_lower_case_email_and_groups():
    assert identity_from_claims({"sub": "1", "email": " Gulf@Demo ", "groups": ["cx-gulf"]}) == {
        "email": "gulf@demo", "groups": ["cx-gulf"]}  # fmt: skip
    assert identity_from_claims({"email": "a@b", "email_verified": True}) == {"email": "a@b", "groups": []}
    assert identity_from_claims({"email": "a@b", "roles": "cx-gulf"}, groups_claim="roles")["groups"] == [
        "cx-gulf"]  # fmt: skip
    assert identity_from_claims({"email": "a@b", "groups": [{"id": 1}]})["groups"] == []


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "1"}, "gave no e-mail address"),
        ({"email": ""}, "gave no e-mail address"),
        ({"email": "a@b", "email_verified": False}, "has not verified a@b"),
        ({"email": "a@b", "email_verified": "false"}, "has not verified a@b"),
        ({"email": "not an address"}, "is not an e-mail address"),
    ],
)
def test_claims_without_a_verified_email_are_refused(claims, reason):
    with pytest.raises(SignInRefused, match=reason):
        identity_from_claims(claims)


def test_settings_come_from_the_environment(monkeypatch):
    for name in ("CX_SSO_PROVIDER", "CX_SSO_GROUPS_CLAIM", "CX_SSO_AUTO_ROLE", "CX_SSO_GROUP_GRANTS"):
        monkeypatch.delenv(name, raising=False)
    assert SsoSettings.from_env() == SsoSettings(None, "groups", None, {})
    monkeypatch.setenv("CX_SSO_PROVIDER", "okta")
    monkeypatch.setenv("CX_SSO_GROUPS_CLAIM", "roles")
    monkeypatch.setenv("CX_SSO_AUTO_ROLE", "store_manager")
    monkeypatch.setenv("CX_SSO_GROUP_GRANTS", '{"cx-gulf": {"role": "regional_manager", "region": ["Gulf"]}}')
    assert SsoSettings.from_env() == SsoSettings(
        "okta", "roles", "store_manager", {"cx-gulf": {"role": "regional_manager", "region": ["Gulf"]}})  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("CX_SSO_AUTO_ROLE", "owner", "^CX_SSO_AUTO_ROLE: There is no role 'owner'"),
        ("CX_SSO_GROUP_GRANTS", "{cx-gulf: Gulf}", "it is not JSON"),
        ("CX_SSO_GROUP_GRANTS", '["cx-gulf"]', "must be a JSON object"),
        ("CX_SSO_GROUP_GRANTS", '{"g": {"city": "Dubai"}}', "group 'g' has 'city'"),
        ("CX_SSO_GROUP_GRANTS", '{"g": {"region": [1]}}', "group 'g' has 'region'"),
        (
            "CX_SSO_GROUP_GRANTS",
            '{"g": {"role": "owner"}}',
            r"^CX_SSO_GROUP_GRANTS \(group 'g'\): There is no role",
        ),
    ],
)
def test_wrong_settings_say_what_is_wrong(monkeypatch, name, value, reason):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=reason):
        SsoSettings.from_env()


# The dashboard's side (ui/shared/sso.py), in Streamlit's test harness with the secrets and st.user given.


def _sso_answers():
    import streamlit as st

    from ui.shared import sso

    try:
        st.text(f"configured={sso.configured()} provider={sso.provider()}")
    except ValueError as error:
        st.text(f"error={error}")
    st.text(f"identity={sso.identity()}")


def sso_answers(*, secrets: dict | None = None, user: dict | None = None) -> list[str]:
    app = AppTest.from_function(_sso_answers)
    app.secrets.update(secrets or {})
    if user is not None:
        app.user = user
    app.run()
    assert not app.exception, app.exception
    return [element.value for element in app.text]


SHARED = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "a long random secret"}
PROVIDER = {"client_id": "cx", "client_secret": "s", "server_metadata_url": "https://idp/.well-known/x"}


def test_without_secrets_single_sign_on_is_not_set_up_and_nobody_is_signed_in():
    assert sso_answers() == ["configured=False provider=None", "identity=(None, None)"]
    assert sso_answers(secrets={"cx": {"currency": "EUR"}})[0] == "configured=False provider=None"


def test_the_provider_is_the_one_in_auth_the_only_one_or_the_one_named(monkeypatch):
    monkeypatch.delenv("CX_SSO_PROVIDER", raising=False)
    assert sso_answers(secrets={"auth": {**SHARED, **PROVIDER, "client_kwargs": {"scope": "openid email"}}})[
        0] == "configured=True provider=None"  # fmt: skip
    assert sso_answers(secrets={"auth": {**SHARED, "okta": PROVIDER}})[0] == "configured=True provider=okta"
    several = {"auth": {**SHARED, "okta": PROVIDER, "entra": PROVIDER}}
    assert "2 single sign-on providers (entra, okta): name the one" in sso_answers(secrets=several)[0]
    assert sso_answers(secrets={**several, "cx": {"sso_provider": "entra"}})[0] == (
        "configured=True provider=entra")  # fmt: skip
    monkeypatch.setenv("CX_SSO_PROVIDER", "okta")
    assert sso_answers(secrets={**several, "cx": {"sso_provider": "entra"}})[0] == (
        "configured=True provider=okta")  # fmt: skip
    monkeypatch.setenv("CX_SSO_PROVIDER", "google")
    assert "no [auth.google] section (they have [auth.entra], [auth.okta])" in sso_answers(secrets=several)[0]


def test_half_set_up_secrets_say_what_they_lack(monkeypatch):
    monkeypatch.delenv("CX_SSO_PROVIDER", raising=False)
    [answer, _] = sso_answers(secrets={"auth": {"redirect_uri": SHARED["redirect_uri"], "client_id": "cx"}})
    assert answer == ("error=Single sign-on is half set up: the secrets lack [auth] cookie_secret, "
                      "[auth] client_secret, [auth] server_metadata_url.")  # fmt: skip


def test_the_identity_is_the_signed_in_persons_or_a_reason_to_refuse_it(monkeypatch):
    monkeypatch.delenv("CX_SSO_GROUPS_CLAIM", raising=False)
    secrets = {"auth": {**SHARED, **PROVIDER}}
    signed_in = {"is_logged_in": True, "email": "Gulf@Demo", "groups": ["cx-gulf"], "sub": "7"}
    assert sso_answers(secrets=secrets, user=signed_in)[1] == (
        "identity=({'email': 'gulf@demo', 'groups': ['cx-gulf']}, None)")  # fmt: skip
    unverified = {**signed_in, "email_verified": False}
    assert sso_answers(secrets=secrets, user=unverified)[1].startswith(
        "identity=(None, 'The identity provider has not verified Gulf@Demo")  # fmt: skip
    assert sso_answers(secrets=secrets, user={"is_logged_in": False})[1] == "identity=(None, None)"
