"""``explain`` on brands unlike the demo (:mod:`bench.variant_brands`): data that end 2-3 months after
the break, few comments, Arabic and Persian comments. On the planted store the why step ranks the
planted touchpoint first and names a planted word among the top themes, with at least one comment
that uses it, and calls a word significant only when it passes the theme test. Small brands (6 stores,
9 months), one seed each, explained as ``cx explain --store`` does (the latest change), on SQLite."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from bench.variant_brands import VARIANTS, load_variant, variant_brand
from cx.analysis.explain import MIN_THEME_COUNT, explain_change
from cx.config import make_engine
from cx.periods import Period
from cx.stats.themes import tokenize
from cx.store.scope import Scope

SMALL = {"stores": 6, "months": 9, "responses": 40, "reviews": 4}
CASES = {  # test case -> (variant, what else differs)
    "short after-window": ("short after-window", {}),
    "few comments": ("few comments", {}),
    "six comments": ("few comments", {"after_comments": 6}),  # too few for any word to pass the test
    "arabic": ("arabic", {}),
    "persian": ("persian", {}),
}


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    """Case -> (the planted store's explanation, the planted cause, the engine); each brand built once."""
    done = {}

    def explain(case: str) -> tuple[dict, object]:
        if case not in done:
            name, changes = CASES[case]
            variant = replace(next(v for v in VARIANTS if v.name == name), **SMALL, **changes)
            brand = variant_brand(variant, 0)
            engine = make_engine(load_variant(brand, tmp_path_factory.mktemp("variant")))
            scope = Scope(store=brand.cause.store_id)
            done[case] = explain_change(engine, metric="nps", scope=scope), brand.cause, engine
        return done[case]

    yield explain
    for _, _, engine in done.values():
        engine.dispose()


@pytest.mark.parametrize("case", CASES)
def test_why_names_the_planted_cause(case, explained):
    result, cause, _ = explained(case)
    assert result["touchpoints"][0]["touchpoint"] == cause.touchpoint
    planted = set(tokenize(pd.Series(cause.words)).explode())
    assert planted & {t["term"] for t in result["themes"][:5]}
    quoted = tokenize(pd.Series([v["text"] for v in result["verbatims"]], dtype=object))
    assert any(planted & set(words) for words in quoted)
    for term in result["themes"]:  # a word is called significant only when it passes the test
        passes = term["z"] is not None and term["z"] > 1.96 and term["count"] >= MIN_THEME_COUNT
        assert term["significant"] == passes
        assert term["small_sample"] == (term["count"] < MIN_THEME_COUNT)


def test_six_comments_give_flagged_words_not_findings(explained):
    # the store's change is significant, so the why step must answer; the planted words are used twice
    # each in the window's six comments, below the 3 uses the test needs: they come back as leads
    # (significant False, small sample), with the comments
    result, cause, engine = explained("six comments")
    assert result["what"]["p_value"] < 0.05
    planted = set(tokenize(pd.Series(cause.words)).explode())
    flagged = {t["term"]: t for t in result["themes"]}
    assert planted <= set(flagged)
    assert all(
        not t["significant"] and t["small_sample"] and t["count"] == 2 for t in map(flagged.get, planted)
    )
    # months before the break, where the store did not change: no leads, only words that pass
    quiet = Period(cause.start - dt.timedelta(days=100), cause.start - dt.timedelta(days=41))
    calm = explain_change(engine, metric="nps", scope=Scope(store=cause.store_id), period=quiet)
    assert calm["what"]["p_value"] > 0.05
    assert all(t["significant"] for t in calm["themes"])
