"""Hostile files: how fast, and with how much memory, ``cx load`` refuses files built to exhaust it.

Each file is loaded by a fresh process (Python start-up and imports included) into a migrated SQLite
file; printed are the process's wall time, the time the refusal itself took inside it (reading the
file up to the message) and the process's peak resident memory, next to a baseline process that only
imports the command line and exits (same run). Targets: the 1,000,000-column header refused in < 2 s
with < 300 MB.

    .venv/bin/python -m bench.hostile
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cx.config import make_engine
from cx.store.schema import upgrade_schema

NPS_HEADER = "response_id,store_id,responded_at,score"
# Run in the child: the refusal's own time and the process's high-water memory (VmHWM: on Linux a
# child's ru_maxrss starts at the parent's mark).
CHILD = """
import contextlib, io, json, re, sys, time
started = time.perf_counter()
from cx.cli import main
imported = time.perf_counter()
code = 0
if sys.argv[1] != "-":
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["load", "nps", sys.argv[1], "--db", sys.argv[2], "--json", "--no-prepare"])
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
print(json.dumps({"code": code, "refusal": time.perf_counter() - imported, "peak_mb": peak}))
"""


def write_files(folder: Path) -> dict[str, Path]:
    files = {
        "1,000,000-column header": ",".join(f"c{i}" for i in range(1_000_000)) + "\n",
        "200,000-column header": ",".join(f"c{i}" for i in range(200_000)) + "\n",
        "a row of 1,000,000 fields": f"{NPS_HEADER}\nN1,S1,2026-01-01," + ",".join("9" * 1_000_000) + "\n",
        "a 30 MB cell": f"{NPS_HEADER},comment\nN1,S1,2026-01-01,9," + "x" * 30_000_000 + "\n",
    }
    paths = {}
    for number, (label, content) in enumerate(files.items()):
        paths[label] = folder / f"hostile_{number}.csv"
        paths[label].write_text(content)
    return paths


def run(path: str, url: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, path, url], capture_output=True, text=True, check=True
    )
    return {**json.loads(done.stdout.splitlines()[-1]), "wall": time.perf_counter() - started}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'cx.db'}"
        upgrade_schema(make_engine(url))
        baseline = run("-", url)
        print(
            f"{'baseline (import the command line)':34} {baseline['wall']:6.2f} s   peak {baseline['peak_mb']:5.0f} MB"
        )
        results = {"baseline": baseline}
        for label, path in write_files(folder).items():
            result = results[label] = run(str(path), url)
            print(f"{label:34} {result['wall']:6.2f} s   refused in {result['refusal']:5.2f} s   "
                  f"peak {result['peak_mb']:5.0f} MB   exit {result['code']}   "
                  f"ratio {result['wall'] / baseline['wall']:4.1f}")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
