"""The command line: ``python -m cx init | demo | load | prepare | metrics | compare | consistency | drivers |
explain | linkage | batches | goals | actions | users | audit | customers``.

Exit codes: 0 done, 1 the work could not be done (the reason on stderr, one sentence), 2 usage error,
3 refused: ``--as`` names a user who may not read, or a store or region outside their grant.
Every command takes ``--db URL`` (else ``CX_DATABASE_URL``, else the SQLite file under ``data/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from cx.access.commands import add_user_commands, run_users
from cx.access.viewer import WRITE_WORDS, Viewer, check_write, viewer_for
from cx.config import Settings, local_user, make_engine
from cx.ingest import KINDS, ImportFailed, ImportOptions, ImportSummary, load_file
from cx.ingest.mapping import ColumnMappingError, parse_pairs
from cx.ingest.validate import parse_rescale
from cx.ingest.wording import plural
from cx.periods import Period
from cx.store.audit import ACTIONS, events
from cx.store.schema import upgrade_schema
from cx.store.scope import Scope
from cx.store.users import OutsideGrant, granted_scope

COMPARE_KEYS = ("store_id", "value", "low", "high", "n", "shrunk", "rank", "rank_low", "rank_high", "funnel_95",
                "funnel_998")  # fmt: skip


class UsageError(ValueError):
    """Arguments that make no sense together or cannot be parsed (exit code 2)."""


class MetricKeys(Sequence):
    """The metric keys of a group of the registry (``COMPARABLE``, ``EXPLAINABLE``) as ``--metric``
    choices, read on first use: ``load`` never imports the metrics and their statistics."""

    def __init__(self, group: str):
        self.group = group

    def _keys(self) -> tuple[str, ...]:
        from cx.metrics import registry

        return tuple(getattr(registry, self.group))

    def __getitem__(self, index):
        return self._keys()[index]

    def __len__(self) -> int:
        return len(self._keys())


# A metavar keeps argparse from reading the choices while the parser is built; help lists them.
METRIC_HELP = {"metavar": "METRIC", "help": "metric key: %(choices)s"}

OUTSIDE_GRANT = 3  # exit code of a read refused for the --as user


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (default: CX_DATABASE_URL or data/cx.db)")
    parser = argparse.ArgumentParser(prog="python -m cx", description="Customer-experience data and metrics.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", parents=[common], help="create or upgrade the database schema")

    demo = commands.add_parser("demo", parents=[common], help="load the bundled demo brand")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the demo brand (default 7)")

    load = commands.add_parser("load", parents=[common], help="import a CSV or XLSX file")
    load.add_argument("kind", choices=KINDS)
    load.add_argument("file", type=Path)
    load.add_argument("--map", action="append", metavar="SOURCE=FIELD", help="map a column to a field")
    load.add_argument("--set", action="append", metavar="FIELD=VALUE", help="fill a field with a constant")
    load.add_argument("--encoding", help="file encoding (default: detected)")
    load.add_argument("--date-format", help="strptime format of the date column, e.g. %%d/%%m/%%Y")
    load.add_argument("--as-of", help="date that relative dates ('3 months ago') count back from")
    load.add_argument(
        "--rescale", action="append", metavar="FIELD=MIN-MAX", help="map another scale onto ours"
    )
    load.add_argument("--create-stores", action="store_true", help="create stores the file names but we lack")
    load.add_argument(
        "--strict", action="store_true", help="load nothing if any row is rejected or a store would change"
    )
    load.add_argument(
        "--allow-updates", action="store_true", help="with --strict: a stores file may change existing stores"
    )
    load.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    _as_option(load, "import as this user (refused unless their role imports)")
    load.add_argument(
        "--no-prepare",
        dest="prepare",
        action="store_false",
        help="skip preparing the root cause's first views (when more files follow: run prepare after the last)",
    )

    prepare = commands.add_parser(
        "prepare", parents=[common], help="compute the root cause's first views after loading files"
    )
    prepare.add_argument("--json", action="store_true", help="print one JSON object")

    metrics = commands.add_parser(
        "metrics", parents=[common, _read_options()], help="headline metrics per group"
    )
    metrics.add_argument("--by", choices=("brand", "region", "store", "touchpoint", "stage"), default="brand")
    _scope_options(metrics)
    metrics.add_argument("--json", action="store_true", help="print one JSON array")

    compare = commands.add_parser("compare", parents=[common, _read_options()], help="league table of stores")
    compare.add_argument("--metric", choices=MetricKeys("COMPARABLE"), required=True, **METRIC_HELP)
    compare.add_argument("--region")
    compare.add_argument("--json", action="store_true", help="print one JSON array")

    consistent = commands.add_parser(
        "consistency", parents=[common, _read_options()], help="how alike stores are"
    )
    consistent.add_argument("--metric", choices=MetricKeys("COMPARABLE"), required=True, **METRIC_HELP)
    consistent.add_argument("--touchpoint")
    consistent.add_argument("--region")
    consistent.add_argument("--json", action="store_true", help="print one JSON object")

    drivers = commands.add_parser("drivers", parents=[common, _read_options()], help="key-driver analysis")
    drivers.add_argument("--target", choices=("nps", "csat"), required=True)
    _scope_options(drivers)
    drivers.add_argument("--json", action="store_true", help="print one JSON array")
    explain = commands.add_parser("explain", parents=[common, _read_options()], help="root-cause drill-down")
    explain.add_argument("--metric", choices=MetricKeys("EXPLAINABLE"), required=True, **METRIC_HELP)
    _scope_options(explain)
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    linkage = commands.add_parser(
        "linkage", parents=[common, _read_options()], help="CX to revenue: return and spend by NPS group"
    )
    linkage.add_argument("--days", type=int, default=90, help="a return is a purchase within this many days")
    _scope_options(linkage)
    linkage.add_argument("--json", action="store_true", help="print one JSON object")
    _record_commands(commands, common)
    add_user_commands(commands, common)

    audit = commands.add_parser("audit", parents=[common], help="the audit log: who did what, newest first")
    audit.add_argument("--json", action="store_true", help="print one JSON object")
    audit.add_argument("--limit", type=int, metavar="N", help="at most N events")
    audit.add_argument("--actor", metavar="EMAIL", help="only this person's events (an e-mail or OS user)")
    audit.add_argument("--action", choices=ACTIONS, metavar="ACTION", help="only this action: %(choices)s")
    audit.add_argument("--since", metavar="YYYY-MM-DD", help="only events on or after this day")
    _as_option(audit, "read as this user (refused unless an administrator)")

    customers = commands.add_parser("customers", help="customer 360: link records to the CRM's customers")
    customer_actions = customers.add_subparsers(dest="action", required=True)
    link = customer_actions.add_parser(
        "link", parents=[common], help="link NPS, survey answers and transactions to customers by their keys"
    )
    link.add_argument("--json", action="store_true", help="print one JSON object")
    _as_option(link, "act as this user (refused unless they may import)")
    for action, words, option in (
        ("show", "one customer's profile and timeline across stores and sources", "read as this user: only the events at their stores"),
        ("export", "everything held about one customer, personal data included", "act as this user (refused unless an administrator)"),
        ("forget", "erase one customer's personal data and links (scores stay, anonymous)", "act as this user (refused unless an administrator)"),
    ):  # fmt: skip
        command = customer_actions.add_parser(action, parents=[common], help=words)
        command.add_argument("customer_id", metavar="CUSTOMER_ID")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        _as_option(command, option)
    for action, words, ids in (
        ("merge", "merge the second customer into the first (the same person)", ("kept_id", "merged_id")),
        ("reject", "say two proposed customers are different people", ("kept_id", "merged_id")),
        ("unmerge", "undo the latest merge of a customer", ("merged_id",)),
        ("duplicates", "the pairs of customers proposed for merging", ()),
    ):
        command = customer_actions.add_parser(action, parents=[common], help=words)
        for name in ids:
            command.add_argument(name, metavar=name.upper())
        command.add_argument("--json", action="store_true", help="print one JSON object")
        _as_option(command, "act as this user (refused unless an administrator)")
    return parser


def _record_commands(commands, common: argparse.ArgumentParser) -> None:
    """``batches list | undo ID``, ``goals list | edit ID``, ``actions list | edit ID``."""
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON object")
    _as_option(as_json, "act as this user: only what their role and grant allow")
    leaf = {"parents": [common, as_json]}
    batches = commands.add_parser("batches", help="list import batches, or undo one").add_subparsers(
        dest="action", required=True
    )
    batches.add_parser("list", help="every import batch: counts, when, who, loaded or undone", **leaf)
    batches.add_parser("undo", help="remove one batch's rows and update the rollups", **leaf).add_argument(
        "id", type=int, help="batch id (see batches list)"
    )
    for noun, fields in (
        ("goals", ("--target", "--start", "--end")),
        ("actions", ("--date", "--description")),
    ):
        records = commands.add_parser(noun, help=f"list or change {noun}").add_subparsers(
            dest="action", required=True
        )
        records.add_parser("list", help=f"every {noun[:-1]} with its version, who and when", **leaf)
        edit = records.add_parser("edit", help=f"change a {noun[:-1]}: give the version you read", **leaf)
        edit.add_argument("id", type=int)
        edit.add_argument(
            "--version", type=int, required=True, help="the version you read: refused if it changed since"
        )
        for name in fields:
            edit.add_argument(name, metavar="YYYY-MM-DD" if name in ("--start", "--end", "--date") else None)


def _as_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--as", dest="as_user", metavar="EMAIL", help=help)


def _acting(engine, args, write: str | None = None) -> Viewer | None:
    """The ``--as`` user as a viewer (None without ``--as``: the operating-system user, who may do
    everything); :class:`OutsideGrant` for an unknown or disabled user, or a role that may not ``write``."""
    if not getattr(args, "as_user", None):
        return None
    try:
        viewer = viewer_for(engine, args.as_user)
    except ValueError as error:
        raise OutsideGrant(str(error)) from None
    if write and not viewer.may(write):
        raise OutsideGrant(f"{viewer.email} ({viewer.role.replace('_', ' ')}) may not {WRITE_WORDS[write]}.")
    return viewer


def _read_options() -> argparse.ArgumentParser:
    """The options every read command takes: the period, and whose view of the brand to answer with."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--as",
        dest="as_user",
        metavar="EMAIL",
        help="answer only with what this user may see (default: everything)",
    )
    options.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (default: all data)")
    options.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: all data)")
    return options


def _scope_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--store", help="one store id")
    where.add_argument("--region", help="one region")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    settings = Settings.from_env(args.db)
    try:
        engine = make_engine(settings.database_url)
    except (SQLAlchemyError, ValueError, ImportError) as error:
        return _fail(f"Cannot use database URL {settings.database_url!r}: {error}.")
    try:
        if args.command == "init":
            upgrade = upgrade_schema(engine)
            print(f"{upgrade} in {engine.url.render_as_string(hide_password=True)}.")
            return 0
        if args.command == "demo":
            return _demo(engine, settings, args.seed)
        if args.command == "load":
            _upgrade(engine)
            return _load(engine, settings, args, _acting(engine, args, "imports"))
        if args.command == "prepare":
            return _prepare(engine, args.json)
        if args.command == "batches":
            _upgrade(engine)
            _acting(engine, args, "imports")
            return _batches(engine, args)
        if args.command == "users":
            _upgrade(engine)
            return run_users(engine, args)
        if args.command in ("goals", "actions"):
            _upgrade(engine)
            return _records(engine, args, _acting(engine, args))
        if args.command == "audit":
            _upgrade(engine)
            _acting(engine, args, "users")
            return _audit(engine, args)
        if args.command == "customers":
            _upgrade(engine)
            needs = {"link": "imports", "show": None}.get(args.action, "personal_data")
            return _customers(engine, args, _acting(engine, args, needs))
        return _report(engine, args)
    except OutsideGrant as refused:
        print(f"python -m cx {args.command}: {refused}", file=sys.stderr)
        return OUTSIDE_GRANT
    except UsageError as error:
        print(f"python -m cx {args.command}: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        return _fail(f"The database did not answer ({error.orig}); check --db or CX_DATABASE_URL.")
    finally:
        engine.dispose()


def _load(engine, settings: Settings, args, viewer: Viewer | None) -> int:
    options = _import_options(args)
    try:
        summary = load_file(
            engine, args.kind, args.file, options, reports_dir=settings.reports_dir, progress=_progress_bar(),
            imported_by=viewer.email if viewer else None,
        )  # fmt: skip
    except FileNotFoundError:
        summary = ImportSummary(
            kind=args.kind, file=str(args.file), error=f"File {str(args.file)!r} does not exist."
        )
    except ImportFailed as failure:
        summary = failure.summary
    if args.json:
        print(json.dumps(summary.as_json(), ensure_ascii=False))
    else:
        _print_summary(summary)
    if summary.error:
        print(summary.error, file=sys.stderr)
        return 1
    if args.prepare and summary.rows_loaded + summary.rows_updated:
        _prepare(engine, as_json=False, out=sys.stderr if args.json else sys.stdout)
    return 0


def _upgrade(engine) -> None:
    """Bring the schema to the newest revision, saying so on stderr when it was older."""
    upgrade = upgrade_schema(engine)
    if upgrade.before != upgrade.after:
        print(f"{upgrade}.", file=sys.stderr)


def _batches(engine, args) -> int:
    from cx.store.batches import UndoRefused, batch_list, undo_batch

    _upgrade(engine)
    if args.action == "list":
        batches = batch_list(engine)
        if args.json:
            print(json.dumps({"batches": _clean(batches)}, ensure_ascii=False))
        elif batches:
            shown = ["id", "when", "kind", "file", "rows_loaded", "rows_updated", "who", "status"]
            print(pd.DataFrame(batches)[shown].to_string(index=False))
        else:
            print("No imports yet.")
        return 0
    try:
        undone = undo_batch(engine, args.id)
    except UndoRefused as error:
        return _fail(str(error))
    if args.json:
        print(json.dumps({"undone": _clean(undone)}, ensure_ascii=False))
    else:
        removed = ", ".join(f"{count:,} {table}" for table, count in undone["removed"].items()) or "no rows"
        print(f"Batch {args.id} ({undone['kind']} from {undone['file']}) undone: removed {removed}; "
              f"{plural(undone['restored'], 'store')} given back their earlier values.")  # fmt: skip
    return 0


def _records(engine, args, viewer: Viewer | None) -> int:
    """``goals`` and ``actions``: list them (those the ``--as`` user may see), or change one at the
    version the caller read (if the user's role and grant allow it)."""
    from cx.analysis.explain import update_action
    from cx.analysis.goals import list_goals, update_goal
    from cx.store.records import action_row, action_rows, goal_row

    noun = args.command[:-1]
    scope = viewer.scope() if viewer else Scope()
    if args.action == "list":
        rows = list_goals(engine, scope=scope) if noun == "goal" else action_rows(engine, scope=scope)
        if args.json:
            print(json.dumps({args.command: _clean(rows.to_dict("records"))}, ensure_ascii=False))
        else:
            print(rows.to_string(index=False) if len(rows) else f"No {args.command} yet.")
        return 0
    if noun == "goal":
        given = {"target": args.target, "period_start": args.start, "period_end": args.end}
        change = update_goal
    else:
        given = {"action_date": args.date, "description": args.description}
        change = update_action
    fields = {name: value for name, value in given.items() if value is not None}
    if "action_date" in fields:
        fields["action_date"] = _iso_date("--date", fields["action_date"])
    if not fields:
        raise UsageError(f"give at least one of {', '.join(given)} to change.")
    if viewer is not None:
        if noun == "goal":
            record = goal_row(engine, args.id, scope=scope)
        else:
            seen = args.id in set(action_rows(engine, scope=scope)["id"])
            record = action_row(engine, args.id) if seen else None
        if record is None:
            raise OutsideGrant(f"There is no {noun} {args.id} among those {viewer.email} may see.")
        check_write(engine, viewer, args.command, record["scope_type"], record["scope_value"])
    try:
        change(engine, args.id, version=args.version, updated_by=viewer.email if viewer else None, **fields)
    except ValueError as error:
        return _fail(str(error))
    if args.json:
        print(json.dumps({noun: {"id": args.id, "version": args.version + 1}}))
    else:
        print(f"{noun.capitalize()} #{args.id} saved; it is now at version {args.version + 1}.")
    return 0


def _audit(engine, args) -> int:
    """``audit``: the events, newest first, as JSON or one line each."""
    since = _iso_date("--since", args.since) if args.since else None
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit} must be 1 or more.")
    _upgrade(engine)
    found = events(engine, limit=args.limit, actor=args.actor, action=args.action, since=since)
    if args.json:
        print(json.dumps({"events": _clean(found), "count": len(found)}, ensure_ascii=False))
        return 0
    for event in found:
        detail = " ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in event["detail"].items()
        )
        print(
            f"{event['at']:%Y-%m-%d %H:%M:%S}  {event['actor']}  {event['action']}  {event['scope']}  {detail}"
        )
    if not found:
        print("No audit events match." if args.actor or args.action or since else "No audit events yet.")
    return 0


def _customers(engine, args, viewer: Viewer | None) -> int:
    """``customers link | show | export | forget``."""
    from cx.store.customers import UnknownCustomer, customer_export, customer_profile, forget_customer
    from cx.store.linking import link_customers

    actor = viewer.email if viewer else None
    if args.action in ("merge", "reject", "unmerge", "duplicates"):
        return _merges(engine, args, actor or local_user())
    if args.action == "link":
        summary = link_customers(engine, actor=actor)
        if args.json:
            print(json.dumps(summary.as_json()))
            return 0
        print(
            f"{summary.customers:,} customers; {summary.looked_at:,} records looked at; records linked "
            f"{summary.records_linked:,}, unlinked {summary.records_unlinked:,}, conflicts "
            f"{summary.conflicts:,}; {summary.duplicate_pairs:,} pairs of customers share a key"
        )
        return 0
    try:
        if args.action == "show":
            scope = viewer.confine(Scope()) if viewer else Scope()
            found = customer_profile(engine, args.customer_id, scope=scope)
        elif args.action == "export":
            found = customer_export(engine, args.customer_id, actor=actor)
        else:
            found = forget_customer(engine, args.customer_id, actor=actor)
    except UnknownCustomer as unknown:
        if viewer is not None and viewer.confined:
            raise OutsideGrant(str(unknown)) from None
        return _fail(str(unknown))
    if args.json:
        print(json.dumps(_clean(found), ensure_ascii=False, default=str))
    elif args.action == "show":
        _print_profile(found)
    else:
        print(
            "\n".join(f"{key:>20}: {value}" for key, value in found.items() if key not in ("links", "events"))
        )
    return 0


def _merges(engine, args, actor: str) -> int:
    """``customers merge | reject | unmerge | duplicates``."""
    from cx.store import merges

    try:
        if args.action == "duplicates":
            found = {"pairs": merges.proposals(engine).to_dict("records")}
        elif args.action == "merge":
            found = merges.merge(engine, args.kept_id, args.merged_id, by=actor)
        elif args.action == "unmerge":
            found = merges.unmerge(engine, args.merged_id, by=actor)
        else:
            merges.reject(engine, args.kept_id, args.merged_id, by=actor)
            found = {"kept_id": args.kept_id, "merged_id": args.merged_id, "status": "rejected"}
    except ValueError as error:
        return _fail(str(error))
    if args.json:
        print(json.dumps(_clean(found), ensure_ascii=False, default=str))
    elif args.action == "duplicates":
        pairs = pd.DataFrame(found["pairs"])
        print(
            pairs.to_string(index=False) if len(pairs) else "No pairs of customers are proposed for merging."
        )
    else:
        print(", ".join(f"{key} {value}" for key, value in found.items()))
    return 0


def _print_profile(profile: dict) -> None:
    for key, value in profile.items():
        if key != "events":
            print(f"{key:>14}: {value}")
    for event in profile["events"]:
        what = f"{event['amount']:,.2f}" if event["source"] == "transaction" else f"score {event['score']:g}"
        print(f"  {event['at']:%Y-%m-%d %H:%M}  {event['source']:11} {event['store_id']:10} "
              f"{event['touchpoint'] or '':14} {what}")  # fmt: skip


def _iso_date(option: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _import_options(args) -> ImportOptions:
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise UsageError(f"--as-of {args.as_of!r} is not a date; write it as YYYY-MM-DD.") from None
    try:
        return ImportOptions(
            mapping=parse_pairs(args.map, "--map"),
            constants=parse_pairs(args.set, "--set"),
            encoding=args.encoding,
            date_format=args.date_format,
            as_of=as_of,
            rescale=parse_rescale(parse_pairs(args.rescale, "--rescale")),
            create_stores=args.create_stores,
            strict=args.strict,
            allow_updates=args.allow_updates,
        )
    except (ColumnMappingError, ValueError) as error:
        raise UsageError(str(error)) from None


def _report(engine, args) -> int:
    """The read-only commands: metrics, compare, consistency, drivers, explain, linkage. A database of an older
    schema is brought up to date first (migrations keep every row)."""
    from cx.analysis.consistency import consistency
    from cx.analysis.drivers import DRIVER_KEYS, key_drivers
    from cx.analysis.explain import explain_change
    from cx.analysis.locations import league_table
    from cx.metrics.tables import METRIC_COLUMNS, metric_table

    period = _period(args)
    _upgrade(engine)
    scope = Scope(
        store=getattr(args, "store", None), region=getattr(args, "region", None),
        touchpoint=getattr(args, "touchpoint", None),
    )  # fmt: skip
    if args.as_user:
        try:
            scope = granted_scope(engine, args.as_user, scope)
        except OutsideGrant as refused:
            print(f"python -m cx {args.command}: {refused}", file=sys.stderr)
            return OUTSIDE_GRANT
    if args.command == "metrics":
        table = metric_table(engine, scope=scope, period=period, by=(args.by,))[[args.by, *METRIC_COLUMNS]]
    elif args.command == "compare":
        table, _ = league_table(engine, metric=args.metric, scope=scope, period=period)
        table = table.rename(columns={"store": "store_id"})[list(COMPARE_KEYS)]
    elif args.command == "explain":
        try:
            result = explain_change(engine, metric=args.metric, scope=scope, period=period)
        except ValueError as error:
            return _fail(str(error))
        result.pop("timeline")
        return _emit(result, args.json)
    elif args.command == "consistency":
        result = consistency(engine, metric=args.metric, scope=scope, period=period)
        return _emit(result, args.json)
    elif args.command == "linkage":
        from cx.analysis.linkage import GROUP_KEYS, cx_linkage

        try:
            result = cx_linkage(engine, days=args.days, scope=scope, period=period)
        except ValueError as error:
            raise UsageError(str(error)) from None
        if args.json:
            return _emit(result, True)
        print(pd.DataFrame(result["groups"], columns=list(GROUP_KEYS)).to_string(index=False))
        print(f"{result['customers']:,} customers; {result['censored']:,} left out, their {args.days} days "
              f"not over by the last purchase on record ({result['data_end']})")  # fmt: skip
        return 0
    else:
        table, summary = key_drivers(engine, target=args.target, scope=scope, period=period)
        if table.empty and not args.json:
            print(f"No drivers: {summary['reason']}.", file=sys.stderr)
        table = table[list(DRIVER_KEYS)]
    return _emit(table, args.json)


def _period(args) -> Period | None:
    if not args.start and not args.end:
        return None
    try:
        start = dt.date.fromisoformat(args.start) if args.start else dt.date(1900, 1, 1)
        end = dt.date.fromisoformat(args.end) if args.end else dt.date(2999, 12, 31)
        return Period(start, end)
    except ValueError as error:
        raise UsageError(f"--from/--to: {error}; write dates as YYYY-MM-DD.") from None


def _emit(result, as_json: bool) -> int:
    if as_json:
        records = result.to_dict("records") if isinstance(result, pd.DataFrame) else result
        print(json.dumps(_clean(records), ensure_ascii=False))
    elif isinstance(result, pd.DataFrame):
        print(result.to_string(index=False) if len(result) else "No data for this selection.")
    else:
        print("\n".join(f"{key:>16}: {value}" for key, value in result.items()))
    return 0


def _clean(value):
    """JSON-safe: NaN/inf -> null, NumPy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _demo(engine, settings: Settings, seed: int) -> int:
    from cx.ingest import load_frame
    from cx.ingest.demo import demo_brand, record_demo_plans, record_demo_users
    from cx.store.linking import link_customers

    _upgrade(engine)
    brand = demo_brand(seed)
    for kind, frame in brand.frames.items():
        options = ImportOptions(constants={"brand": brand.name} if kind == "stores" else {})
        summary = load_frame(
            engine, kind, frame, options, name=f"demo:{kind}", reports_dir=settings.reports_dir
        )
        print(f"{kind:12} {summary.rows_loaded:>7} loaded, {summary.rows_duplicate:>7} already there")
    linked = link_customers(engine)
    print(f"{'linked':12} {linked.records_linked:>7} records to customers, {linked.duplicate_pairs:>7} duplicate "
          "pairs proposed")  # fmt: skip
    goals, actions = record_demo_plans(engine, brand)
    print(f"{'goals':12} {goals:>7} set, {actions:>7} action recorded")
    print(f"{'users':12} {record_demo_users(engine, brand):>7} added, one per role (see users list)")
    return _prepare(engine, as_json=False)


def _prepare(engine, as_json: bool, out=None) -> int:
    from cx.analysis.prepare import prepare_root_cause

    _upgrade(engine)
    prepared = prepare_root_cause(engine)
    if as_json:
        print(json.dumps({"prepared": prepared}))
    else:
        seconds = sum(view["seconds"] for view in prepared)
        print(f"{'root cause':12} {len(prepared):>7} first views prepared in {seconds:.1f} s", file=out)
    return 0


def _progress_bar():
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="rows", desc="loading", file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _print_summary(summary: ImportSummary) -> None:
    print(
        f"{summary.kind} from {summary.file}: {summary.rows_read} read, {summary.rows_loaded} loaded, "
        f"{summary.rows_duplicate} duplicate, {summary.rows_updated} updated, {summary.rows_rejected} rejected"
    )
    for notice in summary.notices:
        print(f"  - {notice}")
    if summary.rejects_file:
        print(f"  rejected rows and reasons: {summary.rejects_file}")
    if summary.batch_id:
        print(f"  batch {summary.batch_id}")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1
