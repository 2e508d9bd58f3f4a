"""Goals and actions on SQLite and PostgreSQL: who made and changed them when, and a change of a version
someone has saved over since is refused (in Python and on the command line) and saves nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cx.analysis.explain import record_action, update_action
from cx.analysis.goals import create_goal, delete_goal, list_goals, update_goal
from cx.cli import main
from cx.config import local_user, make_engine
from cx.store.records import StaleEdit, action_rows
from cx.store.scope import Scope
from tests.helpers import load, write_csv

STALE = r"was changed by ana at .* after you read it \(you read version 1, it is now version 2\), so nothing"


@pytest.fixture
def engine(database_url, tmp_path, capsys):
    load(
        capsys, database_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "A,Alpha,North")
    )
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def new_goal(engine) -> int:
    return create_goal(engine, metric="nps", scope_type="store", scope_value="A",
                       period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30), target=40)  # fmt: skip


def test_a_goal_records_who_and_when_and_refuses_a_stale_change(engine):
    goal_id = new_goal(engine)
    made = list_goals(engine).loc[0]
    assert (made["version"], made["created_by"], made["updated_by"]) == (1, local_user(), None)
    update_goal(engine, goal_id, version=1, updated_by="ana", target=45)
    with pytest.raises(StaleEdit, match=f"Goal #{goal_id} {STALE}"):
        update_goal(engine, goal_id, version=1, updated_by="ben", target=50)
    with pytest.raises(StaleEdit, match=f"Goal #{goal_id} {STALE}"):
        delete_goal(engine, goal_id, version=1)
    now = list_goals(engine).loc[0]
    assert (now["target"], now["version"], now["updated_by"]) == (45.0, 2, "ana")
    assert now["created_at"] <= now["updated_at"] <= dt.datetime.now()
    update_goal(engine, goal_id, version=2, target=50)
    assert list_goals(engine).loc[0, ["target", "version", "updated_by"]].tolist() == [50.0, 3, local_user()]


def test_an_action_records_who_and_when_and_refuses_a_stale_change(engine):
    action_id = record_action(engine, action_date=dt.date(2026, 3, 1), scope_type="store", scope_value="A",
                              description="new checkout staff", recorded_by="dashboard")  # fmt: skip
    update_action(engine, action_id, version=1, updated_by="ana", description="retrained checkout staff")
    with pytest.raises(StaleEdit, match=f"Action #{action_id} {STALE}"):
        update_action(engine, action_id, version=1, action_date=dt.date(2026, 3, 8))
    with pytest.raises(ValueError, match="Describe the action in a few words"):
        update_action(engine, action_id, version=2, description=" ")
    action = action_rows(engine, scope=Scope()).loc[0]
    assert (action["description"], action["action_date"], action["version"]) == (
        "retrained checkout staff", dt.date(2026, 3, 1), 2,
    )  # fmt: skip
    assert (action["created_by"], action["updated_by"]) == ("dashboard", "ana")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_lists_and_changes_at_the_version_read(engine, database_url, capsys):
    goal_id = new_goal(engine)
    action_id = record_action(engine, action_date=dt.date(2026, 3, 1), scope_type="brand", scope_value=None,
                              description="price cut")  # fmt: skip
    code, out, _ = cli(capsys, "goals", "list", "--db", database_url, "--json")
    [listed] = json.loads(out)["goals"]
    assert code == 0 and (listed["id"], listed["version"], listed["created_by"]) == (goal_id, 1, local_user())
    assert cli(capsys, "goals", "edit", str(goal_id), "--version", "1", "--target", "45", "--db", database_url) == (
        0, f"Goal #{goal_id} saved; it is now at version 2.\n", "",
    )  # fmt: skip
    code, _, err = cli(capsys, "goals", "edit", str(goal_id), "--version", "1", "--end", "2026-12-31",
                       "--db", database_url)  # fmt: skip
    assert code == 1 and err.startswith(f"Goal #{goal_id} was changed by {local_user()} at ")
    assert list_goals(engine).loc[0, ["target", "period_end"]].tolist() == [45.0, dt.date(2026, 6, 30)]

    args = ("actions", "edit", str(action_id), "--db", database_url, "--json")
    assert cli(capsys, *args, "--version", "1", "--date", "2026-03-02")[:2] == (
        0, json.dumps({"action": {"id": action_id, "version": 2}}) + "\n",
    )  # fmt: skip
    code, _, err = cli(capsys, *args, "--version", "1", "--description", "price rise")
    assert code == 1 and "(you read version 1, it is now version 2), so nothing was saved" in err
    assert cli(capsys, *args, "--version", "2")[0] == 2  # nothing to change
    code, out, _ = cli(capsys, "actions", "list", "--db", database_url, "--json")
    [action] = json.loads(out)["actions"]
    assert (action["description"], action["action_date"], action["version"]) == ("price cut", "2026-03-02", 2)
