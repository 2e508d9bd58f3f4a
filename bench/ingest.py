"""Ingest benchmark: ``cx load`` of a 1,000,000-row NPS file against raw ``sqlite3.executemany``.

Both run in this process on fresh SQLite files with the same migrated schema. The baseline reads the
file with the ``csv`` module and inserts the rows with ``executemany`` (no validation, no mapping, no
duplicate checks). Prints rows/s of each and the ratio cx / baseline (target >= 0.5).

    .venv/bin/python -m bench.ingest [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cx.cli import main as cx_main
from cx.config import make_engine
from cx.store.schema import upgrade_schema

STORES = 200


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
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


def time_cx(folder: Path, stores: Path, nps: Path) -> float:
    url = f"sqlite:///{folder / 'cx.db'}"
    cx_main(["load", "stores", str(stores), "--db", url, "--json"])
    start = time.perf_counter()
    code = cx_main(["load", "nps", str(nps), "--db", url, "--json"])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit("cx load failed")
    return elapsed


def time_baseline(folder: Path, stores: Path, nps: Path) -> float:
    path = folder / "raw.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    with open(stores, newline="") as handle:
        connection.execute("INSERT INTO brand (id, name) VALUES (1, 'b')")
        connection.execute("INSERT INTO region (id, brand_id, name) VALUES (1, 1, 'North')")
        connection.executemany(
            "INSERT INTO store (store_id, name, region_id) VALUES (?, ?, 1)",
            [(row["store_id"], row["name"]) for row in csv.DictReader(handle)],
        )
        connection.execute(
            "INSERT INTO import_batch (id, kind, file_name, sha256, rows_read, rows_loaded, rows_duplicate, "
            "rows_updated, rows_rejected, imported_at) VALUES (1, 'nps', 'f', 'x', 0, 0, 0, 0, 0, '2026-01-01')"
        )
        connection.commit()
    start = time.perf_counter()
    with open(nps, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        connection.executemany(
            "INSERT INTO nps_response (response_id, store_id, responded_at, date_precision, score, comment, "
            "customer_id, batch_id) VALUES (?, ?, ?, 'day', ?, ?, ?, 1)",
            reader,
        )
    connection.commit()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores, nps = write_files(folder, rows)
        baseline = time_baseline(folder, stores, nps)
        cx = time_cx(folder, stores, nps)
    print(f"rows: {rows:,}")
    print(f"baseline (csv + sqlite3.executemany): {rows / baseline:,.0f} rows/s ({baseline:.2f} s)")
    print(f"cx load (read, map, validate, dedupe, insert): {rows / cx:,.0f} rows/s ({cx:.2f} s)")
    print(f"ratio cx/baseline: {baseline / cx:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
