"""Ingest benchmark: ``cx load nps`` of a 1,000,000-row file against a minimal loader, as whole processes.

Both are timed as fresh processes (wall time including Python start-up and imports) on the same file,
each into its own SQLite file with the same migrated schema and the same stores. The minimal loader
reads the file with ``pandas.read_csv`` and inserts it into ``nps_response`` with one
``sqlite3.executemany`` transaction (no mapping, validation, duplicate checks or rollups). ``cx load``
does all of those. Prints both wall times (and the CPU time each used), rows/s and the ratio cx /
minimal in speed (target >= 0.5). The load runs with ``--no-prepare``, as a pipeline loading several
files does; ``cx prepare`` on the loaded file is timed after it and printed on its own line.

    .venv/bin/python -m bench.ingest [--rows N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

STORES = 200
TARGET = 0.5
# The minimal loader: read with pandas, insert in one transaction, on a connection set up as cx's
# engine sets up each of its connections (cx.config.make_engine), so the ratio compares the loaders.
MINIMAL_LOADER = """
import sqlite3, sys
import pandas as pd

frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
frame["score"] = frame["score"].astype(int)
connection = sqlite3.connect(sys.argv[2])
for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-131072",
               "temp_store=MEMORY"):
    connection.execute("PRAGMA " + pragma)
with connection:
    connection.execute(
        "INSERT INTO import_batch (kind, file_name, sha256, rows_read, rows_loaded, rows_duplicate, "
        "rows_updated, rows_rejected, imported_at) VALUES ('nps', ?, '', ?, ?, 0, 0, 0, datetime('now'))",
        (sys.argv[1], len(frame), len(frame)),
    )
    batch = connection.execute("SELECT max(id) FROM import_batch").fetchone()[0]
    connection.executemany(
        "INSERT INTO nps_response (response_id, store_id, responded_at, date_precision, score, comment, "
        f"customer_id, batch_id) VALUES (?, ?, ?, 'day', ?, ?, ?, {batch})",
        frame[["response_id", "store_id", "responded_at", "score", "comment", "customer_id"]].itertuples(
            index=False, name=None
        ),
    )
connection.close()
"""


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """A stores file of 200 stores and an NPS file of ``rows`` answers over two years."""
    rng = np.random.default_rng(1)
    stores = folder / "stores.csv"
    pd.DataFrame(
        {"store_id": [f"S{i:04d}" for i in range(STORES)], "name": "Store", "region": "North"}
    ).to_csv(stores, index=False)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")
    nps = folder / "nps.csv"
    pd.DataFrame(
        {
            "response_id": [f"R{i:07d}" for i in range(rows)],
            "store_id": np.char.add("S", np.char.zfill(rng.integers(0, STORES, rows).astype(str), 4)),
            "responded_at": days.strftime("%Y-%m-%d"),
            "score": rng.integers(0, 11, rows),
            "comment": np.where(rng.random(rows) < 0.2, "waited too long at the checkout", ""),
            "customer_id": np.char.add("C", rng.integers(0, 50_000, rows).astype(str)),
        }
    ).to_csv(nps, index=False)
    return stores, nps


def fresh_database(folder: Path, name: str, stores: Path) -> Path:
    """A SQLite file with the migrated schema and the stores loaded (not timed)."""
    path = folder / name
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    run([sys.executable, "-m", "cx", "load", "stores", str(stores), "--db", f"sqlite:///{path}", "--json"])
    return path


@dataclass(frozen=True)
class Timing:
    """Wall time of one process, and the CPU time (user + system) it used: on a shared machine the CPU
    time says how much work was done when the wall time also counts waiting for a core."""

    wall: float
    cpu: float


def run(command: list[str]) -> tuple[Timing, str]:
    """Run ``command`` as a fresh process: its timing and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{done.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Timing(wall, cpu), done.stdout


def time_cx(folder: Path, stores: Path, nps: Path) -> tuple[Timing, Timing]:
    """The load's timing and that of preparing the root cause's first views after it."""
    url = f"sqlite:///{fresh_database(folder, 'cx.db', stores)}"
    timing, out = run(
        [sys.executable, "-m", "cx", "load", "nps", str(nps), "--db", url, "--json", "--no-prepare"]
    )
    summary = json.loads(out)
    if summary["rows_loaded"] + summary["rows_duplicate"] != summary["rows_read"]:
        raise SystemExit(f"cx load did not load every row: {summary}")
    return timing, run([sys.executable, "-m", "cx", "prepare", "--db", url])[0]


def time_minimal(folder: Path, stores: Path, nps: Path) -> Timing:
    database = fresh_database(folder, "minimal.db", stores)
    script = folder / "minimal_loader.py"
    script.write_text(MINIMAL_LOADER)
    return run([sys.executable, str(script), str(nps), str(database)])[0]


def best(timings: list[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each, best taken (default 1)")
    args = parser.parse_args()
    minimal_runs, cx_runs, prepare_runs = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores, nps = write_files(folder, args.rows)
        for _ in range(args.repeats):  # alternate, so both see the same machine load
            minimal_runs.append(time_minimal(folder, stores, nps))
            load, prepare = time_cx(folder, stores, nps)
            cx_runs.append(load)
            prepare_runs.append(prepare)
    minimal, cx, prepare = best(minimal_runs), best(cx_runs), best(prepare_runs)
    print(f"rows: {args.rows:,} (whole processes, best of {args.repeats})")
    for label, timing in (("minimal (pandas.read_csv + sqlite3.executemany)", minimal),
                          ("cx load (read, map, validate, dedupe, insert, rollups)", cx)):  # fmt: skip
        print(
            f"{label}: {timing.wall:.2f} s wall, {timing.cpu:.2f} s CPU, {args.rows / timing.wall:,.0f} rows/s"
        )
    print(f"ratio cx/minimal (speed, wall time): {minimal.wall / cx.wall:.2f} (target >= {TARGET})")
    print(f"ratio cx/minimal (CPU time): {minimal.cpu / cx.cpu:.2f}")
    print(
        f"then cx prepare (the root cause's first views): {prepare.wall:.2f} s wall, {prepare.cpu:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
