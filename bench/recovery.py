"""Recovery of planted root causes by ``explain`` over many generated brands.

    .venv/bin/python -m bench.recovery [--seeds 50] [--responses 80] [--variant-seeds 5] [--weeks 5]

First the demo-generator brands of ``tests/planted.py``: per seed and overall, how often the planted
touchpoint ranks first for the store, a planted complaint word is in the store's top 5 themes, the
start is within one month, and the brand's "where" puts the planted store in its top 3 above the tiny
decoy store. Then the brands of :mod:`bench.variant_brands` (short after-windows, late changes, another
touchpoint catalogue, few comments, Arabic, Persian), each variant over ``--variant-seeds`` seeds:
the share of brands where "where" names the planted store first, the store's touchpoints put the
planted one first, a planted word is in the top 5 themes, at least one verbatim uses it, and the
start is within ``--weeks`` weeks. ``--seeds 0`` or ``--variant-seeds 0`` skips a part.

Both run ``cx.analysis.explain.explain_change`` exactly as ``cx explain`` and the root cause page do
(latest change, no ``--from/--to``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd

from bench.variant_brands import VARIANTS, Variant, load_variant, variant_brand
from cx.analysis.explain import explain_change
from cx.config import make_engine
from cx.stats.themes import tokenize
from cx.store.scope import Scope
from tests.planted import RESPONSES, planted_brand, recovery

VARIANT_CHECKS = ("store_first", "touchpoint_first", "word_in_top5", "verbatim_names_it", "start_within")


def variant_recovery(url: str, brand, *, weeks: int = 5) -> dict:
    """The five checks of the module notes for one variant brand, and the figures behind them:
    the store's NPS change and p, and how many themes and verbatims ``explain`` returned."""
    cause = brand.cause
    engine = make_engine(url)
    store = explain_change(engine, metric="nps", scope=Scope(store=cause.store_id))
    whole = explain_change(engine, metric="nps", scope=Scope())
    engine.dispose()
    planted = set(tokenize(pd.Series(cause.words)).explode().dropna())
    quoted = tokenize(pd.Series([v["text"] for v in store["verbatims"]], dtype=object))
    stores = [node["store_id"] for node in whole["where"] if node["store_id"]]
    start = store["when"]["start"]
    checks = {
        "store_first": bool(stores) and stores[0] == cause.store_id,
        "touchpoint_first": bool(store["touchpoints"])
        and store["touchpoints"][0]["touchpoint"] == cause.touchpoint,
        "word_in_top5": bool(planted & {t["term"] for t in store["themes"][:5]}),
        "verbatim_names_it": any(planted & set(words) for words in quoted),
        "start_within": start is not None
        and abs((dt.date.fromisoformat(start) - cause.start).days) <= 7 * weeks,
    }
    figures = {"nps_delta": store["what"]["delta"], "p_value": store["what"]["p_value"],
               "themes": len(store["themes"]), "verbatims": len(store["verbatims"]), "start": start}  # fmt: skip
    return {**checks, **figures}


def run_variant(variant: Variant, seeds: int, folder: Path, weeks: int) -> list[dict]:
    rows = []
    for seed in range(seeds):
        brand = variant_brand(variant, seed)
        result = variant_recovery(load_variant(brand, folder), brand, weeks=weeks)
        rows.append(result)
        print(variant.name, seed, brand.cause, result, flush=True)
    return rows


def variant_table(results: dict[str, list[dict]]) -> pd.DataFrame:
    """Per variant, the share (%) of its brands that pass each check, and of those that pass all."""
    table = {}
    for name, rows in results.items():
        frame = pd.DataFrame(rows)[list(VARIANT_CHECKS)]
        table[name] = {**(100 * frame.mean()).round().to_dict(), "all": round(100 * frame.all(axis=1).mean())}
    return pd.DataFrame(table).T.astype(int).rename_axis("variant")


def _planted(seeds: int, responses: int, folder: Path) -> None:
    totals: dict[str, int] = {}
    for seed in range(seeds):
        result = recovery(planted_brand(seed, folder, responses=responses))
        for key, ok in result.items():
            totals[key] = totals.get(key, 0) + ok
        totals["all"] = totals.get("all", 0) + all(result.values())
        print(seed, result, flush=True)
    print({key: f"{100 * value / seeds:.0f} %" for key, value in totals.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description="recovery rate of planted causes")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument(
        "--responses", type=int, default=RESPONSES, help="NPS and survey answers per store and month"
    )
    parser.add_argument("--variant-seeds", type=int, default=5, help="brands per variant")
    parser.add_argument("--variants", nargs="*", help="variant names (default: all)")
    parser.add_argument("--weeks", type=int, default=5, help="tolerance of the start date")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if arguments.seeds:
            _planted(arguments.seeds, arguments.responses, Path(tmp))
        if arguments.variant_seeds:
            chosen = [v for v in VARIANTS if not arguments.variants or v.name in arguments.variants]
            results = {
                v.name: run_variant(v, arguments.variant_seeds, Path(tmp), arguments.weeks) for v in chosen
            }
            print(variant_table(results).to_string())


if __name__ == "__main__":
    main()
