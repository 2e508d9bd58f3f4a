"""``cx.stats.themes``: tokenising English, Arabic and Persian comments, Fightin' Words against hand-worked
numbers and a planted-word corpus, and representative comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cx.stats.themes import (
    FIGHTIN_WORDS_COLUMNS,
    LEADING_TERMS_COLUMNS,
    VERBATIM_COLUMNS,
    fightin_words,
    leading_terms,
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
    assert tokens("بی\u200cادب") == ["بيادب"]  # "rude": one word, as Persians read it
    assert tokens("نمی\u200cرسد") == ["نميرسد"]  # the negative prefix stays


def test_persian_plural_and_verbal_prefix_dropped_at_the_non_joiner():
    # plural -ha / -haye / -hayi and the present prefix mi-: the noun counts with its singular
    assert tokens("کتاب\u200cها") == tokens("کتاب\u200cهای") == tokens("کتاب\u200cهایی") == ["كتاب"]
    assert tokens("سفارش\u200cها همیشه با تاخیر می\u200cرسند") == ["سفارش", "هميشه", "تاخير", "رسند"]
    assert tokens("تاخیر\u200dها") == ["تاخير"]  # a joiner typed for the non-joiner
    assert tokens("کتابها") == ["كتابها"]  # written without the non-joiner: left alone


def test_presentation_forms_full_width_and_invisible_marks():
    # Arabic presentation forms (U+FE70-U+FEFF) as exported by older systems read as the letters
    assert tokens("\ufe97\ufe84\ufea7\ufef4\ufeae \ufedb\ufe92\ufef4\ufeae") == ["تاخير", "كبير"]
    assert tokens("\uff2c\uff41\uff54\uff45 delivery") == ["late", "delivery"]  # full-width Latin
    # right-to-left mark, Arabic letter mark and byte order mark inside a word do not split it
    assert tokens("تأ\u200fخير بار\u061cد \ufeffسرد") == ["تاخير", "بارد", "سرد"]


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


def test_fightin_words_word_new_to_the_target_passes_at_the_default_prior():
    # "late" 7 times in 20 target tokens, never in 200 baseline ones (fine 100, good 100).
    # prior 0.03: alpha_late = 0.21, alpha_0 = 6.6; delta = ln(7.21 / 19.39) - ln(0.21 / 206.39) = 5.901127,
    #   var = 1/7.21 + 1/0.21 = 4.900601, z = 2.665694: a theme.
    # prior 0.01: alpha_late = 0.07, alpha_0 = 2.2; delta = ln(7.07 / 15.13) - ln(0.07 / 202.13) = 7.207352,
    #   var = 1/7.07 + 1/0.07 = 14.427157, z = 1.897516: missed, below "fine" (13 against 100).
    target, baseline = pd.Series(["late"] * 7 + ["fine"] * 13), pd.Series(["fine"] * 100 + ["good"] * 100)
    rows = fightin_words(target, baseline, min_count=1).set_index("term")
    assert rows.loc["late", "log_odds"] == pytest.approx(5.901127, abs=1e-6)
    assert rows.loc["late", "z"] == pytest.approx(2.665694, abs=1e-6)
    weak = fightin_words(target, baseline, min_count=1, prior_scale=0.01).set_index("term")
    assert weak.loc["late", "z"] == pytest.approx(1.897516, abs=1e-6)


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


# --- leading_terms ----------------------------------------------------------------------------


def test_leading_terms_are_the_words_that_pass():
    target, baseline = planted_corpus()
    result = leading_terms(target, baseline, min_count=3)
    assert tuple(result.columns) == LEADING_TERMS_COLUMNS
    assert {"late", "cold", "تاخير"} <= set(result["term"].head(3))
    assert result["significant"].all() and not result["small_sample"].any()
    assert ((result["z"] > 1.959964) & (result["count"] >= 3)).all()
    late = result.set_index("term").loc["late"]
    # "late" is in "delivery was late again" and "late and cold order", 8 times each: 16 uses, 16 comments
    assert (late["count"], late["documents"], late["count_baseline"]) == (16, 16, 1)
    assert len(leading_terms(target, baseline, top=2)) == 2


def test_leading_terms_fall_back_to_flagged_words_in_few_comments():
    # Two of four comments name the crash, too few uses for the test (3). Tokens: target app 2,
    # crashed 2, nice 1, staff 1 ("again", "ok" are stop words), n_i = 6; baseline nice, staff, good,
    # app 5 each, n_j = 20. alpha_w = 0.03 x pooled count: crashed 0.06, app 0.21; alpha_0 = 0.78.
    # crashed: delta = ln(2.06 / 4.72) - ln(0.06 / 20.72) = 5.015407; var = 1/2.06 + 1/0.06 = 17.15210;
    #          z = 1.211009
    # app:     delta = ln(2.21 / 4.57) - ln(5.21 / 15.57) = 0.368245; var = 1/2.21 + 1/5.21 = 0.644427;
    #          z = 0.458723
    target = pd.Series(["app crashed", "app crashed again", "nice staff", "ok"])
    baseline = pd.Series(["nice staff", "good app", "ok"] * 5)
    result = leading_terms(target, baseline, min_count=3)
    assert result["term"].tolist() == ["crashed", "app"]  # z > 0 only; nice and staff are under-used
    rows = result.set_index("term")
    assert rows.loc["crashed", "z"] == pytest.approx(1.211009, abs=1e-6)
    assert rows.loc["app", "z"] == pytest.approx(0.458723, abs=1e-6)
    assert rows["count"].tolist() == [2, 2] and rows["documents"].tolist() == [2, 2]
    assert not rows["significant"].any() and rows["small_sample"].all()
    assert leading_terms(target, baseline, min_count=2)["small_sample"].tolist() == [False, False]


def test_leading_terms_fallback_prefers_repeated_words_and_stays_short():
    target = pd.Series(["crashed crashed", "alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    baseline = pd.Series(["golf hotel"] * 4 + ["crashed", "crashed india"])
    # crashed 2 of 8 tokens against 2 of 11 (alpha 0.12, alpha_0 0.57): z = ln(9.45 / 6.45) / sqrt(2 / 2.12)
    # = 0.393226; a word used once and never before (alpha 0.03):
    # z = (ln(1.03 / 7.54) - ln(0.03 / 11.54)) / sqrt(1/1.03 + 1/0.03) = 0.676409
    result = leading_terms(target, baseline, min_count=3, top=10)
    assert result["term"].tolist() == ["crashed", "alpha", "bravo", "charlie", "delta"]  # repeated first
    assert result["z"].tolist() == pytest.approx([0.393226] + [0.676409] * 4, abs=1e-6)
    assert not result["significant"].any()


def test_leading_terms_without_a_comparison_are_the_most_used_words():
    result = leading_terms(pd.Series(["late late cold", "late"]), pd.Series([], dtype=object))
    assert result["term"].tolist() == ["late", "cold"] and result["z"].isna().all()
    assert result["count"].tolist() == [3, 1] and result["documents"].tolist() == [2, 1]
    assert result["small_sample"].tolist() == [False, True] and not result["significant"].any()


def test_leading_terms_empty_and_bad_input():
    empty = pd.Series([], dtype=object)
    for target, baseline in [(empty, empty), (empty, pd.Series(["late"])), (pd.Series(["the and"]), empty)]:
        result = leading_terms(target, baseline)
        assert result.empty and tuple(result.columns) == LEADING_TERMS_COLUMNS
    with pytest.raises(ValueError, match="top"):
        leading_terms(pd.Series(["late"]), pd.Series(["late"]), top=0)


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
