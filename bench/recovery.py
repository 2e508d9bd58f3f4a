"""Recovery of planted root causes by ``explain`` (see ``tests/planted.py``) over many seeds.

    .venv/bin/python -m bench.recovery [--seeds 50] [--responses 80]

Prints, per seed and overall, how often the planted touchpoint ranks first for the store, a planted
complaint word is in the store's top 5 themes, the start is within one month, and the brand's
"where" puts the planted store in its top 3 above the tiny decoy store.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.planted import RESPONSES, planted_brand, recovery


def main() -> None:
    parser = argparse.ArgumentParser(description="recovery rate of planted causes")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument(
        "--responses", type=int, default=RESPONSES, help="NPS and survey answers per store and month"
    )
    arguments = parser.parse_args()
    seeds = arguments.seeds
    totals: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(seeds):
            result = recovery(planted_brand(seed, Path(tmp), responses=arguments.responses))
            for key, ok in result.items():
                totals[key] = totals.get(key, 0) + ok
            totals["all"] = totals.get("all", 0) + all(result.values())
            print(seed, result, flush=True)
    print({key: f"{100 * value / seeds:.0f} %" for key, value in totals.items()})


if __name__ == "__main__":
    main()
