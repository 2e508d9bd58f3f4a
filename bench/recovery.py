"""Recovery of planted root causes by ``explain``: brands with a planted store x touchpoint incident.

    .venv/bin/python -m bench.recovery [--seeds 50]

Prints, per seed and overall, how often the planted touchpoint ranks first for the store, a planted
complaint word is in the store's top 5 themes, the start is within one month, and the brand's
"where" puts the planted store in its top 3 above the tiny decoy store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cx.db import make_engine, upgrade_schema
from cx.demo import TOUCHPOINTS, Incident, generate_brand
from cx.explain import explain_change
from cx.scope import Scope
from cx.themes import tokenize
from tests.brands import load_brand

ENGLISH = ("late", "cold", "missing", "waited", "broken", "rude", "dirty", "slow", "wrong", "lost")
ARABIC = ("تأخير", "بارد", "ناقص", "مكسور", "وقح", "متسخ", "بطيء", "خطأ")
DECOY = "ST016"
RESPONSES = 80  # NPS and survey answers per store and month


@dataclass(frozen=True)
class Planted:
    incident: Incident
    url: str


def planted_brand(seed: int, folder: Path) -> Planted:
    """16 stores over 18 months: one store x touchpoint degrades from a random month, with its own
    complaint words in English and Arabic; brand-wide seasonality; ST016 is a tiny volatile decoy."""
    rng = np.random.default_rng(1000 + seed)
    store = f"ST{rng.integers(1, 15):03d}"
    touchpoint = str(rng.choice([t for t in TOUCHPOINTS if t not in ("Advertising", "Social media")]))
    start = dt.date(2025, 5, 1) + dt.timedelta(days=31 * int(rng.integers(7, 14)))
    incident = Incident(store, touchpoint, start.replace(day=1), tuple(rng.choice(ENGLISH, 2, replace=False)),
                        tuple(rng.choice(ARABIC, 2, replace=False)))  # fmt: skip
    brand = generate_brand(seed, n_stores=16, n_regions=3, incident=incident, low_region=None, tiny_store=DECOY,
                           new_stores=0, responses_per_store_month=RESPONSES, reviews_per_store_month=6)  # fmt: skip
    url = f"sqlite:///{folder / f'planted_{seed}.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    load_brand(engine, brand, folder)
    engine.dispose()
    return Planted(incident, url)


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="recovery rate of planted causes")
    parser.add_argument("--seeds", type=int, default=50)
    seeds = parser.parse_args().seeds
    totals: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(seeds):
            result = recovery(planted_brand(seed, Path(tmp)))
            for key, ok in result.items():
                totals[key] = totals.get(key, 0) + ok
            totals["all"] = totals.get("all", 0) + all(result.values())
            print(seed, result, flush=True)
    print({key: f"{100 * value / seeds:.0f} %" for key, value in totals.items()})


def recovery(planted: Planted) -> dict[str, bool]:
    """Which of the four recovery criteria ``explain`` meets for this planted cause."""
    engine = make_engine(planted.url)
    truth = planted.incident
    store = explain_change(engine, metric="nps", scope=Scope(store=truth.store_id))
    brand = explain_change(engine, metric="nps", scope=Scope())
    engine.dispose()
    words = {w.casefold() for w in truth.complaint_words_en + truth.complaint_words_ar}
    planted_terms = set(tokenize(pd.Series(sorted(words))).explode().dropna())
    top_terms = {t["term"] for t in store["themes"][:5]}
    start = store["when"]["start"]
    ranked = list(dict.fromkeys(node["store_id"] for node in brand["where"]))
    return {
        "touchpoint_first": bool(store["touchpoints"])
        and store["touchpoints"][0]["touchpoint"] == truth.touchpoint,
        "word_in_top5": bool(planted_terms & top_terms),
        "start_within_month": start is not None
        and abs((dt.date.fromisoformat(start) - truth.start).days) <= 31,
        "store_in_top3": truth.store_id in ranked[:3]
        and (DECOY not in ranked or ranked.index(truth.store_id) < ranked.index(DECOY)),
    }


if __name__ == "__main__":
    main()
