"""What a signed-in viewer may see and change, on SQLite and PostgreSQL: scopes only narrow, goals and
actions of a region show to its manager, writes stay inside the grant, and the CLI's ``--as`` on the
record, batch, audit and load commands refuses with exit 3 and nothing on stdout."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cx.access.viewer import OPEN, Viewer, anyone_signs_in, check_write, demo_viewer, viewer_for
from cx.analysis.explain import record_action
from cx.analysis.goals import create_goal, goal_progress, list_goals
from cx.cli import main
from cx.config import make_engine
from cx.store import users
from cx.store.records import action_rows
from cx.store.scope import Scope
from cx.store.sessions import end_session, session_for, start_session
from tests.helpers import load, write_csv

STORES = (
    "store_id,name,region,district,format",
    "S1,One,North,Harbour,mall",
    "S2,Two,North,Hills,express",
    "S3,Three,South,Coast,mall",
)


@pytest.fixture
def engine(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    engine = make_engine(database_url)
    users.add_user(engine, "north@example.com", role="regional_manager", grants=[("region", "North")])
    users.add_user(engine, "hills@example.com", role="regional_manager", grants=[("district", "Hills")])
    users.add_user(engine, "s1@example.com", role="store_manager", grants=[("store", "S1")])
    users.add_user(engine, "boss@example.com", role="executive")
    yield engine
    engine.dispose()


def goal(engine, scope_type: str, scope_value: str | None) -> int:
    return create_goal(engine, metric="nps", scope_type=scope_type, scope_value=scope_value,
                       period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31), target=30.0)  # fmt: skip


def test_a_viewer_narrows_every_scope_and_never_widens_it(engine):
    north = viewer_for(engine, "NORTH@example.com")
    assert north.confined and north.visible_stores == {"S1", "S2"}
    assert north.confine(None) == Scope(visible_stores=frozenset({"S1", "S2"}))
    assert north.confine(Scope(region="South")).visible_stores == {"S1", "S2"}  # the gate then finds nothing
    assert north.confine(Scope(visible_stores=frozenset({"S2", "S3"}))).visible_stores == {"S2"}
    assert OPEN.confine(Scope(store="S3")) == Scope(store="S3")
    assert not viewer_for(engine, "boss@example.com").confined
    assert anyone_signs_in(engine)


def test_goals_and_actions_of_a_region_show_to_its_manager_only_when_it_holds_only_their_stores(engine):
    ids = {
        name: goal(engine, *name.split(":"))
        for name in ("region:North", "region:South", "store:S1", "store:S3")
    }
    ids["brand"] = goal(engine, "brand", None)
    shown = lambda email: set(list_goals(engine, scope=viewer_for(engine, email).scope())["id"])  # noqa: E731
    assert shown("north@example.com") == {ids["region:North"], ids["store:S1"]}
    assert shown("hills@example.com") == set()  # a district of North: not the whole region
    assert shown("s1@example.com") == {ids["store:S1"]}
    assert shown("boss@example.com") == set(ids.values())
    progress = goal_progress(
        engine, as_of=dt.date(2026, 6, 1), scope=viewer_for(engine, "s1@example.com").scope()
    )
    assert list(progress["id"]) == [ids["store:S1"]]
    record_action(
        engine, action_date=dt.date(2026, 3, 1), scope_type="store", scope_value="S3", description="x"
    )
    record_action(
        engine, action_date=dt.date(2026, 3, 1), scope_type="region", scope_value="North", description="y"
    )
    assert list(
        action_rows(engine, scope=viewer_for(engine, "north@example.com").scope())["description"]
    ) == ["y"]


def test_writes_stay_inside_the_grant_and_the_role(engine):
    north, s1 = viewer_for(engine, "north@example.com"), viewer_for(engine, "s1@example.com")
    check_write(engine, north, "goals", "region", "North")
    check_write(engine, north, "goals", "store", "S2")
    check_write(engine, s1, "actions", "store", "S1")
    refusals = [
        (north, "goals", "region", "South", "not for region South"),
        (north, "goals", "brand", None, "not for the whole brand"),
        (north, "goals", "format", "mall", "not for format mall"),  # S3 is a mall store too
        (north, "goals", "store", "S9", "not for store S9"),
        (s1, "goals", "store", "S1", "store manager role may not set goals"),
        (viewer_for(engine, "boss@example.com"), "actions", "store", "S1", "executive role may not record"),
    ]
    for viewer, write, scope_type, scope_value, words in refusals:
        with pytest.raises(users.OutsideGrant, match=words):
            check_write(engine, viewer, write, scope_type, scope_value)
    check_write(engine, OPEN, "imports", "brand", None)


def test_a_disabled_user_is_no_viewer_and_demo_users_sign_in_only_on_the_demo_brand(engine):
    users.disable(engine, "s1@example.com")
    with pytest.raises(ValueError, match="disabled"):
        viewer_for(engine, "s1@example.com")
    users.add_user(engine, "lead@demo", role="cx_lead")
    with pytest.raises(users.SignInRefused, match="only on the demo brand"):
        demo_viewer(engine, "lead@demo")  # this database holds no demo brand
    with pytest.raises(users.SignInRefused, match="only on the demo brand"):
        demo_viewer(engine, "boss@example.com")


def test_sessions_keep_only_the_hash_and_end_at_sign_out_or_expiry(engine):
    now = dt.datetime(2026, 12, 7, 9, 0)
    token = start_session(engine, "north@example.com", method="password", hours=12, now=now)
    assert session_for(engine, token, now=now + dt.timedelta(hours=11))["email"] == "north@example.com"
    assert session_for(engine, token, now=now + dt.timedelta(hours=12, seconds=1)) is None
    assert session_for(engine, token + "x", now=now) is None
    with engine.connect() as connection:
        stored = "".join(
            str(v) for row in connection.exec_driver_sql("select * from sign_in_session") for v in row
        )
    assert token not in stored
    end_session(engine, token, now=now + dt.timedelta(hours=1))
    assert session_for(engine, token, now=now + dt.timedelta(hours=2)) is None


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_acts_as_the_user_on_records_batches_audit_and_load(engine, database_url, tmp_path, capsys):
    goal(engine, "region", "South")
    north_goal = goal(engine, "region", "North")
    code, out, _ = run(capsys, "goals", "list", "--db", database_url, "--as", "north@example.com", "--json")
    assert code == 0 and [g["id"] for g in json.loads(out)["goals"]] == [north_goal]
    south = json.loads(run(capsys, "goals", "list", "--db", database_url, "--json")[1])["goals"][0]["id"]
    code, out, err = run(capsys, "goals", "edit", str(south), "--version", "1", "--target", "40",
                         "--db", database_url, "--as", "north@example.com")  # fmt: skip
    assert (code, out) == (3, "") and "no goal" in err and "South" not in err
    code, out, _ = run(capsys, "goals", "edit", str(north_goal), "--version", "1", "--target", "40",
                       "--db", database_url, "--as", "north@example.com")  # fmt: skip
    assert code == 0
    code, out, err = run(capsys, "goals", "edit", str(north_goal), "--version", "2", "--target", "41",
                         "--db", database_url, "--as", "boss@example.com")  # fmt: skip
    assert (code, out) == (3, "") and "may not set goals" in err
    nps = write_csv(tmp_path / "n.csv", "store_id,responded_at,score", "S1,2026-01-05,9")
    for argv in (("batches", "list"), ("audit",), ("load", "nps", str(nps)), ("actions", "list")):
        who = "unknown@example.com" if argv == ("actions", "list") else "north@example.com"
        code, out, err = run(capsys, *argv, "--db", database_url, "--as", who)
        assert (code, out) == (3, ""), argv
        assert "may not" in err or "no user" in err
    code, out, _ = run(capsys, "load", "nps", str(nps), "--db", database_url, "--as", "boss@example.com")
    assert code == 3
    users.add_user(engine, "admin@example.com", role="admin")
    code, out, _ = run(capsys, "load", "nps", str(nps), "--db", database_url, "--as", "admin@example.com",
                       "--json", "--no-prepare")  # fmt: skip
    assert code == 0 and json.loads(out)["rows_loaded"] == 1
    code, out, _ = run(capsys, "audit", "--db", database_url, "--as", "admin@example.com", "--json",
                       "--action", "import", "--limit", "1")  # fmt: skip
    assert json.loads(out)["events"][0]["actor"] == "admin@example.com"


def test_the_open_viewer_is_an_administrator_of_everything():
    assert isinstance(OPEN, Viewer) and OPEN.email is None and not OPEN.confined
    assert all(OPEN.may(write) for write in ("imports", "users", "settings", "goals", "actions", "alerts"))
