"""Users, roles and grants on SQLite and PostgreSQL: grants resolve to the stores they name, passwords
are Argon2 hashes that only the right password opens, five failures lock an account, and the
``users`` commands never print a hash."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import text

from cx.cli import main
from cx.config import make_engine
from cx.store import users
from tests.helpers import load, write_csv

STORES = (
    "store_id,name,region,district",
    "S1,One,North,Harbour",
    "S2,Two,North,Hills",
    "S3,Three,South,Coast",
)
PASSWORD = "correct horse battery"


@pytest.fixture
def engine(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_grants_resolve_to_the_stores_they_name(engine):
    users.add_user(engine, "Gulf@Example.com", role="regional_manager", grants=[("region", "North")])
    users.add_user(engine, "coast@example.com", role="regional_manager", grants=[("district", "Coast")])
    users.add_user(engine, "s2@example.com", role="store_manager", grants=[("store", "S2")])
    users.add_user(engine, "boss@example.com", role="executive")
    users.add_user(engine, "nobody@example.com", role="store_manager")
    assert users.visible_stores(engine, "gulf@example.com") == {"S1", "S2"}
    assert users.visible_stores(engine, "coast@example.com") == {"S3"}
    assert users.visible_stores(engine, "s2@example.com") == {"S2"}
    assert users.visible_stores(engine, "boss@example.com") is None  # the whole brand
    assert users.visible_stores(engine, "nobody@example.com") == frozenset()
    users.grant(engine, "s2@example.com", "store", "S3")
    assert users.user_scope(engine, "S2@example.com").visible_stores == {"S2", "S3"}
    users.revoke(engine, "s2@example.com", "store", "S2")
    assert users.visible_stores(engine, "s2@example.com") == {"S3"}


def test_grants_that_name_nothing_or_do_not_fit_the_role_are_refused(engine):
    with pytest.raises(ValueError, match="no region 'Nowhere'"):
        users.add_user(engine, "a@example.com", role="regional_manager", grants=[("region", "Nowhere")])
    with pytest.raises(ValueError, match="takes grants of store, not region"):
        users.add_user(engine, "b@example.com", role="store_manager", grants=[("region", "North")])
    with pytest.raises(ValueError, match="reads the whole brand; it takes no grants"):
        users.add_user(engine, "c@example.com", role="cx_lead", grants=[("store", "S1")])
    with pytest.raises(ValueError, match="no role 'owner'"):
        users.add_user(engine, "d@example.com", role="owner")
    assert users.list_users(engine) == []  # a refused user is not half created
    users.add_user(engine, "e@example.com", role="executive")
    with pytest.raises(ValueError, match="already a user e@example.com"):
        users.add_user(engine, "E@example.com", role="admin")


def test_a_password_is_kept_as_an_argon2id_hash_and_only_it_signs_in(engine):
    users.add_user(engine, "lead@example.com", role="cx_lead", password=PASSWORD)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert users.sign_in(engine, "LEAD@example.com", PASSWORD)["last_sign_in_at"] is not None
    for email, password in (("lead@example.com", PASSWORD + "!"), ("who@example.com", PASSWORD)):
        with pytest.raises(users.SignInRefused, match="^The e-mail address or the password is wrong.$"):
            users.sign_in(engine, email, password)
    with pytest.raises(ValueError, match="at least 10 characters"):
        users.set_password(engine, "lead@example.com", "short")


def test_five_failures_lock_the_account_for_fifteen_minutes_even_to_the_right_password(engine):
    users.add_user(engine, "gulf@example.com", role="regional_manager", password=PASSWORD,
                   grants=[("region", "North")])  # fmt: skip
    start = dt.datetime(2026, 12, 7, 9, 0)
    for minute in range(5):
        with pytest.raises(users.SignInRefused, match="wrong"):
            users.sign_in(engine, "gulf@example.com", "guess", now=start + dt.timedelta(minutes=minute))
    with pytest.raises(users.SignInRefused, match="locked until 09:19"):
        users.sign_in(engine, "gulf@example.com", PASSWORD, now=start + dt.timedelta(minutes=10))
    assert users.sign_in(engine, "gulf@example.com", PASSWORD, now=start + dt.timedelta(minutes=20))


def test_a_disabled_user_neither_signs_in_nor_sees_stores(engine):
    users.add_user(
        engine, "s1@example.com", role="store_manager", password=PASSWORD, grants=[("store", "S1")]
    )
    users.disable(engine, "s1@example.com")
    with pytest.raises(users.SignInRefused, match="disabled"):
        users.sign_in(engine, "s1@example.com", PASSWORD)
    with pytest.raises(ValueError, match="disabled"):
        users.visible_stores(engine, "s1@example.com")


def test_the_users_commands_manage_people_and_never_print_a_hash(engine, database_url, capsys, monkeypatch):
    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(["users", *args, "--db", database_url])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("add", "gulf@example.com", "--role", "regional_manager", "--region", "North",
                       "--password-stdin", "--json", stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0 and json.loads(out)["user"]["grants"] == [{"level": "region", "value": "North"}]
    assert run("grant", "gulf@example.com", "--store", "S3")[0] == 0
    code, out, err = run("revoke", "gulf@example.com", "--store", "S9")
    assert code == 1 and not out and "holds no grant of store 'S9'" in err
    assert run("passwd", "gulf@example.com", "--password-stdin", stdin="another long secret\n")[0] == 0
    assert users.sign_in(engine, "gulf@example.com", "another long secret")
    assert run("disable", "gulf@example.com")[0] == 0
    code, out, _ = run("list", "--json")
    [listed] = json.loads(out)["users"]
    assert code == 0 and listed["active"] is False and listed["role"] == "regional_manager"
    assert set(listed) == set(users.USER_KEYS)
    code, out, _ = run("list")
    assert "gulf@example.com" in out and "disabled" in out and "region North, store S3" in out
    assert "$argon2" not in out and PASSWORD not in out


READS = (
    ["metrics", "--by", "store"],
    ["compare", "--metric", "nps"],
    ["consistency", "--metric", "nps"],
    ["drivers", "--target", "nps"],
    ["explain", "--metric", "nps"],
)


@pytest.fixture
def answered(engine, database_url, tmp_path, capsys):
    """The three stores with NPS answers, and a manager of the North region (S1, S2)."""
    rows = [f"N{i},S{1 + i % 3},2026-0{1 + i % 6}-1{i % 9},{i % 11}" for i in range(120)]
    load(
        capsys,
        database_url,
        "nps",
        write_csv(tmp_path / "n.csv", "response_id,store_id,responded_at,score", *rows),
    )
    users.add_user(engine, "north@example.com", role="regional_manager", grants=[("region", "North")])
    return database_url


@pytest.mark.parametrize("read", READS, ids=lambda read: read[0])
def test_a_read_as_a_manager_shows_only_their_stores(answered, capsys, read):
    if read[0] in ("metrics", "compare"):  # the same read for everyone lists S3
        capsys.readouterr()
        assert main([*read, "--db", answered, "--json"]) == 0 and "S3" in capsys.readouterr().out
    capsys.readouterr()
    assert main([*read, "--db", answered, "--json", "--as", "north@example.com"]) == 0
    out = capsys.readouterr().out
    assert "S3" not in out and "South" not in out and "Coast" not in out


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (["--store", "S3"], "Store 'S3' is outside what north@example.com may see."),
        (["--region", "South"], "Region 'South' is outside what north@example.com may see."),
    ],
)
@pytest.mark.parametrize("read", [READS[0], READS[4]], ids=lambda read: read[0])
def test_a_read_naming_a_store_or_region_outside_the_grant_exits_3_and_prints_nothing(
    answered, capsys, read, where, reason
):
    capsys.readouterr()
    assert main([*read, *where, "--db", answered, "--json", "--as", "north@example.com"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and reason in err


def test_a_read_as_an_unknown_or_disabled_user_exits_3(answered, engine, capsys):
    for email, reason in (("who@example.com", "There is no user who@example.com."),
                          ("north@example.com", "The user north@example.com is disabled.")):  # fmt: skip
        if email.startswith("north"):
            users.disable(engine, email)
        capsys.readouterr()
        assert main(["metrics", "--db", answered, "--json", "--as", email]) == 3
        out, err = capsys.readouterr()
        assert out == "" and reason in err
