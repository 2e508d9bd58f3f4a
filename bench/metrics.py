"""Metric benchmark: the CLI's read commands on a large brand against one raw GROUP BY.

Builds (once, cached under ``bench/out/``) a brand of 1,000 stores with 2,000,000 NPS answers,
1,000,000 surveys, 500,000 reviews and 3 years of daily sales in SQLite (see ``bench/large_brand.py``).
Then, in this process, times ``metrics --by store``, ``compare``, ``consistency`` and ``drivers``
against ``SELECT store_id, COUNT(*), SUM(score >= 9), SUM(score <= 6) FROM nps_response GROUP BY
store_id`` and prints each ratio (target <= 0.5). Peak memory of each command is measured in a fresh
child process (target <= 600 MB).

    .venv/bin/python -m bench.metrics [--rebuild]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.large_brand import build
from cx.cli import main as cx_main

OUT = Path(__file__).resolve().parent / "out"
DATABASE = OUT / "large.db"
COMMANDS = {
    "metrics --by store": ["metrics", "--by", "store"],
    "compare --metric nps": ["compare", "--metric", "nps"],
    "consistency --metric nps": ["consistency", "--metric", "nps"],
    "drivers --target csat": ["drivers", "--target", "csat"],
    "drivers --target nps": ["drivers", "--target", "nps"],
}
BASELINE = "SELECT store_id, COUNT(*), SUM(score >= 9), SUM(score <= 6) FROM nps_response GROUP BY store_id"


def timed(action, repeats: int = 3) -> float:
    """Best of ``repeats`` wall-clock runs (the first also warms the page cache)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def run_command(url: str, args: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        if cx_main([*args, "--db", url, "--json"]) != 0:
            raise SystemExit(f"command failed: {' '.join(args)}")


def peak_memory_mb(url: str, args: list[str]) -> float:
    """High-water resident set of a fresh process running the command (Python and imports included).

    Read from the child's own VmHWM: on Linux a child's ``ru_maxrss`` starts at the parent's
    high-water mark, so it would count this process too."""
    code = (
        "import contextlib, io, re\n"
        "from cx.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({[*args, '--db', url, '--json']!r})\n"
        "print(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


def large_brand_url(rebuild: bool) -> str:
    """The large brand's SQLite URL, built first when missing (or when ``rebuild``)."""
    OUT.mkdir(exist_ok=True)
    if rebuild or not DATABASE.exists():
        DATABASE.unlink(missing_ok=True)
        print("building the large brand ...", build(f"sqlite:///{DATABASE}"), flush=True)
    return f"sqlite:///{DATABASE}"


def measure_commands(url: str, commands: dict[str, list[str]], baseline: float, *, targets: str,
                     memory_target: str = "") -> dict:  # fmt: skip
    """Time each command (best of 3) and its peak memory; print one line each with its ratio."""
    results = {}
    width = max(map(len, commands)) + 2
    for label, args in commands.items():
        seconds = timed(lambda args=args: run_command(url, args))
        memory = peak_memory_mb(url, args)
        results[label] = {"seconds": seconds, "ratio": seconds / baseline, "peak_mb": memory}
        print(f"{label:{width}} {seconds:7.3f} s   ratio {seconds / baseline:5.2f} {targets}   "
              f"peak {memory:6.0f} MB{memory_target}")  # fmt: skip
    return results


def baseline_run(description: str) -> tuple[str, sqlite3.Connection, float]:
    """Parse ``--rebuild``, make sure the large brand exists, time the raw GROUP BY baseline; returns
    the brand's URL, a raw connection to it and the baseline's seconds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rebuild", action="store_true", help="generate the large brand again")
    url = large_brand_url(parser.parse_args().rebuild)
    connection = sqlite3.connect(DATABASE)
    rows = connection.execute("SELECT COUNT(*) FROM nps_response").fetchone()[0]
    baseline = timed(lambda: connection.execute(BASELINE).fetchall())
    print(f"NPS answers: {rows:,}; baseline raw GROUP BY: {baseline:.3f} s")
    return url, connection, baseline


def main() -> None:
    url, _, baseline = baseline_run(__doc__.splitlines()[0])
    results = measure_commands(url, COMMANDS, baseline, targets="(<= 0.5)", memory_target=" (<= 600)")
    print(json.dumps({"baseline_seconds": baseline, "results": results}))
    print(f"this process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
