"""The audit log on SQLite and PostgreSQL: every kind of change and sign-in is recorded with who did it
and where, in the transaction of the change (a failed import leaves no event), never with a password;
the database refuses to change or delete an event; ``python -m cx audit`` lists them newest first."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import DBAPIError

from cx.analysis.explain import record_action, update_action
from cx.analysis.goals import create_goal, delete_goal, update_goal
from cx.cli import main
from cx.config import local_user, make_engine
from cx.ingest import ImportFailed, ImportOptions, load_file
from cx.store import audit, users
from cx.store.audit import ACTIONS, EVENT_KEYS, events, record_export
from cx.store.batches import UndoRefused, undo_batch
from cx.store.models import AuditEvent
from cx.store.schema import alembic_config, upgrade_schema
from cx.store.scope import Scope
from tests.helpers import count, load, rows, write_csv

STORES = ("store_id,name,region", "S1,One,North", "S2,Two,North", "S3,Three,South")
PASSWORD = "correct horse battery"
ADMIN = "admin@example.com"
LEAD = "lead@example.com"


@pytest.fixture
def engine(database_url, tmp_path, capsys):
    load(capsys, database_url, "stores", write_csv(tmp_path / "s.csv", *STORES))
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def trail(engine, **filters) -> list[tuple]:
    """``(actor, action, scope)`` of the events, oldest first."""
    return [(e["actor"], e["action"], e["scope"]) for e in reversed(events(engine, **filters))]


def test_every_change_is_recorded_with_its_actor_and_scope(engine, database_url, tmp_path, capsys):
    nps = write_csv(tmp_path / "nps.csv", "store_id,responded_at,score", "S1,2026-01-05,9", "S2,2026-01-06,3")
    _, imported = load(capsys, database_url, "nps", nps)
    users.add_user(engine, "Gulf@Example.com", role="regional_manager", password=PASSWORD, actor=ADMIN)
    users.grant(engine, "gulf@example.com", "region", "North", actor=ADMIN)
    users.revoke(engine, "gulf@example.com", "region", "North", actor=ADMIN)
    users.set_password(engine, "gulf@example.com", "another long secret", actor=ADMIN)
    users.sign_in(engine, "GULF@example.com", "another long secret")
    users.disable(engine, "gulf@example.com", actor=ADMIN)
    goal_id = create_goal(engine, metric="nps", scope_type="region", scope_value="North", target=40,
                          period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30),
                          created_by=LEAD)  # fmt: skip
    update_goal(engine, goal_id, version=1, updated_by=LEAD, target=45)
    delete_goal(engine, goal_id, version=2, deleted_by=LEAD)
    action_id = record_action(engine, action_date=dt.date(2026, 1, 10), scope_type="store", scope_value="S1",
                              description="Retrained the till staff", recorded_by=LEAD)  # fmt: skip
    update_action(engine, action_id, version=1, updated_by=LEAD, description="Retrained all staff")
    record_action(engine, action_date=dt.date(2026, 2, 1), scope_type="brand", scope_value=None,
                  description="New loyalty card", recorded_by=LEAD)  # fmt: skip
    undo_batch(engine, imported["batch_id"], undone_by=ADMIN)
    with pytest.raises(UndoRefused):  # a refused undo changes nothing, so records nothing
        undo_batch(engine, imported["batch_id"], undone_by=ADMIN)
    record_export(engine, actor=LEAD, what="league table CSV", scope=Scope(region="North"), rows=2)
    record_export(
        engine, actor=LEAD, what="summary PDF", scope="whole brand", rows=0, action="report_download"
    )

    assert trail(engine) == [
        (local_user(), "import", "whole brand"),  # the stores file, from the command line
        (local_user(), "import", "whole brand"),
        (ADMIN, "user_add", "whole brand"),
        (ADMIN, "user_grant", "region North"),
        (ADMIN, "user_revoke", "region North"),
        (ADMIN, "user_password", "whole brand"),
        ("gulf@example.com", "sign_in", "whole brand"),
        (ADMIN, "user_disable", "whole brand"),
        (LEAD, "goal_create", "region North"),
        (LEAD, "goal_update", "region North"),
        (LEAD, "goal_delete", "region North"),
        (LEAD, "action_create", "store S1"),
        (LEAD, "action_update", "store S1"),
        (LEAD, "action_create", "whole brand"),
        (ADMIN, "undo", "whole brand"),
        (LEAD, "export", "region North"),
        (LEAD, "report_download", "whole brand"),
    ]
    detail = {e["action"]: e["detail"] for e in reversed(events(engine))}  # the newest of each action
    customers = {
        "customers_link",
        "customer_merge",
        "customer_merge_reject",
        "customer_unmerge",
        "customer_forget",
    }
    assert set(detail) == set(ACTIONS) - {"sign_in_failed"} - customers  # failures: the next test; customers:
    # tests/test_customer_linking.py, test_customer_duplicates.py, test_customer_profile.py
    assert detail["import"] == {"batch_id": imported["batch_id"], "kind": "nps", "file": str(nps),
                                "rows_added": 2, "rows_updated": 0, "rows_duplicate": 0,
                                "rows_rejected": 0}  # fmt: skip
    assert detail["undo"] == {"batch_id": imported["batch_id"], "kind": "nps", "file": str(nps),
                              "removed": {"nps_response": 2}, "restored": 0}  # fmt: skip
    assert detail["user_add"] == {"email": "gulf@example.com", "role": "regional_manager", "grants": [],
                                  "with_password": True}  # fmt: skip
    assert detail["user_grant"] == detail["user_password"] == {"email": "gulf@example.com"}
    assert detail["sign_in"] == {"method": "password"}
    assert detail["goal_update"] == {"goal_id": goal_id, "version": 2, "metric": "nps",
                                     "scope_type": "region", "scope_value": "North",
                                     "period_start": "2026-01-01", "period_end": "2026-06-30",
                                     "target": 45.0}  # fmt: skip
    assert detail["goal_delete"] == {"goal_id": goal_id, "version": 2}
    assert detail["action_update"]["description"] == "Retrained all staff"
    assert detail["export"] == {"what": "league table CSV", "rows": 2}


def test_failed_sign_ins_are_recorded_with_their_reason_and_never_a_password(engine, database_url):
    users.add_user(
        engine, "s1@example.com", role="store_manager", password=PASSWORD, grants=[("store", "S1")]
    )
    users.add_user(engine, "gone@example.com", role="executive", password=PASSWORD)
    users.disable(engine, "gone@example.com")
    typed = "my typed wrong secret"
    attempts = [
        ("S1@Example.com ", typed),
        ("Nobody@Example.com", PASSWORD),
        ("  not an address", PASSWORD),
        ("gone@example.com", PASSWORD),
        *[("s1@example.com", typed)] * (users.LOCK_AFTER - 1),
    ]
    for email, password in [*attempts, ("s1@example.com", PASSWORD)]:  # the last: locked, though right
        with pytest.raises(users.SignInRefused):
            users.sign_in(engine, email, password)

    failed = [(e["actor"], e["detail"]["reason"], e["detail"]["method"])
              for e in reversed(events(engine, action="sign_in_failed"))]  # fmt: skip
    assert failed == [
        ("s1@example.com", "wrong", "password"),
        ("nobody@example.com", "unknown", "password"),
        ("not an address", "unknown", "password"),  # as typed: it is no e-mail address to normalise
        ("gone@example.com", "disabled", "password"),
        *[("s1@example.com", "wrong", "password")] * (users.LOCK_AFTER - 1),
        ("s1@example.com", "locked", "password"),
    ]
    assert events(engine, action="sign_in") == []
    users.set_password(engine, "s1@example.com", "a brand new long secret")
    (hashed,) = rows(database_url, "SELECT password_hash FROM app_user WHERE email = 's1@example.com'")[0]
    stored = json.dumps(rows(database_url, "SELECT * FROM audit_event"), default=str)
    for secret in (PASSWORD, typed, "a brand new long secret", hashed, "$argon2"):
        assert secret not in stored


def test_record_refuses_a_password_or_an_unknown_action(engine):
    before = len(events(engine))
    with pytest.raises(ValueError, match="never stores password"):
        audit.record(engine, actor=ADMIN, action="user_password", email="a@example.com", password=PASSWORD)
    with pytest.raises(ValueError, match="Unknown audit action 'wipe'"):
        audit.record(engine, actor=ADMIN, action="wipe")
    assert len(events(engine)) == before


def test_an_event_given_a_connection_rolls_back_with_the_change(engine):
    with pytest.raises(RuntimeError), engine.begin() as connection:
        audit.record(connection, actor=ADMIN, action="user_disable", email="a@example.com")
        raise RuntimeError("the change failed after the event was written")
    assert events(engine, action="user_disable") == []


def test_an_import_that_fails_leaves_no_import_event(engine, database_url, tmp_path, capsys, monkeypatch):
    imports = trail(engine, action="import")
    unknown = write_csv(
        tmp_path / "nps.csv", "store_id,responded_at,score", "S9,2026-01-05,9", "S8,2026-01-06,3"
    )
    assert load(capsys, database_url, "nps", unknown, "--strict")[0] == 1  # every row rejected
    renamed = write_csv(tmp_path / "s2.csv", "store_id,name,region", "S1,Renamed,North")
    assert load(capsys, database_url, "stores", renamed, "--strict")[0] == 1  # refused inside the writer
    header_only = write_csv(tmp_path / "empty.csv", "response_id,store_id,responded_at,score")
    assert load(capsys, database_url, "nps", header_only)[1]["batch_id"] is None

    def disk_full(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("cx.ingest.writer.add_batch_to_rollups", disk_full)
    good = write_csv(tmp_path / "good.csv", "store_id,responded_at,score", "S1,2026-01-05,9")
    with pytest.raises(RuntimeError, match="disk full"):
        load_file(engine, "nps", good, ImportOptions(), reports_dir=tmp_path)
    with pytest.raises(ImportFailed):
        load_file(engine, "nps", unknown, ImportOptions(strict=True), reports_dir=tmp_path)
    assert trail(engine, action="import") == imports
    assert count(database_url, "import_batch") == 1


def test_the_same_file_loaded_twice_is_recorded_twice(engine, database_url, tmp_path, capsys):
    """A re-import is an import attempt like any other: its batch is in the history, so its event is in
    the log, with 0 rows added."""
    nps = write_csv(tmp_path / "nps.csv", "store_id,responded_at,score", "S1,2026-01-05,9", "S2,2026-01-06,3")
    _, first = load(capsys, database_url, "nps", nps)
    _, again = load(capsys, database_url, "nps", nps)
    recorded = [e["detail"] for e in events(engine, action="import", limit=2)]
    assert [(d["batch_id"], d["rows_added"], d["rows_duplicate"]) for d in recorded] == [
        (again["batch_id"], 0, 2),
        (first["batch_id"], 2, 0),
    ]


def test_the_database_refuses_to_change_or_delete_an_event(engine, database_url):
    kept = rows(database_url, "SELECT * FROM audit_event")
    statements = ["UPDATE audit_event SET actor = 'someone else'", "DELETE FROM audit_event"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_event")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert rows(database_url, "SELECT * FROM audit_event") == kept
    assert len(kept) == 1


def test_downgrading_removes_the_log_and_upgrading_makes_it_append_only_again(engine):
    command.downgrade(alembic_config(engine), "0008")
    with engine.connect() as connection:
        assert not inspect(connection).has_table("audit_event")
        if engine.dialect.name == "postgresql":
            functions = connection.execute(
                text("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                     "WHERE n.nspname = current_schema() AND p.proname = 'audit_event_refuse_change'")
            ).scalar_one()  # fmt: skip
            assert functions == 0
    upgrade_schema(engine)
    audit.record(engine, actor=ADMIN, action="user_disable", email="a@example.com")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))


def test_audit_command_lists_events_newest_first_with_filters(engine, database_url, capsys):
    with engine.begin() as connection:  # an old event, as an earlier release might have left
        connection.execute(insert(AuditEvent).values(at=dt.datetime(2020, 1, 1, 9), actor=ADMIN,
                                                     action="export", scope="region North",
                                                     detail='{"rows": 3}'))  # fmt: skip
    users.add_user(engine, "a@example.com", role="executive", actor=ADMIN)
    users.add_user(engine, "b@example.com", role="executive", actor=LEAD)
    users.disable(engine, "a@example.com", actor=ADMIN)

    def audit_json(*options: str) -> dict:
        capsys.readouterr()
        assert main(["audit", "--db", database_url, "--json", *options]) == 0
        return json.loads(capsys.readouterr().out)

    everything = audit_json()
    assert set(everything) == {"events", "count"}
    listed = everything["events"]
    assert everything["count"] == len(listed) == 5
    assert all(list(event) == list(EVENT_KEYS) for event in listed)
    moments = [dt.datetime.fromisoformat(event["at"]) for event in listed]
    assert moments == sorted(moments, reverse=True)
    assert [e["action"] for e in listed] == ["user_disable", "user_add", "user_add", "import", "export"]
    assert listed[-1] == {"at": "2020-01-01T09:00:00", "actor": ADMIN, "action": "export",
                          "scope": "region North", "detail": {"rows": 3}}  # fmt: skip

    assert audit_json("--limit", "2")["events"] == listed[:2]
    assert [e["action"] for e in audit_json("--actor", "Admin@Example.com")["events"]] == [
        "user_disable", "user_add", "export"
    ]  # fmt: skip
    assert [e["actor"] for e in audit_json("--action", "user_add")["events"]] == [LEAD, ADMIN]
    assert audit_json("--since", "2020-01-02")["events"] == listed[:4]
    assert audit_json("--since", "2020-01-01")["count"] == 5
    assert audit_json("--since", "2999-01-01") == {"events": [], "count": 0}
    assert audit_json("--actor", ADMIN, "--action", "export")["events"] == listed[-1:]

    capsys.readouterr()
    assert main(["audit", "--db", database_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    assert lines[-1] == f"2020-01-01 09:00:00  {ADMIN}  export  region North  rows=3"
    assert main(["audit", "--db", database_url, "--action", "user_add", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == "No audit events match.\n"
    for wrong in (["--since", "1/2/2026"], ["--limit", "0"], ["--action", "wipe"]):
        assert main(["audit", "--db", database_url, *wrong]) == 2
