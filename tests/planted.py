"""Brands with a planted root cause, and the four checks ``explain`` must pass on them.

A planted brand has 16 stores over 18 months: from a random month one store x touchpoint degrades,
with its own complaint words in English and Arabic; every store follows the brand's seasonality, and
ST016 is a tiny, volatile decoy store. Used by ``tests/test_planted_causes.py`` and ``bench.recovery``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cx.analysis.explain import explain_change
from cx.config import make_engine
from cx.ingest.demo import TOUCHPOINTS, Incident, generate_brand
from cx.periods import Period
from cx.stats.themes import tokenize
from cx.store.queries import latest_data_day
from cx.store.schema import upgrade_schema
from cx.store.scope import Scope
from tests.brands import load_brand

ENGLISH = ("late", "cold", "missing", "waited", "broken", "rude", "dirty", "slow", "wrong", "lost")
ARABIC = ("تأخير", "بارد", "ناقص", "مكسور", "وقح", "متسخ", "بطيء", "خطأ")
DECOY = "ST016"
RESPONSES = 80  # NPS and survey answers per store and month


@dataclass(frozen=True)
class Planted:
    incident: Incident
    url: str


def planted_incident(seed: int) -> Incident:
    """The cause planted for ``seed``: store, touchpoint, start month and two words in each language."""
    rng = np.random.default_rng(1000 + seed)
    store = f"ST{rng.integers(1, 15):03d}"
    touchpoint = str(rng.choice([t for t in TOUCHPOINTS if t not in ("Advertising", "Social media")]))
    start = dt.date(2025, 5, 1) + dt.timedelta(days=31 * int(rng.integers(7, 14)))
    english, arabic = (tuple(map(str, rng.choice(words, 2, replace=False))) for words in (ENGLISH, ARABIC))
    return Incident(store, touchpoint, start.replace(day=1), english, arabic)


def planted_brand(seed: int, folder: Path, *, responses: int = RESPONSES) -> Planted:
    """Generate the brand for ``seed`` (``responses`` NPS and survey answers per store and month) and
    load it into a new SQLite file in ``folder``."""
    incident = planted_incident(seed)
    brand = generate_brand(seed, n_stores=16, n_regions=3, incident=incident, low_region=None, tiny_store=DECOY,
                           new_stores=0, responses_per_store_month=responses, reviews_per_store_month=6)  # fmt: skip
    url = f"sqlite:///{folder / f'planted_{seed}.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    load_brand(engine, brand, folder)
    engine.dispose()
    return Planted(incident, url)


def recovery(planted: Planted) -> dict[str, bool]:
    """Which of the four recovery criteria ``explain`` meets for this planted cause."""
    engine = make_engine(planted.url)
    truth = planted.incident
    store = explain_change(engine, metric="nps", scope=Scope(store=truth.store_id))
    brand = explain_change(engine, metric="nps", scope=Scope())
    if brand["when"]["start"] is None:
        # Searching 16 stores x 10 touchpoints at once, the shift may not stay significant after the
        # correction for that many series: the page then offers the sidebar period, and a manager who
        # knows when things went wrong explains the months since then.
        since = Period(truth.start, latest_data_day(engine))
        brand = explain_change(engine, metric="nps", scope=Scope(), period=since)
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
