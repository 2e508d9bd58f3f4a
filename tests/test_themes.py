"""``cx.stats.themes``: tokenising English, Arabic and Persian comments, Fightin' Words against hand-worked
numbers and a planted-word corpus, and representative comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cx.stats.themes import (
    FIGHTIN_WORDS_COLUMNS,
    VERBATIM_COLUMNS,
    fightin_words,
    representative_verbatims,
    term_counts,
    tokenize,
)


def tokens(text: str) -> list[str]:
    return tokenize(pd.Series([text])).iloc[0]


# --- tokenize ---------------------------------------------------------------------------------


def test_definite_article_and_diacritics_give_one_term():
    # damma on the last letter, the article, the article with "wa": all the same word
    assert tokens("التوصيلُ") == ["توصيل"]
    assert tokens("توصيل") == ["توصيل"]
    assert tokens("والتوصيل بالتوصيل للتوصيل") == ["توصيل"] * 3
    counts = term_counts(pd.Series(["التوصيلُ سريع", "توصيل ممتاز", "والتوصيل"]))
    assert counts["توصيل"] == 3


def test_article_kept_when_fewer_than_two_letters_remain():
    assert tokens("الم") == ["الم"]  # "pain": stripping would leave one letter


def test_alef_variants_and_tatweel():
    assert tokens("أكل") == tokens("إكل") == tokens("آكل") == tokens("اكل") == ["اكل"]
    assert tokens("تـأخير") == ["تاخير"]
    assert tokens("تأخير") == tokens("تاخير") == ["تاخير"]


def test_yeh_kaf_teh_marbuta_and_digits():
    # Persian yeh and kaf, alef maqsura, teh marbuta; Persian and Arabic-Indic digits are numbers
    assert tokens("کیفیت") == tokens("كيفيت") == ["كيفيت"]
    assert tokens("مستشفى") == tokens("مستشفي") == ["مستشفي"]
    assert tokens("خدمة") == tokens("خدمه") == ["خدمه"]
    assert tokens("۲۴ ٣ 15 ساعت") == ["ساعت"]


def test_persian_zero_width_non_joiner_keeps_one_word():
    assert tokens("کتاب\u200cها") == ["كتابها"]


def test_stop_words_numbers_and_single_letters_dropped():
    assert tokens("The food was NOT hot and I waited 45 minutes, x") == ["food", "hot", "waited", "minutes"]
    assert tokens("هذا الطلب في المطعم كان بارد جدا") == ["طلب", "مطعم", "بارد"]
    assert tokens("غذا خیلی سرد بود و دیر رسید") == ["غذا", "سرد", "دير", "رسيد"]


def test_mixed_language_corpus_keeps_index_and_handles_missing():
    texts = pd.Series(["Cold coffee", None, "القهوة باردة", "قهوه سرد بود", ""], index=[10, 11, 12, 13, 13])
    result = tokenize(texts)
    assert list(result.index) == [10, 11, 12, 13, 13]
    assert result.tolist() == [["cold", "coffee"], [], ["قهوه", "بارده"], ["قهوه", "سرد"], []]


def test_casefold_and_underscore():
    assert tokens("STRASSE straße snake_case") == ["strasse", "strasse", "snake", "case"]


def test_empty_inputs():
    assert tokenize(pd.Series([], dtype=object)).empty
    assert term_counts(pd.Series([], dtype=object)).empty
    assert term_counts(pd.Series(["the and", None])).empty


# --- term_counts ------------------------------------------------------------------------------


def test_term_counts_are_document_frequencies():
    counts = term_counts(pd.Series(["late late late", "late cold", "cold", "slow"]))
    assert counts.to_dict() == {"cold": 2, "late": 2, "slow": 1}
    assert list(counts.index) == ["cold", "late", "slow"]  # ties by term


# --- fightin_words ----------------------------------------------------------------------------


def test_fightin_words_hand_worked():
    # target tokens: late 3, food 1, cold 1 (n_i = 5); baseline: late 1, food 2, cold 1 (n_j = 4).
    # prior_scale 0.1: alpha_w = 0.1 * pooled count: late 0.4, food 0.3, cold 0.2; alpha_0 = 0.9.
    # late: delta = ln(3.4 / (5 + 0.9 - 3 - 0.4)) - ln(1.4 / (4 + 0.9 - 1 - 0.4))
    #             = ln(3.4 / 2.5) - ln(1.4 / 3.5) = 0.30748 - (-0.91629) = 1.2237754316221157
    #       var = 1/3.4 + 1/1.4 = 1.00840; z = 1.2237754 / sqrt(1.00840) = 1.2186656997784695
    # food: delta = ln(1.3 / 4.6) - ln(2.3 / 2.6) = -1.2637 + 0.1226 = -1.1410897169352257
    #       var = 1/1.3 + 1/2.3 = 1.20401; z = -1.0399300682771610
    # cold: delta = ln(1.2 / 4.7) - ln(1.2 / 3.7) = ln(3.7 / 4.7) = -0.23922968906583408
    #       var = 1/1.2 + 1/1.2 = 1.66667; z = -0.1853065203340708
    result = fightin_words(
        pd.Series(["late late", "late food cold"]),
        pd.Series(["food food late cold"]),
        prior_scale=0.1,
        min_count=1,
    )
    assert tuple(result.columns) == FIGHTIN_WORDS_COLUMNS
    assert result["term"].tolist() == ["late", "cold", "food"]
    rows = result.set_index("term")
    assert rows.loc["late", "log_odds"] == pytest.approx(1.2237754316221157, abs=1e-9)
    assert rows.loc["late", "z"] == pytest.approx(1.2186656997784695, abs=1e-9)
    assert rows.loc["food", "log_odds"] == pytest.approx(-1.1410897169352257, abs=1e-9)
    assert rows.loc["food", "z"] == pytest.approx(-1.0399300682771610, abs=1e-9)
    assert rows.loc["cold", "log_odds"] == pytest.approx(math.log(3.7 / 4.7), abs=1e-9)
    assert rows.loc["cold", "z"] == pytest.approx(-0.1853065203340708, abs=1e-9)
    assert rows.loc["late", "count"] == 3 and rows.loc["late", "count_baseline"] == 1


def test_fightin_words_counts_tokens_not_documents():
    result = fightin_words(pd.Series(["late late late"]), pd.Series(["late food"]), min_count=1)
    assert result.set_index("term").loc["late", "count"] == 3


def planted_corpus() -> tuple[pd.Series, pd.Series]:
    filler = [
        "the staff were friendly",
        "good coffee and fresh bread",
        "clean tables",
        "نظيف وممتاز",
        "کارکنان مودب",
    ]
    target = [
        "delivery was late again",
        "food arrived cold",
        "late and cold order",
        "تأخير في التوصيل",
        "التأخير كان طويل",
        "تـأخير الطلب",
    ] * 8 + filler * 6
    baseline = [
        "delivery was quick",
        "order arrived hot",
        "تأخير بسيط",
        "late once",
        "cold drink",
    ] + filler * 40
    return pd.Series(target), pd.Series(baseline)


def test_planted_words_rank_first():
    target, baseline = planted_corpus()
    result = fightin_words(target, baseline)
    assert set(result["term"].head(3)) == {"late", "cold", "تاخير"}
    assert (result["z"].head(3) > 3).all()
    assert result["z"].is_monotonic_decreasing
    filler = result.set_index("term").loc[["staff", "coffee", "نظيف"], "z"]
    assert (filler < 0).all()


def test_min_count_respected():
    target, baseline = planted_corpus()
    result = fightin_words(target, baseline, min_count=20)
    assert (result["count"] >= 20).all()
    assert "طويل" not in set(result["term"])  # 8 uses in target
    assert "طويل" in set(fightin_words(target, baseline, min_count=8)["term"])


def test_fightin_words_empty_inputs():
    empty = pd.Series([], dtype=object)
    for target, baseline in [(empty, empty), (empty, pd.Series(["late"])), (pd.Series(["late"]), empty)]:
        result = fightin_words(target, baseline, min_count=0)
        assert result.empty and tuple(result.columns) == FIGHTIN_WORDS_COLUMNS
    assert fightin_words(pd.Series(["the and"]), pd.Series(["late"])).empty


def test_fightin_words_single_word_vocabulary_is_nan_not_crash():
    result = fightin_words(pd.Series(["late late"]), pd.Series(["late"]), min_count=1)
    assert result["term"].tolist() == ["late"] and math.isnan(result.loc[0, "z"])


def test_fightin_words_bad_arguments():
    with pytest.raises(ValueError, match="prior_scale"):
        fightin_words(pd.Series(["late"]), pd.Series(["late"]), prior_scale=0)
    with pytest.raises(ValueError, match="min_count"):
        fightin_words(pd.Series(["late"]), pd.Series(["late"]), min_count=-1)


# --- representative_verbatims -----------------------------------------------------------------


def comments() -> pd.DataFrame:
    rows = [
        ("The delivery was late by forty minutes.", "2025-03-01", "survey"),
        ("Late.", "2025-03-09", "review"),  # too short: after the 20-300 character ones
        ("The delivery was LATE by forty minutes. ", "2025-03-05", "review"),  # same text, newer
        ("Driver came late and the fries were cold.", "2025-02-01", "survey"),
        ("Late " + "very " * 80 + "late", "2025-03-10", "review"),  # too long
        ("التوصيلُ تأخر كثيرا والطلب وصل بارد", "2025-03-03", "review"),
        ("Great service, nothing to add here.", "2025-03-08", "survey"),
    ]
    return pd.DataFrame(rows, columns=["text", "date", "source"])


def test_verbatims_most_recent_preferred_length_no_duplicates():
    result = representative_verbatims(comments(), ["late", "توصيل", "cold"], per_term=3)
    assert tuple(result.columns) == VERBATIM_COLUMNS
    late = result[result["term"] == "late"]
    assert late["text"].tolist() == [
        "The delivery was LATE by forty minutes. ",
        "Driver came late and the fries were cold.",
        "Late " + "very " * 80 + "late",  # outside 20-300 characters: the newer of the two
    ]
    assert result[result["term"] == "توصيل"]["source"].tolist() == ["review"]
    assert result[result["term"] == "cold"]["date"].tolist() == ["2025-02-01"]
    assert result["term"].drop_duplicates().tolist() == ["late", "توصيل", "cold"]


def test_verbatims_terms_are_normalised():
    result = representative_verbatims(comments(), ["التوصيل"], per_term=1)
    assert result["term"].tolist() == ["التوصيل"]
    assert result["text"].str.contains("التوصيلُ").all()


def test_verbatims_empty_and_bad_input():
    assert representative_verbatims(comments().iloc[0:0], ["late"]).empty
    assert representative_verbatims(comments(), []).empty
    assert representative_verbatims(comments(), ["pizza"]).empty
    with pytest.raises(ValueError, match="missing: source"):
        representative_verbatims(comments().drop(columns="source"), ["late"])
    with pytest.raises(ValueError, match="per_term"):
        representative_verbatims(comments(), ["late"], per_term=0)
