"""Explain benchmark: the root-cause drill-down for one store of the large brand against one raw GROUP BY.

Uses the large brand of ``bench/metrics.py`` (1,000 stores, 2,000,000 NPS answers; built once into
``bench/out/`` if missing). In this process it times ``explain --metric M --store S`` for nps,
csat_top2, rating and revenue, each with the latest change found automatically and with ``--from/--to``
set to April-June of the data's last year, against the same ``GROUP BY store_id`` over all NPS answers as
``bench.metrics`` and prints each ratio (target < 2.0). S is the store with the median number of NPS
answers. Peak memory of each command is measured in a fresh child process.

    .venv/bin/python -m bench.explain [--rebuild]
"""

from __future__ import annotations

import datetime as dt
import json
import resource

from bench.large_brand import DAYS, START
from bench.metrics import BASELINE, baseline_run, measure_commands

METRICS = ("nps", "csat_top2", "rating", "revenue")
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
PERIOD = ["--from", f"{LAST_DAY.year}-04-01", "--to", f"{LAST_DAY.year}-06-30"]


def median_store(counts: list[tuple]) -> str:
    """The store id with the median number of NPS answers, from the baseline's ``store_id, n`` rows."""
    ranked = sorted(counts, key=lambda row: (row[1], row[0]))
    return ranked[len(ranked) // 2][0]


def main() -> None:
    url, connection, baseline = baseline_run(__doc__.splitlines()[0])
    store = median_store(connection.execute(BASELINE).fetchall())
    print(f"store {store}")
    commands = {}
    for metric in METRICS:
        args = ["explain", "--metric", metric, "--store", store]
        commands[f"explain --metric {metric}"] = args
        commands[f"explain --metric {metric} --from/--to"] = [*args, *PERIOD]
    results = measure_commands(url, commands, baseline, targets="(< 2.0)")
    print(
        json.dumps({"baseline_seconds": baseline, "store": store, "period": PERIOD[1::2], "results": results})
    )
    print(f"this process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
