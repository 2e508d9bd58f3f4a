"""The command line: ``python -m cx init | demo | load``.

Exit codes: 0 done, 1 the work could not be done (the reason on stderr, one sentence), 2 usage error.
Every command takes ``--db URL`` (else ``CX_DATABASE_URL``, else the SQLite file under ``data/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from cx.db import make_engine, upgrade_schema
from cx.ingest import KINDS, ImportFailed, ImportOptions, ImportSummary, load_file
from cx.ingest.mapping import ColumnMappingError, parse_pairs
from cx.ingest.validate import parse_rescale
from cx.settings import Settings


class UsageError(ValueError):
    """Arguments that make no sense together or cannot be parsed (exit code 2)."""


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
    load.add_argument("--strict", action="store_true", help="load nothing if any row is rejected")
    load.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return parser


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
            upgrade_schema(engine)
            print(f"Schema is up to date in {engine.url.render_as_string(hide_password=True)}.")
            return 0
        if args.command == "demo":
            return _demo(engine, settings, args.seed)
        return _load(engine, settings, args)
    except UsageError as error:
        print(f"python -m cx {args.command}: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        return _fail(f"The database did not answer ({error.orig}); check --db or CX_DATABASE_URL.")
    finally:
        engine.dispose()


def _load(engine, settings: Settings, args) -> int:
    options = _import_options(args)
    upgrade_schema(engine)
    try:
        summary = load_file(
            engine, args.kind, args.file, options, reports_dir=settings.reports_dir, progress=_progress_bar()
        )
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
    return 0


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
        )
    except (ColumnMappingError, ValueError) as error:
        raise UsageError(str(error)) from None


def _demo(engine, settings: Settings, seed: int) -> int:
    from cx.demo import demo_brand
    from cx.ingest import load_frame

    upgrade_schema(engine)
    brand = demo_brand(seed)
    for kind, frame in brand.frames.items():
        options = ImportOptions(constants={"brand": brand.name} if kind == "stores" else {})
        summary = load_frame(
            engine, kind, frame, options, name=f"demo:{kind}", reports_dir=settings.reports_dir
        )
        print(f"{kind:8} {summary.rows_loaded:>7} loaded, {summary.rows_duplicate:>7} already there")
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
